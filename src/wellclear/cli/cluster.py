"""``wellclear cluster init|members|worker``: the live engine partitioned on NATS JetStream."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import TYPE_CHECKING, Annotated

import typer

from wellclear.cli import app
from wellclear.cli.detect import fail

if TYPE_CHECKING:
    from nats.aio.client import Client

cluster_app = typer.Typer(help="The live engine over several workers on NATS JetStream.")
app.add_typer(cluster_app, name="cluster")

NatsOpt = Annotated[
    str,
    typer.Option("--nats", help="The JetStream servers, nats://HOST:PORT[,nats://...]."),
]


def need_nats() -> None:
    """Refuse, with the remedy, where nats-py (the extra ``cluster``) is not installed."""
    import importlib.util

    if importlib.util.find_spec("nats") is None:
        raise fail("the cluster needs nats-py: pip install 'wellclear[cluster]'")


async def connect(servers: str, name: str, forever: bool = False) -> Client:
    """A client of the servers (``forever``: reconnecting for ever, a broker node may go and
    come back; else each server tried once, naming them when none answers)."""
    import nats
    import nats.errors

    from wellclear.cluster.jslog import server_options

    try:
        return await nats.connect(name=name, **server_options(servers, forever))
    except nats.errors.NoServersError:
        raise ValueError(f"--nats {servers}: no server answered") from None


@cluster_app.command("init")
def init_command(
    nats_url: NatsOpt,
    replicas: Annotated[int, typer.Option("--replicas", help="Copies of each stream.")] = 1,
    alerting: Annotated[str, typer.Option("--alerting", help="Alerter preset.")] = "do365",
    max_age: Annotated[float, typer.Option("--max-age", help="Oldest usable report (s).")] = 10.0,
    top_speed: Annotated[
        float, typer.Option("--top-speed", help="Top ground speed (m/s); faster is refused.")
    ] = 30.0,
    tick: Annotated[float, typer.Option("--tick", help="Longest tick interval (s).")] = 1.0,
    shards: Annotated[int, typer.Option("--shards", help="Shards of the log.")] = 16,
    block: Annotated[int, typer.Option("--block", help="Cells a side per shard block.")] = 1,
) -> None:
    """Create the log (streams and buckets) with the settings every worker reads."""
    need_nats()
    from wellclear.cluster.jslog import open_log
    from wellclear.cluster.log import ClusterSettings

    async def go() -> None:
        settings = ClusterSettings(alerting, max_age, top_speed, tick, shards, block)
        nc = await connect(nats_url, "wellclear-cluster-init")
        try:
            await open_log(nc.jetstream(), settings, replicas)
        finally:
            await nc.close()
        typer.echo(f"wellclear cluster: log opened ({replicas} replicas): {settings}", err=True)

    try:
        asyncio.run(go())
    except (ValueError, RuntimeError, OSError) as err:
        raise fail(str(err)) from None


@cluster_app.command("members")
def members_command(
    nats_url: NatsOpt,
    workers: Annotated[list[str], typer.Argument(help="The workers from now on.")],
) -> None:
    """Publish the workers that share the shards from here on (a worker joins or leaves)."""
    need_nats()
    from wellclear.cluster.jslog import LogFront, read_settings

    async def go() -> int:
        nc = await connect(nats_url, "wellclear-cluster-members")
        try:
            js = nc.jetstream()
            return await LogFront(js, await read_settings(js)).members(workers)
        finally:
            await nc.close()

    try:
        seq = asyncio.run(go())
    except (ValueError, RuntimeError, OSError) as err:
        raise fail(str(err)) from None
    typer.echo(f"wellclear cluster: workers {workers} from message {seq}", err=True)


@cluster_app.command("worker")
def worker_command(
    nats_url: NatsOpt,
    name: Annotated[str, typer.Option("--name", help="This worker's name (unique).")],
) -> None:
    """Run one worker until SIGTERM or SIGINT (progress every 10 s, a summary at the end)."""
    need_nats()
    from wellclear.cluster.jslog import read_settings
    from wellclear.cluster.jsworker import JetStreamWorker

    async def go() -> JetStreamWorker:
        nc = await connect(nats_url, f"wellclear-worker-{name}", forever=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        js = nc.jetstream()
        worker = await JetStreamWorker.create(js, name, await read_settings(js))

        async def progress() -> None:
            while not stop.is_set():
                await asyncio.sleep(10.0)
                typer.echo(
                    f"wellclear cluster worker {name}: {worker.ticks} ticks, {worker.events} "
                    f"events, last message {worker.seen}",
                    err=True,
                )

        reporter = asyncio.create_task(progress())
        try:
            await worker.run(stop)
        finally:
            reporter.cancel()
            await nc.close()
        return worker

    start = time.monotonic()
    try:
        worker = asyncio.run(go())
    except (ValueError, RuntimeError, OSError) as err:
        raise fail(f"worker {name}: {err}") from None
    typer.echo(
        f"wellclear cluster worker {name}: stopped after {time.monotonic() - start:.0f} s: "
        f"{worker.ticks} ticks, {worker.events} alert events ({worker.duplicates} published "
        "again after a restart, dropped as duplicates)",
        err=True,
    )
