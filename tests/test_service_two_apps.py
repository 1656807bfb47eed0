"""Two services in one process, each on its own store, share no state: the operations desk
(its conformance monitor and grown footprints, its notices) and the lock of the agreement's
workflow belong to each app, not to a module."""

from __future__ import annotations

import concurrent.futures
from dataclasses import asdict
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from service_helpers import T0
from wellclear.agreement import Agreement
from wellclear.agreement.history import History
from wellclear.agreement.signing import generate, public_b64
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store import open_store
from wellclear.store.parties import add_party

KEYS = {p: generate() for p in ("russia", "usa")}


def document(version: int) -> str:
    return (
        f"id: syria\nversion: {version}\nparties:\n"
        f"  - {{name: russia, state: RUS, key: {public_b64(KEYS['russia'])}}}\n"
        f"  - {{name: usa, state: USA, key: {public_b64(KEYS['usa'])}}}\n"
    )


def _app(tmp_path: Path, name: str) -> tuple[FastAPI, dict[str, str]]:
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    store = open_store(url)
    tokens = {p: add_party(store, p) for p in ("russia", "usa")}
    store.close()
    config = ServiceConfig(db=url, agreement=Agreement.from_yaml(document(0)), run_ticks=False)
    return create_app(config), {p: f"Bearer {t}" for p, t in tokens.items()}


def test_two_apps_in_one_process_share_no_state(tmp_path: Path) -> None:
    app_a, auth_a = _app(tmp_path, "a")
    app_b, auth_b = _app(tmp_path, "b")
    with TestClient(app_a) as a, TestClient(app_b) as b:
        desk_a, desk_b = app_a.state.plans, app_b.state.plans
        live_a, live_b = app_a.state.live, app_b.state.live
        # conformance in A grows A's footprints only, and B holds none of A's operations
        t = T0 + 10
        circle = {"lat": 36.0, "lon": 37.0, "radius_m": 5000}
        volume = {"circle": circle, "alt_lo_m": 0, "alt_hi_m": 3000, "start": t - 60}
        body = {"volumes": [volume | {"end": t + 3600}], "priority": 1, "aircraft": ["155001"]}
        russia_a = {"Authorization": auth_a["russia"]}
        op_id = a.post("/v1/operations", json=body, headers=russia_a).json()["id"]
        path = f"/v1/operations/{op_id}/state"
        assert a.post(path, json={"state": "Activated"}, headers=russia_a).status_code == 200
        report = {"icao24": "155001", "time": t, "lat": 36.3, "lon": 37.0}
        report |= {"baroaltitude": 1000.0, "velocity": 100.0, "heading": 0.0, "vertrate": 0.0}
        assert a.post("/v1/states", json=[report], headers=russia_a).status_code == 200
        live_a.tick(t + 0.5)
        assert a.get(path.removesuffix("/state"), headers=russia_a).json()["state"] == (
            "Nonconforming"
        )
        assert len(desk_a.monitor.grown) == 1 and len(desk_b.monitor.grown) == 0
        russia_b = {"Authorization": auth_b["russia"]}
        assert b.get("/v1/operations", headers=russia_b).json()["operations"] == []
        assert b.get("/v1/operations/notices", headers=russia_b).json()["notices"] == []
        assert len(a.get("/v1/operations/notices", headers=russia_a).json()["notices"]) == 1

        # a workflow step in B while one in A holds A's lock: B is not held up
        def draft() -> int:
            got = b.get("/v1/agreements/history", headers=russia_b).json()
            s = History.from_json(got, "api").add("draft", "russia", KEYS["russia"], document(1))
            r = b.post(
                "/v1/agreements/steps",
                json={"step": asdict(s), "document": document(1)},
                headers=russia_b,
            )
            return r.status_code

        assert live_a.agreement_lock is not live_b.agreement_lock
        with concurrent.futures.ThreadPoolExecutor(1) as pool, live_a.agreement_lock:
            assert pool.submit(draft).result(timeout=30) == 200
        steps = [
            c.get("/v1/agreements", headers=h).json()["steps"]
            for c, h in ((a, russia_a), (b, russia_b))
        ]
        assert steps == [0, 1]
