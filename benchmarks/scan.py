"""Benchmark of ``wellclear scan`` (issue 5): whole processes, median of 3, printed as a table.

For each data set: rows per second end to end (``wellclear scan`` in a process of its own), the
ratio of that time to reading the same Parquet with ``pyarrow.parquet.read_table`` (all columns)
in a process of its own, and the peak memory (max RSS) of the scan process.

Data sets: the real Paris sample (OpenSky via ``traffic``) replicated to ``--rows`` (copies
shifted by 3 h each, with new ids, so the density stays real), and generated kinematic traffic
of about ``--rows`` rows, spread over an area that keeps about one aircraft per 1000 km2.

    python benchmarks/scan.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PARIS = ROOT / "src/wellclear/data/paris_20211007_1320-1330.json.gz"


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed: {proc.stderr.read().decode() if proc.stderr else ''}"
        )
    return wall, usage.ru_maxrss / 1024.0


def median_of(cmd: list[str], n: int = 3) -> tuple[float, float]:
    runs = [run(cmd) for _ in range(n)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def paris_replicated(rows: int, path: Path) -> int:
    from wellclear.formats.states import read_reports
    from wellclear.states import STATES_COLUMNS

    base = read_reports(str(PARIS)).frame
    baro = base["alt_baro_m"]
    base["alt_m"] = baro.where(baro.notna(), base["alt_geo_m"])
    base["alt_src"] = np.where(baro.notna(), "baro", "geo")
    base = base[list(STATES_COLUMNS)]
    copies = max(1, int(np.ceil(rows / len(base))))
    parts = []
    for k in range(copies):
        part = base.copy()
        part["t"] = part["t"] + k * 3 * 3600.0
        part["id"] = part["id"].astype(str) + f"-{k}"
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True).iloc[:rows]
    frame.to_parquet(path, index=False, row_group_size=1_000_000)
    return len(frame)


def generated(rows: int, path: Path) -> int:
    from wellclear.encounters.scenarios import random_plans
    from wellclear.encounters.simulate import fly, sample

    # about 1 row per aircraft every 5 s: an hour of n aircraft gives ~ n * 720 rows per hour
    hours = max(1, rows // 2_000_000)
    n = max(10, rows // (720 * hours))
    # a real density: about one aircraft per 1000 km2 (the Paris sample's order of magnitude)
    radius_deg = max(1.0, np.sqrt(n * 1000.0) / 2.0 / 111.0)
    plans = random_plans(n, 3600.0 * hours, seed=1, radius_deg=radius_deg)
    frame = sample(fly(plans, dt=2.0), seed=1, max_dt=9.0)
    frame.to_parquet(path, index=False, row_group_size=1_000_000)
    return len(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--make", choices=["paris", "generated"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        # data are made in a process of their own: a forked child starts with the parent's
        # memory, which would otherwise show in the peak RSS of the scan
        make = paris_replicated if args.make == "paris" else generated
        print(make(args.rows, Path(args.path)))
        return
    wellclear = str(Path(sys.executable).with_name("wellclear"))
    print("| data | rows | read_table s | scan s | rows/s | scan/read | peak MiB |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, key in (("Paris x copies", "paris"), ("generated", "generated")):
            path = Path(tmp) / f"{key}.parquet"
            made = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--make",
                    key,
                    "--rows",
                    str(args.rows),
                    "--path",
                    str(path),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            n = int(made.stdout.split()[-1])
            read_s, _ = median_of(
                [
                    sys.executable,
                    "-c",
                    f"import pyarrow.parquet as pq; pq.read_table({str(path)!r})",
                ],
                args.repeat,
            )
            scan_s, peak = median_of(
                [wellclear, "scan", str(path), "--output", str(Path(tmp) / "out")], args.repeat
            )
            print(
                f"| {name} | {n:,} | {read_s:.2f} | {scan_s:.2f} | {n / scan_s:,.0f} | "
                f"{scan_s / read_s:.1f} | {peak:.0f} |"
            )


if __name__ == "__main__":
    main()
