"""Notices of planned operations in the store (``plan_notices``): each stored before it is
pushed, one row per recipient, read back by recipient after an id (``Last-Event-ID``).

Ids increase in the order rows are inserted; a reader that has seen id ``n`` misses nothing
by asking for ids after ``n`` only if rows commit in id order, so the service writes notices
from one writer at a time (the operations desk's lock).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wellclear.store.db import Store, now
from wellclear.store.models import PlanNotice


class Notice(NamedTuple):
    """A stored notice: its ``id``, its recipient (``party``), when it was stored (unix s)
    and the notice itself."""

    id: int
    party: str
    t: float
    notice: dict[str, Any]


def add_notices(session: Session, rows: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
    """Insert ``rows`` (recipient, notice) in ``session``'s transaction; their ids, in order."""
    t = now()
    added = [PlanNotice(party=party, t=t, payload=json.dumps(notice)) for party, notice in rows]
    session.add_all(added)
    session.flush()
    return [n.id for n in added]


def notices_after(
    store: Store, after: int = 0, party: str | None = None, limit: int = 10_000
) -> list[Notice]:
    """Notices with an id after ``after``, oldest first; with ``party``, only that
    recipient's."""
    query = select(PlanNotice).where(PlanNotice.id > after)
    if party is not None:
        query = query.where(PlanNotice.party == party)
    query = query.order_by(PlanNotice.id).limit(limit)
    with store.sessions() as session:
        return [Notice(r.id, r.party, r.t, json.loads(r.payload)) for r in session.scalars(query)]


def last_notice_id(store: Store) -> int:
    """The newest notice's id (0 when none)."""
    with store.sessions() as session:
        return int(session.scalar(select(func.max(PlanNotice.id))) or 0)
