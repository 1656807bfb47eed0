"""``POST /v1/alerts/{id}/ack`` and ``GET /v1/incidents/{id}`` find their row by an index (the
id a party knows, kept with the row), not by reading every event or incident of the caller:
SQLite's query plan of every statement they run searches an index and scans no table of
events or incidents; rows stored before the ids were kept get theirs when the service starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import event, text, update

from service_helpers import T0, headon, post_each_second
from wellclear.agreement import Agreement
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store import open_store
from wellclear.store.db import _alembic_config, head_revision
from wellclear.store.models import AlertEvent, Incident
from wellclear.store.parties import add_party

PARTIES = ("russia", "usa", "cell")


def _client(url: str) -> TestClient:
    config = ServiceConfig(db=url, agreement=Agreement.builtin("syria2015"), run_ticks=False)
    return TestClient(create_app(config))


@pytest.fixture(scope="module")
def flown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A SQLite store after the head-on pair's 130 s: alert episodes and one incident (the
    first test only reads it; the second, last, rewrites the public ids and reads them back)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('flown') / 'w.db'}"
    store = open_store(url)
    tokens = {p: add_party(store, p, "cell" if p == "cell" else "party") for p in PARTIES}
    tokens["turkey"] = add_party(store, "turkey")
    store.close()
    with _client(url) as client:
        live = client.app.state.live  # type: ignore[attr-defined]
        traffic = headon(T0, 130)
        for _ in post_each_second(client, live.tick, traffic, tokens):
            pass
        assert live.record_incidents() == 1
    yield url, tokens


def _ids(client: TestClient, tokens: dict[str, str]) -> dict[str, Any]:
    def get(path: str, who: str) -> Any:
        r = client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
        assert r.status_code == 200, r.text
        return r.json()

    out: dict[str, Any] = {}
    for who in ("russia", "usa", "cell"):
        out[who, "incident"] = get("/v1/incidents", who)["incidents"][0]["incident_id"]
    with client.stream(
        "GET",
        "/v1/alerts/stream",
        headers={"Authorization": f"Bearer {tokens['russia']}", "Last-Event-ID": "0"},
    ) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                out["russia", "alert"] = line.split('"alert_id": "')[1].split('"')[0]
                break
    return out


def _plans(client: TestClient, calls: list[tuple[str, str, int]]) -> list[str]:
    """Make ``calls`` (method, path, token, expected status) and return SQLite's query plan
    lines of every statement they ran on the events or incidents."""
    engine = client.app.state.live.store.engine  # type: ignore[attr-defined]
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and (
            "alert_events" in statement or "incidents" in statement
        ):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        for method, path, token, status in calls:  # type: ignore[misc]
            r = client.request(method, path, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == status, (path, r.text)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert seen, "no statement on the events or incidents"
    lines = []
    with engine.connect() as conn:
        for statement, params in seen:
            raw = conn.connection.driver_connection
            lines += [
                str(row[-1]) for row in raw.execute("EXPLAIN QUERY PLAN " + statement, params)
            ]
    return lines


def test_ack_and_incident_are_indexed_lookups(flown: tuple[str, dict[str, str]]) -> None:
    url, tokens = flown
    with _client(url) as client:
        ids = _ids(client, tokens)
        ru_alert, ru_incident = ids["russia", "alert"], ids["russia", "incident"]
        cell_incident = ids["cell", "incident"]
        calls = [
            ("POST", f"/v1/alerts/{ru_alert}/ack", tokens["russia"], 200),
            ("POST", f"/v1/alerts/{ru_alert}/ack", tokens["usa"], 404),  # not usa's alert
            ("POST", f"/v1/alerts/{ru_alert}/ack", tokens["cell"], 404),  # the cell's ids differ
            ("GET", f"/v1/incidents/{ru_incident}", tokens["russia"], 200),
            ("GET", f"/v1/incidents/{ru_incident}", tokens["usa"], 200),  # both sides' incident
            ("GET", f"/v1/incidents/{ru_incident}", tokens["turkey"], 404),
            ("GET", f"/v1/incidents/{cell_incident}", tokens["cell"], 200),
            ("GET", f"/v1/incidents/{cell_incident}/report", tokens["cell"], 200),
            ("GET", f"/v1/incidents/{cell_incident}", tokens["russia"], 404),
        ]
        plans = _plans(client, calls)
    assert ids["russia", "incident"] == ids["usa", "incident"]
    assert any("USING INDEX ix_alert_events_public" in p for p in plans)
    assert any("USING INDEX ix_incidents_public" in p for p in plans)
    scans = [p for p in plans if p.startswith("SCAN") and ("alert_events" in p or "incidents" in p)]
    assert scans == [], plans


def test_rows_stored_before_the_ids_get_theirs_at_start(
    flown: tuple[str, dict[str, str]],
) -> None:
    url, tokens = flown
    with _client(url) as client:
        ids = _ids(client, tokens)
    store = open_store(url)
    with store.engine.begin() as conn:  # as a store of revision 0003 had them
        conn.execute(update(AlertEvent).values(public_id=None))
        conn.execute(update(Incident).values(public_id=None))
    store.close()
    with _client(url) as client:
        auth = {"Authorization": f"Bearer {tokens['russia']}"}
        assert client.post(f"/v1/alerts/{ids['russia', 'alert']}/ack", headers=auth).is_success
        r = client.get(f"/v1/incidents/{ids['russia', 'incident']}", headers=auth)
        assert r.status_code == 200 and r.json()["incident_id"] == ids["russia", "incident"]


def test_a_store_of_revision_0003_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = open_store(url, migrate=False)
    cfg = _alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003_batch_ids")
    store.close()
    store = open_store(url)
    assert store.revision() == head_revision()
    with store.engine.connect() as conn:
        names = {row[1] for row in conn.execute(text("PRAGMA index_list('alert_events')"))}
        assert "ix_alert_events_public" in names
    store.close()
