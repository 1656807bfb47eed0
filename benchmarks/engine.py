"""Benchmark of the engine's tick against the alerting step alone: prints a table.

    .venv/bin/python benchmarks/engine.py --steps 10
    .venv/bin/python benchmarks/engine.py --steps 10 --zones sovereign:ALL

The dense scenario of ``benchmarks/alert.py`` (``wellclear simulate --scenario random
--aircraft 10000``: a 500 x 350 km box around Paris, cached in ``--data-dir``), from 30 min in.
Two ways of feeding the engine, each over the same ticks of one second:

- ``replay``: the whole file ingested once, before the first tick;
- ``live``: each tick's reports ingested just before the tick, as a live service gets them
  (and as ``wellclear alert`` feeds the engine, :func:`wellclear.engine.run.run_alerts`).

Per tick, medians after ``--warmup`` ticks: the whole ``Engine.step`` (snapshot, assessment
with hysteresis, episodes, pruning), and in the same process on the same snapshot a
``PairAlerter.step`` of its own (the alerting step alone: the baseline) and the episodes'
update; the ratio is the tick over the baseline. With ``--zones`` a second engine with the
volumes checks airspace too, and its tick is given against the tick without.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def run(mode: str, reports: pd.DataFrame, ticks: np.ndarray, warmup: int, zones: str | None):
    from wellclear.airspace.index import VolumeIndex
    from wellclear.airspace.load import load_all
    from wellclear.alerting.config import preset
    from wellclear.alerting.pairs import PairAlerter
    from wellclear.engine.assess import EngineSettings
    from wellclear.engine.engine import Engine
    from wellclear.engine.episodes import AlertBook

    config = preset("do365")
    index = VolumeIndex(load_all([zones])) if zones else None
    engines = {"alerts": Engine(EngineSettings(alerting=config))}
    if index is not None:
        engines["alerts+airspace"] = Engine(EngineSettings(alerting=config, zones=index))
    baseline = PairAlerter(config)
    book = AlertBook()
    t_row = reports["t_row"].to_numpy(np.float64)
    started = time.perf_counter()
    if mode == "replay":
        for e in engines.values():
            e.ingest(reports)
    ingest_s = time.perf_counter() - started
    times: dict[str, list[float]] = {k: [] for k in [*engines, "baseline", "episodes", "feed"]}
    counts: dict[str, float] = {}
    fed = ticks[0] - 60.0
    for k, now in enumerate(ticks):
        if mode == "live":
            batch = reports[(t_row > fed) & (t_row <= now)]
            fed = now
            started = time.perf_counter()
            for e in engines.values():
                e.ingest(batch)
            if k >= warmup:
                times["feed"].append((time.perf_counter() - started) / len(engines))
        for name, e in engines.items():
            started = time.perf_counter()
            res = e.step(float(now))
            if k >= warmup:
                times[name].append(time.perf_counter() - started)
        states = res.assessment.states
        started = time.perf_counter()
        levels = baseline.step(states, float(now))
        if k >= warmup:
            times["baseline"].append(time.perf_counter() - started)
        alerts = res.assessment.alerts
        started = time.perf_counter()
        book.update(float(now), alerts, states)
        if k >= warmup:
            times["episodes"].append(time.perf_counter() - started)
        counts = {
            "aircraft": len(states),
            "pairs": len(levels),
            "alerting": int((alerts["level"] >= 1).sum()),
            "reports held": engines["alerts"].picture.n_reports,
        }
    return {k: _median(v) for k, v in times.items()}, counts, ingest_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--zones", default=None, help="e.g. sovereign:ALL")
    parser.add_argument("--modes", default="replay,live")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/wellclear-bench"))
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scenario of alert.py
    from alert import DENSE_T0_S, dense_reports, peak_rss_mb

    reports = dense_reports(args.data_dir)
    t0 = float(reports["t_row"].min()) + DENSE_T0_S
    ticks = t0 + np.arange(args.steps + args.warmup, dtype=np.float64)
    rows = []
    for mode in args.modes.split(","):
        med, counts, ingest_s = run(mode, reports, ticks, args.warmup, args.zones)
        row = {
            "mode": mode,
            **counts,
            "ingest once s": round(ingest_s, 2) if mode == "replay" else "",
            "feed s/tick": round(med["feed"], 3) if mode == "live" else "",
            "tick s": round(med["alerts"], 3),
            "alerting step alone s": round(med["baseline"], 3),
            "episodes s": round(med["episodes"], 4),
            "tick / alerting step": round(med["alerts"] / med["baseline"], 2),
        }
        if "alerts+airspace" in med:
            row["tick with airspace s"] = round(med["alerts+airspace"], 3)
            row["with / without airspace"] = round(med["alerts+airspace"] / med["alerts"], 2)
        rows.append(row)
    names = list(dict.fromkeys(k for r in rows for k in r))
    print("| " + " | ".join(names) + " |")
    print("|" + "---|" * len(names))
    for r in rows:
        print("| " + " | ".join(str(r.get(n, "")) for n in names) + " |")
    print(f"\n{args.steps} ticks after {args.warmup} warm-up; peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
