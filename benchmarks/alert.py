"""Benchmark of the alerting step (DO-365 with hysteresis) against ``detect``: prints a table.

    .venv/bin/python benchmarks/alert.py                  # all cases, writes results/alert.md
    .venv/bin/python benchmarks/alert.py --cases dense --steps 10

Each case runs in a fresh process (this script re-invoked with ``--case``; the child prints one
``RESULT {json}`` line), so the peak RSS is that case's own. Cases:

- ``dense``: ``wellclear simulate --scenario random --aircraft 10000`` as the CLI makes it (a
  500 x 350 km box around Paris, 1 h, seed 2015; generated once and cached in ``--data-dir``),
  read with ``read_reports``, filled once (``fill_missing``), then one snapshot
  (``snapshot_filled``) per one-second step from 30 min in, when every flight is airborne.
- ``continental``: 10,000 aircraft uniform over 3,000 x 3,000 km (``box_traffic`` at 47N 10E,
  climbing and descending), moved along their great circles between steps.
- ``global``: 100,000 aircraft uniform over the whole globe (``cap_traffic``), moved likewise.
- ``growth``: the dense case over ``--growth-steps`` steps, recording per step the alerting
  pairs and the hysteresis-table size (the state must follow the alerting pairs, not the
  candidate pairs or the time).

Per step and case: the snapshot (dense only; the synthetic cases' motion is not timed),
``PairAlerter.step`` (the alerting step: candidate search, projection, levels, hysteresis,
the result table), and ``detect_conflicts`` with its default minima on the same states; the
medians after ``--warmup`` steps. Reported: pairs evaluated (rows of the step), alerting pairs
(level >= 1), hysteresis-table size, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results" / "alert.md"
CASES = ("dense", "continental", "global", "growth")
DENSE_T0_S = 1800.0  # every random-scenario flight has started by half the duration


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB; ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def dense_reports(data_dir: Path) -> pd.DataFrame:
    """The reports of ``wellclear simulate --scenario random --aircraft 10000`` (cached)."""
    from wellclear.formats.states import read_reports
    from wellclear.formats.tables import write_table
    from wellclear.simulate.flights import fly, sample
    from wellclear.simulate.scenarios import random_plans

    path = data_dir / "random-10000-3600s-seed2015.parquet"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        plans = random_plans(10_000, 3600.0, seed=2015)
        frame = sample(fly(plans, dt=1.0), seed=2015, min_dt=1.0, max_dt=15.0)
        tmp = path.with_suffix(".tmp.parquet")
        write_table(frame, tmp)
        tmp.replace(path)
    return read_reports([path]).frame


def moved(states: pd.DataFrame, dt: float) -> pd.DataFrame:
    """States ``dt`` seconds later on straight great-circle paths at constant vertical rate."""
    from wellclear.geo import geod

    n = len(states)
    lon, lat, back = geod().fwd(
        states["lon"].to_numpy(float),
        states["lat"].to_numpy(float),
        states["trk_deg"].to_numpy(float),
        states["gs_mps"].to_numpy(float) * dt,
    )
    out = states.copy()
    out["lat"], out["lon"] = lat, lon
    out["trk_deg"] = np.mod(np.asarray(back) + 180.0, 360.0)
    alt = out["alt_m"].to_numpy(float) + out["vs_mps"].to_numpy(float) * dt
    out["alt_m"] = out["alt_baro_m"] = alt
    out["t"] = out["t"].to_numpy(float) + dt
    assert len(out) == n
    return out


def steps_of(case: str, n_steps: int, data_dir: Path) -> Any:
    """Yield ``(now, states, snapshot_s)`` for each step of a case."""
    from wellclear.simulate.snapshots import box_traffic, cap_traffic

    if case in ("dense", "growth"):
        from wellclear.snapshot import fill_missing, snapshot_filled

        filled = fill_missing(dense_reports(data_dir), 20.0)
        t0 = float(filled["t_row"].min()) + DENSE_T0_S
        for k in range(n_steps):
            started = time.perf_counter()
            snap = snapshot_filled(filled, t0 + k, 20.0)
            yield t0 + k, snap.states, time.perf_counter() - started
        return
    if case == "continental":
        states = box_traffic(10_000, center=(47.0, 10.0), side_m=3_000_000.0, seed=1, level=False)
    elif case == "global":
        states = cap_traffic(100_000, area_per_aircraft_m2=6e9, seed=1, level=False)
    else:
        raise ValueError(f"unknown case {case!r}")
    states = states.drop(columns=["age_s"])
    for k in range(n_steps):
        yield float(k), states, float("nan")
        states = moved(states, 1.0)


def run_case(case: str, n_steps: int, warmup: int, data_dir: Path) -> dict[str, Any]:
    """One case in this process: per-step timings and counts."""
    from wellclear.alerting.config import preset
    from wellclear.alerting.pairs import PairAlerter
    from wellclear.detect.conflicts import detect_conflicts

    alerter = PairAlerter(preset("do365"))
    rows: list[dict[str, float]] = []
    ever: set[tuple[str, str]] = set()
    for k, (now, states, snap_s) in enumerate(steps_of(case, n_steps + warmup, data_dir)):
        started = time.perf_counter()
        out = alerter.step(states, now)
        alert_s = time.perf_counter() - started
        started = time.perf_counter()
        detect_conflicts(states)
        detect_s = time.perf_counter() - started
        hot = out[out["level"] >= 1]
        ever.update(zip(hot["ownship"], hot["intruder"], strict=True))
        if k >= warmup:
            rows.append(
                {
                    "step": k - warmup,
                    "aircraft": len(states),
                    "snapshot_s": snap_s,
                    "alert_s": alert_s,
                    "detect_s": detect_s,
                    "pairs": len(out),
                    "alerting": len(hot),
                    "ever_alerting": len(ever),
                    "table": len(alerter.table),
                }
            )
    frame = pd.DataFrame(rows)
    med = frame.median(numeric_only=True)
    return {
        "case": case,
        "aircraft": int(frame["aircraft"].iloc[-1]),
        "steps": len(frame),
        "snapshot_s": float(med["snapshot_s"]),
        "alert_s": float(med["alert_s"]),
        "alert_max_s": float(frame["alert_s"].max()),
        "detect_s": float(med["detect_s"]),
        "pairs": float(med["pairs"]),
        "alerting": float(med["alerting"]),
        "ever_alerting": int(frame["ever_alerting"].iloc[-1]),
        "table_max": int(frame["table"].max()),
        "table_last": int(frame["table"].iloc[-1]),
        "peak_rss_mb": peak_rss_mb(),
        "per_step": {c: frame[c].tolist() for c in ("alerting", "table", "alert_s")},
    }


def run_child(case: str, args: argparse.Namespace) -> dict[str, Any]:
    steps = args.growth_steps if case == "growth" else args.steps
    cmd = [
        sys.executable,
        __file__,
        "--case",
        case,
        "--steps",
        str(steps),
        "--warmup",
        str(args.warmup),
        "--data-dir",
        str(args.data_dir),
    ]
    env = {**os.environ, "NUMBA_NUM_THREADS": str(args.threads), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    raise RuntimeError(f"case {case} failed:\n{proc.stdout}\n{proc.stderr}")


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| case | aircraft | steps | snapshot s | alert s/step (max) | detect s | alert/detect "
        "| pairs evaluated | alerting pairs | table size (max) | peak RSS MB |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in results:
        snap = "-" if np.isnan(r["snapshot_s"]) else f"{r['snapshot_s']:.3f}"
        lines.append(
            f"| {r['case']} | {r['aircraft']:,} | {r['steps']} | {snap} "
            f"| {r['alert_s']:.3f} ({r['alert_max_s']:.3f}) | {r['detect_s']:.3f} "
            f"| {r['alert_s'] / r['detect_s']:.2f} | {r['pairs']:,.0f} | {r['alerting']:,.0f} "
            f"| {r['table_last']:,} ({r['table_max']:,}) | {r['peak_rss_mb']:,.0f} |"
        )
    return head + "\n".join(lines) + "\n"


def growth_table(r: dict[str, Any]) -> str:
    """Hysteresis-table size against alerting pairs along the growth run."""
    per = r["per_step"]
    n = len(per["table"])
    marks = sorted({0, n // 4, n // 2, (3 * n) // 4, n - 1})
    head = "| step | alerting pairs | table size | table / alerting |\n|---:|---:|---:|---:|\n"
    body = "".join(
        f"| {k} | {per['alerting'][k]:,} | {per['table'][k]:,} "
        f"| {per['table'][k] / max(per['alerting'][k], 1):.2f} |\n"
        for k in marks
    )
    return head + body + f"\ndistinct pairs that alerted over the run: {r['ever_alerting']:,}\n"


def targets(results: list[dict[str, Any]]) -> list[str]:
    by = {r["case"]: r for r in results}
    out = []

    def check(ok: bool, text: str) -> None:
        out.append(f"{'PASS' if ok else 'FAIL'}: {text}")

    if "dense" in by:
        d = by["dense"]
        check(d["alert_s"] <= 1.0, f"dense box <= 1 s per step ({d['alert_s']:.3f} s)")
        ratio = d["alert_s"] / d["detect_s"]
        check(ratio <= 2.0, f"dense box <= 2x detect ({ratio:.2f}x)")
    if "continental" in by:
        c = by["continental"]
        check(c["alert_s"] <= 0.2, f"continental <= 0.2 s per step ({c['alert_s']:.3f} s)")
    if "global" in by:
        g = by["global"]
        check(g["alert_s"] <= 1.0, f"global 100k <= 1 s per step ({g['alert_s']:.3f} s)")
        check(g["peak_rss_mb"] <= 2000, f"global 100k <= 2 GB ({g['peak_rss_mb']:.0f} MB)")
    if "growth" in by:
        per = by["growth"]["per_step"]
        worst = max(t / max(a, 1) for t, a in zip(per["table"], per["alerting"], strict=True))
        check(worst <= 3.0, f"hysteresis table <= 3x the alerting pairs each step ({worst:.2f})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--growth-steps", type=int, default=90)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/wellclear-bench"))
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    if args.case:
        print("RESULT " + json.dumps(run_case(args.case, args.steps, args.warmup, args.data_dir)))
        return
    cases = [c for c in args.cases.split(",") if c]
    results = []
    for case in cases:
        r = run_child(case, args)
        print(f"{case}: {r['alert_s']:.3f} s/step", file=sys.stderr)
        results.append(r)
    text = (
        f"# Alerting step (DO-365 with hysteresis) vs detect\n\n"
        f"`{' '.join(['.venv/bin/python', 'benchmarks/alert.py', *sys.argv[1:]])}` on "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {args.threads} numba threads; "
        f"medians over steps after {args.warmup} warm-up steps.\n\n" + table(results)
    )
    growth = [r for r in results if r["case"] == "growth"]
    if growth:
        text += "\n## Hysteresis state against alerting pairs (growth run)\n\n"
        text += growth_table(growth[0])
    text += "\n" + "\n".join(targets(results)) + "\n"
    print(text)
    output = args.output or (RESULTS if set(cases) == set(CASES) else None)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)


if __name__ == "__main__":
    main()
