"""``wellclear feed SOURCE``: a live receiver or network feed into ``wellclear serve``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from wellclear.cli import app
from wellclear.cli.detect import fail


@app.command("feed")
def feed_command(
    source: Annotated[
        str,
        typer.Argument(
            help="sbs://HOST:PORT, beast://HOST:PORT, raw://HOST:PORT, aircraft-json:PATH_OR_URL, "
            "opensky:LAMIN,LOMIN,LAMAX,LOMAX (both polled every --batch seconds), asterix:FILE "
            "or asterix-udp://HOST:PORT."
        ),
    ],
    server: Annotated[str, typer.Option("--server", help="The service, http://HOST:PORT.")],
    token: Annotated[str, typer.Option("--token", help="The feed's party (or cell) token.")],
    party_map: Annotated[
        Path | None,
        typer.Option(
            "--party-map",
            help="CSV party,kind,value (kind icao-range, callsign-prefix or icao): which "
            "aircraft belong to which party; others go to 'unknown'. Needs the cell's token.",
        ),
    ] = None,
    batch: Annotated[
        float | None,
        typer.Option(
            "--batch",
            help="Seconds per batch or poll (default: SBS 0.1, Mode S 1, aircraft-json 1, "
            "opensky 10, ASTERIX file 1, UDP 0.1).",
        ),
    ] = None,
    decoders: Annotated[int, typer.Option("--decoders", help="Mode S decoding processes.")] = 1,
    radar: Annotated[
        list[str] | None,
        typer.Option("--radar", help="ASTERIX CAT048: a radar, SAC/SIC=LAT,LON,HEIGHT_M."),
    ] = None,
    opensky_url: Annotated[
        str | None,
        typer.Option("--opensky-url", help="The states/all endpoint (default: OpenSky's)."),
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop after this many seconds.")
    ] = None,
    report: Annotated[
        float, typer.Option("--report", help="Seconds between counter lines on stderr.")
    ] = 10.0,
    reference: Annotated[
        str | None,
        typer.Option("--reference", help="LAT,LON near the receiver (surface positions)."),
    ] = None,
    max_future: Annotated[
        float, typer.Option("--max-future", help="Reject reports this many s ahead.")
    ] = 5.0,
    max_past: Annotated[
        float, typer.Option("--max-past", help="Reject reports this many s behind.")
    ] = 120.0,
    retry_cap: Annotated[
        float,
        typer.Option("--retry-cap", help="Longest wait between attempts (reconnects, retries), s."),
    ] = 30.0,
) -> None:
    """Read a receiver's feed, merge its messages per aircraft into states and post them in
    batches, each retried until acknowledged; counters on stderr periodically and at exit."""
    from wellclear.feeds.asterixfeed import parse_radar
    from wellclear.feeds.partymap import load_party_map
    from wellclear.feeds.pipeline import parse_source
    from wellclear.formats.errors import DecodeError

    try:
        src = parse_source(source)
        rules = None if party_map is None else load_party_map(party_map)
        ref = None
        if reference is not None:
            lat, _, lon = reference.partition(",")
            ref = (float(lat), float(lon))
        if (batch is not None and batch <= 0) or report <= 0 or retry_cap <= 0:
            raise ValueError("--batch, --report and --retry-cap must be positive")
        radars = dict(parse_radar(text) for text in radar or [])
        if decoders < 1:
            raise ValueError(f"--decoders {decoders}: expected at least 1")
    except (DecodeError, ValueError, OSError) as err:
        raise fail(str(err)) from None
    options = {
        "party_map": rules,
        "batch_s": batch,
        "decoders": decoders,
        "radars": radars,
        **({} if opensky_url is None else {"opensky_url": opensky_url}),
        "max_future_s": max_future,
        "max_past_s": max_past,
        "reference": ref,
    }
    asyncio.run(_run(src, server, token, retry_cap, duration, report, options))


async def _run(
    src: object,
    server: str,
    token: str,
    retry_cap: float,
    duration: float | None,
    report: float,
    options: dict[str, Any],
) -> None:
    from wellclear.feeds.pipeline import Feed, Source
    from wellclear.feeds.sender import Sender
    from wellclear.feeds.tcp import Backoff

    assert isinstance(src, Source)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with Sender(server, token, Backoff(cap_s=retry_cap)) as sender:
        feed = Feed(src, sender, backoff=Backoff(cap_s=retry_cap), **options)
        feed.link.notify = lambda text: typer.echo(f"wellclear feed: {text}", err=True)
        typer.echo(f"wellclear feed: {src} -> {server} (feed id {sender.feed_id})", err=True)
        reader = asyncio.create_task(feed.read())
        batcher = asyncio.create_task(feed.batches(stop))

        async def progress() -> None:
            while True:
                await asyncio.sleep(report)
                typer.echo(f"wellclear feed: {feed.counters.line(feed.link, sender)}", err=True)

        ticker = asyncio.create_task(progress())
        if duration is not None:
            loop.call_later(duration, stop.set)
        await batcher
        for task in (reader, ticker):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        typer.echo(f"wellclear feed: done: {feed.counters.line(feed.link, sender)}", err=True)
        if feed.link.last_error:
            typer.echo(f"wellclear feed: last connection event: {feed.link.last_error}", err=True)
