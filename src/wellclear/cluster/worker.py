"""A worker: the single-process engine over the reports of its cells, reporting the pairs it owns.

:class:`CellWorker` feeds :class:`wellclear.engine.engine.Engine`, unchanged, with every report
published to its cells (their halo of radius :func:`wellclear.cluster.reach.view_reach_m`) and
steps it at each tick of the log. Of the engine's alert events it keeps those of the pairs whose
owner cell (:func:`wellclear.cluster.cells.owner_cells`, homes of the latest reports at or before
the tick) is one of its cells; :mod:`wellclear.cluster.cells` proves that each pair the single
engine reports is then reported by one worker, from the same states.

Why the events are the single engine's: the level after hysteresis of an owned pair, and its
level at the tick before, are the single engine's (:func:`~wellclear.cluster.reach.view_reach_m`:
the worker held both latest reports over the hysteresis window), so the kind of each event and
its levels are. What an episode accumulates over a longer time (its id, start, highest level,
smallest distances) comes with the pair when it changes owner: after each tick the worker writes
the open episodes of the pairs it owns to the alert state store (:mod:`wellclear.cluster.state`),
and before a tick at which it takes a pair over it reads that record, written at the tick
before, and puts those episodes in its engine's book (:meth:`needs`, then :meth:`tick`). The
smallest distance so far and the highest level are taken from the record, the running values
after it from the engine: exactly the single engine's.

Sans I/O: the runner reads the records :meth:`needs` names, calls :meth:`tick` and writes
what it returns (:func:`step_with` for an in-process
:class:`~wellclear.cluster.state.MemoryStore`; :mod:`wellclear.cluster.jsworker` on NATS
JetStream). Not thread-safe: one runner owns a worker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.cluster.cells import CellGrid, assign, owner_cells, shard_of
from wellclear.cluster.state import AlertStore, PairRecord, pair_key
from wellclear.engine.assess import EngineSettings
from wellclear.engine.engine import Engine
from wellclear.engine.episodes import ALERT_OPEN_COLUMNS

_KEEP = ["id", "t", "lat", "lon"]


@dataclass(frozen=True)
class TickOutput:
    """What a tick gives: the alert events of the owned pairs and the records to write."""

    events: pd.DataFrame
    writes: dict[str, PairRecord]


class CellWorker:
    """The engine over the reports of the shards that ``name`` owns among ``workers``
    (:func:`wellclear.cluster.cells.assign`; see the module docstring)."""

    def __init__(
        self,
        name: str,
        settings: EngineSettings,
        grid: CellGrid,
        shards: int,
        workers: Sequence[str],
    ) -> None:
        self.name = name
        self.grid = grid
        self.shards = int(shards)
        self.engine = Engine(settings)
        self.workers = self._check(workers)
        self._reports = pd.DataFrame({c: pd.Series(dtype=float) for c in _KEEP})
        self._prev_homes = pd.Series(dtype=np.int64)
        self._prev_workers: tuple[str, ...] = ()

    def _check(self, workers: Sequence[str]) -> tuple[str, ...]:
        if self.name not in workers:
            raise ValueError(f"worker {self.name!r} is not among the workers {list(workers)}")
        return tuple(workers)

    def assign(self, workers: Sequence[str]) -> None:
        """The workers sharing the cells from the next tick on (one joined or left)."""
        self.workers = self._check(workers)

    def take_all_over(self) -> None:
        """At the next tick, take every owned open episode over from the alert state store, as
        if this worker had owned nothing at the tick before (after its engine was rebuilt by a
        replay of the log, whose episodes began only where the replay began)."""
        self._prev_homes = pd.Series(dtype=np.int64)
        self._prev_workers = ()

    def shards_owned(self, workers: Sequence[str] | None = None) -> list[int]:
        """The shards this worker is fed (among ``workers``, default the current ones)."""
        w = self.workers if workers is None else tuple(workers)
        if self.name not in w:
            return []
        mine = assign(np.arange(self.shards), w) == w.index(self.name)
        return [int(s) for s in np.flatnonzero(mine)]

    def owns(self, cells: npt.ArrayLike, workers: Sequence[str] | None = None) -> np.ndarray:
        """Whether each cell is this worker's (among ``workers``, default the current ones)."""
        w = self.workers if workers is None else tuple(workers)
        if self.name not in w:
            return np.zeros(len(np.asarray(cells)), dtype=bool)
        return np.asarray(assign(shard_of(cells, self.shards), w) == w.index(self.name))

    def ingest(self, reports: pd.DataFrame) -> None:
        """Reports published to this worker's cells, in the order of the log."""
        self.engine.ingest(reports)
        self._reports = pd.concat([self._reports, reports[_KEEP]], ignore_index=True)

    def homes(self, now: float) -> pd.Series:
        """The home cell of each aircraft's latest report at or before ``now``."""
        rep = self._reports[self._reports["t"] <= now]
        latest = rep.sort_values("t", kind="stable").drop_duplicates("id", keep="last")
        pos = self.grid.points(latest["lat"], latest["lon"])
        return pd.Series(self.grid.home(pos), index=latest["id"].to_numpy(object))

    def _owned(
        self, homes: pd.Series, workers: Sequence[str], id_1: np.ndarray, id_2: np.ndarray
    ) -> np.ndarray:
        if len(id_1) == 0:
            return np.zeros(0, dtype=bool)
        h1 = homes.reindex(id_1).to_numpy()
        h2 = homes.reindex(id_2).to_numpy()
        known = ~(pd.isna(h1) | pd.isna(h2))
        out = np.zeros(len(id_1), dtype=bool)
        if known.any():
            own = owner_cells(id_1[known], id_2[known], h1[known].astype(np.int64), h2[known])
            out[known] = self.owns(own, workers)
        return out

    def needs(self, now: float) -> dict[str, tuple[str, str]]:
        """The records to read before :meth:`tick` at ``now``: the open episodes of pairs this
        worker owns at ``now`` and did not own at the tick before (key: the pair's ids)."""
        book = self.engine.alerts.open
        if book.empty or self.engine.last_step is None:
            return {}
        a = book["id_1"].to_numpy(object)
        b = book["id_2"].to_numpy(object)
        taken = self._owned(self.homes(now), self.workers, a, b) & ~self._owned(
            self._prev_homes, self._prev_workers, a, b
        )
        return {pair_key(x, y): (x, y) for x, y in zip(a[taken], b[taken], strict=True)}

    def tick(self, now: float, seq: int, taken: Mapping[str, PairRecord]) -> TickOutput:
        """Step at ``now`` (log sequence ``seq``) with the records of the pairs taken over
        (those :meth:`needs` named, each written at the tick before)."""
        last = self.engine.last_step
        for key, record in taken.items():
            if last is None or record.tick != last:
                raise ValueError(
                    f"alert state record {key} ({record.ids[0]}, {record.ids[1]}): written at "
                    f"tick {record.tick}, expected the tick before {now} ({last})"
                )
        if taken:
            self._take_over([r for r in taken.values()])
        homes = self.homes(now)
        result = self.engine.step(now)
        ev = result.events
        mine = self._owned(
            homes, self.workers, ev["id_1"].to_numpy(object), ev["id_2"].to_numpy(object)
        )
        events = ev[mine].reset_index(drop=True)
        book = self.engine.alerts.open
        a, b = book["id_1"].to_numpy(object), book["id_2"].to_numpy(object)
        open_mine = self._owned(homes, self.workers, a, b)
        rows: dict[str, list[dict[str, object]]] = {}
        ids: dict[str, tuple[str, str]] = {}
        for rec in book[open_mine].to_dict("records"):
            k = pair_key(str(rec["id_1"]), str(rec["id_2"]))
            rows.setdefault(k, []).append({str(c): v for c, v in rec.items()})
            ids[k] = (str(rec["id_1"]), str(rec["id_2"]))
        for x, y in zip(events["id_1"], events["id_2"], strict=True):
            ids.setdefault(pair_key(x, y), (x, y))  # cleared: a record without episodes
        writes = {k: PairRecord(ids[k], now, seq, tuple(rows.get(k, []))) for k in sorted(ids)}
        self._prev_homes, self._prev_workers = homes, self.workers
        keep = self._reports["t"] >= now - 2.0 * self.engine.settings.max_age_s - 10.0
        self._reports = self._reports[keep].reset_index(drop=True)
        return TickOutput(events, writes)

    def _take_over(self, records: list[PairRecord]) -> None:
        """Put the episodes of the records in the engine's book in place of its own rows."""
        book, counter = self.engine.alerts.get_state()
        theirs = pd.DataFrame([row for r in records for row in r.episodes])
        if theirs.empty:
            return
        theirs = theirs[list(ALERT_OPEN_COLUMNS)].astype(ALERT_OPEN_COLUMNS)
        mine = book.set_index(["id_1", "id_2"])
        taken = theirs.set_index(["id_1", "id_2"])
        # the level (after hysteresis) is the engine's own, exact: keep it, take the rest
        taken["level"] = mine["level"].reindex(taken.index).fillna(taken["level"])
        merged = pd.concat([mine.drop(index=taken.index, errors="ignore"), taken])
        self.engine.alerts.set_state(merged.reset_index(), counter)


def step_with(worker: CellWorker, store: AlertStore, now: float, seq: int) -> pd.DataFrame:
    """One tick of ``worker`` against an in-process ``store``: read, tick, write (a record
    already applied at this tick or later is left as it is); the events."""
    taken: dict[str, PairRecord] = {}
    for key in worker.needs(now):
        record, _ = store.get(key)
        if record is None:
            raise ValueError(f"alert state record {key}: missing at the take-over at {now}")
        taken[key] = record
    out = worker.tick(now, seq, taken)
    for key, record in out.writes.items():
        old, revision = store.get(key)
        if old is not None and old.seq >= seq:
            continue  # replayed: applied already
        store.put(key, record, revision)
    return out.events
