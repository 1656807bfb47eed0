"""``/v1/operations``: planned operations (ASTM F3548-21 operational intents).

A party files an operation (``POST /v1/operations``); the service checks it against the other
parties' operations and the zones that bind it (:mod:`wellclear.plans.operations`) and answers
with its conflicts, or 409 where the agreement's priority rules refuse it. A party sees its own
operations and, of another's, only what meets its own: the common footprint, altitude band and
time window and the other's priority (never its id, party, mission, other volumes or
aircraft). The cell and observers see every operation. Contingent operations and
nonconformance are announced in ``GET /v1/operations/notices``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from wellclear.plans.conformance import monitor
from wellclear.plans.operations import Conflict, Operation, Plans, footprint_json, parse_operation
from wellclear.plans.volumes import PlanError
from wellclear.service.deps import Caller, LiveDep
from wellclear.service.live import Live
from wellclear.store.parties import Principal
from wellclear.store.plans import operations, put_operation
from wellclear.timeutil import iso

router = APIRouter(prefix="/v1/operations", tags=["operations"])


@dataclass
class Desk:
    """The service's operations (one per app, on ``app.state.plans``) and its notices."""

    plans: Plans
    lock: threading.Lock = field(default_factory=threading.Lock)
    notices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (party, notice)
    digest: str = ""  # of the agreement whose rules and zones ``plans`` holds

    def notify(self, parties: set[str], notice: dict[str, Any]) -> None:
        self.notices.extend((p, notice) for p in sorted(parties))


def _desk(request: Request) -> Desk:
    app = request.app
    desk: Desk | None = getattr(app.state, "plans", None)
    if desk is None:
        live: Live = app.state.live
        a = live.config.agreement
        desk = Desk(Plans(a.plans, a.zones(), a.party_state()), digest=a.digest())
        stored = []
        for op_id, party, state, filed in operations(live.store):
            op = parse_operation(filed, party, f"stored operation {op_id}")
            op.id, op.state = op_id, state
            stored.append(op)
        desk.plans.load(stored, {})
        for op in stored:  # the conflicts again, as they stand among what is stored
            if op.state != "Ended":
                desk.plans.conflicts[op.id] = desk.plans.check(op)
        app.state.plans = desk
        live.after_tick.append(lambda states, t: _monitor(live, desk, states, t))
    return desk


DeskDep = Annotated[Desk, Depends(_desk)]


def _monitor(live: Live, desk: Desk, states: Any, t: float) -> None:
    """Conformance at each tick: Activated <-> Nonconforming, the party and the cell told."""
    rules = live.config.agreement.plans
    with desk.lock:
        ops = list(desk.plans.operations.values())
        for op, state in monitor(
            ops, states, t, rules.margin_horizontal.m, rules.margin_vertical.m
        ):
            op.state = state
            _store(live, op)
            desk.notify({op.party}, {"t": iso(t), "operation": op.id, "state": state})


def _store(live: Live, op: Operation) -> None:
    filed = {
        "volumes": [
            dict(v.shape)
            | {"alt_lo_m": v.alt_lo_m, "alt_hi_m": v.alt_hi_m, "start": v.t_start, "end": v.t_end}
            for v in op.volumes
        ],
        "priority": op.priority,
        "aircraft": list(op.aircraft),
        "mission": op.mission,
    }
    put_operation(
        live.store,
        op.id,
        op.party,
        op.state,
        op.priority,
        (op.t_start, op.t_end),
        live.version,
        filed,
    )


def _conflict(who: Principal, c: Conflict) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operation": c.own,
        "footprint": footprint_json(c.footprint),
        "alt_lo_m": c.alt_lo_m,
        "alt_hi_m": c.alt_hi_m,
        "start": iso(c.t_start),
        "end": iso(c.t_end),
        "other_priority": c.other_priority,
        "give_way": c.give_way,
    }
    if c.other.startswith("zone:"):
        out["zone"] = c.other.removeprefix("zone:")  # the agreement's zones are common
    elif who.role != "party":
        out["other_operation"], out["other_party"] = c.other, c.other_party
    return out


