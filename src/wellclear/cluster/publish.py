"""Routing of reports to cells: each report to its halo and to its predecessor's.

:class:`Router` keeps the surface point of each aircraft's latest report routed (so that the
cells it leaves learn that it left, :func:`wellclear.cluster.cells.route`) and refuses a report
faster than the top speed the halo was sized for. One router per stream of reports (the
service front); not thread-safe.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.cluster.cells import CellGrid, check_speeds, shard_of_cells

# the most (shard, report) marks routing allocates (bytes); more: a sort instead
_MARKS = 1 << 28


class Router:
    """Cells of each report (see the module docstring)."""

    def __init__(self, grid: CellGrid, max_speed_mps: float, shards: int, block: int = 1) -> None:
        self.grid = grid
        self.shards = int(shards)
        self.block = int(block)
        self.max_speed_mps = float(max_speed_mps)
        # the latest report routed of each aircraft: its time and surface point, by code
        self._codes = pd.Index([], dtype=object)
        self._t = np.zeros(0)
        self._pos = np.zeros((0, 3))

    def route(self, reports: pd.DataFrame) -> dict[int, np.ndarray]:
        """The rows of ``reports`` (positions) that go to each shard, once each, in row order
        (the shards of the cells of :func:`wellclear.cluster.cells.route`)."""
        if reports.empty:
            return {}
        check_speeds(reports["gs_mps"], self.max_speed_mps)
        pos = self.grid.points(reports["lat"], reports["lon"])
        previous = self._previous(reports["id"].astype(str).to_numpy(object), reports, pos)
        # the cells of :func:`~wellclear.cluster.cells.route`, repeats left in: made unique below
        row, cells = self.grid.halo_cells(pos)
        had = np.flatnonzero(np.isfinite(previous).all(axis=1))
        if len(had):
            r2, c2 = self.grid.halo_cells(previous[had])
            row, cells = np.concatenate([row, had[r2]]), np.concatenate([cells, c2])
        shard = shard_of_cells(cells, self.shards, self.block)
        n = len(reports)
        if self.shards * n <= _MARKS:  # a mark per (shard, report): unique and sorted at once
            marks = np.zeros((self.shards, n), dtype=bool)
            marks[shard, row] = True
            key, row = np.nonzero(marks)
        else:
            both = np.unique(shard * n + row)
            key, row = both // n, both % n
        cut = np.flatnonzero(np.diff(key)) + 1
        return {int(k[0]): r for k, r in zip(np.split(key, cut), np.split(row, cut), strict=True)}

    def _previous(self, ids: np.ndarray, reports: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
        """The point each report's aircraft was routed at before it (NaN: none), then the latest
        of each kept. Taken in row order: a report replaces the one held when it is not older
        (its time at least the running maximum before it), so the one held before row ``k`` is
        the last such row before ``k`` of its aircraft, else the one held before the batch."""
        t = reports["t"].to_numpy(np.float64)
        if not np.isfinite(t).all():
            k = int(np.flatnonzero(~np.isfinite(t))[0])
            raise ValueError(f"report {k}: t {t[k]} is not a finite time")
        codes = self._codes.get_indexer(pd.Index(ids, dtype=object))
        new = codes < 0
        if new.any():
            fresh = pd.unique(ids[new])
            self._codes = self._codes.append(pd.Index(fresh, dtype=object))
            self._t = np.concatenate([self._t, np.full(len(fresh), -np.inf)])
            self._pos = np.concatenate([self._pos, np.full((len(fresh), 3), np.nan)])
            codes = self._codes.get_indexer(pd.Index(ids, dtype=object))
        order = np.lexsort((np.arange(len(ids)), codes))  # by aircraft, then row
        c, ts = codes[order], t[order]
        first = np.ones(len(c), dtype=bool)
        first[1:] = c[1:] != c[:-1]
        # the running maximum of the times before each row (the one held before the batch first)
        run = pd.Series(ts).groupby(c).cummax().to_numpy()
        before = np.where(first, -np.inf, np.roll(run, 1))
        before = np.maximum(before, self._t[c])
        replaces = ts >= before
        # the last replacing row before each row of its aircraft (-1: none in the batch)
        at = pd.Series(np.where(replaces, np.arange(len(c)), np.nan)).groupby(c).ffill()
        last_before = np.where(first, -1, np.roll(at.fillna(-1).to_numpy(), 1)).astype(np.int64)
        prev_sorted = np.where((last_before >= 0)[:, None], pos[order][last_before], self._pos[c])
        previous = np.empty_like(pos)
        previous[order] = prev_sorted
        # what is held after the batch: the last replacing row of each aircraft
        last_row = at.fillna(-1).to_numpy().astype(np.int64)
        end = np.ones(len(c), dtype=bool)
        end[:-1] = c[1:] != c[:-1]
        keep = end & (last_row >= 0)
        src = last_row[keep]
        self._t[c[keep]] = ts[src]
        self._pos[c[keep]] = pos[order][src]
        return previous
