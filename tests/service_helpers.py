"""Traffic for the service tests: a head-on conflict between two parties' aircraft and a
third party's aircraft far away, reported once a second."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

T0 = 1_443_859_200.0  # 2015-10-03T08:00:00Z
SECRET = {"tr": ("4b8001", "THY1F", 36.813, 38.521)}  # turkey's aircraft: must never leak


def headon(t_start: float, seconds: int) -> pd.DataFrame:
    """Russia's RU1 eastbound and the coalition's US1 westbound at 5,000 m, 40 km apart at
    T0, closing at 400 m/s; Turkey's aircraft loitering 150 km away."""
    rows = []
    lat = 35.537
    m_per_deg = 111_320.0 * np.cos(np.radians(lat))
    for k in range(seconds):
        t = t_start + k
        dt = t - T0
        rows.append(("155001", "russia", "RSD101", t, lat, 36.013 + 200.0 * dt / m_per_deg, 90.0))
        rows.append(
            # 11 m north of RU1's line, so that no position of one is ever a position of the other
            (
                "ae0001",
                "usa",
                "JAKE11",
                t,
                lat + 1e-4,
                36.013 + (40_000.0 - 200.0 * dt) / m_per_deg,
                270.0,
            )
        )
        ident, callsign, la, lo = SECRET["tr"]
        rows.append((ident, "turkey", callsign, t, la, lo + 1e-5 * dt, 0.0))
    frame = pd.DataFrame(
        rows, columns=["icao24", "party", "callsign", "time", "lat", "lon", "heading"]
    )
    frame["baroaltitude"] = 5000.0
    frame["velocity"] = 200.0
    frame["vertrate"] = 0.0
    frame["onground"] = False
    return frame


def post_each_second(
    client: Any, tick: Any, traffic: pd.DataFrame, tokens: dict[str, str]
) -> Iterator[float]:
    """Post ``traffic`` (with ``time`` and ``party`` columns) a second at a time, each party
    with its own token through ``client`` (a TestClient), then run ``tick`` half a second
    later; yields each second's time after its tick."""
    for t, now in traffic.groupby("time"):
        for party, part in now.groupby("party"):
            r = client.post(
                "/v1/states",
                content=part.drop(columns=["party"]).to_json(orient="records"),
                headers={"Authorization": f"Bearer {tokens[str(party)]}"},
            )
            assert r.status_code == 200, r.text
        tick(float(t) + 0.5)
        yield float(t)


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, port: int, *options: str) -> subprocess.Popen[bytes]:
    """A real ``wellclear serve --db URL --port PORT OPTIONS...`` process, once it answers
    ``/healthz``; its stderr is told if it ends before that."""
    exe = str(Path(sys.executable).with_name("wellclear"))
    proc = subprocess.Popen(
        [exe, "serve", "--db", url, "--port", str(port), *options],
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
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"wellclear serve ended: {err}")
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("wellclear serve did not start")


def numbers_in(value: Any) -> Iterator[float]:
    """Every number in a JSON value (booleans are not numbers)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from numbers_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from numbers_in(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield float(value)


def serve_data(url: str, port: int) -> subprocess.Popen[bytes]:
    """:func:`serve` on the data clock with the built-in Syria 2015 agreement."""
    return serve(url, port, "--clock", "data", "--agreement", "syria2015")


def replay_headon(base: str, tokens: dict[str, str], seconds: range) -> None:
    """Post the head-on traffic's ``seconds`` (from T0) to a real service at ``base``, each
    party with its own token, and wait until its engine has ticked through them."""
    traffic = headon(T0, 130)
    for t, now in traffic.groupby("time"):
        if int(t - T0) not in seconds:
            continue
        for party, part in now.groupby("party"):
            r = httpx.post(
                f"{base}/v1/states",
                content=part.drop(columns=["party"]).to_json(orient="records"),
                headers={"Authorization": f"Bearer {tokens[str(party)]}"},
            )
            assert r.status_code == 200, r.text
    last = T0 + seconds[-1]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        tick = httpx.get(f"{base}/healthz").json()["tick"]["t"]
        if tick is not None and pd_timestamp(tick) >= last - 1.0:
            return
        time.sleep(0.1)
    raise AssertionError("the engine did not catch up")


def pd_timestamp(text: str) -> float:
    """Unix seconds of an ISO 8601 time."""
    return float(pd.Timestamp(text).timestamp())


def with_parties(url: str, parties: tuple[str, ...]) -> dict[str, str]:
    """A store at ``url`` with ``parties`` (role party) and ``cell`` (role cell); their tokens."""
    from wellclear.store import open_store
    from wellclear.store.parties import add_party

    store = open_store(url)
    tokens = {p: add_party(store, p) for p in parties}
    tokens["cell"] = add_party(store, "cell", "cell")
    store.close()
    return tokens
