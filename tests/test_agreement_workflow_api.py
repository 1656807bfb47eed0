"""The agreement's workflow end to end through the API with real Ed25519 keys: draft, counter,
accept, in force, the engine switching its alerter at the next tick (an alert appears because
the minima grew), suspend, withdraw; the history verified offline; forged and tampered steps
refused."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service_helpers import T0, headon
from wellclear.agreement import Agreement
from wellclear.agreement.history import History
from wellclear.agreement.signing import generate, public_b64, sign
from wellclear.agreement.workflow import signed, unsigned
from wellclear.cli import app as cli_app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store import open_store
from wellclear.store.parties import add_party

KEYS = {p: generate() for p in ("russia", "usa")}
TRAFFIC = headon(T0, 30)


def document(version: int, alerter: str) -> str:
    return (
        f"id: syria\nversion: {version}\nparties:\n"
        f"  - {{name: russia, state: RUS, key: {public_b64(KEYS['russia'])}}}\n"
        f"  - {{name: usa, state: USA, key: {public_b64(KEYS['usa'])}}}\n"
        f"alerting: {{alerter: {alerter}}}\nconflicts: {{between_parties: false}}\n"
    )


def step(
    client: TestClient,
    token: str,
    action: str,
    party: str,
    key: Ed25519PrivateKey,
    doc: str | None = None,
    reason: str | None = None,
) -> Any:
    """Sign the next step as a party's own client would: on the history the service gives."""
    auth = {"Authorization": f"Bearer {token}"}
    history = History.from_json(client.get("/v1/agreements/history", headers=auth).json(), "api")
    s = history.add(action, party, key, doc, reason)
    return client.post(
        "/v1/agreements/steps", json={"step": asdict(s), "document": doc}, headers=auth
    )


