"""The agreement's signed history as the service keeps it: read from the store, checked whole
(:meth:`History.verify`), and the version the engine is to run on (the one in force, or the
last one in force while none is, with a status that says so)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wellclear.agreement import Agreement
from wellclear.agreement.history import History
from wellclear.agreement.workflow import State
from wellclear.store.agreements import load_history
from wellclear.store.db import Store

IN_FORCE = "in force"


@dataclass(frozen=True)
class Running:
    """The version to run on and its status (``in force``, ``suspended by russia: running on
    the last version in force``...); ``None``: the history has had no version in force."""

    agreement: Agreement | None
    status: str


def stored(store: Store, base: Path | None) -> tuple[History, State]:
    """The stored history and its state (a history that no longer verifies raises
    :class:`~wellclear.agreement.workflow.WorkflowError`: the service does not start on it)."""
    docs, steps = load_history(store)
    history = History.from_json({"documents": docs, "steps": steps}, "the store's history", base)
    return history, history.verify()


def running(history: History, state: State) -> Running:
    """What the engine runs on after ``state``."""
    digest = state.in_force or state.last_in_force
    if digest is None:
        return Running(None, f"{state.status}: running on the agreement given at start")
    agreement = history.parsed()[digest]
    if state.in_force:
        return Running(agreement, IN_FORCE)
    return Running(agreement, f"{state.status}: running on the last version in force")
