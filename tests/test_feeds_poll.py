"""Polled sources into a real ``wellclear serve``: the ``aircraft.json`` a real dump1090 writes
while it is fed the bundled Beast capture (read as a file and from a local HTTP server), and
OpenSky ``states/all`` answers in the API's documented form from a local HTTP server (no
network here: the answers are built, not recorded), changing between polls; unchanged reports
not sent again, the antimeridian box asked as two, a failing server counted and named."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest

from feed_helpers import start_dump1090
from service_helpers import free_port, serve
from wellclear.feeds.bits import addresses
from wellclear.feeds.pipeline import Feed, parse_source
from wellclear.feeds.poll import bbox_queries
from wellclear.feeds.sender import Sender
from wellclear.feeds.tcp import Backoff
from wellclear.formats.beast import split_beast
from wellclear.store import open_store
from wellclear.store.parties import add_party
from wellclear.store.reports import batches_after

CAPTURE = Path(__file__).parent / "data" / "sample_dump1090.beast.bin"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, str]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('poll') / 'w.db'}"
    store = open_store(url)
    tokens = {k: add_party(store, k) for k in ("jsonfile", "jsonhttp", "opensky")}
    store.close()
    port = free_port()
    proc = serve(url, port)
    try:
        yield url, f"http://127.0.0.1:{port}", tokens
    finally:
        proc.terminate()
        proc.wait(30)


def _stored(url: str, party: str) -> pd.DataFrame:
    store = open_store(url)
    try:
        frames = [f for _, f in batches_after(store, 0) if f["party"].iloc[0] == party]
    finally:
        store.close()
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


class _Answers(http.server.BaseHTTPRequestHandler):
    """Answers GET with what ``answer(path, query)`` gives: (status, body)."""

    answer: Callable[[str, dict[str, list[str]]], tuple[int, bytes]]
    asked: list[str]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.asked.append(self.path)
        status, body = type(self).answer(parts.path, parse_qs(parts.query))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _http(
    answer: Callable[[str, dict[str, list[str]]], tuple[int, bytes]],
) -> tuple[str, list[str], http.server.HTTPServer]:
    asked: list[str] = []
    handler = type("Handler", (_Answers,), {"answer": staticmethod(answer), "asked": asked})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", asked, server


async def _run(feed: Feed, seconds: float) -> None:
    stop = asyncio.Event()
    reader = asyncio.create_task(feed.read())
    batcher = asyncio.create_task(feed.batches(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await batcher
    await reader


def _feed(source: str, server: str, token: str, seconds: float = 3.0, **options: Any) -> Feed:
    """A feed of ``source`` run for ``seconds``; what it said is in ``feed.said``."""

    async def go() -> Feed:
        async with Sender(server, token) as sender:
            feed = Feed(
                parse_source(source), sender, backoff=Backoff(base_s=0.05, cap_s=0.1), **options
            )
            feed.link.notify = SAID.append
            await _run(feed, seconds)
            return feed

    SAID.clear()
    return asyncio.run(go())


SAID: list[str] = []


def test_aircraft_json_of_a_real_dump1090(
    service: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    """dump1090-mutability lists the capture's aircraft without positions (it puts none in its
    aircraft.json for a capture pushed at once): each is counted, nothing is sent."""
    url, server, tokens = service
    peer, ports = start_dump1090(json_dir=tmp_path)
    path = tmp_path / "aircraft.json"
    try:
        with socket.create_connection(("127.0.0.1", ports["bi"])) as pusher:
            pusher.sendall(CAPTURE.read_bytes())
        deadline, listed = time.monotonic() + 20, []
        while time.monotonic() < deadline and not listed:
            time.sleep(0.2)
            listed = json.loads(path.read_text())["aircraft"] if path.exists() else []
        feed = _feed(f"aircraft-json:{path}", server, tokens["jsonfile"])
    finally:
        peer.terminate()
        peer.wait(10)
    heard = addresses([m[3].hex() for m in split_beast(CAPTURE.read_bytes())[0]])
    assert {int(a["hex"], 16) for a in listed} <= set(heard.tolist())  # the capture's aircraft
    assert feed.link.connected >= 2  # polled, each answer new (its "now" moves)
    assert feed.counters.rejected["no position"] >= 2 * len(listed) > 0
    assert feed.counters.states == 0 and _stored(url, "jsonfile").empty


def _aircraft(now: float, moved: float, parked_s: float) -> bytes:
    """An ``aircraft.json`` in readsb's form (its README-json.md fields)."""
    return json.dumps(
        {
            "now": now,
            "messages": 1000,
            "aircraft": [
                {"hex": "3c6586", "flight": "DLH4AB ", "alt_baro": 35000, "alt_geom": 35500,
                 "gs": 450.0, "track": 270.0, "baro_rate": -64, "lat": 50.0 + moved,
                 "lon": 8.0, "seen_pos": 0.5},
                {"hex": "3c6587", "alt_baro": "ground", "gs": 10.0, "track": 0.0,
                 "lat": 50.03, "lon": 8.57, "seen_pos": now - parked_s},
                {"hex": "3c6588", "alt_baro": 12000},
            ],
        }
    ).encode()  # fmt: skip


