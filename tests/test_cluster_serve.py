"""``wellclear serve --cluster``: the service fronts a worker on a real 3-node JetStream cluster.
Two parties post their drones (head-on) to the service each second; the service publishes the
stored batches to the log and ticks; the worker process computes the alerts; the service
stores them from the alerts stream and gives each party its own alert, once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import nats
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from natscluster import NatsCluster
from wellclear.agreement import Agreement
from wellclear.cluster.jslog import read_settings, server_options
from wellclear.cluster.log import ClusterSettings
from wellclear.geo import extrapolate
from wellclear.service.app import create_app
from wellclear.service.config import ServiceConfig
from wellclear.store import open_store
from wellclear.store.parties import add_party
from wellclear.store.records import events_after

SETTINGS = ClusterSettings(max_age_s=10.0, top_speed_mps=30.0, tick_s=1.0, shards=4)


@pytest.fixture()
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    c = NatsCluster(tmp_path_factory.mktemp("nats"))
    c.start()

    # the log opened and the workers named by the commands a user runs
    cli = [sys.executable, "-c", "from wellclear.cli import main; main()", "cluster"]
    init = ["init", "--nats", c.url, "--replicas", "3", "--shards", str(SETTINGS.shards)]
    for args in (init, ["members", "--nats", c.url, "w0"]):
        done = subprocess.run([*cli, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    async def settings() -> ClusterSettings:
        nc = await nats.connect(**server_options(c.url))
        try:
            return await read_settings(nc.jetstream())
        finally:
            await nc.close()

    assert asyncio.run(settings()) == SETTINGS
    yield c
    c.stop()


def drones(t: float, t0: float) -> dict[str, pd.DataFrame]:
    """Each party's drone at ``t``: head-on at 20 m/s each, 1.6 km apart at ``t0``."""
    k = t - t0
    lat, lon, _ = extrapolate(np.array([10.0]), np.array([20.0]), np.array([90.0]), [1600.0])
    out = {}
    for party, ident, la, lo, trk in (
        ("utm-a", "a1", 10.0, 20.0, 90.0),
        ("utm-b", "b1", float(lat[0]) + 1e-4, float(lon[0]), 270.0),
    ):
        la2, lo2, _ = extrapolate(np.array([la]), np.array([lo]), np.array([trk]), [20.0 * k])
        row = {"id": ident, "callsign": ident.upper(), "t": t, "lat": la2[0], "lon": lo2[0]}
        out[party] = pd.DataFrame(
            [{**row, "alt_m": 100.0, "gs_mps": 20.0, "trk_deg": trk, "vs_mps": 0.0}]
        )
    return out


def test_serve_fronts_the_cluster(
    cluster: NatsCluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    db = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'wellclear.db'}"
    store = open_store(db)
    tokens = {p: add_party(store, p) for p in ("utm-a", "utm-b")}
    log = open(cluster.root / "w0.log", "ab")  # noqa: SIM115 (the worker's)
    command = "from wellclear.cli import main; main()"
    worker = subprocess.Popen(
        [sys.executable, "-c", command, "cluster", "worker", "--nats", cluster.url, "--name", "w0"],
        stdout=log,
        stderr=log,
    )
    config = ServiceConfig(db=db, agreement=Agreement.default(), cluster=cluster.url)
    try:
        with TestClient(create_app(config)) as client:
            t0 = time.time()
            raised: list[dict[str, object]] = []
            deadline = time.monotonic() + 40.0
            while not raised and time.monotonic() < deadline:
                for party, frame in drones(time.time(), t0).items():
                    r = client.post(
                        "/v1/states",
                        content=frame.to_json(orient="records"),
                        headers={
                            "Authorization": f"Bearer {tokens[party]}",
                            "Content-Type": "application/json",
                        },
                    )
                    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
                time.sleep(1.0)
                raised = [e for e in events_after(store, 0, None, 100) if e["event"] == "raised"]
            assert {e["party_1"] for e in raised} == {"utm-a", "utm-b"}, (
                f"no alert from the cluster: see {cluster.root}/w0.log"
            )
            for party, own in (("utm-a", "a1"), ("utm-b", "b1")):
                got = client.get("/v1/alerts", headers={"Authorization": f"Bearer {tokens[party]}"})
                alerts = got.json()["alerts"]
                assert len(alerts) == 1 and alerts[0]["own"]["id"] == own
        stored = events_after(store, 0, None, 1000)
        keys = [(e["alert_id"], e["t"], e["event"]) for e in stored]
        assert len(keys) == len(set(keys)), "an event stored twice"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, f"see {cluster.root}/w0.log"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        store.close()
