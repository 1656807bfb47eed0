"""Opening a store: the database URL, durability settings and migrations.

A URL is SQLAlchemy's (``sqlite:///path.db``, ``postgresql://user@host:port/db``); a bare path
is a SQLite file. SQLite is opened with the WAL journal and ``synchronous=FULL`` (a commit is on
disk before it returns, power loss included) and foreign keys on; PostgreSQL keeps its default
``synchronous_commit=on``. PostgreSQL URLs use psycopg 3.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///wellclear.db"


class StoreError(RuntimeError):
    """A store that cannot be opened, or one written by a newer wellclear."""


def store_url(url: str | Path) -> URL:
    """The SQLAlchemy URL of ``url`` (a bare path is a SQLite file; PostgreSQL via psycopg)."""
    text = str(url)
    if "://" not in text:
        text = f"sqlite:///{text}"
    try:
        parsed = make_url(text)
    except ArgumentError as err:
        raise StoreError(f"--db {url!r}: not a database URL ({err})") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"--db {url!r}: expected a sqlite:/// or postgresql:// URL")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    return cfg


def head_revision() -> str:
    """The newest schema revision this wellclear knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


@dataclass
class Store:
    """An open store: its engine and a session factory."""

    url: URL
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    def revision(self) -> str | None:
        """The schema revision of the database (None: not a wellclear store yet)."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | Path = DEFAULT_URL, *, migrate: bool = True) -> Store:
    """Open (and with ``migrate``, create or upgrade) the store at ``url``.

    A store at an older revision is upgraded in place by the migrations; one at a revision this
    wellclear does not know (written by a newer version) is refused, never recreated.
    """
    parsed = store_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).parent.exists():
            raise StoreError(f"--db {url}: directory {Path(database).parent} does not exist")
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(parsed, pool_pre_ping=True)
    store = Store(parsed, engine, sessionmaker(engine, expire_on_commit=False))
    try:
        current = store.revision()
    except OperationalError as err:
        engine.dispose()
        raise StoreError(f"--db {url}: cannot open the store: {err.orig}") from None
    script = ScriptDirectory.from_config(_alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        engine.dispose()
        raise StoreError(
            f"--db {url}: the store is at schema revision {current}, which this wellclear "
            f"(schema {head_revision()}) does not know: it was written by a newer version"
        )
    if migrate and current != head_revision():
        cfg = _alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return store


def now() -> float:
    """The time stamps of the store: unix seconds (UTC)."""
    return time.time()
