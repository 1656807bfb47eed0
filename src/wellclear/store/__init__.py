"""Durable storage of the live service: parties and their tokens, every acknowledged batch of
reports, alert events, incidents, acknowledgements, the audit log and engine checkpoints.

SQLAlchemy 2 over SQLite (a file, WAL journal, ``synchronous=FULL``: a committed transaction
survives a crash of the process and of the machine) or PostgreSQL (psycopg 3). The schema is
created and upgraded by the Alembic migrations of :mod:`wellclear.store.migrations`, never
recreated: :func:`~wellclear.store.db.open_store` migrates an older store and refuses one
written by a newer wellclear.

Use: ``store = open_store(url)``; one :class:`~wellclear.store.db.Store` per process, shared by
its threads (SQLAlchemy's pool gives each thread its own connection).
"""

from __future__ import annotations

from wellclear.store.db import DEFAULT_URL, Store, StoreError, open_store

__all__ = ["DEFAULT_URL", "Store", "StoreError", "open_store"]
