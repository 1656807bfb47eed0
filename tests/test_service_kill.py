"""A real ``wellclear serve`` process killed with kill -9 while a party posts: after a restart
on the same store every acknowledged batch is there (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from wellclear.store import open_store
from wellclear.store.parties import add_party

WELLCLEAR = str(Path(sys.executable).with_name("wellclear"))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [WELLCLEAR, "serve", "--db", url, "--port", str(port), "--tick", "0.5s"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError(
                f"serve ended: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("serve did not start")


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
    port = _port()
    proc = _serve(store_url, port)
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
    proc = _serve(store_url, port)
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
