"""``/v1/operations``: planned operations (ASTM F3548-21 operational intents).

A party files an operation (``POST /v1/operations``); the service checks it against the other
parties' operations and the zones that bind it (:mod:`wellclear.plans.operations`) and answers
with its conflicts, or 409 where the agreement's priority rules refuse it. A party sees its own
operations and, of another's, only what meets its own: the common footprint, altitude band and
time window and the other's priority (never its id, party, mission, other volumes or
aircraft). The cell and observers see every operation. Conflicts from others' filings,
Contingent operations and nonconformance are announced as notices, stored before they are
pushed (:mod:`~wellclear.service.plan_desk`): ``GET /v1/operations/notices`` (``?after=ID``)
and ``GET /v1/operations/notices/stream`` (Server-Sent Events, ``Last-Event-ID``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from wellclear.plans.operations import (
    Conflict,
    Decision,
    Operation,
    footprint_json,
    parse_operation,
)
from wellclear.plans.volumes import PlanError
from wellclear.service.deps import Caller, LiveDep
from wellclear.service.live import Live
from wellclear.service.plan_desk import Desk, notice_stream, visible
from wellclear.store.notices import notices_after
from wellclear.store.parties import Principal
from wellclear.timeutil import iso

router = APIRouter(prefix="/v1/operations", tags=["operations"])


def _desk(request: Request) -> Desk:
    desk: Desk = request.app.state.plans
    return desk


DeskDep = Annotated[Desk, Depends(_desk)]


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
    op = _parsed(body, who, live)
    with desk.lock:
        desk.follow(live.config.agreement)  # the version the engine runs on decides
        decision = desk.plans.file(op, time.time())
        return _decided(who, desk, decision)


def _parsed(body: dict[str, Any], who: Principal, live: Live) -> Operation:
    """The operation a party files or changes to (403 for the cell and observers, 422 with
    the field for a bad one), under the agreement version the engine runs on."""
    if who.role != "party":
        raise HTTPException(403, "only a party files or changes operations")
    try:
        op = parse_operation(body, who.name)
    except PlanError as err:
        raise HTTPException(422, str(err)) from None
    op.version = live.version
    return op


def _decided(who: Principal, desk: Desk, decision: Decision) -> dict[str, Any]:
    """The answer to a filing or a change (under the desk's lock): 409 with the conflicts
    where refused; else the operation stored, the other parties it meets told."""
    op = decision.operation
    if not decision.accepted:
        raise HTTPException(
            409,
            {
                "refused": decision.reason,
                "conflicts": [_conflict(who, c) for c in decision.conflicts],
            },
        )
    told = sorted({c.other_party for c in decision.conflicts if c.other_party})
    notice = {"t": iso(time.time()), "conflict_with_new_operation": True}
    desk.commit(op, [(party, notice) for party in told])
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
def notices(
    who: Caller,
    desk: DeskDep,
    after: Annotated[int, Query(ge=0, description="only notices with a greater id")] = 0,
) -> dict[str, Any]:
    """Announcements, oldest first, each with its ``id``: conflicts from others' filings,
    Contingent operations that meet the caller's, its own operations' conformance (the cell
    and observers: all, each with whom it went ``to``); at most 10,000 a page (the next:
    ``after`` the last id)."""
    party = who.name if who.role == "party" else None
    return {"notices": [visible(who, n) for n in notices_after(desk.live.store, after, party)]}


@router.get("/notices/stream")
async def notices_stream(
    who: Caller,
    desk: DeskDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The caller's notices as Server-Sent Events (``id`` = the notice's id, increasing;
    ``Last-Event-ID`` replays what came after it, from the store)."""
    try:
        after = int(last_event_id) if last_event_id else None
    except ValueError:
        raise HTTPException(400, f"Last-Event-ID {last_event_id!r}: not a number") from None

    return StreamingResponse(notice_stream(desk, who, after), media_type="text/event-stream")


@router.get("/{operation_id}")
def get_operation(operation_id: str, who: Caller, desk: DeskDep) -> dict[str, Any]:
    """One of the caller's operations."""
    with desk.lock:
        op = _own(who, desk, operation_id)
        return _view(who, op, desk.plans.conflicts.get(op.id, []))


@router.put("/{operation_id}")
def change_operation(
    operation_id: str, body: dict[str, Any], who: Caller, live: LiveDep, desk: DeskDep
) -> dict[str, Any]:
    """A new version of one of the caller's operations (not Ended): checked as a filing is,
    409 where the agreement's rules refuse it (the old version stays); the parties it now
    meets are told, as for a filing."""
    new = _parsed(body, who, live)
    with desk.lock:
        _own(who, desk, operation_id)
        desk.follow(live.config.agreement)
        try:
            decision = desk.plans.change(operation_id, new, time.time())
        except PlanError as err:
            raise HTTPException(409, str(err)) from None
        return _decided(who, desk, decision)


@router.post("/{operation_id}/state")
def move_operation(
    operation_id: str, body: StateBody, who: Caller, desk: DeskDep
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
        told: list[tuple[str, dict[str, Any]]] = []
        if body.state == "Contingent":
            windows = [_conflict(who, c) for c in desk.plans.conflicts.get(op.id, [])]
            met = [
                {k: w[k] for k in ("footprint", "alt_lo_m", "alt_hi_m", "start", "end")}
                for w in windows
            ]
            now = iso(time.time())
            told = [(party, {"t": now, "contingent": met}) for party in sorted(concerned)]
            told.append(("cell", {"t": now, "operation": op.id, "state": "Contingent"}))
        desk.commit(op, told)
        return _view(who, op, desk.plans.conflicts.get(op.id, []))
