"""Planned operations in the store: one row per operation, its volumes and aircraft as the
party filed them (JSON), its F3548 state kept current."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from wellclear.store.db import Store, now
from wellclear.store.models import Operation, Party
from wellclear.store.notices import add_notices


def put_operation(
    store: Store,
    op_id: str,
    party: str,
    state: str,
    priority: int,
    span: tuple[float, float],
    version: str,
    filed: dict[str, Any],
    notices: Sequence[tuple[str, dict[str, Any]]] = (),
) -> list[int]:
    """Insert or update one operation (``filed``: the body as filed) and, in the same
    transaction, the ``notices`` (recipient, notice) it gives; returns their ids."""
    with store.sessions.begin() as session:
        row = session.get(Operation, op_id)
        if row is None:
            party_id = session.scalars(select(Party.id).where(Party.name == party)).one()
            row = Operation(id=op_id, party_id=party_id)
            session.add(row)
        row.payload = json.dumps(filed)
        row.state, row.priority = state, priority
        row.t_start, row.t_end = span
        row.agreement_version, row.updated_t = version, now()
        return add_notices(session, notices)


def operations(store: Store) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every operation in filing order: (id, party name, state, the body as filed)."""
    with store.sessions() as session:
        rows = session.execute(
            select(Operation.id, Party.name, Operation.state, Operation.payload)
            .join(Party, Party.id == Operation.party_id)
            .order_by(Operation.updated_t)
        ).all()
    return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]
