"""Benchmark of conflict detection (issue 2, "Scale"): prints a markdown table.

    .venv/bin/python benchmarks/detect.py [--quick] [--threads 2] [--repeat 5]

Every (case, method) runs in a fresh subprocess (this script re-invoked with ``--case`` and
``--method``; the child prints one ``RESULT {json}`` line), so that the peak memory reported is
that case's own. Traffic is generated in the child before any timing (not timed); the thread
count is fixed in the child through ``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS``.

Methods, on the same states:

* ``wellclear``: :func:`wellclear.detect.conflicts.detect` (5 NM / 1000 ft / 300 s), one
  warm-up call (loads numba's compiled code), then the median of ``--repeat`` runs.
* ``bruteforce``: :func:`wellclear.detect.reference.detect_bruteforce`, the project's O(N^2)
  numpy reference (every pair through the same exact kernel); median of
  ``--baseline-repeat`` runs, no warm-up; skipped where one run is estimated (from the rate
  measured on an earlier case of the same run) to exceed ``--baseline-limit`` seconds.
* ``bluesky``: BlueSky's compiled state-based detector (``bluesky.traffic.asas.cstatebased``,
  PyPI ``bluesky-simulator``, the ``bench`` extra), called as BlueSky's ``ConflictDetection``
  calls it, ``detect(ownship, intruder, rpz, hpz, dtlookahead)``, with the same traffic object
  as ownship and intruder (per-aircraft arrays in SI units: lat/lon deg, gs m/s, trk deg,
  alt m, vs m/s; ``rpz``/``hpz``/``dtlookahead`` per-aircraft arrays in m, m, s). It tests every
  ordered pair and reports each conflict from both sides; conflicts are counted once per pair.
  Same repetition and skip rule as the brute force.

BlueSky measures distance on a flat earth (equirectangular), so some pairs near a minimum
differ: they are listed with their separation per wellclear's exact kernel (the smallest
horizontal distance within the lookahead, and the vertical distance).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import io
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wellclear.detect.conflicts import Minima, Traffic, detect
from wellclear.detect.cpa import chord_to_arc, horizontal_cpa, project_pairs
from wellclear.detect.reference import detect_bruteforce
from wellclear.simulate.snapshots import box_traffic, cap_traffic
from wellclear.units import FT_M

SEED = 1
MINIMA = Minima(horizontal_m=9260.0, vertical_m=1000 * 0.3048, lookahead_s=300.0)
THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
METHODS = ("wellclear", "bruteforce", "bluesky")
LABELS = {
    "wellclear": "wellclear `detect`",
    "bruteforce": "brute-force numpy reference",
    "bluesky": "BlueSky compiled (cstatebased)",
}
RESULTS = Path(__file__).resolve().parent / "results" / "detect.md"
#: Cases whose differing BlueSky pairs are listed one by one (the others are summarised).
LIST_PAIRS = ("box-10k", "box-20k")
#: Targets of issue 2 on 2 cores.
TARGET_BOX20K_SPEEDUP = 50.0
TARGET_1M_SECONDS = 5.0
TARGET_1M_PEAK_MB = 4000.0  # 4 GB, decimal


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "box" or "global"
    n: int

    def states(self) -> pd.DataFrame:
        if self.kind == "box":
            return box_traffic(self.n, seed=SEED)
        return cap_traffic(self.n, seed=SEED)

    @property
    def description(self) -> str:
        if self.kind == "box":
            return "1000 km box at 52N 5E"
        return f"cap of N x 500 km^2 ({min(1.0, self.n * 500e6 / 5.10e14):.0%} of Earth)"


CASES = [Case(f"box-{n // 1000}k", "box", n) for n in (1000, 2000, 5000, 10_000, 20_000)] + [
    Case("global-10k", "global", 10_000),
    Case("global-100k", "global", 100_000),
    Case("global-1M", "global", 1_000_000),
]
QUICK = ("box-1k", "box-2k", "global-10k")
BY_NAME = {c.name: c for c in CASES}


# ----------------------------------------------------------------------------- child side


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB; ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def pair_keys(a: list[str] | np.ndarray, b: list[str] | np.ndarray) -> list[str]:
    """Unordered pair keys ``"id1|id2"`` with ``id1 < id2``."""
    return sorted({f"{x}|{y}" if x < y else f"{y}|{x}" for x, y in zip(a, b, strict=True)})


class BlueSkyTraffic:
    """The attributes BlueSky's compiled detector reads from its ownship/intruder objects."""

    def __init__(self, states: pd.DataFrame) -> None:
        self.ntraf = len(states)
        self.id: list[str] = list(states["id"])
        self.lat = states["lat"].to_numpy(np.float64).copy()
        self.lon = states["lon"].to_numpy(np.float64).copy()
        self.gs = states["gs_mps"].to_numpy(np.float64).copy()
        self.trk = states["trk_deg"].to_numpy(np.float64).copy()
        trk = np.radians(self.trk)
        self.gseast = self.gs * np.sin(trk)
        self.gsnorth = self.gs * np.cos(trk)
        self.alt = states["alt_baro_m"].to_numpy(np.float64).copy()
        self.vs = states["vs_mps"].to_numpy(np.float64).copy()


