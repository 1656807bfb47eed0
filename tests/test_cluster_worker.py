"""Workers over the cells (in process, with the in-memory alert state store): 1, 2 and 3
workers give the single engine's alert events, each once, also when a worker joins or leaves
mid-run and when a worker restarts from its saved engine and replays the log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cluster_scenario import (
    EVENT_KEY,
    T0,
    TOP_SPEED,
    assert_same_events,
    formation,
    grid,
    scenario,
    settings,
    single_engine_events,
    sorted_events,
    ticks,
)
from wellclear.cluster.cells import CellGrid
from wellclear.cluster.publish import Router
from wellclear.cluster.state import MemoryStore
from wellclear.cluster.worker import CellWorker, step_with


@pytest.fixture(scope="module")
def batches() -> list[pd.DataFrame]:
    return scenario()


@pytest.fixture(scope="module")
def single(batches: list[pd.DataFrame]) -> pd.DataFrame:
    events = single_engine_events(batches)
    assert len(events) > 20 and set(events["event"]) >= {"raised", "cleared"}
    return events


SHARDS = 16


def run_cluster(
    batches: list[pd.DataFrame],
    names: list[str],
    *,
    shards: int = SHARDS,
    every: int = 1,
    worker: type[CellWorker] = CellWorker,
    g: CellGrid | None = None,
) -> tuple[pd.DataFrame, int]:
    """The events of workers ``names`` over the batches, each fed the reports of its shards,
    stepped tick by tick against one in-memory alert state store; and the number of pairs
    taken over."""
    g = grid() if g is None else g
    router = Router(g, TOP_SPEED, shards)
    store = MemoryStore()
    workers = [worker(n, settings(), g, shards, names) for n in names]
    feeds = [set(w.shards_owned()) for w in workers]
    out = []
    taken = 0
    for batch, tick in zip(batches, ticks(batches, every), strict=True):
        routed = router.route(batch)
        for w, shards in zip(workers, feeds, strict=True):
            rows = [routed[s] for s in sorted(shards) if s in routed]
            if rows:
                w.ingest(batch.iloc[np.unique(np.concatenate(rows))])
        if tick is None:
            continue
        for w in workers:
            taken += len(w.needs(tick))
            out.append(step_with(w, store, tick, seq=int(tick - T0) + 1))
    return sorted_events(pd.concat(out, ignore_index=True)), taken


@pytest.mark.parametrize("n", [1, 2, 3])
def test_workers_give_the_single_engine_events(
    batches: list[pd.DataFrame], single: pd.DataFrame, n: int
) -> None:
    got, _ = run_cluster(batches, [f"w{k}" for k in range(n)])
    assert_same_events(got, single)


class Forgetful(CellWorker):
    """A worker that takes no episode over (the negative control)."""

    def needs(self, now: float) -> dict[str, tuple[str, str]]:
        return {}


def test_an_episode_moves_with_its_pair_to_a_worker_that_never_saw_it_begin() -> None:
    """A formation alerting from the first tick crosses into a cell of a worker that did not
    hold it then (four workers, cells twice the halo, ticks every 5 s): the take-over keeps the
    episode's start and id; without it the new owner reports an episode of its own."""
    g = CellGrid(cell_m=2.0 * grid().reach_m, reach_m=grid().reach_m)
    names = [f"w{k}" for k in range(4)]
    probes = [CellWorker(n, settings(), g, SHARDS, names) for n in names]

    def blind(start: np.ndarray, entered: int) -> bool:
        new = next(w for w in probes if w.owns([entered])[0])
        return not new.owns(start).any()

    batches = formation(g, blind)
    single = single_engine_events(batches, every=5)
    got, taken = run_cluster(batches, names, every=5, g=g)
    assert taken > 0
    assert_same_events(got, single)
    forgot, _ = run_cluster(batches, names, every=5, g=g, worker=Forgetful)
    key = [*EVENT_KEY, "t_start"]
    assert not forgot[key].reset_index(drop=True).equals(single[key])
