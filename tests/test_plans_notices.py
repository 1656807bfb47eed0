"""Notices of planned operations through real ``wellclear serve`` processes killed with kill -9
(SQLite and PostgreSQL): stored before they are pushed, so a subscriber reconnecting with
``Last-Event-ID`` gets exactly what it missed, across the kill, and one connected gets each new
notice pushed; and conformance monitoring runs from the start of the service: after the
restart, an activated operation whose aircraft leaves its volume becomes Nonconforming with no
request to ``/v1/operations`` at all (the store says so)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from service_helpers import free_port, serve
from wellclear.store import open_store
from wellclear.store.parties import add_party
from wellclear.store.plans import operations

CENTRE = (36.0, 37.0)


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    return serve(url, port, "--tick", "0.5s", "--agreement", "syria2015")


def _report(client: httpx.Client, lat: float) -> None:
    row = {
        "icao24": "155001",
        "callsign": "RSD101",
        "time": time.time(),
        "lat": lat,
        "lon": CENTRE[1],
        "heading": 0.0,
        "baroaltitude": 1000.0,
        "velocity": 100.0,
        "vertrate": 0.0,
        "onground": False,
    }
    assert client.post("/v1/states", json=[row]).status_code == 200


def _until(check: Callable[[], bool], client: httpx.Client, lat: float) -> None:
    """Report the aircraft at ``lat`` twice a second until ``check()`` holds (30 s at most)."""
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, "no change of state"
        _report(client, lat)
        time.sleep(0.5)


def _frames(lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any]] | None]:
    """SSE frames: (id, notice), and None at ``: connected``."""
    seq = None
    for line in lines:
        if line.startswith(": connected"):
            yield None
        elif line.startswith("id: "):
            seq = int(line[4:])
        elif line.startswith("data: "):
            assert seq is not None
            yield seq, json.loads(line[6:])


def _missed(base: str, token: str, after: int) -> list[tuple[int, dict[str, Any]]]:
    """What a subscriber reconnecting with ``Last-Event-ID: after`` is sent before it is
    connected."""
    headers = {"Authorization": f"Bearer {token}", "Last-Event-ID": str(after)}
    out = []
    with httpx.stream(
        "GET", f"{base}/v1/operations/notices/stream", headers=headers, timeout=30
    ) as r:
        assert r.status_code == 200
        for frame in _frames(r.iter_lines()):
            if frame is None:
                return out
            out.append(frame)
    raise AssertionError("the stream ended before it was connected")


def _state(url: str, op_id: str) -> str:
    store = open_store(url, migrate=False)
    try:
        return next(state for i, _party, state, _b in operations(store) if i == op_id)
    finally:
        store.close()


def test_notices_survive_kill_9_and_conformance_runs_from_the_start(store_url: str) -> None:
    store = open_store(store_url)
    tokens = {p: add_party(store, p) for p in ("russia", "usa")}
    store.close()
    auth = {p: {"Authorization": f"Bearer {t}"} for p, t in tokens.items()}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    now = time.time()
    window = {"start": now - 600, "end": now + 3600, "alt_lo_m": 0, "alt_hi_m": 3000}
    lat, lon = CENTRE
    ring = [[lat, lon], [lat, lon + 0.2], [lat + 0.2, lon + 0.2], [lat + 0.2, lon]]
    proc = _serve(store_url, port)
    try:
        with httpx.Client(base_url=base, headers=auth["usa"], timeout=30) as usa:
            theirs = {"volumes": [{"polygon": ring, **window}], "priority": 1, "mission": "x"}
            assert usa.post("/v1/operations", json=theirs).status_code == 200
        with httpx.Client(base_url=base, headers=auth["russia"], timeout=30) as russia:
            circle = {"lat": lat, "lon": lon, "radius_m": 5000}
            mine = {"volumes": [{"circle": circle, **window}], "priority": 2}
            r = russia.post("/v1/operations", json=mine | {"aircraft": ["155001"]})
            assert r.status_code == 200, r.text
            op_id = r.json()["id"]
            path = f"/v1/operations/{op_id}/state"
            assert russia.post(path, json={"state": "Activated"}).status_code == 200
            _until(lambda: _state(store_url, op_id) == "Nonconforming", russia, lat + 0.2)
            _until(lambda: _state(store_url, op_id) == "Activated", russia, lat + 0.01)
            before = _missed(base, tokens["russia"], 0)
            usa_before = _missed(base, tokens["usa"], 0)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert [n["state"] for _, n in before] == ["Nonconforming", "Activated"]
    assert {n["operation"] for _, n in before} == {op_id}
    assert len(usa_before) == 1 and usa_before[0][1]["conflict_with_new_operation"]

    proc = _serve(store_url, port)
    try:
        with httpx.Client(base_url=base, headers=auth["russia"], timeout=30) as russia:
            # no request to /v1/operations: the store alone says the state changed
            _until(lambda: _state(store_url, op_id) == "Nonconforming", russia, lat + 0.2)
            last = before[-1][0]
            headers = {**auth["russia"], "Last-Event-ID": str(last)}
            with httpx.stream(
                "GET", f"{base}/v1/operations/notices/stream", headers=headers, timeout=30
            ) as r:
                frames = _frames(r.iter_lines())
                missed = []
                for frame in frames:
                    if frame is None:
                        break
                    missed.append(frame)
                assert [n["state"] for _, n in missed] == ["Nonconforming"]
                assert missed[0][0] > last
                _report(russia, lat + 0.01)  # back inside, while the stream is open: pushed
                pushed = next(frames)
                assert pushed is not None and pushed[1]["state"] == "Activated"
                assert pushed[0] > missed[0][0]
        everything = _missed(base, tokens["russia"], 0)
        assert everything == [*before, *missed, pushed]
        assert _missed(base, tokens["russia"], pushed[0]) == []
        assert _missed(base, tokens["usa"], 0) == usa_before  # none of russia's conformance
        with httpx.Client(base_url=base, headers=auth["russia"], timeout=30) as russia:
            polled = russia.get("/v1/operations/notices", params={"after": last}).json()
            assert [(n["id"], n) for n in polled["notices"]] == [*missed, pushed]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
