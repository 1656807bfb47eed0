"""Benchmark of ``wellclear scan`` (issue 5): whole processes, printed as markdown tables.

Every measured command runs in a process of its own (peak memory = its ``ru_maxrss``, from
``os.wait4``); data are made in processes of their own too and their time is not counted.
Before the timed runs, one untimed scan of a small file fills numba's caches.

1. Files (``--rows N``, 0 skips): rows per second end to end (median of ``--repeat`` runs of
   ``wellclear scan``), the ratio of that time to reading the same Parquet with
   ``pyarrow.parquet.read_table`` (all columns) in a process of its own, and the peak memory.
   Data: the real Paris sample (OpenSky via ``traffic``) replicated to N rows (copies shifted by
   3 h each, with new ids, so the density stays real); generated kinematic traffic of about
   N rows (``random_plans``, ``fly``, ``sample``), about one aircraft per 1000 km2 (its climbs
   and descents are not bounded: altitudes spread out over the hours); and "fleet", N rows of
   the archive's traffic (below) in one file.
2. Archive (``--archive-rows N``): a hive-style archive ``date=YYYY-MM-DD/hour=HH/part.parquet``
   of N rows generated hour by hour (vectorised kinematic flights that continue across hours,
   one aircraft per 1000 km2, one report every 1-9 s), then ``wellclear scan DIR`` once: wall
   time, rows/s, peak memory against the 2 GiB target, and the time to read the same archive,
   streamed (``pyarrow.dataset`` batches, all columns) and with ``read_table`` where it fits.
3. ``traffic`` (``--traffic-python PY --traffic-rows N[,N...]``, optional): the ``traffic``
   library's ``closest_point_of_approach`` (``benchmarks/scan_traffic.py``, run by ``PY``) and
   ``wellclear scan`` on the same slice of the Paris-replicated data (its first N rows), with a
   time limit and a watch on the memory of the whole process tree.
4. Archives as users have them (``--users-rows N``, issue 12): the Paris copies as the states
   contract in time order and in flight order, as the ``traffic`` library's canonical columns
   in flight order, and as OpenSky historical state vectors in ``hour=`` partitions; each
   ``wellclear scan`` against ``read_table`` of the same file or directory, runs alternating,
   median of ``--repeat``; target: scan at most 5x the read. Also the range of the ratios of
   each (read, scan) pair and the CPU seconds (user + system, from ``wait4``) of both, which
   move less than wall times when other work shares the machine.

    python benchmarks/scan.py --rows 10000000
    python benchmarks/scan.py --rows 0 --archive-rows 100000000
    python benchmarks/scan.py --rows 0 --traffic-python /tmp/bench_trafficvenv/bin/python \\
        --traffic-rows 100000,1000000
    python benchmarks/scan.py --rows 0 --users-rows 10000000
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
PARIS = ROOT / "src/wellclear/data/paris_20211007_1320-1330.json.gz"
TRAFFIC_SCRIPT = Path(__file__).resolve().with_name("scan_traffic.py")
MEMORY_TARGET_MIB = 2048.0
PAGE = os.sysconf("SC_PAGE_SIZE")

FloatArray = npt.NDArray[np.float64]


@dataclass
class Run:
    """One process: wall seconds, peak RSS of its largest process (``ru_maxrss`` via ``wait4``,
    MiB), peak of the summed RSS of its process tree (sampled every 0.2 s, MiB), exit status,
    output, and why it was stopped (time or memory limit), if it was."""

    wall_s: float
    peak_mib: float
    tree_mib: float
    rc: int
    stdout: str
    stderr: str
    stopped: str = ""
    cpu_s: float = 0.0  # user + system seconds of the process and the children it waited for


def _session_rss_mib(session: int) -> float:
    """Summed RSS of the processes of one session (the command and all it started)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != session:
                continue
            with open(f"/proc/{entry.name}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            continue
    return total / 2**20


def run(
    cmd: list[str],
    timeout_s: float | None = None,
    limit_mib: float | None = None,
    check: bool = True,
) -> Run:
    """Run ``cmd`` in a session of its own; stop it (the whole session) at the limits."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        done = threading.Event()
        tree = [0.0]
        stopped: list[str] = []

        def watch() -> None:
            while not done.wait(0.2):
                rss = _session_rss_mib(proc.pid)
                tree[0] = max(tree[0], rss)
                why = ""
                if timeout_s is not None and time.perf_counter() - start > timeout_s:
                    why = f"did not finish in {timeout_s:.0f} s"
                elif limit_mib is not None and rss > limit_mib:
                    why = f"stopped above {limit_mib:.0f} MiB"
                if why:
                    stopped.append(why)
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        # what the command started and left behind belongs to its session
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out.seek(0)
        err.seek(0)
        result = Run(
            wall,
            usage.ru_maxrss / 1024.0,
            tree[0],
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            stopped[0] if stopped else "",
            usage.ru_utime + usage.ru_stime,
        )
    if check and (result.rc != 0 or result.stopped):
        raise RuntimeError(f"{shlex.join(cmd)} failed ({result.stopped}): {result.stderr[-2000:]}")
    return result


def median_of(cmd: list[str], n: int = 3) -> tuple[float, float, Run]:
    """Median wall seconds and largest peak RSS (MiB) of ``n`` runs, and the last run."""
    runs = [run(cmd) for _ in range(n)]
    return statistics.median(r.wall_s for r in runs), max(r.peak_mib for r in runs), runs[-1]


def paired_medians(
    a: list[str], b: list[str], n: int = 3
) -> tuple[tuple[float, float, Run], tuple[float, float, Run]]:
    """:func:`median_of` for two commands whose runs alternate (a, b, a, b, ...), so that both
    see the same load on a shared machine and their ratio does not drift with it."""
    runs_a, runs_b = paired_runs(a, b, n)

    def summary(runs: list[Run]) -> tuple[float, float, Run]:
        return statistics.median(r.wall_s for r in runs), max(r.peak_mib for r in runs), runs[-1]

    return summary(runs_a), summary(runs_b)


def paired_runs(a: list[str], b: list[str], n: int = 3) -> tuple[list[Run], list[Run]]:
    """``n`` runs of each of two commands, alternating (a, b, a, b, ...)."""
    runs_a: list[Run] = []
    runs_b: list[Run] = []
    for _ in range(n):
        runs_a.append(run(a))
        runs_b.append(run(b))
    return runs_a, runs_b


def failure(r: Run) -> str:
    """Why a run failed: its exit status or signal, and the last line it wrote to stderr."""
    status = f"killed by {signal.Signals(-r.rc).name}" if r.rc < 0 else f"exit status {r.rc}"
    last = (r.stderr.strip().splitlines() or ["no output"])[-1]
    return f"{status}; {last}"


def summary_of(r: Run) -> str:
    """The ``wellclear scan: ...`` line of a run, without the list of files written."""
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("wellclear scan:")]
    return lines[-1].split("; wrote ")[0].removeprefix("wellclear scan: ") if lines else ""


def scan_seconds(r: Run) -> str:
    """The scan's own time as ``wellclear scan`` reports it (imports and start-up excluded)."""
    words = summary_of(r).split("; ")
    return words[-1].split(" s ")[0] if words and " s (" in words[-1] else "-"


# ---------------------------------------------------------------------------------------------
# data


def paris_copies(rows: int) -> pd.DataFrame:
    """The Paris sample's reports (SI, both altitudes) copied to ``rows`` rows, each copy 3 h
    later with ids of its own, in time order within each copy."""
    from wellclear.formats.states import read_reports

    base = read_reports(str(PARIS)).frame
    copies = max(1, int(np.ceil(rows / len(base))))
    parts = []
    for k in range(copies):
        part = base.copy()
        part["t"] = part["t"] + k * 3 * 3600.0
        part["t_row"] = part["t_row"] + k * 3 * 3600.0
        part["id"] = part["id"].astype(str) + f"-{k}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True).iloc[:rows]


def _contract(frame: pd.DataFrame) -> pd.DataFrame:
    """Reports as the states contract's columns (one altitude and its source)."""
    from wellclear.states import STATES_COLUMNS

    baro = frame["alt_baro_m"]
    frame["alt_m"] = baro.where(baro.notna(), frame["alt_geo_m"])
    frame["alt_src"] = np.where(baro.notna(), "baro", "geo")
    return frame[list(STATES_COLUMNS)]


def contract_by_flight(rows: int, path: Path) -> int:
    """The Paris copies in the states contract, sorted by aircraft then time."""
    frame = _contract(paris_copies(rows)).sort_values(["id", "t"], kind="stable")
    frame.to_parquet(path, index=False, row_group_size=1_000_000)
    return len(frame)


def traffic_by_flight(rows: int, path: Path) -> int:
    """The Paris copies in the ``traffic`` library's canonical columns (datetime timestamp,
    feet, knots, ft/min), sorted by flight then time as ``traffic`` writes them."""
    from wellclear.units import FPM_MPS, FT_M, KT_MPS

    f = paris_copies(rows)
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(f["t_row"], unit="s", utc=True),
            "icao24": f["id"],
            "callsign": f["callsign"],
            "latitude": f["lat"],
            "longitude": f["lon"],
            "altitude": f["alt_baro_m"] / FT_M,
            "geoaltitude": f["alt_geo_m"] / FT_M,
            "groundspeed": f["gs_mps"] / KT_MPS,
            "track": f["trk_deg"],
            "vertical_rate": f["vs_mps"] / FPM_MPS,
            "onground": f["onground"].astype(bool),
        }
    ).sort_values(["icao24", "callsign", "timestamp"], kind="stable")
    frame.to_parquet(path, index=False, row_group_size=1_000_000)
    return len(frame)


