"""The service's planned operations (one :class:`Desk` per app, on ``app.state.plans``), made
in the lifespan: the operations loaded from the store, conformance monitored from the first
tick, notices stored before they are pushed.

A notice goes to its recipients (a party's name; ``cell`` for what only the cell is told) as
one stored row each, in the same transaction as the change of the operation that gives it
(:func:`~wellclear.store.plans.put_operation`); only then are the streams waiting on them woken.
A stream (:func:`notice_stream`) reads what the store holds after the id it has sent, so a
subscriber that reconnects with ``Last-Event-ID`` gets exactly what it missed, across a
restart or a kill -9 of the service. Every change of an operation and every notice is made
under the desk's lock, which also keeps the notices' ids committed in their order.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from wellclear.agreement import Agreement
from wellclear.plans.monitor import Monitor
from wellclear.plans.operations import Operation, Plans, parse_operation
from wellclear.service.live import Live
from wellclear.store.notices import Notice, last_notice_id, notices_after
from wellclear.store.parties import Principal
from wellclear.store.plans import operations, put_operation
from wellclear.timeutil import iso


@dataclass(eq=False)
class _Waiter:
    """One notice stream: its caller, and the event its loop is woken with."""

    principal: Principal
    loop: asyncio.AbstractEventLoop
    news: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class Desk:
    """See the module docstring."""

    live: Live
    plans: Plans
    digest: str  # of the agreement whose rules and zones ``plans`` holds
    lock: threading.Lock = field(default_factory=threading.Lock)
    monitor: Monitor = field(default_factory=Monitor)
    waiters: set[_Waiter] = field(default_factory=set)

    def follow(self, agreement: Agreement) -> None:
        """Take the rules and zones of ``agreement`` if it is not the one held (under the
        lock)."""
        if agreement.digest() != self.digest:
            self.plans.rules, self.plans.zones = agreement.plans, agreement.zones()
            self.plans.party_state, self.digest = agreement.party_state(), agreement.digest()

    def commit(self, op: Operation, notices: Sequence[tuple[str, dict[str, Any]]] = ()) -> None:
        """Store ``op`` as it now is and its ``notices`` (recipient, notice) in one
        transaction, then wake the streams of their recipients (under the lock)."""
        ids = put_operation(
            self.live.store,
            op.id,
            op.party,
            op.state,
            op.priority,
            (op.t_start, op.t_end),
            self.live.version,
            filed(op),
            notices,
        )
        if ids:
            self._wake({party for party, _ in notices})

    def _wake(self, recipients: set[str]) -> None:
        for w in list(self.waiters):
            if w.principal.role == "party" and w.principal.name not in recipients:
                continue
            try:
                w.loop.call_soon_threadsafe(w.news.set)
            except RuntimeError:  # its loop has closed
                self.waiters.discard(w)

    def on_tick(self, states: pd.DataFrame, t: float) -> None:
        """Conformance at each tick: Activated <-> Nonconforming, its party told."""
        rules = self.live.config.agreement.plans
        with self.lock:
            for op, state in self.monitor.changes(
                self.plans.operations.values(),
                states,
                t,
                rules.margin_horizontal.m,
                rules.margin_vertical.m,
                self.plans.revision,
            ):
                op.state = state
                self.commit(op, [(op.party, {"t": iso(t), "operation": op.id, "state": state})])


def filed(op: Operation) -> dict[str, Any]:
    """``op`` as its party filed it (what the store keeps)."""
    return {
        "volumes": [
            dict(v.shape)
            | {"alt_lo_m": v.alt_lo_m, "alt_hi_m": v.alt_hi_m, "start": v.t_start, "end": v.t_end}
            for v in op.volumes
        ],
        "priority": op.priority,
        "aircraft": list(op.aircraft),
        "mission": op.mission,
    }


def open_desk(live: Live) -> Desk:
    """The desk of ``live``'s service: its stored operations with their conflicts again (as
    they stand among what is stored), watched at every tick from now on."""
    a = live.config.agreement
    desk = Desk(live, Plans(a.plans, a.zones(), a.party_state()), a.digest())
    stored = []
    for op_id, party, state, body in operations(live.store):
        op = parse_operation(body, party, f"stored operation {op_id}")
        op.id, op.state = op_id, state
        stored.append(op)
    desk.plans.load(stored, {})
    for op in stored:
        if op.state != "Ended":
            desk.plans.conflicts[op.id] = desk.plans.check(op)
    live.after_tick.append(desk.on_tick)
    return desk


def visible(who: Principal, n: Notice) -> dict[str, Any]:
    """A stored notice as ``who`` reads it: with its ``id`` (and, for the cell and
    observers, who it went ``to``)."""
    out = {"id": n.id, **n.notice}
    if who.role != "party":
        out["to"] = n.party
    return out


async def notice_stream(
    desk: Desk, who: Principal, after: int | None, idle_s: float = 15.0, batch: int = 1000
) -> AsyncIterator[bytes]:
    """The caller's notices after the id ``after`` (None: from now on), then each new one as
    it is stored, each once and in order of ids, as Server-Sent Events (``id``: the notice's;
    a ``: connected`` comment once what was missed is sent, ``: keep-alive`` after ``idle_s``
    without a notice)."""
    store = desk.live.store
    party = who.name if who.role == "party" else None
    waiter = _Waiter(who, asyncio.get_running_loop())
    desk.waiters.add(waiter)  # before the replay: nothing stored after it is missed
    try:
        sent = after if after is not None else await asyncio.to_thread(last_notice_id, store)
        connected = False
        while True:
            waiter.news.clear()
            while True:
                got = await asyncio.to_thread(notices_after, store, sent, party, batch)
                for n in got:
                    sent = n.id
                    data = json.dumps(visible(who, n))
                    yield f"id: {n.id}\nevent: notice\ndata: {data}\n\n".encode()
                if len(got) < batch:
                    break
            if not connected:
                connected = True
                yield b": connected\n\n"
            try:
                await asyncio.wait_for(waiter.news.wait(), timeout=idle_s)
            except TimeoutError:
                yield b": keep-alive\n\n"
    finally:
        desk.waiters.discard(waiter)
