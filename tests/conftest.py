"""Shared fixtures: the stores the store and service tests run against (SQLite and a real
PostgreSQL cluster of the session's own, see :mod:`pgcluster`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import pgcluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[pgcluster.Cluster]:
    why = pgcluster.unavailable()
    if why is not None:
        if os.environ.get("WELLCLEAR_POSTGRES") == "required":
            pytest.fail(f"WELLCLEAR_POSTGRES=required but {why}")
        pytest.skip(why)
    cluster = pgcluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wellclear.db'}"
    cluster: pgcluster.Cluster = request.getfixturevalue("postgres_cluster")
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        cluster.url.replace("postgresql://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return cluster.url.rsplit("/", 1)[0] + f"/{name}"
