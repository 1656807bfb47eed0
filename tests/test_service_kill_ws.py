"""A WebSocket subscriber of ``/v1/ws`` on a real ``wellclear serve`` process killed with
kill -9 while it listens: it reconnects after the restart with ``?after=`` the last ``seq`` it
received and gets exactly what it missed, each event once (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from service_helpers import free_port, replay_headon, serve_data
from wellclear.store import open_store
from wellclear.store.parties import add_party


def _listen(url: str, token: str, out: list[dict[str, Any]], quiet_s: float | None) -> None:
    """Append every message of the socket to ``out`` until it closes (or, with ``quiet_s``,
    until that long without a message)."""
    with connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        try:
            while True:
                out.append(json.loads(ws.recv(timeout=quiet_s)))
        except (ConnectionClosed, TimeoutError):
            return


@pytest.mark.parametrize("seed", [5])
def test_a_websocket_subscriber_resumes_after_kill_9(store_url: str, seed: int) -> None:
    store = open_store(store_url)
    tokens = {p: add_party(store, p) for p in ("russia", "usa", "turkey")}
    store.close()
    port = free_port()
    base, ws = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/v1/ws"
    kill_after = random.Random(seed).randint(45, 75)  # seconds of traffic: while alerting
    proc = serve_data(store_url, port)
    live: list[dict[str, Any]] = []
    listener = threading.Thread(target=_listen, args=(ws, tokens["russia"], live, None))
    listener.start()
    try:
        replay_headon(base, tokens, range(0, kill_after))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    listener.join(timeout=30)
    assert not listener.is_alive(), "the socket did not close when the process died"
    assert live and live[0]["event"] == "raised", live
    proc = serve_data(store_url, port)
    try:
        replay_headon(base, tokens, range(kill_after, 130))  # missed: nobody listening
        last = live[-1]["seq"]
        missed: list[dict[str, Any]] = []
        _listen(f"{ws}?after={last}", tokens["russia"], missed, 1.0)
        everything: list[dict[str, Any]] = []
        _listen(f"{ws}?after=0", tokens["russia"], everything, 1.0)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert missed and all(e["seq"] > last for e in missed)
    assert live + missed == everything  # nothing lost, nothing twice, in order
    alert_id = live[0]["alert_id"]
    assert [e["event"] for e in everything if e["alert_id"] == alert_id].count("raised") == 1
    assert [e["event"] for e in missed if e["alert_id"] == alert_id][-1] == "cleared"
    assert all("ae0001" not in json.dumps(e) for e in everything)  # the other side's aircraft