def test_workflow_through_the_api_switches_the_engine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(url)
    tokens = {p: add_party(store, p) for p in ("russia", "usa")}
    tokens["cell"] = add_party(store, "cell", "cell")
    store.close()
    start = Agreement.from_yaml(document(0, "do365"))
    app = create_app(ServiceConfig(db=url, agreement=start, run_ticks=False))
    with TestClient(app) as client:
        live = app.state.live
        auth = {p: {"Authorization": f"Bearer {t}"} for p, t in tokens.items()}
        times = iter(sorted(TRAFFIC["time"].unique()))

        def fly(n: int) -> None:
            for _ in range(n):
                t = next(times)
                for party, part in TRAFFIC[TRAFFIC["time"] == t].groupby("party"):
                    if party in tokens:
                        body = part.drop(columns=["party"]).to_json(orient="records")
                        r = client.post("/v1/states", content=body, headers=auth[str(party)])
                        assert r.status_code == 200
                live.tick(float(t) + 0.5)

        fly(5)  # 36 km apart, 95 s to the closest point: DO-365 does not alert yet
        assert live.open_alerts == {}
        assert (
            step(
                client, tokens["russia"], "draft", "russia", KEYS["russia"], document(1, "do365")
            ).status_code
            == 200
        )
        assert (
            step(client, tokens["russia"], "propose", "russia", KEYS["russia"]).status_code == 200
        )
        r = step(client, tokens["usa"], "counter", "usa", KEYS["usa"], document(2, "cylinder"))
        assert r.status_code == 200 and r.json()["workflow"] == "no version in force"
        r = step(client, tokens["russia"], "accept", "russia", KEYS["russia"])
        assert r.status_code == 200 and r.json()["workflow"] == "in force: version 2"
        assert live.version == "0"  # not before the tick boundary
        fly(1)  # 5 NM / 180 s cylinder: the pair alerts at once, judged under version 2
        # one alert for each aircraft of the pair
        assert [e["agreement_version"] for e in live.open_alerts.values()] == ["2", "2"]
        health = client.get("/healthz").json()["agreement"]
        assert health == {"id": "syria", "version": "2", "status": "in force"}
        alerts = client.get("/v1/alerts", headers=auth["usa"]).json()["alerts"]
        assert [(a["agreement_version"], a["agreement_status"]) for a in alerts] == [
            ("2", "in force")
        ]

        # refused: a step signed by a key not in the agreement, a step in another's name,
        # a tampered document
        history = History.from_json(
            client.get("/v1/agreements/history", headers=auth["usa"]).json(), "api"
        )
        state = history.verify()
        v2 = history.parsed()[state.in_force or ""]
        s = unsigned(state, "suspend", "usa", v2, "2015-10-20T00:00:00Z", None)
        by_intruder = signed(s, sign(generate(), s.message()))
        r = client.post(
            "/v1/agreements/steps", json={"step": asdict(by_intruder)}, headers=auth["usa"]
        )
        assert r.status_code == 409 and "signature refused: not made by usa's key" in r.text
        r = step(client, tokens["usa"], "suspend", "russia", KEYS["russia"])
        assert r.status_code == 403 and "signs its own steps only" in r.text
        changed = asdict(signed(s, sign(KEYS["usa"], s.message()))) | {"reason": "changed"}
        r = client.post("/v1/agreements/steps", json={"step": changed}, headers=auth["usa"])
        assert r.status_code == 409 and "signature refused" in r.text

        # a document changed after it was signed (the step signs its canonical form's hash)
        history = History.from_json(
            client.get("/v1/agreements/history", headers=auth["usa"]).json(), "api"
        )
        s3 = history.add("draft", "usa", KEYS["usa"], document(3, "do365"))
        tampered = document(3, "do365").replace("do365", "cylinder")
        r = client.post(
            "/v1/agreements/steps",
            json={"step": asdict(s3), "document": tampered},
            headers=auth["usa"],
        )
        assert r.status_code == 409 and "the document of version 3 was changed" in r.text, r.text

        r = step(client, tokens["russia"], "suspend", "russia", KEYS["russia"], reason="Shayrat")
        assert r.status_code == 200
        fly(1)
        status = "suspended by russia: running on the last version in force"
        assert client.get("/healthz").json()["agreement"]["status"] == status
        alerts = client.get("/v1/alerts", headers=auth["russia"]).json()["alerts"]
        assert [(a["agreement_version"], a["agreement_status"]) for a in alerts] == [("2", status)]
        r = step(client, tokens["usa"], "withdraw", "usa", KEYS["usa"])
        assert r.json()["workflow"] == "withdrawn by usa"
        fly(1)
        assert client.get("/healthz").json()["agreement"]["status"].startswith("withdrawn by usa")
        view = client.get("/v1/agreements", headers=auth["cell"]).json()
        assert [v["status"] for v in view["versions"]] == ["countered", "suspended"]
        offline = client.get("/v1/agreements/history", headers=auth["cell"]).json()
    assert History.from_json(offline, "downloaded").verify().steps == 6
    # and with the command line, offline, as a party would check what it downloaded
    hist = tmp_path / "downloaded.json"
    hist.write_text(json.dumps(offline))
    result = CliRunner().invoke(cli_app, ["agreement", "verify", str(hist)])
    assert result.exit_code == 0 and "verified, 6 steps; withdrawn by usa" in result.stdout
    first = next(iter(offline["documents"]))
    offline["documents"][first] = offline["documents"][first].replace("do365", "cylinder")
    hist.write_text(json.dumps(offline))
    result = CliRunner().invoke(cli_app, ["agreement", "verify", str(hist)])
    assert result.exit_code == 2 and "step 1 (draft of version 1 by russia)" in result.stderr
    # a restart runs on the stored history's last version in force, not the one given at start
    app = create_app(ServiceConfig(db=url, agreement=start, run_ticks=False))
    with TestClient(app) as client:
        assert client.get("/healthz").json()["agreement"]["version"] == "2"
