"""Routing of reports to cells: each report to its halo and to its predecessor's.

:class:`Router` keeps the surface point of each aircraft's latest report routed (so that the
cells it leaves learn that it left, :func:`wellclear.cluster.cells.route`) and refuses a report
faster than the top speed the halo was sized for. One router per stream of reports (the
service front); not thread-safe.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.cluster.cells import CellGrid, check_speeds, route, shard_of


class Router:
    """Cells of each report (see the module docstring)."""

    def __init__(self, grid: CellGrid, max_speed_mps: float, shards: int, block: int = 1) -> None:
        self.grid = grid
        self.shards = int(shards)
        self.block = int(block)
        self.max_speed_mps = float(max_speed_mps)
        self._last: dict[str, tuple[float, np.ndarray]] = {}

    def route(self, reports: pd.DataFrame) -> dict[int, np.ndarray]:
        """The rows of ``reports`` (positions) that go to each shard, once each, in row order
        (the shards of the cells of :func:`wellclear.cluster.cells.route`)."""
        if reports.empty:
            return {}
        check_speeds(reports["gs_mps"], self.max_speed_mps)
        pos = self.grid.points(reports["lat"], reports["lon"])
        ids = reports["id"].astype(str).to_numpy(object)
        t = reports["t"].to_numpy(np.float64)
        previous = np.full_like(pos, np.nan)
        for k, a in enumerate(ids):
            held = self._last.get(a)
            if held is not None:
                previous[k] = held[1]
            if held is None or t[k] >= held[0]:
                self._last[a] = (float(t[k]), pos[k])
        row, cell = route(self.grid, pos, previous)
        n = len(reports)
        both = np.unique(shard_of(cell, self.shards, self.block) * n + row)
        key, row = both // n, both % n
        cut = np.flatnonzero(np.diff(key)) + 1
        return {int(k[0]): r for k, r in zip(np.split(key, cut), np.split(row, cut), strict=True)}