def load_bluesky_detect() -> Any:
    """``bluesky.traffic.asas.cstatebased.detect``; BlueSky's import chatter is swallowed."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from bluesky.traffic.asas import cstatebased
    return cstatebased.detect


def run_child(case: Case, method: str, repeat: int, want_pairs: bool) -> dict[str, Any]:
    states = case.states()
    n = len(states)
    rss_before = peak_rss_mb()
    times: list[float] = []
    out: dict[str, Any] = {"case": case.name, "method": method, "n": n}

    if method == "wellclear":
        detection = detect(states, MINIMA)  # warm-up: numba's compiled code loaded
        for _ in range(repeat):
            gc.collect()
            t0 = time.perf_counter()
            detection = detect(states, MINIMA)
            times.append(time.perf_counter() - t0)
        table = detection.conflicts
        out["pairs_examined"] = detection.pairs_examined
        out["pairs_screened"] = detection.pairs_screened
        out["conflicts"] = len(table)
        if want_pairs:
            out["pairs"] = pair_keys(table["id_1"].to_numpy(), table["id_2"].to_numpy())
    elif method == "bruteforce":
        table = pd.DataFrame()
        for _ in range(repeat):
            gc.collect()
            t0 = time.perf_counter()
            table = detect_bruteforce(states, MINIMA)
            times.append(time.perf_counter() - t0)
        out["pairs_examined"] = n * (n - 1) // 2
        out["conflicts"] = len(table)
        if want_pairs:
            out["pairs"] = pair_keys(table["id_1"].to_numpy(), table["id_2"].to_numpy())
    elif method == "bluesky":
        bs_detect = load_bluesky_detect()
        traf = BlueSkyTraffic(states)
        rpz = np.full(n, MINIMA.horizontal_m)
        hpz = np.full(n, MINIMA.vertical_m)
        look = np.full(n, MINIMA.lookahead_s)
        confpairs: list[tuple[str, str]] = []
        for _ in range(repeat):
            gc.collect()
            t0 = time.perf_counter()
            confpairs = bs_detect(traf, traf, rpz, hpz, look)[0]
            times.append(time.perf_counter() - t0)
        keys = pair_keys([p[0] for p in confpairs], [p[1] for p in confpairs])
        out["pairs_examined"] = n * (n - 1)  # every ordered pair
        out["conflicts"] = len(keys)
        out["conflicts_both_sides"] = len(confpairs)
        if want_pairs:
            out["pairs"] = keys
    else:
        raise ValueError(method)

    out["runs"] = len(times)
    out["times_s"] = times
    out["median_s"] = statistics.median(times)
    out["peak_rss_before_mb"] = rss_before
    out["peak_rss_mb"] = peak_rss_mb()
    return out


# ---------------------------------------------------------------------------- parent side


@dataclass
class Row:
    case: Case
    method: str
    result: dict[str, Any] | None = None
    note: str = ""
    pairs: set[str] = field(default_factory=set)


def spawn(case: Case, method: str, repeat: int, threads: int, want_pairs: bool) -> dict[str, Any]:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--case",
        case.name,
        "--method",
        method,
        "--repeat",
        str(repeat),
        "--threads",
        str(threads),
    ]
    if want_pairs:
        cmd.append("--pairs")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    raise RuntimeError(
        f"{case.name}/{method} failed (rc {proc.returncode}):\n{proc.stdout[-2000:]}\n"
        f"{proc.stderr[-4000:]}"
    )


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        mem = f", {kb / 1e6:.0f} GB RAM"
    return (
        f"{model}, nproc {usable}{mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def bluesky_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bluesky-simulator")
    except PackageNotFoundError:
        return "not installed"


def fmt_s(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def separation_report(case: Case, keys: list[str], found_by: str) -> list[dict[str, Any]]:
    """Separation of pairs per wellclear's exact kernel: the smallest horizontal distance
    within ``[0, lookahead]`` (arc, m) and the vertical distance there."""
    if not keys:
        return []
    states = case.states()
    index = {k: n for n, k in enumerate(states["id"])}
    i = np.array([index[k.split("|")[0]] for k in keys], dtype=np.int64)
    j = np.array([index[k.split("|")[1]] for k in keys], dtype=np.int64)
    traffic = Traffic.from_states(states)
    geom = project_pairs(traffic.pos, traffic.vel, traffic.up, i, j)
    t_raw, _, _ = horizontal_cpa(geom)
    t_min = np.clip(t_raw, 0.0, MINIMA.lookahead_s)
    d_min = chord_to_arc(np.linalg.norm(geom.s + t_min[:, None] * geom.v, axis=1))
    dz = (traffic.baro[j] + traffic.vs[j] * t_min) - (traffic.baro[i] + traffic.vs[i] * t_min)
    lat = 0.5 * (states["lat"].to_numpy()[i] + states["lat"].to_numpy()[j])
    return [
        {
            "pair": k,
            "found_by": found_by,
            "d_min_m": float(d),
            "off_pct": float(100.0 * (d - MINIMA.horizontal_m) / MINIMA.horizontal_m),
            "t_min_s": float(t),
            "tcpa_s": float(tr),
            "dz_ft": float(abs(z) / FT_M),
            "lat": float(la),
        }
        for k, d, t, tr, z, la in zip(keys, d_min, t_min, t_raw, dz, lat, strict=True)
    ]


def run_parent(args: argparse.Namespace) -> int:
    cases = [c for c in CASES if c.name in QUICK] if args.quick else list(CASES)
    if args.cases:
        wanted = set(args.cases.split(","))
        cases = [c for c in CASES if c.name in wanted]
    threads = args.threads
    command = ".venv/bin/python " + shlex.join(["benchmarks/detect.py", *sys.argv[1:]])
    started = dt.datetime.now(dt.UTC)
    rows: list[Row] = []
    rate: dict[str, float] = {}  # baseline pairs per second, from the latest case run
    have_bluesky = bluesky_version() != "not installed"

    for case in cases:
        n = case.n
        plan: list[tuple[str, str]] = []  # (method, skip note or "")
        for method in ("bruteforce", "bluesky"):
            if method == "bruteforce" and case.kind != "box":
                plan.append((method, "not run (box cases only)"))
                continue
            if method == "bluesky" and not have_bluesky:
                plan.append((method, "skipped: bluesky-simulator not installed"))
                continue
            pairs = n * (n - 1) / (2 if method == "bruteforce" else 1)
            if method in rate:
                est = pairs / rate[method]
                if est > args.baseline_limit:
                    plan.append(
                        (
                            method,
                            f"skipped: one run est. {est:,.0f} s "
                            f"(> {args.baseline_limit:.0f} s; O(N^2) at the measured rate)",
                        )
                    )
                    continue
            plan.append((method, ""))
        want_pairs = any(not note for _, note in plan)
        print(f"[{case.name}] wellclear ...", file=sys.stderr, flush=True)
        res = spawn(case, "wellclear", args.repeat, threads, want_pairs)
        rows.append(Row(case, "wellclear", res, pairs=set(res.pop("pairs", []))))
        for method, note in plan:
            if note:
                rows.append(Row(case, method, None, note))
                continue
            print(f"[{case.name}] {method} ...", file=sys.stderr, flush=True)
            res = spawn(case, method, args.baseline_repeat, threads, True)
            rate[method] = res["pairs_examined"] / res["median_s"]
            rows.append(Row(case, method, res, pairs=set(res.pop("pairs", []))))

    # ---- table
    wc = {r.case.name: r for r in rows if r.method == "wellclear" and r.result}
    header = (
        "| case | N | method | runs | median s | wellclear speed-up | pairs examined "
        "| pairs screened | conflicts | same pairs as wellclear | peak RSS MB (before detect) |"
    )
    lines = [header, "|" + "---|" * 11]
    diffs: dict[str, tuple[list[str], list[str]]] = {}
    for r in rows:
        base = wc[r.case.name]
        assert base.result is not None
        if r.result is None:
            lines.append(
                f"| {r.case.name} | {r.case.n:,} | {LABELS[r.method]} | - | {r.note} "
                "| - | - | - | - | - | - |"
            )
            continue
        res = r.result
        if r.method == "wellclear":
            speed = "1"
            same = "-"
            screened = f"{res['pairs_screened']:,}"
            examined = f"{res['pairs_examined']:,}"
        else:
            speed = f"{res['median_s'] / base.result['median_s']:,.1f}x"
            screened = "-"
            examined = f"{res['pairs_examined']:,}" + (
                " ordered" if r.method == "bluesky" else " (all)"
            )
            only_b = sorted(r.pairs - base.pairs)
            only_w = sorted(base.pairs - r.pairs)
            if not only_b and not only_w:
                same = "yes, identical"
            else:
                same = f"no: {len(only_w)} only wellclear, {len(only_b)} only {r.method}"
            if r.method == "bluesky":
                diffs[r.case.name] = (only_w, only_b)
        lines.append(
            f"| {r.case.name} | {r.case.n:,} | {LABELS[r.method]} | {res['runs']} "
            f"| {fmt_s(res['median_s'])} | {speed} | {examined} | {screened} "
            f"| {res['conflicts']:,} | {same} "
            f"| {res['peak_rss_mb']:,.0f} ({res['peak_rss_before_mb']:,.0f}) |"
        )

    # ---- BlueSky-differing pairs
    diff_lines: list[str] = []
    worst = 0.0
    for name, (only_w, only_b) in diffs.items():
        case = BY_NAME[name]
        reps = separation_report(case, only_w, "wellclear") + separation_report(
            case, only_b, "BlueSky"
        )
        if not reps:
            diff_lines.append(f"- {name}: BlueSky and wellclear find the same pairs.")
            continue
        off = [abs(x["off_pct"]) for x in reps]
        worst = max(worst, *off)
        dz_max = max(x["dz_ft"] for x in reps)
        diff_lines.append(
            f"- {name}: {len(only_w)} pair(s) only wellclear, {len(only_b)} only BlueSky; smallest "
            f"horizontal separation within 300 s per wellclear's kernel is within "
            f"{max(off):.2f}% of 5 NM (max |dz| {dz_max:.0f} ft < 1000 ft)."
        )
        if name in LIST_PAIRS:
            diff_lines += [
                "",
                "  | pair | found only by | min horizontal sep m | vs 5 NM | at t s "
                "| tcpa s | dz ft | mid lat |",
                "  |---|---|---|---|---|---|---|---|",
            ]
            for x in sorted(reps, key=lambda x: x["off_pct"]):
                diff_lines.append(
                    f"  | {x['pair'].replace('|', ', ')} | {x['found_by']} | {x['d_min_m']:.1f} "
                    f"| {x['off_pct']:+.3f}% | {x['t_min_s']:.1f} | {x['tcpa_s']:.1f} "
                    f"| {x['dz_ft']:.0f} | {x['lat']:.2f} |"
                )
            diff_lines.append("")

    # ---- targets
    targets: list[str] = []
    b20 = [r for r in rows if r.case.name == "box-20k" and r.method == "bluesky"]
    if b20 and b20[0].result is not None and "box-20k" in wc:
        w_res = wc["box-20k"].result
        assert w_res is not None
        ratio = b20[0].result["median_s"] / w_res["median_s"]
        ok = ratio >= TARGET_BOX20K_SPEEDUP
        targets.append(
            f"{'PASS' if ok else 'FAIL'}: box 20k, wellclear {ratio:,.1f}x faster than BlueSky's "
            f"compiled detector (target >= {TARGET_BOX20K_SPEEDUP:.0f}x; "
            f"{fmt_s(w_res['median_s'])} s vs {fmt_s(b20[0].result['median_s'])} s)"
        )
    else:
        targets.append("NOT RUN: box 20k vs BlueSky")
    if "global-1M" in wc:
        g = wc["global-1M"].result
        assert g is not None
        ok_t = g["median_s"] <= TARGET_1M_SECONDS
        ok_m = g["peak_rss_mb"] <= TARGET_1M_PEAK_MB
        targets.append(
            f"{'PASS' if ok_t else 'FAIL'}: global 1M in {fmt_s(g['median_s'])} s "
            f"(target <= {TARGET_1M_SECONDS:.0f} s)"
        )
        targets.append(
            f"{'PASS' if ok_m else 'FAIL'}: global 1M peak RSS {g['peak_rss_mb']:,.0f} MB "
            f"(whole process, traffic generation included; target <= 4 GB = "
            f"{TARGET_1M_PEAK_MB:,.0f} MB)"
        )
    else:
        targets.append("NOT RUN: global 1M")

    notes = [
        f"Threads: {threads} (NUMBA_NUM_THREADS, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, "
        "MKL_NUM_THREADS in each child).",
        f"Minima 5 NM / 1000 ft / 300 s; traffic seed {SEED}: box = `box_traffic(N)` (1000 km "
        "box at 52N 5E), global = `cap_traffic(N)` (uniform by area over a spherical cap of "
        "N x 500 km^2, the whole Earth at 1M); tracks uniform, 100-250 m/s, FL100-FL400, level.",
        f"wellclear: one warm-up call, then median of {args.repeat} runs of `detect`. "
        f"Baselines: median of {args.baseline_repeat} runs, no warm-up; skipped where one run "
        f"would exceed ~{args.baseline_limit:.0f} s (estimated from the rate measured on the "
        "previous case). Generation is not timed.",
        "Each (case, method) runs in a fresh process; peak RSS is that process's ru_maxrss "
        "(imports and generated traffic included), in parentheses its peak before the first "
        "detection call.",
        "Pairs examined: wellclear = distinct pairs solved exactly (after the cheap screen of "
        "the cell-sharing pairs, `pairs_screened`); brute force = N(N-1)/2; BlueSky = N(N-1) "
        "ordered pairs (it reports each conflict from both sides; conflicts are counted once).",
        f"BlueSky: bluesky-simulator {bluesky_version()}, "
        "`bluesky.traffic.asas.cstatebased.detect(ownship, intruder, rpz, hpz, dtlookahead)` "
        "with the same traffic object as ownship and intruder (single-threaded C++).",
    ]
    title = "# wellclear conflict detection benchmark"
    meta = [
        f"- Command: `{command}`",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Threads: {threads}",
    ]
    body = [
        title,
        "",
        *meta,
        "",
        *lines,
        "",
        *(f"- {x}" for x in notes),
        "",
        "## Pairs where BlueSky (flat earth) and wellclear differ",
        "",
        "Separation per wellclear's exact kernel: min horizontal sep = smallest horizontal "
        "distance within [0, 300 s] (at t = tcpa clamped to [0, 300]); vs 5 NM = (sep - 9260 m) "
        "/ 9260 m; dz = vertical distance at that time (minimum 1000 ft).",
        "",
        *diff_lines,
        f"All within {worst:.2f}% of the 5 NM minimum." if diffs else "BlueSky not run.",
        "",
        "## Targets",
        "",
        *(f"- {x}" for x in targets),
        "",
    ]
    text = "\n".join(body)
    print(text)
    partial = args.quick or bool(args.cases)
    out = args.output if args.output is not None else (None if partial else RESULTS)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"written to {out}", file=sys.stderr)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help=f"small cases only: {', '.join(QUICK)}")
    ap.add_argument("--threads", type=int, default=2, help="thread count in each child")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of wellclear (default 5)")
    ap.add_argument("--baseline-repeat", type=int, default=3, help="timed runs of baselines")
    ap.add_argument(
        "--baseline-limit", type=float, default=90.0, help="skip baselines beyond (s per run)"
    )
    ap.add_argument("--cases", help="comma-separated case names (default: all, or --quick)")
    ap.add_argument(
        "--output",
        type=Path,
        help=f"markdown file (default {RESULTS}; none with --quick or --cases)",
    )
    ap.add_argument("--case", choices=sorted(BY_NAME), help=argparse.SUPPRESS)
    ap.add_argument("--method", choices=METHODS, default="wellclear", help=argparse.SUPPRESS)
    ap.add_argument("--pairs", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        result = run_child(BY_NAME[args.case], args.method, args.repeat, args.pairs)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
