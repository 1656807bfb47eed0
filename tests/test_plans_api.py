"""Planned operations through the API: filing with known conflicts (and a near miss, and across
the antimeridian), the F3548 states, a Contingent announcement, conformance from live tracks,
and the property that a party's view never holds another party's operation beyond what meets
its own: no id, aircraft, mission or vertex of a volume that does not meet the viewer's, and
every footprint it is told lies within its own volumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from service_helpers import T0, numbers_in
from wellclear.agreement import Agreement
from wellclear.plans.volumes import parse_volume
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store import open_store
from wellclear.store.parties import add_party
from wellclear.store.plans import operations

PARTIES = ("russia", "usa", "turkey")
START = 4_102_444_800.0  # 2100-01-01: always in the future of the filing


def square(lat: float, lon: float, d: float, t0: float = 0, t1: float = 3600) -> dict[str, Any]:
    ring = [[lat, lon], [lat, lon + d], [lat + d, lon + d], [lat + d, lon]]
    return {"polygon": ring, "alt_lo_m": 0, "alt_hi_m": 300, "start": START + t0, "end": START + t1}


def generated(seed: int) -> dict[str, list[dict[str, Any]]]:
    """Operations of each party: random squares in a 2 x 2 degree box, and one each across the
    antimeridian; some meet, some do not."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[dict[str, Any]]] = {}
    for k, party in enumerate(PARTIES):
        ops = []
        for j in range(4):
            vols = [
                square(
                    float(rng.uniform(35, 37)),
                    float(rng.uniform(36, 38)),
                    float(rng.uniform(0.05, 0.4)),
                )
                for _ in range(int(rng.integers(1, 4)))
            ]
            ops.append(
                {
                    "volumes": vols,
                    "priority": int(rng.integers(0, 3)),
                    "aircraft": [f"{party[:2]}{j:04d}"],
                    "mission": f"secret {party} {j}",
                }
            )
        ops.append(
            {
                "volumes": [
                    square(-0.1 * k, 179.95, 0.1)
                    | {
                        "polygon": [
                            [-0.1 * k, 179.95],
                            [-0.1 * k, -179.95],
                            [0.1 - 0.1 * k, -179.95],
                            [0.1 - 0.1 * k, 179.95],
                        ]
                    }
                ],
                "priority": 1,
                "aircraft": [f"{party[:2]}am"],
                "mission": f"secret {party} am",
            }
        )
        out[party] = ops
    return out


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = open_store(url)
    tokens = {p: add_party(store, p) for p in PARTIES}
    tokens["cell"] = add_party(store, "cell", "cell")
    store.close()
    agreement = Agreement.builtin("syria2015")  # plans: its defaults (lower priority refused)
    app = create_app(ServiceConfig(db=url, agreement=agreement, run_ticks=False))
    with TestClient(app) as client:
        yield client, {p: {"Authorization": f"Bearer {t}"} for p, t in tokens.items()}


