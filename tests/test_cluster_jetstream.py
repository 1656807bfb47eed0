"""The workers on a real 3-node NATS JetStream cluster (R3 streams, every write synced to disk),
started here on loopback ports: 1, 2 and 3 worker processes over a recorded scenario (300 drones
at 1 Hz over several cells near the antimeridian, pairs conflicting across cell borders and
drones crossing borders mid-conflict) give the single engine's alert events, each once in the
alerts stream; also, in the 3-worker run, paced at 1 Hz, when a worker and then the broker node
leading the reports stream are killed with SIGKILL mid-run (both started again). The
ingest-to-alert delay (report batch published to alert event stored) is measured there. The
servers enforce per-party subject permissions: a party's user reads its own alerts only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator

import nats
import nats.js.errors
import numpy as np
import pandas as pd
import pytest

from cluster_scenario import (
    EVENT_KEY,
    MAX_AGE,
    T0,
    TOP_SPEED,
    assert_same_events,
    scenario,
    single_engine_events,
    sorted_events,
)
from natscluster import NatsCluster
from wellclear.cluster.cells import owner_cells
from wellclear.cluster.jslog import LogFront, open_log, server_options
from wellclear.cluster.jsworker import JetStreamWorker
from wellclear.cluster.log import (
    ALERTS,
    ALERTS_STREAM,
    CONFIG_BUCKET,
    REPORTS_STREAM,
    STATE_BUCKET,
    ClusterSettings,
)

SETTINGS = ClusterSettings(max_age_s=MAX_AGE, top_speed_mps=TOP_SPEED, tick_s=1.0, shards=16)
N_AIRCRAFT, SECONDS = 300, 30
PARTIES = {"utm-a": "a-secret", "utm-b": "b-secret"}  # the scenario's parties


@pytest.fixture(scope="module")
def batches() -> list[pd.DataFrame]:
    return scenario(n=N_AIRCRAFT, seconds=SECONDS, seed=11)


@pytest.fixture(scope="module")
def single(batches: list[pd.DataFrame]) -> pd.DataFrame:
    events = single_engine_events(batches)
    assert len(events) > 40 and set(events["event"]) >= {"raised", "cleared"}
    return events


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    c = NatsCluster(tmp_path_factory.mktemp("nats"), parties=PARTIES)
    c.start()
    yield c
    c.stop()


def homes_at(batches: list[pd.DataFrame]) -> dict[tuple[str, float], int]:
    grid = SETTINGS.grid()
    out: dict[tuple[str, float], int] = {}
    for b in batches:
        keys = grid.home(grid.points(b["lat"], b["lon"]))
        out.update(zip(zip(b["id"], b["t"] + 0.5, strict=True), keys.tolist(), strict=True))
    return out


def test_the_scenario_crosses_cell_borders(
    batches: list[pd.DataFrame], single: pd.DataFrame
) -> None:
    """What the evidence needs: pairs whose aircraft are in different cells when they alert, and
    episodes whose owner cell changes between their events."""
    homes = homes_at(batches)
    h1 = np.array([homes[(a, t)] for a, t in zip(single["id_1"], single["t"], strict=True)])
    h2 = np.array([homes[(b, t)] for b, t in zip(single["id_2"], single["t"], strict=True)])
    assert (h1 != h2).sum() >= 5
    owner = owner_cells(single["id_1"], single["id_2"], h1, h2)
    moved = pd.Series(owner).groupby(single["alert_id"].to_numpy()).nunique()
    assert (moved > 1).sum() >= 1


def start_worker(cluster: NatsCluster, name: str) -> subprocess.Popen[bytes]:
    log = open(cluster.root / f"{name}.log", "ab")  # noqa: SIM115 (the worker's, kept open)
    command = "from wellclear.cli import main; main()"
    args = ["cluster", "worker", "--nats", cluster.url, "--name", name]
    return subprocess.Popen([sys.executable, "-c", command, *args], stdout=log, stderr=log)


async def fresh_log(js: nats.js.JetStreamContext) -> None:
    for stream in (REPORTS_STREAM, ALERTS_STREAM, f"KV_{STATE_BUCKET}", f"KV_{CONFIG_BUCKET}"):
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(stream)
    await open_log(js, SETTINGS, replicas=3)


async def progress(js: nats.js.JetStreamContext, name: str) -> dict[str, object] | None:
    kv = await js.key_value(STATE_BUCKET)
    try:
        entry = await kv.get(f"worker.{name}")
    except nats.js.errors.KeyNotFoundError:
        return None
    return dict(json.loads(entry.value or b"{}"))


async def read_alerts(js: nats.js.JetStreamContext) -> pd.DataFrame:
    """Every message of the alerts stream, with the time it was stored (``stored``, unix s)."""
    info = await js.stream_info(ALERTS_STREAM)
    sub = await js.subscribe(f"{ALERTS}.>", ordered_consumer=True)
    rows = []
    for _ in range(info.state.messages):
        m = await sub.next_msg(timeout=10)
        row = json.loads(m.data)
        assert m.subject.startswith(f"{ALERTS}.{row['party_1']}.")
        rows.append({**row, "stored": m.metadata.timestamp.timestamp()})
    await sub.unsubscribe()
    return pd.DataFrame(rows)


Hook = Callable[[int, dict[str, subprocess.Popen[bytes]]], Awaitable[None]]


async def run(
    cluster: NatsCluster,
    batches: list[pd.DataFrame],
    names: list[str],
    pace_s: float = 0.0,
    hook: Hook | None = None,
) -> tuple[pd.DataFrame, dict[float, float]]:
    """The scenario through worker processes ``names`` over a fresh log; the alerts stream and
    the wall time each second's batch was published at (by tick)."""
    nc = await nats.connect(**server_options(cluster.url))
    js = nc.jetstream()
    await fresh_log(js)
    front = LogFront(js, SETTINGS)
    await front.members(names)
    procs = {n: start_worker(cluster, n) for n in names}
    try:
        if pace_s:  # live: every worker started before the first report
            deadline = time.monotonic() + 60.0
            while any([await progress(js, n) is None for n in names]):
                for n, p in procs.items():
                    assert p.poll() is None, f"worker {n} ended: see {cluster.root}/{n}.log"
                assert time.monotonic() < deadline, "the workers did not start in 60 s"
                await asyncio.sleep(0.1)
        wall: dict[float, float] = {}
        begin = time.monotonic()
        for k, batch in enumerate(batches):
            if hook is not None:
                await hook(k, procs)
            tick = T0 + k + 0.5
            wall[tick] = time.time()
            await front.publish(batch)
            await front.tick(tick)
            await asyncio.sleep(max(0.0, begin + (k + 1) * pace_s - time.monotonic()))
        deadline = time.monotonic() + 60.0
        for n in names:
            while (p := await progress(js, n)) is None or p["tick"] != tick:
                assert procs[n].poll() is None, f"worker {n} ended: see {cluster.root}/{n}.log"
                assert time.monotonic() < deadline, f"worker {n} stuck at {p}"
                await asyncio.sleep(0.1)
        alerts = await read_alerts(js)
    finally:
        for p in procs.values():
            p.send_signal(signal.SIGTERM)
        for n, p in procs.items():
            assert p.wait(timeout=30) == 0, f"worker {n}: see {cluster.root}/{n}.log"
        await nc.close()
    return alerts, wall


