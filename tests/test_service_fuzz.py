"""Hostile bodies for ``POST /v1/states``: whatever the bytes, the answer is 200 with every
record accepted, rejected or counted, or a 4xx naming the problem; never a 5xx, never a
record lost."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service_helpers import T0, headon
from wellclear.agreement import Agreement
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store import open_store
from wellclear.store.parties import add_party

MEDIA = ["application/json", "application/x-ndjson", "text/csv"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    db = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'w.db'}"
    store = open_store(db)
    token = add_party(store, "russia")
    store.close()
    config = ServiceConfig(db=db, agreement=Agreement.default(), run_ticks=False, max_body=200_000)
    with TestClient(create_app(config)) as c:
        yield c, token


def _valid(media: str, n: int) -> bytes:
    frame = headon(T0, n).query("party == 'russia'").drop(columns=["party"])
    if media == "text/csv":
        return frame.to_csv(index=False).encode()
    if media == "application/x-ndjson":
        return frame.to_json(orient="records", lines=True).encode()
    return frame.to_json(orient="records").encode()


def _check(r: object, records: int | None) -> None:
    status = r.status_code  # type: ignore[attr-defined]
    assert status < 500, r.text  # type: ignore[attr-defined]
    if status == 200:
        answer = r.json()  # type: ignore[attr-defined]
        assert set(answer) == {"batch", "accepted", "rejected", "counted"}
        for rej in answer["rejected"]:
            assert isinstance(rej["index"], int) and rej["field"] and rej["reason"]
        if records is not None:
            total = answer["accepted"] + len(answer["rejected"]) + sum(answer["counted"].values())
            assert total == records, answer
    else:
        assert status in (400, 413, 415, 422), (status, r.text)  # type: ignore[attr-defined]
        assert r.json()["detail"]  # type: ignore[attr-defined]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(media=st.sampled_from(MEDIA), data=st.data())
def test_mutated_valid_bodies(
    client: tuple[TestClient, str], media: str, data: st.DataObject
) -> None:
    c, token = client
    body = bytearray(_valid(media, 6))
    for _ in range(data.draw(st.integers(0, 6))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert", "extreme"]))
        if not body:
            break
        k = data.draw(st.integers(0, len(body) - 1))
        if kind == "flip":
            body[k] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del body[k:]
        elif kind == "insert":
            body[k:k] = data.draw(
                st.sampled_from(
                    [
                        b"NaN",
                        b"1e309",
                        b"-",
                        b'"',
                        b"\n",
                        b",",
                        b"\xff",
                        b"{}",
                        b"[]",
                        b"null",
                        b"true",
                    ]
                )
            )
        else:
            body = bytearray(
                bytes(body).replace(
                    b"5000.0",
                    data.draw(
                        st.sampled_from([b"1e9", b"-1e9", b"NaN", b"Infinity", b'"x"', b"true"])
                    ),
                    1,
                )
            )
    r = c.post(
        "/v1/states",
        content=bytes(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": media},
    )
    _check(r, None)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=2000), media=st.sampled_from([*MEDIA, "application/octet-stream"]))
def test_random_bytes(client: tuple[TestClient, str], body: bytes, media: str) -> None:
    c, token = client
    r = c.post(
        "/v1/states",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": media},
    )
    _check(r, None)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "icao24",
                    "time",
                    "lat",
                    "lon",
                    "baroaltitude",
                    "velocity",
                    "heading",
                    "vertrate",
                    "callsign",
                    "party",
                    "onground",
                    "x",
                ]
            ),
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(-(10**12), 10**12),
                st.floats(allow_nan=False),
                st.text(max_size=8),
                st.lists(st.integers(), max_size=2),
            ),
            max_size=12,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_json_records_of_any_shape(client: tuple[TestClient, str], records: list[dict]) -> None:
    c, token = client
    try:
        body = json.dumps(records, allow_nan=False)
    except ValueError:
        return
    r = c.post(
        "/v1/states",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    _check(r, len(records))