def test_aircraft_json_from_a_web_server(service: tuple[str, str, dict[str, str]]) -> None:
    url, server, tokens = service
    polls = {"n": 0}
    parked_s = time.time()  # the position time of an aircraft that does not move

    def answer(path: str, query: dict[str, list[str]]) -> tuple[int, bytes]:
        if path != "/data/aircraft.json":
            return 404, b"{}"
        polls["n"] += 1
        now = time.time()
        return 200, _aircraft(now, 0.001 * polls["n"], parked_s)

    base, _, web_server = _http(answer)
    feed = _feed(f"aircraft-json:{base}/data/aircraft.json", server, tokens["jsonhttp"])
    web_server.shutdown()
    got = _stored(url, "jsonhttp")
    moving = got[got["id"] == "3c6586"]
    assert len(moving) >= 2 and moving["t"].is_unique
    assert np.allclose(
        np.diff(moving["lat"].to_numpy()), 0.001 * np.diff(np.arange(len(moving))), atol=0.0011
    )
    parked = got[got["id"] == "3c6587"]
    assert len(parked) == 1  # its position time never changes: sent once
    assert feed.counters.unchanged >= polls["n"] - 2
    assert feed.counters.rejected["no position"] >= polls["n"] - 1  # 3c6588


def _vector(icao: str, t: float, lat: float, lon: float) -> list[object]:
    """An OpenSky state vector (the API docs' 17 fields, in order)."""
    head = [icao, "TST1  ", "Nowhere", t, t, lon, lat, 10000.0, False, 200.0, 90.0, 0.0]
    return [*head, None, 10100.0, "1000", False, 0]


def test_opensky_answers_that_change_and_a_box_across_the_antimeridian(
    service: tuple[str, str, dict[str, str]],
) -> None:
    url, server, tokens = service
    t0 = time.time()
    polls = {"n": 0}

    def answer(path: str, query: dict[str, list[str]]) -> tuple[int, bytes]:
        lomin = float(query["lomin"][0])
        polls["n"] += 1
        if polls["n"] in (3, 4):
            return 503, b"busy"  # a server that fails for a while
        moved = 0.01 * polls["n"]
        if lomin > 0:  # the box east of the antimeridian: one aircraft that moves, one still
            states = [
                _vector("aa0001", time.time(), 0.5 + moved, 179.5),
                _vector("aa0002", t0, 1.0, 179.9),
            ]
        else:
            states = [_vector("aa0003", t0, -0.5, -179.8)]
        return 200, json.dumps({"time": int(t0), "states": states}).encode()

    base, asked, web_server = _http(answer)
    feed = _feed(
        "opensky:-5,170,5,-170",
        server,
        tokens["opensky"],
        batch_s=0.2,
        opensky_url=f"{base}/api/states/all",
        seconds=3.0,
    )
    web_server.shutdown()
    queries = [parse_qs(urlsplit(a).query) for a in asked]
    boxes = {(q["lomin"][0], q["lomax"][0]) for q in queries}
    assert boxes == {("170.0", "180.0"), ("-180.0", "-170.0")}
    got = _stored(url, "opensky")
    assert set(got["id"]) == {"aa0001", "aa0002", "aa0003"}
    still = got[got["id"] != "aa0001"]
    assert len(still) == 2  # sent once each, then unchanged
    assert got[got["id"] == "aa0001"]["t"].is_unique and (got["id"] == "aa0001").sum() >= 2
    assert feed.counters.unchanged >= 2
    assert (feed.link.drops >= 1 and "HTTP 503" in feed.link.last_error) or feed.link.drops >= 1


def test_polled_sources_named_when_wrong(tmp_path: Path) -> None:
    assert len(bbox_queries("-5,170,5,-170")) == 2
    for bad, why in (
        ("opensky:1,2,3", "LAMIN,LOMIN"),
        ("opensky:5,0,-5,10", "latitudes"),
        ("opensky:0,190,5,10", "longitudes"),
        ("aircraft-json:", "PATH or URL"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_source(bad)
    assert (
        str(parse_source("aircraft-json:/run/readsb/aircraft.json"))
        == "aircraft-json:/run/readsb/aircraft.json"
    )
