"""The engine's owner in the service: ingest queue, the tick, subscribers, the last picture.

Threads and tasks: request handlers call :meth:`Live.accept` (store the batch, then queue it
for the engine) from worker threads; the tick task calls :meth:`Live.tick` in a worker thread
once per period: it ingests what was queued, steps the engine, stores the tick's events with a
checkpoint of the engine in one transaction, and only then publishes them to the subscribers'
bounded queues (a subscriber that falls behind is disconnected, never waited for). Batches are
stored and queued under one lock, so the engine ingests them in the order of their ids and a
checkpoint's ``last_batch_id`` says exactly what it holds.

Restart: the newest checkpoint is restored (episodes, hysteresis, picture), the batches stored
after it are ingested again, and the next tick continues: an alert open before a crash keeps
its ``alert_id`` and is not raised a second time, because every tick with events was
checkpointed in the same transaction as its events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wellclear.agreement import Agreement
from wellclear.engine.engine import Engine
from wellclear.service.bodies import Parsed
from wellclear.service.config import ServiceConfig
from wellclear.service.disclosure import (
    json_value,
    public_alert_id,
    public_incident_id,
    view_picture,
)
from wellclear.store.db import Store
from wellclear.store.parties import Principal
from wellclear.store.records import (
    AuditRecord,
    TickState,
    append_audit,
    commit_tick,
    fill_public_ids,
    get_setting,
    last_events,
    latest_checkpoint,
    put_setting,
    secret,
)
from wellclear.store.reports import append_keyed_batch, batches_after, keyed_answer, prune_batches
from wellclear.timeutil import iso

log = logging.getLogger("wellclear.service")


@dataclass(eq=False)
class Subscriber:
    """One event stream (SSE or WebSocket): its caller and its bounded queue of events."""

    principal: Principal
    queue: asyncio.Queue[dict[str, Any] | None]
    loop: asyncio.AbstractEventLoop
    dropped: str | None = None


@dataclass
class TickInfo:
    """The last tick: when (data time, unix s), how long it took, how many were late."""

    t: float | None = None
    duration_s: float = 0.0
    late: int = 0
    ticks: int = 0
    events: int = 0
    aircraft: int = 0


@dataclass
class Live:
    """See the module docstring."""

    config: ServiceConfig
    store: Store
    clock: Callable[[], float] = time.time
    engine: Engine = field(init=False)
    last_batch: int = field(init=False, default=0)
    info: TickInfo = field(init=False, default_factory=TickInfo)

    def __post_init__(self) -> None:
        self._next: tuple[Agreement, str] | None = None
        # called after each tick with the picture and its time (conformance monitoring)
        self.after_tick: list[Callable[[pd.DataFrame, float], None]] = []
        self.agreement_status = self._stored_agreement()
        self.settings = self.config.agreement.engine_settings(conflicts=False)
        self._lock = threading.Lock()  # batches: stored and queued in id order
        self._tick_lock = threading.Lock()  # one tick at a time
        self._incident_lock = threading.Lock()
        self.agreement_lock = threading.Lock()  # one workflow step at a time (its router)
        self.web_zones: tuple[str, dict[str, Any]] | None = None  # (digest, GeoJSON): web.py
        self._pending: list[tuple[int, pd.DataFrame]] = []
        self.subscribers: set[Subscriber] = set()
        self.open_alerts: dict[str, dict[str, Any]] = {}
        self.states = pd.DataFrame()
        self._history: deque[tuple[float, pd.DataFrame]] = deque()
        self._since_checkpoint = 0
        self.version = str(self.config.agreement.version)
        self.frequencies = list(self.config.agreement.frequencies_mhz())
        self.key = secret(self.store, "alert_ids")
        fill_public_ids(
            self.store,
            self._public_alert_id,
            lambda i: public_incident_id(self.key, i),
        )
        self._audit: list[AuditRecord] = []
        self.data_time = -np.inf  # the latest report time accepted (the data clock)
        self._checkpointed_batch = 0  # the last batch a stored checkpoint holds
        self._restore()

    # -- start ----------------------------------------------------------------------------

    def _restore(self) -> None:
        cp = latest_checkpoint(self.store)
        if cp is not None:
            self.engine = Engine.restore(cp.state, self.settings)
            self.last_batch = cp.last_batch_id
            self._checkpointed_batch = cp.last_batch_id
            self.info.t = cp.tick_t
        else:
            self.engine = Engine(self.settings)
        replayed: list[tuple[int, pd.DataFrame]] = []
        for batch_id, frame in batches_after(self.store, self.last_batch):
            replayed.append((batch_id, _as_reader_frame(batch_id, frame)))
            if len(frame):
                self.data_time = max(self.data_time, float(frame["t_row"].max()))
        self._ingest_all(replayed)
        # the open alerts: the engine's open episodes, each with its newest stored event
        # (episodes between aircraft of one party have none where the agreement leaves them out)
        open_ids = self.engine.alerts.open["alert_id"].astype(str).tolist()
        for alert_id, e in last_events(self.store, open_ids).items():
            if e["event"] != "cleared":
                self.open_alerts[alert_id] = e
        if cp is not None or replayed:
            log.info(
                "wellclear serve: restored the engine at %s, %d batches ingested again",
                cp.tick_t if cp is not None else "start",
                len(replayed),
            )

    def _stored_agreement(self) -> str:
        """Run on the version the stored history has in force (or last had), if any."""
        from wellclear.service.agreement_state import IN_FORCE, running, stored

        run = running(*stored(self.store, self.config.agreement.base))
        if run.agreement is None:
            return IN_FORCE if run.status.startswith("no version") else run.status
        self.config = dataclasses.replace(self.config, agreement=run.agreement)
        return run.status

    def use_agreement(self, agreement: Agreement, status: str) -> None:
        """Run on ``agreement`` from the next tick on; ``status`` (``in force``, or why it
        is only the last version in force) goes into every alert and ``/healthz``."""
        with self._lock:
            self._next = (agreement, status)

    def _switch(self) -> None:
        """At a tick boundary: the agreement of :meth:`use_agreement`, if one came."""
        with self._lock:
            nxt, self._next = self._next, None
        if nxt is None:
            return
        agreement, self.agreement_status = nxt
        for e in self.open_alerts.values():  # every open alert says what it now runs under
            e["agreement_status"] = self.agreement_status
        if agreement.digest() == self.config.agreement.digest():
            return
        self.config = dataclasses.replace(self.config, agreement=agreement)
        self.settings = agreement.engine_settings(conflicts=False)
        self.engine.use_settings(self.settings)
        self.version = str(agreement.version)
        self.frequencies = list(agreement.frequencies_mhz())
        log.info(
            "wellclear serve: agreement %s version %s from this tick", agreement.id, self.version
        )

    # -- ingest ---------------------------------------------------------------------------

    def accept(self, principal: Principal, reports: pd.DataFrame, rejected: int) -> int:
        """Store a batch durably, then queue it for the engine; returns its id."""
        return self._store(principal, reports, rejected, None, None)[0]

    def _store(
        self,
        principal: Principal,
        reports: pd.DataFrame,
        rejected: int,
        key: str | None,
        answer: dict[str, Any] | None,
    ) -> tuple[int, dict[str, Any] | None]:
        with self._lock:
            batch_id, stored = append_keyed_batch(
                self.store, principal.id, reports, rejected, key, answer
            )
            if stored is None:
                self._pending.append((batch_id, reports))
                if len(reports):
                    self.data_time = max(self.data_time, float(reports["t_row"].max()))
        return batch_id, stored

    def post(self, principal: Principal, parsed: Parsed, key: str | None = None) -> dict[str, Any]:
        """Store a parsed batch durably, then queue it for the engine; returns the answer
        (``batch`` id or None when nothing was accepted, ``accepted``, ``rejected``,
        ``counted``). With a client ``key`` the answer is stored with the batch; a key the
        party has used before is answered with the stored answer and nothing is stored again.
        """
        reports = parsed.reports
        answer: dict[str, Any] = {
            "batch": None,
            "accepted": len(reports),
            "rejected": parsed.rejected,
            "counted": parsed.counted,
        }
        if not len(reports):
            return answer
        batch_id, stored = self._store(principal, reports, len(parsed.rejected), key, answer)
        if stored is not None:
            return {**stored, "batch": batch_id, "duplicate": True}
        return {**answer, "batch": batch_id}

    def answered(self, principal: Principal, key: str | None) -> dict[str, Any] | None:
        """The stored answer to the party's batch with client ``key`` (None: not seen)."""
        found = None if key is None else keyed_answer(self.store, principal.id, key)
        return None if found is None else {**found[1], "batch": found[0], "duplicate": True}

    def next_tick(self) -> float | None:
        """When the next tick is due: now (``wall`` clock), or the next step of the reports'
        own times once reports reach it (``data`` clock; None: not yet)."""
        if self.config.clock == "wall":
            return self.clock()
        if not np.isfinite(self.data_time):
            return None
        if self.info.t is None:
            return self.data_time
        due = self.info.t + self.config.tick_s
        return due if due <= self.data_time else None

    def _ingest_all(self, batches: list[tuple[int, pd.DataFrame]]) -> None:
        """Batches (in id order) into the engine: in one ingest, whose merge and sort of the
        reports held is paid once a tick, not once a batch, where no two of them report one
        aircraft at one time at two positions (exact repeats, which the picture leaves out,
        are left out here); otherwise one by one, so that a clash between two batches is
        found as it is against the reports held."""
        named = [(b, f.assign(source=f"batch {b}")) for b, f in batches]
        if len(named) > 1:
            merged = pd.concat([f for _, f in named], ignore_index=True)
            merged = merged[~merged.duplicated(["id", "t", "lat", "lon", "alt_baro_m"])]
            if not merged.duplicated(["id", "t"]).any():
                self._ingest(named[-1][0], merged, f"batches {named[0][0]}-{named[-1][0]}")
                return
        for batch_id, frame in named:
            self._ingest(batch_id, frame, f"batch {batch_id}")

    def _ingest(self, batch_id: int, frame: pd.DataFrame, name: str) -> None:
        got = self.engine.ingest(frame, invalid="skip")
        if len(got.rejects):
            log.warning(
                "wellclear serve: %s: %d reports clash with reports held (same aircraft "
                "and time, another position): left out",
                name,
                len(got.rejects),
            )
        self.last_batch = max(self.last_batch, batch_id)

    def audit(self, record: AuditRecord) -> None:
        """Queue one request for the audit log, written at the next tick (or
        :meth:`flush_audit`) in one transaction with the others, not one commit per request."""
        with self._lock:
            self._audit.append(record)

    def flush_audit(self) -> None:
        """Write the queued audit records."""
        with self._lock:
            records, self._audit = self._audit, []
        append_audit(self.store, records)

    # -- the tick -------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> list[dict[str, Any]]:
        """One step of the engine at ``now`` (default: the clock); returns the stored events
        (with their ``seq``)."""
        with self._tick_lock:
            started = time.perf_counter()
            now = self.clock() if now is None else float(now)
            with self._lock:
                pending, self._pending = self._pending, []
            self._ingest_all(pending)
            self._switch()
            if self.info.t is not None and now <= self.info.t:
                self.flush_audit()
                return []
            result = self.engine.step(now)
            rows = result.events.to_dict(orient="records")
            events = [self._event({str(k): v for k, v in e.items()}) for e in rows]
            if self.config.agreement.conflicts.between_parties:
                # the agreement is between the parties: a party's own formations are its own
                events = [e for e in events if e["party_1"] != e["party_2"]]
            air = [self._air_event(e) for e in result.airspace_events.to_dict(orient="records")]
            self._since_checkpoint += 1
            checkpoint = None
            if events or air or self._since_checkpoint >= self.config.checkpoint_every:
                checkpoint = TickState(now, self.last_batch, self.engine.save())
                self._since_checkpoint = 0
                self._checkpointed_batch = self.last_batch
            seqs = commit_tick(self.store, events, checkpoint, self._public_alert_id, air)
            self.flush_audit()
            if self.info.ticks % 60 == 0:  # reports older than --retain leave the store
                prune_batches(self.store, now - self.config.retain_s, self._checkpointed_batch)
            for e, seq in zip(events, seqs, strict=True):
                e["seq"] = seq
                if e["event"] == "cleared":
                    self.open_alerts.pop(e["alert_id"], None)
                else:
                    self.open_alerts[e["alert_id"]] = e
            self.states = result.assessment.states
            self._keep_history(now)
            for hook in self.after_tick:
                hook(self.states, now)
            duration = time.perf_counter() - started
            self.info = TickInfo(
                now,
                duration,
                self.info.late + int(duration > self.config.tick_s),
                self.info.ticks + 1,
                self.info.events + len(events),
                len(self.states),
            )
            if duration > self.config.tick_s:
                log.warning(
                    "wellclear serve: tick at %.1f took %.2f s, longer than its period %.2f s",
                    now,
                    duration,
                    self.config.tick_s,
                )
            return events

    def _public_alert_id(self, alert_id: str) -> str:
        return public_alert_id(self.key, alert_id)

    def _event(self, row: dict[str, Any]) -> dict[str, Any]:
        e = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        e["level"] = int(e.get("to_level", 0))
        e["agreement_version"] = self.version
        e["agreement_status"] = self.agreement_status
        e["frequencies_mhz"] = self.frequencies
        for k, v in list(e.items()):
            if isinstance(v, float) and not np.isfinite(v):
                e[k] = None
        return e

    def _air_event(self, row: dict[Any, Any]) -> dict[str, Any]:
        """An airspace event as stored: JSON values, the agreement version that judged it."""
        e = {str(k): json_value(v) for k, v in row.items()}
        e["agreement_version"] = self.version
        return e

    def _keep_history(self, now: float) -> None:
        delay = self.config.agreement.sharing.delay
        keep_s = 0.0 if delay is None else delay.s
        self._history.append((now, self.states))
        while len(self._history) > 1 and self._history[1][0] <= now - keep_s:
            self._history.popleft()

    def delayed_states(self) -> pd.DataFrame | None:
        """The picture ``sharing.delay`` ago (the oldest kept), for the coarse level."""
        return self._history[0][1] if self._history else None

    def picture(self, who: Principal) -> dict[str, Any]:
        """The picture of the last tick as ``who`` may see it: ``t`` (ISO 8601 UTC, None
        before the first tick), ``t_unix`` and ``aircraft``
        (:func:`~wellclear.service.disclosure.view_picture`)."""
        states = self.states
        aircraft = (
            view_picture(who, states, self.delayed_states(), self.config.agreement)
            if len(states)
            else []
        )
        t = self.info.t
        return {"t": None if t is None else iso(t), "t_unix": t, "aircraft": aircraft}

    # -- incidents ------------------------------------------------------------------------

    def record_incidents(self) -> int:
        """Classify the episodes ended since the last call (or since the last events read
        before a restart) and store their incidents: alert episodes between parties
        (:mod:`~wellclear.service.incidents`) and airspace episodes with a time inside
        (:mod:`~wellclear.service.airspace_incidents`)."""
        from wellclear.service import airspace_incidents, incidents

        stored = 0
        with self._incident_lock:
            for name, kind in (
                ("incidents_seq", incidents),
                ("airspace_incidents_seq", airspace_incidents),
            ):
                done = get_setting(self.store, name)
                after = int(done.decode()) if done else 0
                ended, last = kind.pending(self.store, after)
                if ended:
                    stored += kind.record(self.store, self.config.agreement, ended, self.key)
                if last > after:  # the next call reads only what is stored after
                    put_setting(self.store, name, str(last).encode())
            return stored

    async def run_incidents(self, period_s: float = 1.0) -> None:
        """The incidents task: classify ended episodes off the tick's thread."""
        while True:
            await asyncio.sleep(period_s)
            try:
                await asyncio.to_thread(self.record_incidents)
            except Exception:
                log.exception("wellclear serve: classifying incidents failed")

    # -- subscribers ----------------------------------------------------------------------

    def subscribe(self, principal: Principal) -> Subscriber:
        sub = Subscriber(principal, asyncio.Queue(self.config.queue), asyncio.get_running_loop())
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def publish(self, events: list[dict[str, Any]]) -> None:
        """Hand stored events to every subscriber without waiting (called on the event
        loop); one that cannot take them is disconnected and told why."""
        for sub in list(self.subscribers):
            for e in events:
                try:
                    sub.queue.put_nowait(e)
                except asyncio.QueueFull:
                    sub.dropped = (
                        f"more than {self.config.queue} events behind: disconnected; "
                        "reconnect with Last-Event-ID to receive what was missed"
                    )
                    self.subscribers.discard(sub)
                    break

    async def run(self) -> None:
        """The tick task: one tick per period (``wall`` clock) or per step of the reports'
        times (``data`` clock), in a worker thread."""
        if self.config.clock == "data":
            await self._run_on_data()
            return
        period = self.config.tick_s
        next_t = time.monotonic()
        while True:
            next_t += period
            try:
                events = await asyncio.to_thread(self.tick)
            except Exception:  # a failed tick is logged and the next one tried
                log.exception("wellclear serve: tick failed")
                events = []
            if events:
                self.publish(events)
            delay = next_t - time.monotonic()
            if delay < 0:
                next_t = time.monotonic()  # late: the next tick starts now, counted late
            await asyncio.sleep(max(delay, 0.0))

    async def _run_on_data(self) -> None:
        while True:
            due = self.next_tick()
            if due is None:
                await asyncio.sleep(0.05)
                await asyncio.to_thread(self.flush_audit)
                continue
            try:
                events = await asyncio.to_thread(self.tick, due)
            except Exception:
                log.exception("wellclear serve: tick failed")
                await asyncio.sleep(0.05)
                continue
            if events:
                self.publish(events)


def _as_reader_frame(batch_id: int, frame: pd.DataFrame) -> pd.DataFrame:
    """A stored batch as the reader gave it (``source``, ``line``)."""
    return frame.assign(source=f"batch {batch_id}", line=np.arange(1, len(frame) + 1))