def as_events(alerts: pd.DataFrame, single: pd.DataFrame) -> pd.DataFrame:
    got = alerts.drop(columns=["stored"]).astype({c: single[c].dtype for c in EVENT_KEY})
    return sorted_events(got)


@pytest.mark.parametrize("n", [1, 2])
def test_workers_on_jetstream_give_the_single_engine_events(
    cluster: NatsCluster, batches: list[pd.DataFrame], single: pd.DataFrame, n: int
) -> None:
    alerts, _ = asyncio.run(run(cluster, batches, [f"w{k}" for k in range(n)]))
    assert_same_events(as_events(alerts, single), single)


def test_three_workers_live_through_a_worker_and_a_broker_node_killed(
    cluster: NatsCluster, batches: list[pd.DataFrame], single: pd.DataFrame
) -> None:
    """Paced at 1 Hz: at 8 s worker w1 is killed (SIGKILL) and started again; at 16 s the
    node leading the reports stream is killed, and started again at 24 s. No event lost, none
    twice; outside the seconds of recovery after each kill, the ingest-to-alert delay's 95th
    percentile is at most 1 s; every event within 20 s."""
    killed: dict[str, float] = {}

    async def hook(k: int, procs: dict[str, subprocess.Popen[bytes]]) -> None:
        if k == 8:
            os.kill(procs["w1"].pid, signal.SIGKILL)
            procs["w1"].wait()
            killed["worker"] = time.time()
            procs["w1"] = start_worker(cluster, "w1")
        elif k == 16:
            nc = await nats.connect(**server_options(cluster.url))
            info = await nc.jetstream().stream_info(REPORTS_STREAM)
            await nc.close()
            assert info.cluster is not None and info.cluster.leader is not None
            killed["node"] = float(int(info.cluster.leader[1:]))
            cluster.kill(int(killed["node"]))
        elif k == 24:
            cluster.run(int(killed["node"]))

    alerts, wall = asyncio.run(run(cluster, batches, ["w0", "w1", "w2"], pace_s=1.0, hook=hook))
    assert_same_events(as_events(alerts, single), single)
    delay = alerts["stored"].to_numpy() - alerts["t"].map(wall).to_numpy()
    second = alerts["t"].to_numpy() - T0 - 0.5
    # recovering: the 8 s after the worker's kill (a Python start and the replay), the 4 s
    # after the node's (a leader elected); steady: the others
    recovering = ((second >= 8) & (second < 16)) | ((second >= 16) & (second < 20))
    steady = delay[~recovering]
    p95 = float(np.percentile(steady, 95))
    print(
        f"\ningest-to-alert over {len(steady)} events outside the recoveries: median "
        f"{np.median(steady):.3f} s, p95 {p95:.3f} s, max {steady.max():.3f} s; over all "
        f"{len(delay)}: p95 {np.percentile(delay, 95):.3f} s, max {delay.max():.3f} s"
    )
    assert len(steady) >= len(delay) // 3
    assert p95 <= 1.0
    assert delay.max() <= 20.0  # recovered: the restart, the replay, the backlog