def _footprints(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("type") in ("Polygon", "MultiPolygon"):
            yield value
        for v in value.values():
            yield from _footprints(v)
    elif isinstance(value, list):
        for v in value:
            yield from _footprints(v)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_party_sees_only_what_meets_its_own(
    service: tuple[TestClient, dict[str, dict[str, str]]], seed: int
) -> None:
    client, auth = service
    filed: dict[str, list[tuple[str, dict[str, Any]]]] = {p: [] for p in PARTIES}
    for party, ops in generated(seed).items():
        for body in ops:
            r = client.post("/v1/operations", json=body, headers=auth[party])
            assert r.status_code in (200, 409), r.text
            if r.status_code == 200:
                filed[party].append((r.json()["id"], body))
    # every party's conflicts are exactly those the volumes give (brute force over the filed)
    vols = {
        p: [(i, parse_volume(v, "v")) for i, b in f for v in b["volumes"]] for p, f in filed.items()
    }
    for party in PARTIES:
        view = client.get("/v1/operations", headers=auth[party]).json()["operations"]
        assert sorted(o["id"] for o in view) == sorted(i for i, _ in filed[party])
        told = sum(len(o["conflicts"]) for o in view)
        expected = 0
        for _i, v in vols[party]:
            for other in PARTIES:
                if other != party:
                    expected += sum(_meets(v, w) for _j, w in vols[other])
        assert told == expected, party
    for party in PARTIES:
        own = shapely.union_all([v.footprint for _i, v in vols[party]]).buffer(1e-5)
        others = [p for p in PARTIES if p != party]
        secret_ids = {i for p in others for i, _ in filed[p]}
        secret_strings = secret_ids | {
            s for p in others for _i, b in filed[p] for s in (b["mission"], *b["aircraft"])
        }
        hidden = set()
        for p in others:
            for _i, b in filed[p]:
                for v in b["volumes"]:
                    w = parse_volume(v, "v")
                    if not any(_meets(w, mine) for _j, mine in vols[party]):
                        # (not small values: latitudes by the equator, priorities)
                        hidden |= {round(x, 6) for xy in v["polygon"] for x in xy if abs(x) >= 10}
        paths = [
            "/v1/operations",
            "/v1/operations/notices",
            *[f"/v1/operations/{i}" for i in sorted(secret_ids)],
        ]
        for path in paths:
            r = client.get(path, headers=auth[party])
            text = r.text
            assert not any(s in text for s in secret_strings), (party, path)
            body = r.json()
            numbers = {round(x, 6) for x in numbers_in(body)}
            assert not numbers & hidden - {
                round(x, 6)
                for _i, b in filed[party]
                for v in b["volumes"]
                for xy in v["polygon"]
                for x in xy
            }, (party, path)
            for fp in _footprints(body):
                assert own.contains(shapely.geometry.shape(fp)), (party, path)
            if path != "/v1/operations" and path != "/v1/operations/notices":
                assert r.status_code == 404
    cell = client.get("/v1/operations", headers=auth["cell"]).json()["operations"]
    assert len(cell) == sum(len(f) for f in filed.values())


def _meets(a: Any, b: Any) -> bool:
    from wellclear.plans.volumes import overlap

    return overlap(a, b) is not None


def test_states_contingent_notice_and_conformance(
    service: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = service
    app_live = client.app.state.live  # type: ignore[attr-defined]
    t = T0 + 10
    mine = {
        "volumes": [
            {
                "circle": {"lat": 36.0, "lon": 37.0, "radius_m": 5000},
                "alt_lo_m": 0,
                "alt_hi_m": 3000,
                "start": t - 600,
                "end": t + 3600,
            }
        ],
        "priority": 2,
        "aircraft": ["155001"],
    }
    theirs = {
        "volumes": [square(36.0, 37.0, 0.2, t0=t - 600 - START, t1=t + 3600 - START)],
        "priority": 1,
        "aircraft": ["ae0001"],
        "mission": "tanker track",
    }
    r = client.post("/v1/operations", json=theirs, headers=auth["usa"])
    assert r.status_code == 200, r.text
    r = client.post("/v1/operations", json=mine, headers=auth["russia"])
    assert r.status_code == 200
    op_id = r.json()["id"]
    assert [c["give_way"] for c in r.json()["conflicts"]] == ["other"]
    low = client.post("/v1/operations", json=theirs, headers=auth["usa"])
    assert low.status_code == 409 and "higher-priority" in low.text  # syria2015: refuse
    assert (
        client.post(
            f"/v1/operations/{op_id}/state", json={"state": "Activated"}, headers=auth["russia"]
        ).json()["state"]
        == "Activated"
    )
    bad = client.post(
        f"/v1/operations/{op_id}/state", json={"state": "Accepted"}, headers=auth["russia"]
    )
    assert bad.status_code == 409
    other = client.post(
        f"/v1/operations/{op_id}/state", json={"state": "Ended"}, headers=auth["usa"]
    )
    assert other.status_code == 404

    def report(lat: float, when: float) -> None:
        row = [
            {
                "icao24": "155001",
                "callsign": "RSD101",
                "time": when,
                "lat": lat,
                "lon": 37.0,
                "heading": 0.0,
                "baroaltitude": 1000.0,
                "velocity": 100.0,
                "vertrate": 0.0,
                "onground": False,
            }
        ]
        assert client.post("/v1/states", json=row, headers=auth["russia"]).status_code == 200
        app_live.tick(when + 0.5)

    report(36.01, t)
    assert client.get(f"/v1/operations/{op_id}", headers=auth["russia"]).json()["state"] == (
        "Activated"
    )
    report(36.2, t + 1)  # 22 km north: outside the 5 km circle
    assert client.get(f"/v1/operations/{op_id}", headers=auth["russia"]).json()["state"] == (
        "Nonconforming"
    )
    report(36.02, t + 2)
    assert client.get(f"/v1/operations/{op_id}", headers=auth["russia"]).json()["state"] == (
        "Activated"
    )
    r = client.post(
        f"/v1/operations/{op_id}/state", json={"state": "Contingent"}, headers=auth["russia"]
    )
    assert r.status_code == 200
    notes = client.get("/v1/operations/notices", headers=auth["usa"]).json()["notices"]
    assert any("contingent" in n for n in notes)
    assert "tanker" not in client.get("/v1/operations/notices", headers=auth["russia"]).text
    mine_notes = client.get("/v1/operations/notices", headers=auth["russia"]).json()["notices"]
    assert [n["state"] for n in mine_notes if "state" in n] == ["Nonconforming", "Activated"]


def test_a_change_through_the_api(
    service: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    """PUT /v1/operations/{id}: only its party; checked as a filing (refused: the old version
    stays); the party it now meets is told and sees the new common volume, not the old."""
    client, auth = service
    theirs = {"volumes": [square(36.0, 37.0, 0.2)], "priority": 1, "mission": "tanker"}
    mine = {"volumes": [square(30.0, 37.0, 0.2)], "priority": 2, "mission": "mine"}
    usa = client.post("/v1/operations", json=theirs, headers=auth["usa"]).json()["id"]
    ru = client.post("/v1/operations", json=mine, headers=auth["russia"]).json()["id"]
    assert client.put(f"/v1/operations/{ru}", json=mine, headers=auth["usa"]).status_code == 404
    assert client.put(f"/v1/operations/{ru}", json=mine, headers=auth["cell"]).status_code == 403
    bad = client.put(f"/v1/operations/{ru}", json={"volumes": []}, headers=auth["russia"])
    assert bad.status_code == 422
    # usa, lower priority, onto russia's: refused, its old version stays
    onto = theirs | {"volumes": [square(30.1, 37.1, 0.2)]}
    r = client.put(f"/v1/operations/{usa}", json=onto, headers=auth["usa"])
    assert r.status_code == 409 and "higher-priority" in r.text
    kept = client.get(f"/v1/operations/{usa}", headers=auth["usa"]).json()
    assert kept["volumes"][0]["polygon"][0] == [36.0, 37.0] and kept["conflicts"] == []
    # russia moves onto usa's: accepted (priority 2), usa told and shown the common volume
    moved = mine | {"volumes": [square(36.1, 37.1, 0.2)]}
    r = client.put(f"/v1/operations/{ru}", json=moved, headers=auth["russia"])
    assert r.status_code == 200, r.text
    assert r.json()["id"] == ru and [c["give_way"] for c in r.json()["conflicts"]] == ["other"]
    store = client.app.state.live.store  # type: ignore[attr-defined]
    stored = {i: b for i, _p, _s, b in operations(store)}  # what a restart loads: the new one
    assert stored[ru]["volumes"][0]["polygon"] == moved["volumes"][0]["polygon"]
    notes = client.get("/v1/operations/notices", headers=auth["usa"]).json()["notices"]
    assert [n.get("conflict_with_new_operation") for n in notes] == [True]
    (c,) = client.get(f"/v1/operations/{usa}", headers=auth["usa"]).json()["conflicts"]
    assert shapely.geometry.shape(c["footprint"]).bounds == pytest.approx((37.1, 36.1, 37.2, 36.2))
    assert "mine" not in client.get("/v1/operations", headers=auth["usa"]).text
    # and away again: the conflict is gone from both views
    assert client.put(f"/v1/operations/{ru}", json=mine, headers=auth["russia"]).status_code == 200
    for party, op_id in (("usa", usa), ("russia", ru)):
        view = client.get(f"/v1/operations/{op_id}", headers=auth[party]).json()
        assert view["conflicts"] == [], party
