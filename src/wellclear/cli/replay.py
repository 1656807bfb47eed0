"""``wellclear replay FILES``: a recording replayed into ``wellclear serve`` at a chosen speed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer

from wellclear.cli import app
from wellclear.cli.detect import fail


@app.command("replay")
def replay_command(
    files: Annotated[list[Path], typer.Argument(help="Recorded inputs, any format detect reads.")],
    server: Annotated[str, typer.Option("--server", help="The service, http://HOST:PORT.")],
    token: Annotated[str, typer.Option("--token", help="The party's (or the cell's) token.")],
    speed: Annotated[str, typer.Option("--speed", help="Replay speed, e.g. 10x.")] = "1x",
    keep_time: Annotated[
        bool, typer.Option("--keep-time", help="Keep the recorded times (default: shift to now).")
    ] = False,
    batch: Annotated[float, typer.Option("--batch", help="Seconds of data per batch.")] = 1.0,
    t0: Annotated[
        float | None, typer.Option("--t0", help="Unix time of a Beast capture's first message.")
    ] = None,
) -> None:
    """Replay recorded reports in time order, each batch retried until acknowledged."""
    from wellclear.feeds.replay import Replayed, parse_speed, replay
    from wellclear.feeds.sender import Sender
    from wellclear.formats.errors import DecodeError
    from wellclear.formats.states import read_reports

    try:
        factor = parse_speed(speed)
        if batch <= 0:
            raise ValueError(f"--batch {batch}: expected a positive number of seconds")
        read = read_reports(list(files), invalid="skip", t0=t0)
    except (DecodeError, ValueError, OSError) as err:
        raise fail(str(err)) from None
    for note in read.notes:
        typer.echo(f"wellclear replay: {note}", err=True)
    reports = read.frame
    typer.echo(
        f"wellclear replay: {len(reports)} reports ({len(read.rejects)} rejected) from "
        f"{len(files)} file(s) at {factor:g}x -> {server}",
        err=True,
    )
    last = [time.monotonic()]

    def progress(done: Replayed, total: int) -> None:
        if time.monotonic() - last[0] >= 5.0 or done.batches == total:
            last[0] = time.monotonic()
            typer.echo(
                f"wellclear replay: batch {done.batches}/{total}, {done.reports} reports",
                err=True,
            )

    async def run() -> Replayed:
        async with Sender(server, token) as sender:
            done = await replay(
                reports, sender, speed=factor, batch_s=batch, keep_time=keep_time,
                progress=progress,
            )  # fmt: skip
            typer.echo(
                f"wellclear replay: done: {done.batches} batches, {done.reports} reports sent, "
                f"{sender.sent.reports} accepted, {sender.sent.rejected_by_server} rejected by "
                f"the server, {sender.sent.retries} retries, late by at most {done.late_s:.2f} s",
                err=True,
            )
            return done

    asyncio.run(run())
