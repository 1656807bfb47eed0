"""The agreement's signed history in the store: documents by hash, steps in order."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from wellclear.store.db import Store
from wellclear.store.models import AgreementDocument, AgreementStep


def load_history(store: Store) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Every document (YAML text by SHA-256) and every step (as JSON objects), in order."""
    with store.sessions() as session:
        docs = {d.digest: d.text for d in session.scalars(select(AgreementDocument))}
        steps = [
            json.loads(s.step)
            for s in session.scalars(select(AgreementStep).order_by(AgreementStep.seq))
        ]
    return docs, steps


def append_step(store: Store, step: dict[str, Any], document: str | None) -> None:
    """Store one step (already verified) and, for a new version, its document; one
    transaction. A second step with the same ``seq`` fails (the primary key): two parties
    answering at once cannot both extend the chain."""
    with store.sessions.begin() as session:
        if document is not None and session.get(AgreementDocument, step["digest"]) is None:
            session.add(AgreementDocument(digest=step["digest"], text=document))
            session.flush()
        session.add(
            AgreementStep(
                seq=step["seq"],
                party=step["party"],
                action=step["action"],
                digest=step["digest"],
                step=json.dumps(step, ensure_ascii=False),
            )
        )
