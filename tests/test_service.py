"""``wellclear serve`` in process (FastAPI's test client over a real store): posting reports,
authentication, alerts from each side, the sharing level, Last-Event-ID, restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from service_helpers import T0, headon
from wellclear.agreement import Agreement
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.service.live import Live
from wellclear.store import open_store
from wellclear.store.parties import add_party, revoke_party

PARTIES = ("russia", "usa", "turkey")


@pytest.fixture
def service(store_url: str) -> Iterator[tuple[TestClient, dict[str, str], Live]]:
    store = open_store(store_url)
    tokens = {p: add_party(store, p) for p in PARTIES}
    tokens["cell"] = add_party(store, "cell", "cell")
    tokens["observer"] = add_party(store, "observer", "observer")
    store.close()
    config = ServiceConfig(
        db=store_url, agreement=Agreement.builtin("syria2015"), run_ticks=False, max_body=64_000
    )
    app = create_app(config)
    with TestClient(app) as client:
        yield client, tokens, app.state.live


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _post(client: TestClient, token: str, frame: pd.DataFrame) -> dict:
    r = client.post(
        "/v1/states",
        content=frame.to_json(orient="records"),
        headers={**_auth(token), "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _fly(client: TestClient, tokens: dict[str, str], live: Live, seconds: int) -> list[dict]:
    """Each party posts its own aircraft second by second; a tick after each second."""
    traffic = headon(T0, seconds)
    events: list[dict] = []
    for t, now in traffic.groupby("time"):
        for party, part in now.groupby("party"):
            answer = _post(client, tokens[str(party)], part.drop(columns=["party"]))
            assert answer["accepted"] == len(part) and answer["rejected"] == []
        events += live.tick(float(t) + 0.5)
    return events


def test_post_formats_and_rejects(service: tuple[TestClient, dict[str, str], Live]) -> None:
    client, tokens, _ = service
    frame = headon(T0, 2).query("party == 'russia'").drop(columns=["party"]).reset_index(drop=True)
    frame.loc[1, "lat"] = 95.0
    answer = _post(client, tokens["russia"], frame)
    assert answer["accepted"] == 1
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [(1, "lat")]
    ndjson = "\n".join(json.dumps(r) for r in frame.iloc[:1].assign(time=T0 + 5).to_dict("records"))
    r = client.post(
        "/v1/states",
        content=ndjson,
        headers={**_auth(tokens["russia"]), "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1
    csv = frame.iloc[:1].assign(time=T0 + 6).to_csv(index=False)
    r = client.post(
        "/v1/states", content=csv, headers={**_auth(tokens["russia"]), "Content-Type": "text/csv"}
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1
    # a party cannot post for another
    other = frame.iloc[:1].assign(party="usa", time=T0 + 7)
    answer = _post(client, tokens["russia"], other)
    assert answer["accepted"] == 0 and answer["rejected"][0]["field"] == "party"
    # bodies that are not batches
    bad = client.post(
        "/v1/states",
        content='[{"icao24": "1"},',
        headers={**_auth(tokens["russia"]), "Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and "JSON body" in bad.json()["detail"]
    bad = client.post(
        "/v1/states",
        content='{"a": 1}\nnot json',
        headers={**_auth(tokens["russia"]), "Content-Type": "application/x-ndjson"},
    )
    assert bad.status_code == 400 and "NDJSON line 2" in bad.json()["detail"]
    assert (
        client.post(
            "/v1/states",
            content="[1]",
            headers={**_auth(tokens["russia"]), "Content-Type": "application/json"},
        ).json()["detail"]
        == "record 0: expected an object, got int"
    )
    assert (
        client.post(
            "/v1/states",
            content="x",
            headers={**_auth(tokens["russia"]), "Content-Type": "text/xml"},
        ).status_code
        == 415
    )
    big = client.post(
        "/v1/states",
        content="[" + "1," * 40_000 + "1]",
        headers={**_auth(tokens["russia"]), "Content-Type": "application/json"},
    )
    assert big.status_code == 413


def test_authentication(service: tuple[TestClient, dict[str, str], Live], store_url: str) -> None:
    client, tokens, _ = service
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        _auth("wc_0_x"),
    ):
        r = client.get("/v1/alerts", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    body = headon(T0, 1).iloc[:1].to_json(orient="records")
    r = client.post(
        "/v1/states",
        content=body,
        headers={**_auth(tokens["observer"]), "Content-Type": "application/json"},
    )
    assert r.status_code == 403
    store = open_store(store_url)
    revoke_party(store, "usa")
    store.close()
    assert client.get("/v1/alerts", headers=_auth(tokens["usa"])).status_code == 401
    assert client.get("/healthz").status_code == 200


def test_each_side_gets_its_own_alert(service: tuple[TestClient, dict[str, str], Live]) -> None:
    client, tokens, live = service
    events = _fly(client, tokens, live, 40)
    raised = [e for e in events if e["event"] == "raised"]
    assert {(e["id_1"], e["party_1"]) for e in raised} >= {("155001", "russia"), ("ae0001", "usa")}
    ru = client.get("/v1/alerts", headers=_auth(tokens["russia"])).json()["alerts"]
    assert ru and all(a["own"]["id"] == "155001" for a in ru)
    other = ru[0]["other"]
    assert set(other) == {"bearing_deg", "range_m", "dalt_m", "closure_mps", "time_to_los_s"}
    assert 80.0 < other["bearing_deg"] < 100.0 and other["range_m"] < 40_000.0
    assert ru[0]["frequencies_mhz"] == [121.5, 243.0] and ru[0]["agreement_version"] == "2015-10-20"
    us = client.get("/v1/alerts", headers=_auth(tokens["usa"])).json()["alerts"]
    assert us and all(a["own"]["id"] == "ae0001" for a in us)
    assert 260.0 < us[0]["other"]["bearing_deg"] < 280.0
    assert client.get("/v1/alerts", headers=_auth(tokens["turkey"])).json()["alerts"] == []
    cell = client.get("/v1/alerts", headers=_auth(tokens["cell"])).json()["alerts"]
    assert {a["id_1"] for a in cell} >= {"155001", "ae0001"}
    # the picture: own aircraft only at conflicts-only; everything for the cell
    pic = client.get("/v1/picture", headers=_auth(tokens["russia"])).json()["aircraft"]
    assert [a["id"] for a in pic] == ["155001"]
    assert len(client.get("/v1/picture", headers=_auth(tokens["cell"])).json()["aircraft"]) == 3
    # tracks: own only for a party
    assert client.get("/v1/tracks/155001", headers=_auth(tokens["russia"])).status_code == 200
    assert client.get("/v1/tracks/ae0001", headers=_auth(tokens["russia"])).status_code == 404
    assert (
        len(client.get("/v1/tracks/ae0001", headers=_auth(tokens["cell"])).json()["reports"]) == 40
    )
    alert_id = ru[0]["alert_id"]
    assert (
        client.post(f"/v1/alerts/{alert_id}/ack", headers=_auth(tokens["russia"])).status_code
        == 200
    )
    assert (
        client.post(f"/v1/alerts/{alert_id}/ack", headers=_auth(tokens["usa"])).status_code == 404
    )


def test_last_event_id_replays_what_was_missed(
    service: tuple[TestClient, dict[str, str], Live],
) -> None:
    client, tokens, live = service
    events = _fly(client, tokens, live, 40)
    mine = [e for e in events if e["party_1"] == "russia"]
    assert mine
    with client.stream(
        "GET", "/v1/alerts/stream", headers={**_auth(tokens["russia"]), "Last-Event-ID": "0"}
    ) as r:
        got = []
        for line in r.iter_lines():
            if line.startswith(": connected"):
                break
            if line.startswith("id: "):
                got.append(int(line[4:]))
            if line.startswith("data: "):
                data = json.loads(line[6:])
                assert data["own"]["id"] == "155001" and "id" not in data["other"]
    assert got == [e["seq"] for e in mine]


def test_restart_continues_the_episodes(store_url: str, tmp_path: Path) -> None:
    """A service whose process ends (its Live dropped without any shutdown) and a new one on
    the same store: the open alert keeps its alert_id and is not raised again."""
    store = open_store(store_url)
    tokens = {p: add_party(store, p) for p in PARTIES}
    config = ServiceConfig(db=store_url, agreement=Agreement.builtin("syria2015"), run_ticks=False)
    traffic = headon(T0, 130)
    first = Live(config, store)
    events: list[dict] = []
    from wellclear.store.parties import authenticate

    who = {p: authenticate(store, tokens[p]) for p in PARTIES}
    from wellclear.service.bodies import parse_states

    def feed(live: Live, seconds: range) -> list[dict]:
        out = []
        for t, now in traffic.groupby("time"):
            if int(t - T0) not in seconds:
                continue
            for party, part in now.groupby("party"):
                parsed = parse_states(
                    part.drop(columns=["party"]).to_json(orient="records").encode(),
                    None,
                    who[str(party)],
                )  # type: ignore[arg-type]
                live.accept(who[str(party)], parsed.reports, 0)  # type: ignore[arg-type]
            out += live.tick(float(t) + 0.5)
        return out

    events += feed(first, range(0, 30))
    open_before = dict(first.open_alerts)
    assert open_before, "the conflict is alerting at the cut"
    # a batch acknowledged but not yet ticked when the process ends
    del first
    second = Live(config, open_store(store_url))
    assert set(second.open_alerts) == set(open_before)
    after = feed(second, range(30, 130))  # through the pass: the alert clears
    raised_again = [e for e in after if e["event"] == "raised" and e["alert_id"] in open_before]
    assert raised_again == []
    assert any(e["alert_id"] in open_before for e in after), "the episodes continue"


def test_the_data_clock_steps_through_the_reports_own_times(store_url: str) -> None:
    """``--clock data``: the engine steps every tick of the reports' times as they come (a
    replay faster than real time is judged as it was flown), and waits when they stop."""
    store = open_store(store_url)
    token = add_party(store, "russia")
    from wellclear.service.bodies import parse_states
    from wellclear.store.parties import authenticate

    who = authenticate(store, token)
    assert who is not None
    config = ServiceConfig(
        db=store_url, agreement=Agreement.builtin("syria2015"), run_ticks=False, clock="data"
    )
    live = Live(config, store)
    assert live.next_tick() is None  # no reports yet
    traffic = headon(T0, 10).query("party == 'russia'").drop(columns=["party"])
    parsed = parse_states(traffic.iloc[:5].to_json(orient="records").encode(), None, who)
    live.accept(who, parsed.reports, 0)
    steps = []
    while (due := live.next_tick()) is not None:
        live.tick(due)
        steps.append(due)
    assert steps == [T0 + 4]  # the first step at the latest report
    parsed = parse_states(traffic.iloc[5:].to_json(orient="records").encode(), None, who)
    live.accept(who, parsed.reports, 0)
    while (due := live.next_tick()) is not None:
        live.tick(due)
        steps.append(due)
    assert steps == [T0 + k for k in range(4, 10)]
    assert live.info.ticks == 6 and live.info.aircraft == 1


def test_an_episode_between_parties_becomes_an_incident(
    service: tuple[TestClient, dict[str, str], Live],
) -> None:
    """The head-on pair passes through each other at T0 + 100 s: when its alert clears, the
    incident is classified by the scan's rules and each side sees its own side of it."""
    client, tokens, live = service
    _fly(client, tokens, live, 130)
    assert live.record_incidents() == 1
    assert live.record_incidents() == 0  # classified once
    ru = client.get("/v1/incidents", headers=_auth(tokens["russia"])).json()["incidents"]
    assert len(ru) == 1
    incident = ru[0]
    assert incident["kind"] == "nmac"
    assert incident["own"] == {"id": "155001", "callsign": "RSD101"}
    assert incident["other"] == {}  # conflicts-only: nothing of the other aircraft
    assert incident["separation"]["h_min_m"] < 100.0
    assert incident["evidence"] and {r["id"] for r in incident["evidence"]} == {"155001"}
    text = json.dumps(incident)
    assert "ae0001" not in text and "JAKE11" not in text and "usa" not in text
    one = client.get(f"/v1/incidents/{incident['incident_id']}", headers=_auth(tokens["russia"]))
    assert one.status_code == 200 and one.json() == incident
    page = client.get(
        f"/v1/incidents/{incident['incident_id']}/report", headers=_auth(tokens["russia"])
    )
    assert page.status_code == 200 and "nmac" in page.text and "ae0001" not in page.text
    us = client.get("/v1/incidents", headers=_auth(tokens["usa"])).json()["incidents"]
    assert len(us) == 1 and us[0]["own"]["id"] == "ae0001"
    assert us[0]["incident_id"] == incident["incident_id"] or us[0]["incident_id"]
    assert client.get("/v1/incidents", headers=_auth(tokens["turkey"])).json()["incidents"] == []
    cell = client.get("/v1/incidents", headers=_auth(tokens["cell"])).json()["incidents"]
    assert len(cell) == 1 and {cell[0]["id_1"], cell[0]["id_2"]} == {"155001", "ae0001"}
    assert {r["id"] for r in cell[0]["evidence"]} == {"155001", "ae0001"}
    page = client.get(
        f"/v1/incidents/{cell[0]['incident_id']}/report", headers=_auth(tokens["cell"])
    )
    # the cell's page: the rules in words, both tracks and the curve along the Hermite paths
    assert page.status_code == 200 and "<svg class='curve'" in page.text and "ae0001" in page.text
    assert (
        client.get(
            f"/v1/incidents/{incident['incident_id']}", headers=_auth(tokens["turkey"])
        ).status_code
        == 404
    )