def opensky_hours(rows: int, path: Path) -> int:
    """The Paris copies as OpenSky historical state vectors (``time, icao24, lat, lon,
    velocity, heading, vertrate, ...``), hive-partitioned ``hour=UNIX``, each hour sorted by
    aircraft then time (the Impala shell returns rows in no time order)."""
    f = paris_copies(rows)
    frame = pd.DataFrame(
        {
            "time": np.floor(f["t_row"]).astype(np.int64),
            "icao24": f["id"],
            "lat": f["lat"],
            "lon": f["lon"],
            "velocity": f["gs_mps"],
            "heading": f["trk_deg"],
            "vertrate": f["vs_mps"],
            "callsign": f["callsign"],
            "onground": f["onground"].astype(bool),
            "alert": False,
            "spi": False,
            "squawk": "7000",
            "baroaltitude": f["alt_baro_m"],
            "geoaltitude": f["alt_geo_m"],
            "lastposupdate": f["t"],
            "lastcontact": f["t_row"],
        }
    )
    hour = frame["time"] // 3600 * 3600
    for h, part in frame.groupby(hour):
        d = path / f"hour={h}"
        d.mkdir(parents=True, exist_ok=True)
        part.sort_values(["icao24", "time"], kind="stable").to_parquet(
            d / "part.parquet", index=False
        )
    return len(frame)


