"""Client batch ids (``Idempotency-Key``, and the WebSocket's ``idempotency_key``): a retried
batch is answered with the original answer and stored once, across restarts, on SQLite and on a
real PostgreSQL; one party's key never answers with another party's batch."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service_helpers import T0, headon
from wellclear.agreement import Agreement
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store import open_store
from wellclear.store.models import Batch, BatchKey
from wellclear.store.parties import add_party


def _app(url: str) -> TestClient:
    config = ServiceConfig(
        db=url, agreement=Agreement.builtin("syria2015"), run_ticks=False, max_body=64_000
    )
    return TestClient(create_app(config))


@pytest.fixture
def tokens(store_url: str) -> Iterator[dict[str, str]]:
    store = open_store(store_url)
    out = {p: add_party(store, p) for p in ("russia", "usa")}
    store.close()
    yield out


def _body(party: str, seconds: int = 3) -> str:
    frame = headon(T0, seconds)
    return str(frame[frame["party"] == party].drop(columns=["party"]).to_json(orient="records"))


def _post(client: TestClient, token: str, body: str, key: str | None) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    r = client.post("/v1/states", content=body, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _stored(url: str) -> tuple[int, int]:
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            batches = conn.execute(select(func.count()).select_from(Batch)).scalar_one()
            keys = conn.execute(select(func.count()).select_from(BatchKey)).scalar_one()
    finally:
        store.close()
    return int(batches), int(keys)


def test_a_retried_batch_is_stored_once_across_restarts(
    store_url: str, tokens: dict[str, str]
) -> None:
    body = _body("russia")
    with _app(store_url) as client:
        first = _post(client, tokens["russia"], body, "feed-1:000001")
        again = _post(client, tokens["russia"], body, "feed-1:000001")
        other = _post(client, tokens["russia"], body, "feed-1:000002")
        plain = _post(client, tokens["russia"], body, None)
        live = client.app.state.live  # type: ignore[attr-defined]
        queued = [b for b, _ in live._pending]
    assert first["accepted"] == 3 and "duplicate" not in first
    assert again == {**first, "duplicate": True}
    assert other["batch"] != first["batch"] and plain["batch"] not in (first["batch"], None)
    assert queued == [first["batch"], other["batch"], plain["batch"]]  # the retry: not ingested
    assert _stored(store_url) == (3, 2)
    with _app(store_url) as client:  # a restarted service still knows the key
        after = _post(client, tokens["russia"], body, "feed-1:000001")
    assert after == {**first, "duplicate": True}
    assert _stored(store_url) == (3, 2)


def test_keys_are_per_party(store_url: str, tokens: dict[str, str]) -> None:
    with _app(store_url) as client:
        ru = _post(client, tokens["russia"], _body("russia"), "k")
        us = _post(client, tokens["usa"], _body("usa", 2), "k")
    assert us["batch"] != ru["batch"] and us["accepted"] == 2 and "duplicate" not in us
    assert _stored(store_url) == (2, 2)


def test_websocket_batches_carry_a_key(store_url: str, tokens: dict[str, str]) -> None:
    reports = json.loads(_body("usa"))
    headers = {"Authorization": f"Bearer {tokens['usa']}"}
    app = _app(store_url)
    with app as client, client.websocket_connect("/v1/states/ws", headers=headers) as ws:
        ws.send_text(json.dumps({"idempotency_key": "ws-1", "reports": reports}))
        first = ws.receive_json()
        ws.send_text(json.dumps({"idempotency_key": "ws-1", "reports": reports}))
        again = ws.receive_json()
        ws.send_text(json.dumps(reports))  # no envelope: a plain batch, as before
        plain = ws.receive_json()
    assert first["accepted"] == 3 and again == {**first, "duplicate": True}
    assert plain["batch"] != first["batch"]
    assert _stored(store_url) == (2, 1)


def test_a_key_over_128_characters_is_refused(store_url: str, tokens: dict[str, str]) -> None:
    with _app(store_url) as client:
        r = client.post(
            "/v1/states",
            content=_body("russia"),
            headers={"Authorization": f"Bearer {tokens['russia']}", "Idempotency-Key": "x" * 129},
        )
    assert r.status_code == 422
    assert _stored(store_url) == (0, 0)


def test_pruned_batches_take_their_keys(store_url: str, tokens: dict[str, str]) -> None:
    from wellclear.store.reports import append_keyed_batch, prune_batches

    store = open_store(store_url)
    try:
        frame = pd.read_json(io.StringIO(_body("russia")))
        reports = frame.rename(columns={"icao24": "id", "time": "t"})
        reports["party"] = "russia"
        batch, stored = append_keyed_batch(store, 1, reports, 0, "old", {"accepted": 3})
        assert stored is None
        assert append_keyed_batch(store, 1, reports, 0, "old", {}) == (batch, {"accepted": 3})
        assert prune_batches(store, before=T0 + 10, up_to_batch=batch) == 1
    finally:
        store.close()
    assert _stored(store_url) == (0, 0)