def test_websockets(service: tuple[TestClient, dict[str, str], Live]) -> None:
    """``/v1/states/ws`` answers each batch as POST does; ``/v1/ws`` streams the caller's
    events (``after`` replays them); a bad token closes the socket before anything."""
    from starlette.websockets import WebSocketDisconnect

    client, tokens, live = service
    traffic = headon(T0, 40)
    with client.websocket_connect("/v1/states/ws", headers=_auth(tokens["russia"])) as ws:
        for _, now in traffic.groupby("time"):
            part = now[now["party"] == "russia"].drop(columns=["party"])
            ws.send_text(part.to_json(orient="records"))
            answer = ws.receive_json()
            assert answer["accepted"] == 1 and answer["batch"] is not None
        ws.send_text("[1]")
        assert "record 0" in ws.receive_json()["error"]
        bad = traffic.iloc[:1].drop(columns=["party"]).assign(lat=95.0)
        ws.send_text(bad.to_json(orient="records", lines=True))
        assert ws.receive_json()["rejected"][0]["field"] == "lat"
    with client.websocket_connect("/v1/states/ws", headers=_auth(tokens["usa"])) as ws:
        for _, now in traffic.groupby("time"):
            ws.send_text(now[now["party"] == "usa"].drop(columns=["party"]).to_csv(index=False))
            assert ws.receive_json()["accepted"] == 1
    for t in sorted(traffic["time"].unique()):
        live.tick(float(t) + 0.5)
    with client.websocket_connect("/v1/ws?after=0", headers=_auth(tokens["russia"])) as ws:
        first = ws.receive_json()
    assert first["own"]["id"] == "155001" and first["event"] == "raised"
    assert "id" not in first["other"] and first["seq"] >= 1
    for headers in ({}, _auth("wc_0123456789abcdef_" + "A" * 43)):
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            client.websocket_connect("/v1/ws", headers=headers) as ws,
        ):
            ws.receive_json()
        assert closed.value.code == 1008