def paris_replicated(rows: int, path: Path) -> int:
    """The Paris copies in the states contract, in time order within each copy."""
    frame = _contract(paris_copies(rows))
    frame.to_parquet(path, index=False, row_group_size=1_000_000)
    return len(frame)


def generated(rows: int, path: Path) -> int:
    from wellclear.simulate.flights import fly, sample
    from wellclear.simulate.scenarios import random_plans

    # about 1 row per aircraft every 5 s: an hour of n aircraft gives ~ n * 720 rows per hour
    hours = max(1, rows // 2_000_000)
    n = max(10, rows // (720 * hours))
    # a real density: about one aircraft per 1000 km2 (the Paris sample's order of magnitude)
    radius_deg = max(1.0, np.sqrt(n * 1000.0) / 2.0 / 111.0)
    plans = random_plans(n, 3600.0 * hours, seed=1, radius_deg=radius_deg)
    frame = sample(fly(plans, dt=2.0), seed=1, max_dt=9.0)
    frame.to_parquet(path, index=False, row_group_size=1_000_000)
    return len(frame)


A_M = 6378137.0  # WGS-84 semi-major axis
E2 = 6.69437999014e-3  # WGS-84 first eccentricity squared
ARCHIVE_T0 = 1_633_564_800.0  # 2021-10-07 00:00 UTC, the Paris sample's day
CENTRE = (48.0, 2.5)
KM2_PER_AIRCRAFT = 1000.0


class Fleet:
    """Kinematic flights in ``n`` slots, flown together on a 1 s grid, vectorised over slots.

    A flight flies legs of 2-15 min: straight, or (legs under 5 min) turning at 1.5 or 3 deg/s,
    level or climbing/descending at 8 m/s (kept within 300-12,500 m), at a constant ground speed
    of 110-250 m/s, along rhumb lines on the WGS-84 ellipsoid (the track stays what it reports).
    It reports every 1-9 s (uniform), at times between grid points, with the position, altitude
    and track it has then; ground speed, track and vertical rate are the ones it flies. It ends
    after 20 min to 3 h, or on leaving the area, and its slot goes to a new flight with a new id
    at a random place: the number of aircraft stays ``n``, spread over ``n`` x 1000 km2 around
    Paris (uniform by area).
    """

    def __init__(self, n: int, t0: float, seed: int = 1) -> None:
        self.rng = np.random.default_rng(seed)
        area = n * KM2_PER_AIRCRAFT * 1e6
        half = min(30.0, float(np.degrees(np.sqrt(area) / 2.0 / A_M)))
        self.lat_lo, self.lat_hi = CENTRE[0] - half, CENTRE[0] + half
        band = np.sin(np.radians(self.lat_hi)) - np.sin(np.radians(self.lat_lo))
        width = min(359.0, float(np.degrees(area / (A_M**2 * band))))
        self.lon_lo, self.lon_hi = CENTRE[1] - width / 2.0, CENTRE[1] + width / 2.0
        self.issued = 0
        self.serial = np.zeros(n, np.int64)
        self.lat, self.lon, self.alt, self.gs, self.trk, self.vs, self.turn = (
            np.zeros(n) for _ in range(7)
        )
        self.leg_end, self.end, self.next_report = np.zeros(n), np.zeros(n), np.zeros(n)
        self.spawn(np.arange(n), t0, first=True)

    def spawn(self, k: npt.NDArray[np.intp], t: float, first: bool = False) -> None:
        rng, m = self.rng, k.size
        self.serial[k] = self.issued + np.arange(m)
        self.issued += m
        lo, hi = np.sin(np.radians(self.lat_lo)), np.sin(np.radians(self.lat_hi))
        self.lat[k] = np.degrees(np.arcsin(rng.uniform(lo, hi, m)))
        self.lon[k] = rng.uniform(self.lon_lo, self.lon_hi, m)
        self.alt[k] = rng.uniform(1500.0, 11000.0, m)
        self.gs[k] = rng.uniform(110.0, 250.0, m)
        self.trk[k] = rng.uniform(0.0, 360.0, m)
        life = rng.uniform(1200.0, 10800.0, m)
        # at the start, flights are part-way through: what is left of them is uniform
        self.end[k] = t + (life * rng.uniform(0.0, 1.0, m) if first else life)
        self.next_report[k] = t + rng.uniform(0.0, 9.0, m)
        self.new_legs(k, t, first)

    def new_legs(self, k: npt.NDArray[np.intp], t: float, first: bool = False) -> None:
        rng, m = self.rng, k.size
        dur = rng.uniform(120.0, 900.0, m)
        self.turn[k] = np.where(dur < 300.0, rng.choice([0.0, 0.0, -1.5, 1.5, 3.0], m), 0.0)
        vs = rng.choice([0.0, 0.0, -8.0, 8.0], m)
        alt = self.alt[k]
        self.vs[k] = np.where(alt < 2000.0, np.abs(vs), np.where(alt > 11000.0, -np.abs(vs), vs))
        self.leg_end[k] = t + (dur * rng.uniform(0.0, 1.0, m) if first else dur)

    def moved(
        self, k: npt.NDArray[np.intp] | slice, tau: FloatArray | float
    ) -> tuple[FloatArray, FloatArray]:
        """Positions of slots ``k`` after ``tau`` seconds (the chord leaves at half the turn)."""
        lat = self.lat[k]
        phi = np.radians(lat)
        w = 1.0 - E2 * np.sin(phi) ** 2
        meridian, normal = A_M * (1.0 - E2) / w**1.5, A_M / np.sqrt(w)
        heading = np.radians(self.trk[k] + 0.5 * self.turn[k] * tau)
        d = self.gs[k] * tau
        new_lat = lat + np.degrees(d * np.cos(heading) / meridian)
        new_lon = self.lon[k] + np.degrees(d * np.sin(heading) / (normal * np.cos(phi)))
        return new_lat, (new_lon + 180.0) % 360.0 - 180.0

    def fly_hour(self, t_start: float) -> dict[str, np.ndarray]:
        """The reports of one hour from ``t_start``, by time; the fleet moves on by an hour."""
        parts: list[tuple[np.ndarray, ...]] = []
        every = slice(None)
        for s in range(3600):
            t = t_start + s
            r = np.flatnonzero(self.next_report < t + 1.0)
            if r.size:
                tau = self.next_report[r] - t
                lat, lon = self.moved(r, tau)
                parts.append(
                    (
                        self.next_report[r].copy(),
                        self.serial[r],
                        lat,
                        lon,
                        self.alt[r] + self.vs[r] * tau,
                        self.gs[r],
                        (self.trk[r] + self.turn[r] * tau) % 360.0,
                        self.vs[r],
                    )
                )
                self.next_report[r] += self.rng.uniform(1.0, 9.0, r.size)
            self.lat, self.lon = self.moved(every, 1.0)
            self.trk = (self.trk + self.turn) % 360.0
            self.alt = self.alt + self.vs
            top, floor = self.alt > 12500.0, self.alt < 300.0
            self.vs[top | floor] = 0.0
            self.alt = np.clip(self.alt, 300.0, 12500.0)
            t1 = t + 1.0
            self.new_legs(np.flatnonzero(self.leg_end <= t1), t1)
            gone = (
                (self.end <= t1)
                | (self.lat < self.lat_lo)
                | (self.lat > self.lat_hi)
                | (self.lon < self.lon_lo)
                | (self.lon > self.lon_hi)
            )
            self.spawn(np.flatnonzero(gone), t1)
        names = ("t", "serial", "lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps")
        cols = {c: np.concatenate([p[i] for p in parts]) for i, c in enumerate(names)}
        order = np.argsort(cols["t"], kind="stable")
        return {c: v[order] for c, v in cols.items()}


def states_table(cols: dict[str, np.ndarray]) -> pa.Table:
    """A pyarrow table in the states contract from the columns of :meth:`Fleet.fly_hour`."""
    from wellclear.states import STATES_COLUMNS

    n = cols["t"].size
    uniq, inverse = np.unique(cols["serial"], return_inverse=True)
    at = pa.array(inverse.astype(np.int32))
    ids = [f"{0x400000 + s:06x}" for s in uniq.tolist()]  # unique per flight, ICAO-like
    data = {
        "id": pa.array(ids).take(at),
        "party": pa.array(["p0", "p1", "p2", "p3"]).take(
            pa.array((cols["serial"] % 4).astype(np.int32))
        ),
        "callsign": pa.array([s.upper() for s in ids]).take(at),
        "t": cols["t"],
        "lat": cols["lat"],
        "lon": cols["lon"],
        "alt_m": cols["alt_m"],
        "alt_baro_m": cols["alt_m"],
        "alt_geo_m": np.full(n, np.nan),
        "alt_src": pa.array(["baro"]).take(pa.array(np.zeros(n, np.int32))),
        "gs_mps": cols["gs_mps"],
        "trk_deg": cols["trk_deg"],
        "vs_mps": cols["vs_mps"],
        "onground": np.zeros(n, bool),
    }
    return pa.table({c: data[c] for c in STATES_COLUMNS})


def fleet_hours(rows: int, aircraft: int = 5500, seed: int = 1) -> Iterator[tuple[float, pa.Table]]:
    """``rows`` reports of a :class:`Fleet` of ``aircraft``, an hour (start, table) at a time."""
    fleet = Fleet(aircraft, ARCHIVE_T0, seed)
    made, t_start = 0, ARCHIVE_T0
    while made < rows:
        cols = fleet.fly_hour(t_start)
        take = min(rows - made, cols["t"].size)
        yield t_start, states_table({c: v[:take] for c, v in cols.items()})
        made += take
        t_start += 3600.0


def archive(rows: int, path: Path, aircraft: int = 5500, seed: int = 1) -> int:
    """Write ``rows`` rows as ``path/date=YYYY-MM-DD/hour=HH/part.parquet``, an hour at a time
    (one hour in memory, written by a thread while the next is flown)."""
    import pyarrow.parquet as pq

    written = 0
    pending: Future[None] | None = None
    with ThreadPoolExecutor(max_workers=1) as writer:
        for t_start, table in fleet_hours(rows, aircraft, seed):
            stamp = dt.datetime.fromtimestamp(t_start, dt.UTC)
            part = path / f"date={stamp:%Y-%m-%d}" / f"hour={stamp:%H}" / "part.parquet"
            part.parent.mkdir(parents=True, exist_ok=True)
            if pending is not None:
                pending.result()
            # row groups of 200k rows, by time: each scan window reads only its own
            pending = writer.submit(pq.write_table, table, part, row_group_size=200_000)
            written += table.num_rows
        if pending is not None:
            pending.result()
    return written


def fleet_file(rows: int, path: Path) -> int:
    """The archive's traffic in one file, written as the other file sets are."""
    import pyarrow.parquet as pq

    table = pa.concat_tables(t for _, t in fleet_hours(rows))
    pq.write_table(table, path, row_group_size=1_000_000)
    return int(table.num_rows)


# ---------------------------------------------------------------------------------------------
# sections


def make(key: str, rows: int, path: Path, **extra: int) -> tuple[int, float]:
    """Make a data set in a process of its own: rows made, wall seconds."""
    cmd = [sys.executable, __file__, "--make", key, "--rows", str(rows), "--path", str(path)]
    for k, v in extra.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    r = run(cmd)
    return int(r.stdout.split()[-1]), r.wall_s


def wellclear_cmd(path: Path, out: Path) -> list[str]:
    return [
        str(Path(sys.executable).with_name("wellclear")),
        "scan",
        str(path),
        "--output",
        str(out),
        "--overwrite",
    ]


def read_cmd(path: Path, streamed: bool = False) -> list[str]:
    if streamed:
        code = (
            "import pyarrow.dataset as ds\n"
            f"d = ds.dataset({str(path)!r}, format='parquet', partitioning='hive')\n"
            "n = sum(b.num_rows for b in d.to_batches())"
        )
    else:
        code = f"import pyarrow.parquet as pq; pq.read_table({str(path)!r})"
    return [sys.executable, "-c", code]


def warm_up(tmp: Path) -> None:
    """One untimed scan of a small file: numba compiles (or loads its cache) here."""
    path = tmp / "warm-up.parquet"
    make("paris", 20_000, path)
    run(wellclear_cmd(path, tmp / "out-warm-up"))


def files_section(args: argparse.Namespace, tmp: Path, emit: Callable[[str], None]) -> None:
    how = ", read_table and scan alternating" if args.alternate else ""
    emit(f"### Files, {args.rows:,} rows (median of {args.repeat} runs{how})\n")
    emit("| data | rows | make s | read_table s | scan s | rows/s | scan/read | peak MiB |")
    emit("|---|---|---|---|---|---|---|---|")
    notes = []
    sets = (("Paris x copies", "paris"), ("generated", "generated"), ("fleet", "fleet"))
    for name, key in sets:
        path = tmp / f"{key}.parquet"
        n, made_s = make(key, args.rows, path)
        scan_cmd = wellclear_cmd(path, tmp / f"out-{key}")
        if args.alternate:
            (read_s, _, _), (scan_s, peak, last) = paired_medians(
                read_cmd(path), scan_cmd, args.repeat
            )
        else:
            read_s, _, _ = median_of(read_cmd(path), args.repeat)
            scan_s, peak, last = median_of(scan_cmd, args.repeat)
        emit(
            f"| {name} | {n:,} | {made_s:.1f} | {read_s:.2f} | {scan_s:.2f} | "
            f"{n / scan_s:,.0f} | {scan_s / read_s:.1f} | {peak:.0f} |"
        )
        notes.append(f"- {name}: `wellclear scan` said: {summary_of(last)}")
        path.unlink()
    end_table(emit, notes)


USER_SETS = (
    ("contract, time-ordered", "paris", "paris.parquet"),
    ("contract, flight-ordered", "contract-flight", "contract-flight.parquet"),
    ("traffic canonical, flight-ordered", "traffic-flight", "traffic-flight.parquet"),
    ("OpenSky historical, hour=", "opensky-hours", "opensky"),
)


def users_section(args: argparse.Namespace, tmp: Path, emit: Callable[[str], None]) -> None:
    """Archives as users have them: the Paris copies in four layouts, each scanned whole and
    read with ``read_table`` (a directory read as one hive dataset), each in a process, the
    reads and scans alternating."""
    emit(f"### Archives as users have them, {args.users_rows:,} rows (median of {args.repeat})\n")
    emit(
        "| layout | rows | read_table s | scan s | rows/s | scan/read (target <= 5) "
        "| each pair | read CPU s | scan CPU s | CPU ratio | peak MiB |"
    )
    emit("|---|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    median = statistics.median
    for name, key, file in USER_SETS:
        path = tmp / file
        n, _ = make(key, args.users_rows, path)
        # alternating, so that the ratio of a run does not drift with the machine's load; the
        # ratio of each (read, scan) pair and the CPU seconds say how much the load moved it
        reads, scans = paired_runs(
            read_cmd(path), wellclear_cmd(path, tmp / f"out-{key}"), args.repeat
        )
        read_s, scan_s = median(r.wall_s for r in reads), median(r.wall_s for r in scans)
        pairs = sorted(b.wall_s / a.wall_s for a, b in zip(reads, scans, strict=True))
        read_cpu, scan_cpu = median(r.cpu_s for r in reads), median(r.cpu_s for r in scans)
        emit(
            f"| {name} | {n:,} | {read_s:.2f} | {scan_s:.2f} | {n / scan_s:,.0f} | "
            f"{scan_s / read_s:.1f} | {pairs[0]:.1f}-{pairs[-1]:.1f} | {read_cpu:.2f} | "
            f"{scan_cpu:.2f} | {scan_cpu / read_cpu:.1f} | {max(r.peak_mib for r in scans):.0f} |"
        )
        last = scans[-1]
        notes.append(f"- {name}: `wellclear scan` said: {summary_of(last)}")
    end_table(emit, notes)


def mem_available_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def archive_section(args: argparse.Namespace, tmp: Path, emit: Callable[[str], None]) -> None:
    import pyarrow.parquet as pq

    directory = Path(args.archive_dir) if args.archive_dir else tmp / "archive"
    files = sorted(directory.rglob("*.parquet")) if directory.exists() else []
    if files:
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        if args.archive_rows and rows != args.archive_rows:
            raise SystemExit(f"{directory} holds {rows:,} rows, not {args.archive_rows:,}")
        made = "reused"
    else:
        rows, made_s = make(
            "archive", args.archive_rows, directory, archive_aircraft=args.archive_aircraft
        )
        made = f"{made_s:.0f}"
        files = sorted(directory.rglob("*.parquet"))
    disk = sum(f.stat().st_size for f in files) / 2**30
    sample = pq.ParquetFile(files[0]).read_row_group(0)
    in_memory = sample.nbytes / sample.num_rows * rows / 2**30
    available = mem_available_gib()

    scan = run(wellclear_cmd(directory, tmp / "out-archive"), check=False)
    streamed = run(read_cmd(directory, streamed=True))
    # read_table holds the whole table and decodes with several threads: its peak was 1.65x the
    # table (100M rows: 10 GiB table, 16.4 GiB peak); run it only where that leaves a margin
    need = 1.7 * in_memory + 0.5
    fits = need <= 0.75 * available
    if args.archive_read_table == "always" or (args.archive_read_table == "auto" and fits):
        whole = run(read_cmd(directory))
        read_table = f"{whole.wall_s:.1f} ({whole.peak_mib:,.0f} MiB)"
        ratio = f"{scan.wall_s / whole.wall_s:.1f}"
    else:
        read_table = (
            f"n/a (does not fit: needs ~{need:.0f} GiB, {available:.0f} GiB available)"
            if args.archive_read_table == "auto"
            else "not run"
        )
        ratio = f"{scan.wall_s / streamed.wall_s:.1f} (to streamed)"
    check = "PASS" if scan.peak_mib <= MEMORY_TARGET_MIB else "FAIL"
    if scan.rc != 0:
        check = f"FAIL (scan failed: {failure(scan)})"
    emit(f"### Archive, {rows:,} rows ({len(files)} hourly partition files, one scan)\n")
    emit(
        "| data | rows | files | on disk GiB | generate s | read_table s (peak) | "
        "streamed read s | scan s | rows/s | scan/read | peak MiB | ≤ 2048 MiB |"
    )
    emit("|---|---|---|---|---|---|---|---|---|---|---|---|")
    emit(
        f"| hive archive | {rows:,} | {len(files)} | {disk:.1f} | {made} | {read_table} | "
        f"{streamed.wall_s:.1f} | {scan.wall_s:.1f} | {rows / scan.wall_s:,.0f} | {ratio} | "
        f"{scan.peak_mib:,.0f} | {check} |"
    )
    emit("")
    emit(f"- `wellclear scan` said: {summary_of(scan)}")
    emit(
        f"- streamed read: all columns, `pyarrow.dataset` batches, peak {streamed.peak_mib:,.0f} "
        f"MiB; the whole table in memory: ~{in_memory:.2f} GiB (estimated from a row group)"
    )
    if rows < 100_000_000:
        at = 100_000_000 / (rows / scan.wall_s)
        emit(f"- at this rate, 100,000,000 rows would take about {at:,.0f} s ({at / 60:.0f} min)")
    emit("")


def traffic_section(args: argparse.Namespace, tmp: Path, emit: Callable[[str], None]) -> None:
    limit = args.traffic_timeout
    emit(f"### `traffic` closest point of approach, same slices (time limit {limit:.0f} s)\n")
    probe = run(
        [args.traffic_python, "-c", "import traffic; print(traffic.__version__)"], check=False
    )
    if probe.rc != 0:
        why = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        emit(f"`traffic` not run: `{args.traffic_python}` cannot import it: {why}\n")
        return
    emit(
        "| tool | slice rows | process s | compute s | rows/s (process) | peak MiB (largest "
        "process) | peak MiB (process tree) | result |"
    )
    emit("|---|---|---|---|---|---|---|---|")
    notes = []
    for n in args.traffic_rows:
        path = tmp / f"slice-{n}.parquet"
        made, _ = make("paris", n, path)
        scan_s, peak, last = median_of(wellclear_cmd(path, tmp / f"out-slice-{n}"), args.repeat)
        emit(
            f"| wellclear scan | {made:,} | {scan_s:.2f} | {scan_seconds(last)} | "
            f"{made / scan_s:,.0f} | {peak:,.0f} | {last.tree_mib:,.0f} | {summary_of(last)} |"
        )
        cmd = [args.traffic_python, str(TRAFFIC_SCRIPT), str(path), "--workers", "2"]
        r = run(cmd, timeout_s=limit, limit_mib=args.traffic_limit_mib, check=False)
        found = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
        if r.stopped or r.rc != 0 or not found:
            why = r.stopped or f"failed: {failure(r)}"
            emit(
                f"| traffic CPA | {made:,} | {why} | - | - | {r.peak_mib:,.0f} | "
                f"{r.tree_mib:,.0f} | - |"
            )
            continue
        res = json.loads(found[-1].removeprefix("RESULT "))
        emit(
            f"| traffic {res['traffic']} CPA | {made:,} | {r.wall_s:.2f} | {res['cpa_s']:.2f} | "
            f"{made / r.wall_s:,.0f} | {r.peak_mib:,.0f} | {r.tree_mib:,.0f} | "
            f"{res['pairs_within']} pairs within 5 NM and 1000 ft, of {res['pairs']} "
            f"examined ({res['rows_used']:,} rows with a position and altitude) |"
        )
        notes.append(
            f"- {made:,} rows: traffic loaded the slice in {res['load_s']:.1f} s "
            f"(imports {res['import_s']:.1f} s), CPA {res['cpa_s']:.1f} s"
        )
        path.unlink()
    end_table(emit, notes)


def end_table(emit: Callable[[str], None], notes: list[str]) -> None:
    emit("")
    for note in notes:
        emit(note)
    emit("")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="file sets; 0 skips them")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--alternate",
        action="store_true",
        help="alternate the read_table and scan runs (default: all of one, then the other)",
    )
    parser.add_argument(
        "--users-rows", type=int, default=0, help="archives as users have them; 0 skips"
    )
    parser.add_argument("--archive-rows", type=int, default=0, help="archive rows; 0 skips")
    parser.add_argument("--archive-aircraft", type=int, default=5500)
    parser.add_argument("--archive-dir", help="keep the archive here (reused if it exists)")
    parser.add_argument(
        "--archive-read-table",
        choices=["auto", "always", "never"],
        default="auto",
        help="read the whole archive with read_table: auto = where it fits in memory",
    )
    parser.add_argument("--traffic-python", help="a Python with traffic installed")
    parser.add_argument(
        "--traffic-rows",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[100_000],
        help="slice sizes, comma-separated",
    )
    parser.add_argument("--traffic-timeout", type=float, default=300.0)
    parser.add_argument("--traffic-limit-mib", type=float, default=12_000.0)
    parser.add_argument("--markdown", help="also write the tables to this file")
    parser.add_argument(
        "--make",
        choices=[
            "paris",
            "generated",
            "fleet",
            "archive",
            "contract-flight",
            "traffic-flight",
            "opensky-hours",
        ],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        # data are made in a process of their own: a forked child starts with the parent's
        # memory, which would otherwise show in the peak RSS of the scan
        if args.make == "archive":
            print(archive(args.rows, Path(args.path), args.archive_aircraft))
        else:
            makers = {
                "paris": paris_replicated,
                "generated": generated,
                "fleet": fleet_file,
                "contract-flight": contract_by_flight,
                "traffic-flight": traffic_by_flight,
                "opensky-hours": opensky_hours,
            }
            print(makers[args.make](args.rows, Path(args.path)))
        return
    from detect import machine  # benchmarks/detect.py

    # a crash in compiled code (numba) then leaves a Python traceback on stderr
    os.environ["PYTHONFAULTHANDLER"] = "1"

    lines: list[str] = []

    def emit(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    emit("# wellclear scan benchmark\n")
    emit(f"- Command: `{shlex.join(['python', *sys.argv])}`")
    emit(f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    emit(f"- Machine: {machine()}\n")
    with tempfile.TemporaryDirectory(prefix="bench_scan_") as name:
        tmp = Path(name)
        warm_up(tmp)
        if args.rows > 0:
            files_section(args, tmp, emit)
        if args.users_rows > 0:
            users_section(args, tmp, emit)
        if args.archive_rows > 0 or args.archive_dir:
            archive_section(args, tmp, emit)
        if args.traffic_python:
            traffic_section(args, tmp, emit)
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
