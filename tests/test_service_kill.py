"""A real ``wellclear serve`` process killed with kill -9 while a party posts: after a restart
on the same store every acknowledged batch is there (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import random
import signal
import time

import httpx
import pytest

from service_helpers import free_port, replay_headon, serve, serve_data
from wellclear.store import open_store
from wellclear.store.parties import add_party


def _batch(k: int, now: float) -> list[dict[str, object]]:
    return [
        {
            "icao24": f"a{k:05x}",
            "time": now - 5 + j,
            "lat": 35.0 + 0.01 * j,
            "lon": 36.0,
            "baroaltitude": 5000.0,
            "velocity": 200.0,
            "heading": 90.0,
            "vertrate": 0.0,
        }
        for j in range(5)
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_acknowledged_batches_survive_kill_9(store_url: str, seed: int) -> None:
    store = open_store(store_url)
    token = add_party(store, "russia")
    cell = add_party(store, "cell", "cell")
    store.close()
    port = free_port()
    proc = serve(store_url, port, "--tick", "0.5s")
    rng = random.Random(seed)
    kill_at = time.monotonic() + rng.uniform(0.5, 3.0)
    acked: list[int] = []
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        k = 0
        while time.monotonic() < kill_at:
            r = client.post("/v1/states", json=_batch(k, time.time()))
            assert r.status_code == 200, r.text
            assert r.json()["accepted"] == 5
            acked.append(k)
            k += 1
        # one more in flight while the process dies: it may or may not land, never half
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert acked
    proc = serve(store_url, port, "--tick", "0.5s")
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {cell}"}) as client:
            for k in acked:
                r = client.get(f"/v1/tracks/a{k:05x}")
                assert r.status_code == 200, (k, r.text)
                assert len(r.json()["reports"]) == 5
            assert client.get("/healthz").json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _stream(base: str, token: str, after: int) -> list[tuple[int, dict]]:
    import json

    out = []
    headers = {"Authorization": f"Bearer {token}", "Last-Event-ID": str(after)}
    with httpx.stream("GET", f"{base}/v1/alerts/stream", headers=headers, timeout=30) as r:
        seq = None
        for line in r.iter_lines():
            if line.startswith(": connected"):
                break
            if line.startswith("id: "):
                seq = int(line[4:])
            if line.startswith("data: "):
                out.append((seq, json.loads(line[6:])))
    return out


def test_alerts_continue_across_kill_9_and_last_event_id_replays(store_url: str) -> None:
    """kill -9 while the head-on pair is alerting; after a restart its alert continues (same
    alert_id, no second 'raised'), and Last-Event-ID replays exactly what came after."""
    store = open_store(store_url)
    tokens = {p: add_party(store, p) for p in ("russia", "usa", "turkey")}
    store.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve_data(store_url, port)
    replay_headon(base, tokens, range(0, 60))
    before = _stream(base, tokens["russia"], 0)
    kinds = [e["event"] for _, e in before]
    assert kinds[0] == "raised" and "cleared" not in kinds  # alerting at the kill
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc = serve_data(store_url, port)
    try:
        replay_headon(base, tokens, range(60, 130))
        last = before[-1][0]
        after = _stream(base, tokens["russia"], last)
        alert_id = before[0][1]["alert_id"]
        assert after and all(seq > last for seq, _ in after)
        assert not [e for _, e in after if e["event"] == "raised" and e["alert_id"] == alert_id]
        assert [e["event"] for _, e in after if e["alert_id"] == alert_id][-1] == "cleared"
        everything = _stream(base, tokens["russia"], 0)
        assert everything == before + after
    finally:
        proc.terminate()
        proc.wait(timeout=30)
