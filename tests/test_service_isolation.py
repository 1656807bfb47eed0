"""Party isolation as a property over the whole API: every path of ``/openapi.json`` called as
every role with generated parameters; no answer to a party holds another party's aircraft
(id, callsign, party name, position) beyond what its own alerts disclose, at every sharing
level; the cell and observers see everything; missing or bad tokens get 401 everywhere."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service_helpers import T0, headon, numbers_in, post_each_second
from wellclear.agreement import Agreement
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store import open_store
from wellclear.store.parties import add_party

PARTIES = ("russia", "usa", "turkey")
TRAFFIC = headon(T0, 130)  # the head-on pair passes at T0 + 100 s: alerts, then an incident
AIRCRAFT = {
    party: {
        "ids": sorted(set(part["icao24"])),
        "callsigns": sorted(set(part["callsign"])),
        "positions": set(zip(part["lat"].round(6), part["lon"].round(6), strict=True)),
    }
    for party, part in TRAFFIC.groupby("party")
}

SHARING = {
    "conflicts-only": "sharing: {level: conflicts-only}",
    "coarse": "sharing: {level: coarse, grid: 0.5deg, delay: 10s}",
    "full": "sharing: {level: full}",
}


def _agreement(level: str) -> Agreement:
    text = Agreement.builtin("syria2015").to_yaml()
    text = re.sub(r"(?ms)^sharing:.*?(?=^\S)", SHARING[level] + "\n", text)
    return Agreement.from_yaml(text)


@pytest.fixture(params=sorted(SHARING))
def served(
    request: pytest.FixtureRequest, store_url: str
) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    store = open_store(store_url)
    tokens = {p: add_party(store, p) for p in PARTIES}
    tokens["cell"] = add_party(store, "cell", "cell")
    tokens["observer"] = add_party(store, "observer", "observer")
    store.close()
    agreement = _agreement(request.param)
    assert agreement.sharing.level == request.param
    app = create_app(ServiceConfig(db=store_url, agreement=agreement, run_ticks=False))
    with TestClient(app) as client:
        live = app.state.live
        for t in post_each_second(client, live.tick, TRAFFIC, tokens):
            if t == T0 + 60:
                assert live.open_alerts, "the head-on pair is alerting"
        assert live.record_incidents() == 1
        yield client, tokens, request.param


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _calls(client: TestClient, token: str) -> Iterator[tuple[str, str, Any]]:
    """Every operation of the OpenAPI document with generated parameters: each path
    parameter takes every aircraft id, alert id and a made-up value."""
    spec = client.get("/openapi.json").json()
    auth = {"Authorization": f"Bearer {token}"}
    values = [a for p in AIRCRAFT.values() for a in p["ids"]] + ["zzzzzz", "../x"]
    events = []
    with client.stream("GET", "/v1/alerts/stream", headers={**auth, "Last-Event-ID": "0"}) as r:
        for line in r.iter_lines():
            if line.startswith(": connected"):
                break
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    values += sorted({e["alert_id"] for e in events})
    values += [
        i["incident_id"] for i in client.get("/v1/incidents", headers=auth).json()["incidents"]
    ]
    for path, ops in spec["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        for method in ops:
            for combo in itertools.product(values, repeat=len(names)) if names else [()]:
                url = path
                for name, v in zip(names, combo, strict=True):
                    url = url.replace("{" + name + "}", v)
                yield method.upper(), url, combo


def _request(client: TestClient, method: str, url: str, token: str | None, party: str) -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    if url.endswith("/stream"):
        headers["Last-Event-ID"] = "0"
        texts = []
        with client.stream("GET", url, headers=headers) as r:
            if r.status_code != 200:
                r.read()
                return r.status_code, r.json()
            for line in r.iter_lines():
                if line.startswith(": connected"):
                    break
                if line.startswith("data: "):
                    texts.append(json.loads(line[6:]))
        return 200, texts
    if method == "POST" and url == "/v1/states":
        own = TRAFFIC[TRAFFIC["party"] == party].iloc[:1].drop(columns=["party"])
        r = client.post(
            url, content=own.assign(time=T0 + 100).to_json(orient="records"), headers=headers
        )
    else:
        r = client.request(method, url, headers=headers, params={"since": T0})
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text


def test_no_party_sees_another_beyond_its_alerts_and_the_cell_sees_all(
    served: tuple[TestClient, dict[str, str], str],
) -> None:
    client, tokens, level = served
    checked = 0
    for party in PARTIES:
        others = [p for p in PARTIES if p != party]
        ids = {i for p in others for i in AIRCRAFT[p]["ids"]}
        callsigns = {c for p in others for c in AIRCRAFT[p]["callsigns"]}
        positions = {xy for p in others for xy in AIRCRAFT[p]["positions"]}
        for method, url, _ in _calls(client, tokens["cell"]):
            _status, body = _request(client, method, url, tokens[party], party)
            strings = set(_strings(body))
            numbers = {round(x, 6) for x in numbers_in(body)}
            leaked_ids = {s for s in strings for i in ids if i in s}
            if level == "full":
                # full sharing: the others' identities are disclosed (checked below)
                continue
            assert not leaked_ids, (party, method, url, leaked_ids)
            assert not strings & callsigns, (party, method, url)
            if level == "conflicts-only":
                assert not strings & set(others), (party, method, url)
            exact = {xy for xy in positions if xy[0] in numbers and xy[1] in numbers}
            assert not exact, (party, method, url, exact)
            checked += 1
    if level == "full":
        picture = client.get("/v1/picture", headers={"Authorization": f"Bearer {tokens['usa']}"})
        assert {a["id"] for a in picture.json()["aircraft"]} == {"155001", "ae0001", "4b8001"}
        incidents = client.get(
            "/v1/incidents", headers={"Authorization": f"Bearer {tokens['usa']}"}
        )
        assert [i["other"]["id"] for i in incidents.json()["incidents"]] == ["155001"]
    else:
        assert checked > 20
    # one flight per sharing level serves both properties (it is the costly part)
    _cell_sees_everything_and_tokens_are_required(client, tokens)


def _cell_sees_everything_and_tokens_are_required(
    client: TestClient, tokens: dict[str, str]
) -> None:
    cell = client.get("/v1/incidents", headers={"Authorization": f"Bearer {tokens['cell']}"})
    assert [{i["id_1"], i["id_2"]} for i in cell.json()["incidents"]] == [{"155001", "ae0001"}]
    picture = client.get("/v1/picture", headers={"Authorization": f"Bearer {tokens['observer']}"})
    assert {a["id"] for a in picture.json()["aircraft"]} == {"155001", "ae0001", "4b8001"}
    for method, url, combo in _calls(client, tokens["cell"]):
        if not url.startswith("/v1/") or any("/" in v for v in combo):
            continue  # (a value with '/' makes another path, which may not exist: 404)
        for token in (None, "wc_0123456789abcdef_" + "A" * 43):
            status, _body = _request(client, method, url, token, "russia")
            assert status == 401, (method, url)
