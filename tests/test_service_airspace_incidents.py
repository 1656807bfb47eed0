"""An airspace infringement in the live service becomes an incident when its episode ends:
Russia's aircraft flies about 2 km into Turkish sovereign airspace (which binds Russia's aircraft
under the Syria 2015 agreement) and back; the engine's airspace events are stored with the
agreement version, and the ended episode is classified by the scan's rules (an
``infringement`` of ``sovereign:TUR``). Russia sees the incident of its own aircraft, the
coalition nothing, the cell all."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from service_helpers import T0, with_parties
from wellclear.agreement import Agreement
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store.records import airspace_events_after

M_PER_DEG_LAT = 111_320.0


def _flight(k: int) -> dict[str, object]:
    """North along 38.0 E at 200 m/s from 36.81 N (south of the border near Karkamis, which
    it crosses at about 36.82 N), back south from second 20."""
    dt = k if k < 20 else 40 - k
    return {
        "icao24": "155001",
        "callsign": "RSD101",
        "time": T0 + k,
        "lat": 36.81 + 200.0 * dt / M_PER_DEG_LAT,
        "lon": 38.0,
        "baroaltitude": 5000.0,
        "velocity": 200.0,
        "heading": 0.0 if k < 20 else 180.0,
        "vertrate": 0.0,
    }


def test_an_infringement_becomes_an_incident(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    tokens = with_parties(url, ("russia", "usa"))
    agreement = Agreement.builtin("syria2015")
    config = ServiceConfig(db=url, agreement=agreement, run_ticks=False)
    with TestClient(create_app(config)) as client:
        live = client.app.state.live  # type: ignore[attr-defined]
        for k in range(45):
            r = client.post(
                "/v1/states",
                content=pd.DataFrame([_flight(k)]).to_json(orient="records"),
                headers={"Authorization": f"Bearer {tokens['russia']}"},
            )
            assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
            live.tick(T0 + k + 0.5)
        events = airspace_events_after(live.store, 0)
        assert [e["event"] for e in events if e["to_status"] == "inside"] == ["entered"]
        assert {e["agreement_version"] for e in events} == {str(agreement.version)}
        assert live.record_incidents() == 1
        assert live.record_incidents() == 0  # classified once

        def incidents(who: str) -> list[dict[str, object]]:
            headers = {"Authorization": f"Bearer {tokens[who]}"}
            got = client.get("/v1/incidents", headers=headers).json()["incidents"]
            for i in got:  # each also by its id
                one = client.get(f"/v1/incidents/{i['incident_id']}", headers=headers)
                assert one.status_code == 200 and one.json() == i
            return list(got)

        ru, us, cell = incidents("russia"), incidents("usa"), incidents("cell")
    assert us == []
    assert len(ru) == 1 and len(cell) == 1
    incident = ru[0]
    assert incident["kind"] == "infringement"
    assert incident["agreement_version"] == str(agreement.version)
    assert incident["own"] == {"id": "155001", "callsign": "RSD101"}
    assert incident["other"] == {}
    airspace = incident["airspace"]
    assert isinstance(airspace, dict) and airspace["volume"] == "sovereign:TUR"
    assert 0.0 < float(airspace["dwell_s"]) < 30.0  # about 12 s inside
    assert 100.0 < float(airspace["max_depth_m"]) < 4_000.0  # 4 km north and back, in at 36.82 N
    inside = next(e for e in events if e["to_status"] == "inside")
    assert abs(float(airspace["entry_time"]) - float(inside["t_entered"])) < 1.5
    assert incident["evidence"] and {r["id"] for r in incident["evidence"]} == {"155001"}
    assert cell[0]["id_1"] == "155001" and cell[0]["id_2"] == "sovereign:TUR"