def _view(who: Principal, op: Operation, conflicts: list[Conflict]) -> dict[str, Any]:
    return {
        "id": op.id,
        "party": op.party,
        "state": op.state,
        "priority": op.priority,
        "aircraft": list(op.aircraft),
        "mission": op.mission,
        "volumes": [
            dict(v.shape)
            | {
                "alt_lo_m": v.alt_lo_m,
                "alt_hi_m": v.alt_hi_m,
                "start": iso(v.t_start),
                "end": iso(v.t_end),
            }
            for v in op.volumes
        ],
        "agreement_version": op.version,
        "conflicts": [_conflict(who, c) for c in conflicts],
    }


class StateBody(BaseModel):
    """The new state: Activated, Contingent or Ended."""

    state: str


@router.post("")
def file_operation(
    body: dict[str, Any], who: Caller, live: LiveDep, desk: DeskDep
) -> dict[str, Any]:
    """File an operation (``volumes``, ``priority``, ``aircraft``, ``mission``)."""
    if who.role != "party":
        raise HTTPException(403, "only a party files operations")
    try:
        op = parse_operation(body, who.name)
    except PlanError as err:
        raise HTTPException(422, str(err)) from None
    op.version = live.version
    with desk.lock:
        a = live.config.agreement  # the version the engine runs on decides
        if a.digest() != desk.digest:
            desk.plans.rules, desk.plans.zones = a.plans, a.zones()
            desk.plans.party_state, desk.digest = a.party_state(), a.digest()
        decision = desk.plans.file(op, time.time())
        if not decision.accepted:
            raise HTTPException(
                409,
                {
                    "refused": decision.reason,
                    "conflicts": [_conflict(who, c) for c in decision.conflicts],
                },
            )
        _store(live, op)
        told = {c.other_party for c in decision.conflicts if c.other_party}
        desk.notify(told, {"t": iso(time.time()), "conflict_with_new_operation": True})
        return _view(who, op, desk.plans.conflicts.get(op.id, []))


def _own(who: Principal, desk: Desk, operation_id: str) -> Operation:
    op = desk.plans.operations.get(operation_id)
    if op is None or (who.role == "party" and op.party != who.name):
        raise HTTPException(404, "no such operation among yours")
    return op


@router.get("")
def list_operations(who: Caller, desk: DeskDep) -> dict[str, Any]:
    """The caller's operations with their conflicts (the cell and observers: all)."""
    with desk.lock:
        ops = [
            o for o in desk.plans.operations.values() if who.role != "party" or o.party == who.name
        ]
        return {"operations": [_view(who, o, desk.plans.conflicts.get(o.id, [])) for o in ops]}


@router.get("/notices")
def notices(who: Caller, desk: DeskDep) -> dict[str, Any]:
    """Announcements: conflicts from others' filings, Contingent operations that meet the
    caller's, its own operations' conformance (the cell: all)."""
    with desk.lock:
        mine = [n for p, n in desk.notices if who.role != "party" or p == who.name]
    return {"notices": mine}


@router.get("/{operation_id}")
def get_operation(operation_id: str, who: Caller, desk: DeskDep) -> dict[str, Any]:
    """One of the caller's operations."""
    with desk.lock:
        op = _own(who, desk, operation_id)
        return _view(who, op, desk.plans.conflicts.get(op.id, []))


@router.post("/{operation_id}/state")
def move_operation(
    operation_id: str, body: StateBody, who: Caller, live: LiveDep, desk: DeskDep
) -> dict[str, Any]:
    """Activate, declare Contingent (announced to every party whose operations it meets) or
    end one of the caller's operations."""
    with desk.lock:
        op = _own(who, desk, operation_id)
        if who.role != "party":
            raise HTTPException(403, "only its party changes an operation's state")
        concerned = desk.plans.concerned(op.id)
        try:
            desk.plans.move(op.id, body.state)
        except PlanError as err:
            raise HTTPException(409, str(err)) from None
        _store(live, op)
        if body.state == "Contingent":
            windows = [_conflict(who, c) for c in desk.plans.conflicts.get(op.id, [])]
            for party in concerned:
                desk.notify(
                    {party},
                    {
                        "t": iso(time.time()),
                        "contingent": [
                            {k: w[k] for k in ("footprint", "alt_lo_m", "alt_hi_m", "start", "end")}
                            for w in windows
                        ],
                    },
                )
            desk.notify(
                {"cell"}, {"t": iso(time.time()), "operation": op.id, "state": "Contingent"}
            )
        return _view(who, op, desk.plans.conflicts.get(op.id, []))
