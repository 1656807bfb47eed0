"""The cluster's router (:class:`wellclear.cluster.publish.Router`) against the one it replaced.

Routes one second of ``--drones`` drones at 1 Hz over a 900 x 700 km box (after a first second
that fills the router's memory of each drone's previous point) with the router and with the
former one (the baseline: previous points by a loop over the reports, the cells of each report
made unique by a sort, :func:`~wellclear.cluster.cells.route`, then the (shard, report) pairs
by ``np.unique``), in the same process, alternately, ``--repeat`` times; prints the median CPU
seconds (``time.process_time``: the machine's other load counts less) and the ratio. Cells of
``--cell-factor`` times a 12.9 km halo (drones at 30 m/s), 256 shards, blocks 1 and 4.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from wellclear.cluster.cells import CellGrid, route, shard_of
from wellclear.cluster.publish import Router


class FormerRouter(Router):
    """The baseline (see the module docstring)."""

    def route(self, reports: pd.DataFrame) -> dict[int, np.ndarray]:
        held: dict[str, tuple[float, np.ndarray]] = self.__dict__.setdefault("held", {})
        pos = self.grid.points(reports["lat"], reports["lon"])
        previous = np.full_like(pos, np.nan)
        times = reports["t"].to_numpy(np.float64)
        for k, (a, t) in enumerate(zip(reports["id"].astype(str), times, strict=True)):
            last = held.get(a)
            if last is not None:
                previous[k] = last[1]
            if last is None or t >= last[0]:
                held[a] = (float(t), pos[k])
        row, cell = route(self.grid, pos, previous)
        n = len(reports)
        both = np.unique(shard_of(cell, self.shards, self.block) * n + row)
        key, row = both // n, both % n
        cut = np.flatnonzero(np.diff(key)) + 1
        return {int(k[0]): r for k, r in zip(np.split(key, cut), np.split(row, cut), strict=True)}


def second(rng: np.random.Generator, n: int, t: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"d{k}" for k in range(n)],
            "t": t,
            "lat": rng.uniform(45.0, 51.3, n),
            "lon": rng.uniform(-2.0, 10.0, n),
            "gs_mps": rng.uniform(0.0, 30.0, n),
        }
    )


def cpu_s(router: Router, first: pd.DataFrame, then: pd.DataFrame) -> float:
    router.route(first)
    t0 = time.process_time()
    router.route(then)
    return time.process_time() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--drones", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--cell-factor", type=float, default=2.0)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    first, then = second(rng, a.drones, 0.0), second(rng, a.drones, 1.0)
    grid = CellGrid(cell_m=12_900.0 * a.cell_factor, reach_m=12_900.0)
    print(f"{a.drones:,} drones, cells {grid.cell_m / 1000:.1f} km, 256 shards, CPU s (median)")
    print(" block   former (baseline)   router   ratio")
    for block in (1, 4):
        former, fast = [], []
        for _ in range(a.repeat):
            former.append(cpu_s(FormerRouter(grid, 30.0, 256, block), first, then))
            fast.append(cpu_s(Router(grid, 30.0, 256, block), first, then))
        lm, fm = statistics.median(former), statistics.median(fast)
        print(f"{block:6d} {lm:19.2f} {fm:8.2f} {lm / fm:7.2f}")


if __name__ == "__main__":
    main()
