"""Scale-out of the partitioned engine (issue 18), simulated in one process: prints a table.

    .venv/bin/python benchmarks/scaleout.py                  # 1,000,000 drones
    .venv/bin/python benchmarks/scaleout.py --drones 100000  # quicker

A UTM-scale second: ``--drones`` synthetic drones uniform by area over a country-sized box
(43-51 N, 4 W-8 E, about 900 x 900 km), ground speeds up to ``--top-speed``, reporting at 1 Hz;
two consecutive seconds are routed by :class:`wellclear.cluster.publish.Router` (the second is
measured, so that each report also goes to its predecessor's halo). The halo radius is
:func:`wellclear.cluster.reach.view_reach_m` for DO-365 and the top speed (max age 10 s, ticks
every 1 s); cells ``--cell-factor`` times the halo radius. For 1, 2, 4, ... ``--max-workers``
workers sharing ``--shards`` shards (rendezvous), and for cell blocks of 1 and ``--block`` cells
a side per shard: the reports each worker is fed per second (mean and max over workers), the
drones it owns (home cell), the halo overhead (fed / owned - 1) and the ratio of the busiest
worker's feed to the single worker's (the baseline, in the same run: ideal 1/W). The router's
time per second of reports is given against placing the same reports in their home cells alone.

Work per worker here is reports; pairs scale with reports times local density, which a
partition by space does not change (each pair is evaluated by the workers that hold both
aircraft: its owner and the halo's other holders; the engine's tick is in benchmarks/engine.py).
Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def drones(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from wellclear.geo import extrapolate

    rng = np.random.default_rng(seed)
    s0, s1 = np.sin(np.radians(43.0)), np.sin(np.radians(51.0))
    lat = np.degrees(np.arcsin(rng.uniform(s0, s1, n)))
    lon = rng.uniform(-4.0, 8.0, n)
    gs = rng.uniform(0.0, 30.0, n)
    trk = rng.uniform(0.0, 360.0, n)
    ids = np.char.add("d", np.arange(n).astype(str)).astype(object)
    first = pd.DataFrame({"id": ids, "t": 0.0, "lat": lat, "lon": lon, "gs_mps": gs})
    lat2, lon2, _ = extrapolate(lat, lon, trk, gs)
    second = first.assign(t=1.0, lat=lat2, lon=lon2)
    return first, second


def main() -> None:
    from wellclear.alerting.config import preset
    from wellclear.cluster.cells import CellGrid, assign, shard_of
    from wellclear.cluster.publish import Router
    from wellclear.cluster.reach import view_reach_m

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--drones", type=int, default=1_000_000)
    p.add_argument("--top-speed", type=float, default=30.0)
    p.add_argument("--shards", type=int, default=256)
    p.add_argument("--block", type=int, default=4)
    p.add_argument("--max-workers", type=int, default=64)
    p.add_argument("--cell-factor", type=float, default=2.0, help="cell side / halo radius")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    reach = view_reach_m(preset("do365"), a.top_speed, 10.0, 1.0)
    grid = CellGrid(cell_m=a.cell_factor * reach, reach_m=reach)
    first, second = drones(a.drones, a.seed)
    km = grid.cell_m / 1000
    print(f"{a.drones:,} drones, halo radius {reach / 1000:.1f} km, cells {km:.1f} km")
    counts = [1]
    while counts[-1] * 2 <= a.max_workers:
        counts.append(counts[-1] * 2)
    rows = []
    for block in sorted({1, a.block}):
        router = Router(grid, a.top_speed, a.shards, block)
        router.route(first)
        t0 = time.perf_counter()
        routed = router.route(second)
        t_route = time.perf_counter() - t0
        t0 = time.perf_counter()
        home = grid.home(grid.points(second["lat"], second["lon"]))
        t_home = time.perf_counter() - t0
        home_shard = shard_of(home, a.shards, block)
        shard = np.concatenate([np.full(len(r), s) for s, r in routed.items()])
        row = np.concatenate(list(routed.values()))
        print(
            f"block {block}: routing {t_route:.2f} s per second of reports, home cells alone "
            f"{t_home:.2f} s (x{t_route / t_home:.1f}); {len(row) / a.drones:.2f} shards a report"
        )
        base = None
        for w in counts:
            names = [f"w{k}" for k in range(w)]
            owner = assign(np.arange(a.shards), names)
            fed_pairs = np.unique(owner[shard].astype(np.int64) * a.drones + row)
            fed = np.bincount(fed_pairs // a.drones, minlength=w)
            owned = np.bincount(owner[home_shard], minlength=w)
            base = fed.max() if base is None else base
            rows.append(
                {
                    "block": block,
                    "workers": w,
                    "fed/s mean": int(fed.mean()),
                    "fed/s max": int(fed.max()),
                    "owned mean": int(owned.mean()),
                    "halo overhead": f"{fed.sum() / owned.sum() - 1:.1%}",
                    "max/baseline": f"{fed.max() / base:.3f}",
                    "ideal": f"{1 / w:.3f}",
                }
            )
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