class KilledError(Exception):
    """A worker's process dying (in process: its connection closed, nothing more done)."""


class Dying(JetStreamWorker):
    """A worker that dies at or after tick ``at``: before its third event from there
    (``when="publishing"``), or before the progress record of the first tick from there at
    which it published an event (``when="progress"``)."""

    at: float = 0.0
    when: str = "publishing"
    marks = (0, 0)  # events published from ``at`` on; events at the last progress record

    async def _publish(self, event: dict[str, object]) -> None:
        if self.when == "publishing" and float(event["t"]) >= self.at:  # type: ignore[arg-type]
            self.marks = (self.marks[0] + 1, self.marks[1])
            if self.marks[0] == 3:
                raise KilledError
        await super()._publish(event)

    async def _write_progress(self) -> None:
        late = self.last is not None and self.last[0] >= self.at
        if self.when == "progress" and late and self.events > self.marks[1]:
            raise KilledError
        self.marks = (self.marks[0], self.events)
        await super()._write_progress()


async def run_in_process(
    cluster: NatsCluster,
    batches: list[pd.DataFrame],
    names: list[str],
    members: dict[int, list[str]],
    dying: list[tuple[str, float, str]] = (),  # type: ignore[assignment]
) -> tuple[pd.DataFrame, list[JetStreamWorker]]:
    """Workers as tasks of this process (each on a connection of its own); ``members``: the
    membership published before second k; ``dying``: (name, tick, when) of a worker that dies
    there, each started again at once. The alerts stream and every worker that ran."""
    admin = await nats.connect(**server_options(cluster.url))
    js = admin.jetstream()
    await fresh_log(js)
    front = LogFront(js, SETTINGS)
    ran: list[JetStreamWorker] = []
    stop = asyncio.Event()
    deaths = list(dying)

    async def worker(name: str) -> None:
        while True:
            nc = await nats.connect(**server_options(cluster.url))
            death = next((d for d in deaths if d[0] == name), None)
            cls = Dying if death is not None else JetStreamWorker
            w = await cls.create(nc.jetstream(), name, SETTINGS)
            if death is not None:
                deaths.remove(death)
                w.at, w.when = death[1], death[2]  # type: ignore[attr-defined]
            ran.append(w)
            try:
                await w.run(stop)
                return
            except KilledError:
                pass  # started again at once, as a supervisor would
            finally:
                await nc.close()

    tasks = [asyncio.create_task(worker(n)) for n in names]
    try:
        for k, batch in enumerate(batches):
            if k in members:
                await front.members(members[k])
            await front.publish(batch)
            last = await front.tick(T0 + k + 0.5)
        deadline = time.monotonic() + 60.0
        for n in names:
            while (p := await progress(js, n)) is None or p["tick"] != T0 + k + 0.5:
                for t in tasks:
                    if t.done():
                        t.result()
                assert time.monotonic() < deadline, f"worker {n} stuck at {p} (tick {last})"
                await asyncio.sleep(0.05)
        alerts = await read_alerts(js)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await admin.close()
    return alerts, ran


