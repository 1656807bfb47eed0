"""The web page's paths without a browser: the page and its assets need no token (and serve
nothing but the built files), the session names the caller and the agreement in force with its
zones (not whom they bind), the replay answers only within the last hour and draws on the
stored reports."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service_helpers import T0, headon, post_each_second
from wellclear.agreement import Agreement
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store import open_store
from wellclear.store.parties import add_party

TRAFFIC = headon(T0, 20)


@pytest.fixture
def served(tmp_path: object) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = f"sqlite:///{tmp_path}/wellclear.db"
    store = open_store(url)
    tokens = {p: add_party(store, p) for p in ("russia", "usa", "turkey")}
    tokens["cell"] = add_party(store, "cell", "cell")
    store.close()
    config = ServiceConfig(db=url, agreement=Agreement.builtin("syria2015"), run_ticks=False)
    app = create_app(config)
    with TestClient(app) as client:
        for _ in post_each_second(client, app.state.live.tick, TRAFFIC, tokens):
            pass
        yield client, tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_page_and_its_assets_need_no_token_and_serve_only_built_files(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = served
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/web/app.js">' in page.text
    for name, media in (("app.js", "text/javascript"), ("app.css", "text/css")):
        r = client.get(f"/web/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    land = client.get("/web/land.json").json()
    assert land["type"] == "FeatureCollection" and land["features"]
    sovereign = client.get("/web/sovereign.json").json()
    names = {f["properties"]["name"] for f in sovereign["features"]}
    assert len(names) > 200 and any("Turkey" in n or "TUR" in n for n in names)
    for bad in ("..%2Fapp.py", ".hidden.js", "index.html", "nothing.js", "__init__.py"):
        assert client.get(f"/web/{bad}").status_code == 404, bad
    assert client.get("/v1/web/session").status_code == 401


def test_the_session_names_the_caller_and_the_agreement_in_force(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = served
    got = client.get("/v1/web/session", headers=_auth(tokens["usa"])).json()
    assert (got["name"], got["role"]) == ("usa", "party")
    assert got["agreement"]["id"] == "syria2015"
    assert got["agreement"]["version"] == "2015-10-20"
    assert got["agreement"]["sharing"] == "conflicts-only"
    assert got["agreement"]["frequencies_mhz"] == [121.5, 243.0]
    zones = got["zones"]["features"]
    assert len(zones) == 1 and zones[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    text = json.dumps(got["zones"])
    assert "russia" not in text and "binds" not in text  # whom a zone binds names a party


def test_the_replay_draws_on_stored_reports_within_the_last_hour(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = served
    at = T0 + 5.0
    russia = client.get("/v1/web/replay", params={"t": at}, headers=_auth(tokens["russia"]))
    assert russia.status_code == 200
    (own,) = russia.json()["aircraft"]  # its own aircraft only, at conflicts-only
    assert (own["id"], own["t_unix"], own["alt_m"]) == ("155001", at, 5000.0)
    cell = client.get("/v1/web/replay", params={"t": at}, headers=_auth(tokens["cell"])).json()
    assert {a["id"] for a in cell["aircraft"]} == {"155001", "ae0001", "4b8001"}
    assert {a["t_unix"] for a in cell["aircraft"]} == {at}
    early = client.get("/v1/web/replay", params={"t": T0 - 3700.0}, headers=_auth(tokens["cell"]))
    assert early.status_code == 400 and "outside the last hour" in early.json()["detail"]
    none = client.get("/v1/web/replay", params={"t": T0 - 600.0}, headers=_auth(tokens["cell"]))
    assert none.json()["aircraft"] == []
