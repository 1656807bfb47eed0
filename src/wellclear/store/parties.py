"""Parties, the cell and observers, and their bearer tokens.

A token is ``wc_<key_id>_<secret>`` (the secret: 32 random bytes, URL-safe base64). It is shown
once, when the party is added; the store keeps ``key_id`` (public: it finds the row) and the
SHA-256 of the secret, compared in constant time (:func:`hmac.compare_digest`). A revoked
party's token fails from the next request on.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wellclear.store.db import Store, StoreError, now
from wellclear.store.models import Party

ROLES = ("party", "cell", "observer")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_TOKEN = re.compile(r"wc_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to."""

    id: int
    name: str
    role: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def add_party(store: Store, name: str, role: str = "party") -> str:
    """Add a party; returns its bearer token (the only time it is known)."""
    if not _NAME.fullmatch(name):
        raise StoreError(
            f"party name {name!r}: expected 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    if role not in ROLES:
        raise StoreError(f"--role {role!r}: expected one of {', '.join(ROLES)}")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    row = Party(
        name=name,
        role=role,
        key_id=key_id,
        secret_sha256=_digest(secret),
        created_t=now(),
        revoked_t=None,
    )
    try:
        with store.sessions.begin() as session:
            session.add(row)
    except IntegrityError:
        raise StoreError(f"party {name!r} exists already") from None
    return f"wc_{key_id}_{secret}"


def list_parties(store: Store) -> list[Party]:
    """Every party, in the order they were added."""
    with store.sessions() as session:
        return list(session.scalars(select(Party).order_by(Party.id)))


def revoke_party(store: Store, name: str) -> None:
    """Revoke a party's token (its data stay)."""
    with store.sessions.begin() as session:
        row = session.scalars(select(Party).where(Party.name == name)).one_or_none()
        if row is None:
            raise StoreError(f"no party {name!r}")
        if row.revoked_t is None:
            row.revoked_t = now()


def authenticate(store: Store, token: str) -> Principal | None:
    """The principal of a valid, unrevoked token; None otherwise."""
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        return None
    key_id, secret = match.groups()
    with store.sessions() as session:
        row = session.scalars(select(Party).where(Party.key_id == key_id)).one_or_none()
    if row is None or row.revoked_t is not None:
        return None
    if not hmac.compare_digest(row.secret_sha256, _digest(secret)):
        return None
    return Principal(row.id, row.name, row.role)
