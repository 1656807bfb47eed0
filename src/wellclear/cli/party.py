"""``wellclear party add|list|revoke``: who may use the live service, with which role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from wellclear.cli import app

party_app = typer.Typer(help="Parties, the cell and observers of the live service.")
app.add_typer(party_app, name="party")

DbOpt = Annotated[
    str,
    typer.Option(
        "--db",
        help="Store: a SQLite file or sqlite:/// URL (default wellclear.db here), or "
        "postgresql://user@host:port/db.",
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"wellclear: error: {message}", err=True)
    return typer.Exit(2)


def _iso(t: float | None) -> str:
    if t is None:
        return ""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@party_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The party's name, e.g. russia.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="party (its own aircraft and what the agreement discloses), cell (sees and "
            "may post everything) or observer (reads everything, posts nothing).",
        ),
    ] = "party",
    db: DbOpt = "wellclear.db",
) -> None:
    """Add a party and print its bearer token, alone on one line: it is shown only once."""
    from wellclear.store import StoreError, open_store
    from wellclear.store.parties import add_party

    try:
        store = open_store(db)
        token = add_party(store, name, role)
    except StoreError as err:
        raise _fail(str(err)) from None
    store.close()
    typer.echo(token)
    typer.echo(
        f"wellclear: party {name} added as {role}; keep the token above, it is not stored", err=True
    )


@party_app.command("list")
def list_command(db: DbOpt = "wellclear.db") -> None:
    """Every party with its role, when it was added and, if so, revoked (UTC)."""
    from wellclear.store import StoreError, open_store
    from wellclear.store.parties import list_parties

    try:
        store = open_store(db)
        rows = list_parties(store)
    except StoreError as err:
        raise _fail(str(err)) from None
    store.close()
    typer.echo("name\trole\tadded\trevoked")
    for p in rows:
        typer.echo(f"{p.name}\t{p.role}\t{_iso(p.created_t)}\t{_iso(p.revoked_t)}")


@party_app.command("revoke")
def revoke_command(
    name: Annotated[str, typer.Argument(help="The party whose token stops working.")],
    db: DbOpt = "wellclear.db",
) -> None:
    """Revoke a party's token: refused from its next request on (its data stay)."""
    from wellclear.store import StoreError, open_store
    from wellclear.store.parties import revoke_party

    try:
        store = open_store(db)
        revoke_party(store, name)
    except StoreError as err:
        raise _fail(str(err)) from None
    store.close()
    typer.echo(f"wellclear: party {name} revoked", err=True)


@app.command("audit")
def audit_command(
    db: DbOpt = "wellclear.db",
    since: Annotated[
        str | None, typer.Option("--since", help="From this time: unix s or ISO 8601 (UTC).")
    ] = None,
) -> None:
    """Print the service's audit log: time (UTC), party, method, path, status, detail."""
    from wellclear.store import StoreError, open_store
    from wellclear.store.records import audit_log
    from wellclear.timeutil import parse_time

    try:
        t0 = 0.0 if since is None else parse_time(since)
        store = open_store(db)
        rows = audit_log(store, t0)
    except (StoreError, ValueError) as err:
        raise _fail(str(err)) from None
    store.close()
    typer.echo("t\tparty\tmethod\tpath\tstatus\tdetail")
    for r in rows:
        typer.echo(f"{_iso(r.t)}\t{r.party or '-'}\t{r.method}\t{r.path}\t{r.status}\t{r.detail}")
    typer.echo(f"wellclear audit: {len(rows)} requests", err=True)