def test_a_worker_dying_mid_tick_gives_each_event_once(
    cluster: NatsCluster, batches: list[pd.DataFrame], single: pd.DataFrame
) -> None:
    """w1 dies while publishing the events of a tick, and again after publishing those of a
    later tick but before recording its progress: started again, it applies those ticks
    again; the events it publishes twice are dropped by the stream (counted), the records it
    wrote are kept, and the alerts stream is the single engine's events, each once."""
    dying = [("w1", T0 + 9.5, "publishing"), ("w1", T0 + 17.5, "progress")]
    alerts, ran = asyncio.run(
        run_in_process(cluster, batches, ["w0", "w1"], {0: ["w0", "w1"]}, dying)
    )
    assert len([w for w in ran if w.name == "w1"]) == 3
    assert sum(w.duplicates for w in ran) > 0
    assert_same_events(as_events(alerts, single), single)


@pytest.mark.xfail(
    strict=False,
    reason=(
        "known bug (issue 18, seen once in two CI runs): after w2 joins, w0 can wait for ever "
        "for a pair's record at the tick before the join that the pair's previous owner never "
        "wrote ('alert state pair...: not written at tick ... within 120 s'); the events are "
        "checked whenever the run completes"
    ),
)
def test_a_worker_joins_and_another_leaves(
    cluster: NatsCluster, batches: list[pd.DataFrame], single: pd.DataFrame
) -> None:
    """w2 joins at 10 s, w1 leaves at 20 s: the shards move, each worker builds its engine
    again by replaying its new shards and takes the open episodes over from the bucket; the
    events are the single engine's."""
    members = {0: ["w0", "w1"], 10: ["w0", "w1", "w2"], 20: ["w0", "w2"]}
    alerts, ran = asyncio.run(run_in_process(cluster, batches, ["w0", "w1", "w2"], members))
    assert sum(w.taken for w in ran) > 0
    assert_same_events(as_events(alerts, single), single)


def test_a_party_cannot_subscribe_to_another_partys_alerts(cluster: NatsCluster) -> None:
    """utm-a's user receives the alerts under wc.alerts.utm-a; its subscriptions to utm-b's,
    to every party's and to the reports are refused by the broker, and get nothing."""

    async def go() -> None:
        errors: list[Exception] = []

        async def on_error(err: Exception) -> None:
            errors.append(err)

        a = await nats.connect(
            **server_options(",".join(cluster.party_urls("utm-a"))), error_cb=on_error
        )
        service = await nats.connect(**server_options(cluster.url))
        own = await a.subscribe(f"{ALERTS}.utm-a.>")
        refused = {s: await a.subscribe(s) for s in (f"{ALERTS}.utm-b.>", f"{ALERTS}.>", "wc.>")}
        await a.flush()
        got = None
        for _ in range(20):  # until the subscription's interest has reached every node
            for party in PARTIES:
                await service.publish(f"{ALERTS}.{party}.p1", party.encode())
            await service.flush()
            with contextlib.suppress(TimeoutError):
                got = await own.next_msg(timeout=0.25)
                break
        assert got is not None and got.data == b"utm-a"
        for sub in refused.values():
            with pytest.raises(TimeoutError):
                await sub.next_msg(timeout=0.5)
        said = " ".join(str(e) for e in errors).lower()
        assert all(f'subscription to "{s}"' in said for s in refused), said
        await a.close()
        await service.close()

    asyncio.run(go())
