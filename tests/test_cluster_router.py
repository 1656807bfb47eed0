"""The vectorised :class:`~wellclear.cluster.publish.Router` against its slow twin, a loop over
the reports in row order holding each aircraft's latest report routed (ties, reports older than
the one held, aircraft repeated within a batch, new aircraft, several batches)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wellclear.cluster.cells import CellGrid, route, shard_of
from wellclear.cluster.publish import Router

GRID = CellGrid(cell_m=5_000.0, reach_m=5_000.0)
SHARDS = 8


class LoopRouter:
    """The slow twin: one report at a time."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[float, np.ndarray]] = {}

    def route(self, reports: pd.DataFrame) -> dict[int, np.ndarray]:
        pos = GRID.points(reports["lat"], reports["lon"])
        previous = np.full_like(pos, np.nan)
        for k, (a, t) in enumerate(zip(reports["id"].astype(str), reports["t"], strict=True)):
            held = self.last.get(a)
            if held is not None:
                previous[k] = held[1]
            if held is None or t >= held[0]:
                self.last[a] = (float(t), pos[k])
        row, cell = route(GRID, pos, previous)
        shard = shard_of(cell, SHARDS)
        out: dict[int, np.ndarray] = {}
        for s in np.unique(shard):
            out[int(s)] = np.unique(row[shard == s])
        return out


def batch(rng: np.random.Generator, n: int, ids: int, t0: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"a{k}" for k in rng.integers(0, ids, n)],
            "t": t0 + rng.integers(-2, 3, n).astype(float),  # ties and reports out of order
            "lat": rng.uniform(-0.3, 0.3, n),
            "lon": (179.8 + rng.uniform(0.0, 0.4, n) + 180.0) % 360.0 - 180.0,
            "gs_mps": rng.uniform(0.0, 30.0, n),
        }
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.integers(1, 30))
def test_router_is_its_slow_twin(seed: int, n: int, ids: int) -> None:
    rng = np.random.default_rng(seed)
    fast, slow = Router(GRID, 30.0, SHARDS), LoopRouter()
    for b in range(4):
        reports = batch(rng, n, ids, 1000.0 + 3 * b)
        got, want = fast.route(reports), slow.route(reports)
        assert got.keys() == want.keys()
        for s in want:
            np.testing.assert_array_equal(got[s], want[s])


def test_router_refuses_a_report_without_a_time() -> None:
    reports = batch(np.random.default_rng(1), 5, 3, 1000.0)
    reports.loc[3, "t"] = np.nan
    with pytest.raises(ValueError, match="report 3: t nan"):
        Router(GRID, 30.0, SHARDS).route(reports)
