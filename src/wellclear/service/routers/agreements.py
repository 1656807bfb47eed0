"""``/v1/agreements``: the agreement's signed workflow through the service.

A party signs each step itself (its private key never leaves it) and posts it with, for a new
version (draft, counter), the document; the service checks it as ``wellclear agreement
verify`` would (chain, document hash, the party's key in the agreement, the workflow's rules),
stores it, and when the version in force changes (in force, suspended, withdrawn) the engine
takes it at the next tick (:meth:`Live.use_agreement`). The document and its history are
common to the parties that sign it: every caller may read them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from wellclear.agreement import AgreementError
from wellclear.agreement.workflow import Step, WorkflowError
from wellclear.service.agreement_state import running, stored
from wellclear.service.deps import Caller, LiveDep
from wellclear.store.agreements import append_step

router = APIRouter(prefix="/v1/agreements", tags=["agreements"])


class StepBody(BaseModel):
    """A signed step (``wellclear.agreement.workflow.Step`` as JSON) and, for ``draft`` and
    ``counter``, the new version's YAML."""

    step: dict[str, Any]
    document: str | None = Field(default=None, description="The new version (YAML).")


@router.get("")
def agreement_status(who: Caller, live: LiveDep) -> dict[str, Any]:
    """The version the engine runs on, the one in force (if any) and the workflow's state."""
    history, state = stored(live.store, live.config.agreement.base)
    a = live.config.agreement
    return {
        "running": {"id": a.id, "version": live.version, "sha256": a.digest()},
        "status": live.agreement_status,
        "workflow": state.status,
        "in_force": state.in_force,
        "versions": [
            {"version": v.version, "sha256": v.digest, "status": v.status, "by": v.by}
            for v in state.versions.values()
        ],
        "steps": len(history.steps),
    }


@router.get("/history")
def agreement_history(who: Caller, live: LiveDep) -> dict[str, Any]:
    """The whole signed history: every document and step (for ``wellclear agreement verify``)."""
    history, _state = stored(live.store, live.config.agreement.base)
    return history.to_json()


@router.post("/steps")
def post_step(body: StepBody, who: Caller, live: LiveDep) -> dict[str, Any]:
    """Add one signed step of the caller's own; 409 with the reason if it is refused."""
    if who.role != "party":
        raise HTTPException(403, "only a party signs steps of the agreement")
    try:
        step = Step.from_json(body.step, "step")
    except WorkflowError as err:
        raise HTTPException(422, str(err)) from None
    if step.party != who.name:
        raise HTTPException(403, f"step by {step.party!r}: a party signs its own steps only")
    with live.agreement_lock:  # one step at a time per service (the store's key refuses the rest)
        history, _ = stored(live.store, live.config.agreement.base)
        if body.document is not None:
            history.documents[step.digest] = body.document
        history.steps.append(step)
        try:
            state = history.verify()
        except (WorkflowError, AgreementError) as err:
            raise HTTPException(409, str(err)) from None
        try:
            append_step(live.store, asdict(step), body.document)
        except IntegrityError:
            raise HTTPException(409, f"{step.label()}: another step came first") from None
        run = running(history, state)
        if run.agreement is not None:
            live.use_agreement(run.agreement, run.status)
    return {"step": step.seq, "workflow": state.status, "running_from_next_tick": run.status}
