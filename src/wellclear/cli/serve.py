"""``wellclear serve``: the live deconfliction service (FastAPI on uvicorn)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wellclear.cli import app


def _fail(message: str) -> typer.Exit:
    typer.echo(f"wellclear: error: {message}", err=True)
    return typer.Exit(2)


@app.command("serve")
def serve_command(
    db: Annotated[
        str,
        typer.Option(
            "--db", help="Store: a SQLite file or sqlite:/// URL, or postgresql://user@host/db."
        ),
    ] = "wellclear.db",
    agreement: Annotated[
        Path | None,
        typer.Option(
            "--agreement",
            help="Agreement file (YAML) or a built-in name (syria2015); default: the built-in "
            "default agreement (DO-365, 121.5/243.0 MHz, conflicts-only).",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8470,
    tick: Annotated[str, typer.Option("--tick", help="Engine step period, e.g. 1s.")] = "1s",
    retain: Annotated[
        str,
        typer.Option(
            "--retain",
            help="How long the store keeps reports (alert events and incidents are kept).",
        ),
    ] = "24h",
    clock: Annotated[
        str,
        typer.Option(
            "--clock",
            help="wall: tick on the current time; data: step through the reports' own times "
            "(a recording replayed faster than real time).",
        ),
    ] = "wall",
    max_body: Annotated[
        int, typer.Option("--max-body", help="Largest request body, bytes (413 beyond).")
    ] = 16 << 20,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="nats://HOST:PORT[,...]: front a cluster of workers (wellclear cluster "
            "worker) on NATS JetStream instead of stepping an engine here.",
        ),
    ] = None,
) -> None:
    """Serve the parties of an agreement: each posts its tracks and receives its alerts."""
    import uvicorn

    from wellclear.agreement import AgreementError
    from wellclear.cli.agreement_option import load_agreement
    from wellclear.service.app import create_app
    from wellclear.service.config import ServiceConfig
    from wellclear.store import StoreError, open_store
    from wellclear.units import UnitError, positive_duration

    try:
        chosen = load_agreement(agreement)
        tick_s = positive_duration(tick, "--tick", at_most_s=60.0)
        retain_s = positive_duration(retain, "--retain", at_most_s=366 * 86400.0)
        if not 1 <= port <= 65535:
            raise UnitError(f"--port {port}: expected 1-65535")
        if clock not in ("wall", "data"):
            raise UnitError(f"--clock {clock!r}: expected wall or data")
        if cluster is not None and clock != "wall":
            raise UnitError("--cluster: the front ticks on the wall clock (--clock wall)")
        if max_body < 1024:
            raise UnitError(f"--max-body {max_body}: expected at least 1024 bytes")
        open_store(db).close()  # migrate, or refuse, before listening
    except (AgreementError, UnitError, StoreError, OSError) as err:
        raise _fail(str(err)) from None
    if cluster is not None:
        from wellclear.cli.cluster import need_nats

        need_nats()
    config = ServiceConfig(
        db=db,
        agreement=chosen,
        tick_s=tick_s,
        retain_s=retain_s,
        max_body=max_body,
        clock=clock,
        cluster=cluster,
    )
    typer.echo(
        f"wellclear serve: agreement {chosen.id} version {chosen.version}, store {db}, "
        f"http://{host}:{port} (OpenAPI at /openapi.json)",
        err=True,
    )
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
