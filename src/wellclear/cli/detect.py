"""``wellclear detect``: predicted losses of separation in a snapshot of traffic."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from wellclear.cli import app
from wellclear.cli.agreement_option import (
    BETWEEN_PARTIES,
    HORIZONTAL,
    LOOKAHEAD,
    MAX_AGE,
    VERTICAL,
    AgreementOpt,
    HorizontalOpt,
    MaxAgeOpt,
    VerticalOpt,
    from_agreement,
    resolve_agreement,
)
from wellclear.formats.result import accounting
from wellclear.formats.states import InvalidPolicy, write_rejects
from wellclear.formats.tables import write_table
from wellclear.schemas import CONFLICTS
from wellclear.snapshot import read_snapshot
from wellclear.timeutil import iso, parse_time
from wellclear.units import FT_M, NM_M, UnitError, parse_length, positive, positive_duration


def fail(message: str) -> typer.Exit:
    """Print ``message`` on stderr and return the exit (code 2) to raise."""
    typer.echo(f"wellclear: error: {message}", err=True)
    return typer.Exit(2)


if TYPE_CHECKING:
    from wellclear.detect.conflicts import Minima


def option_minima(horizontal: str, vertical: str, lookahead: str) -> Minima:
    """The minima of ``--horizontal``, ``--vertical`` and ``--lookahead`` (units required),
    each positive and within :class:`Minima`'s limits, named by its option when not."""
    from wellclear.detect.conflicts import Minima

    values = {
        "--horizontal": positive(parse_length(horizontal, "--horizontal"), "--horizontal"),
        "--vertical": positive(parse_length(vertical, "--vertical"), "--vertical"),
        "--lookahead": positive_duration(lookahead, "--lookahead"),
    }
    for (option, value), (limit, text) in zip(values.items(), Minima.LIMITS.values(), strict=True):
        if value > limit:
            raise UnitError(f"{option} is larger than the limit of {text}")
    return Minima(*values.values())


def default_rejects(inputs: list[str]) -> Path:
    first = inputs[0]
    return Path("stdin.rejects.csv" if first == "-" else f"{first}.rejects.csv")


def print_table(conflicts: pd.DataFrame, title: str) -> None:
    """The conflicts as a readable table on standard output."""
    table = Table(title=title)
    for name in (
        "pair",
        "parties",
        "t_in s",
        "t_out s",
        "tcpa s",
        "dcpa NM",
        "dalt@cpa ft",
        "now NM",
        "dalt ft",
        "LoS",
    ):
        table.add_column(name, justify="left" if name in ("pair", "parties") else "right")
    for row in conflicts.to_dict(orient="records"):
        t_out = row["t_out_s"]
        table.add_row(
            f"{row['id_1']} {row['callsign_1'] or ''} / {row['id_2']} {row['callsign_2'] or ''}",
            f"{row['party_1']}/{row['party_2']}",
            f"{row['t_in_s']:.0f}",
            "never" if pd.isna(t_out) else f"{t_out:.0f}",
            f"{row['tcpa_s']:.0f}",
            f"{row['dcpa_m'] / NM_M:.2f}",
            f"{row['dalt_cpa_m'] / FT_M:+.0f}",
            f"{row['distance_m'] / NM_M:.2f}",
            f"{row['dalt_m'] / FT_M:+.0f}",
            "yes" if row["los"] else "",
        )
    Console(width=160).print(table)


@app.command("detect")
def detect_command(
    inputs: Annotated[
        list[str], typer.Argument(help="State files (CSV, Parquet, JSON); - is stdin.")
    ],
    at: Annotated[str | None, typer.Option(help="Snapshot time: unix s or ISO 8601 (UTC).")] = None,
    max_age: MaxAgeOpt = None,
    horizontal: HorizontalOpt = None,
    vertical: VerticalOpt = None,
    lookahead: Annotated[
        str | None, typer.Option(help="Lookahead time with its unit. " + from_agreement("300s"))
    ] = None,
    between_parties: Annotated[
        bool | None,
        typer.Option(
            "--between-parties/--all-pairs",
            help="Only pairs of different parties (unknown differs from all), or every pair. "
            + from_agreement("every pair"),
        ),
    ] = None,
    agreement: AgreementOpt = None,
    ownship: Annotated[
        list[str] | None, typer.Option(help="Keep pairs involving this aircraft (repeatable).")
    ] = None,
    invalid: Annotated[str, typer.Option(help="error (stop) or skip (write rejects).")] = "error",
    rejects: Annotated[Path | None, typer.Option(help="Where skipped rows go.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV, JSONL or Parquet by extension.")
    ] = None,
    table: Annotated[bool, typer.Option(help="Print a readable table instead of CSV.")] = False,
) -> None:
    """Predict every pair that will lose separation within the lookahead."""
    from wellclear.detect.conflicts import detect  # loaded by the commands that use it

    try:
        agreed = resolve_agreement(
            agreement,
            {
                "--horizontal": (HORIZONTAL, horizontal),
                "--vertical": (VERTICAL, vertical),
                "--lookahead": (LOOKAHEAD, lookahead),
                "--max-age": (MAX_AGE, max_age),
                "--between-parties": (BETWEEN_PARTIES, between_parties),
            },
        )
        minima, max_age_s = agreed.minima(), agreed.staleness.max_age.s
        at_s = None if at is None else parse_time(at)
    except (UnitError, ValueError) as exc:
        raise fail(str(exc)) from None
    if invalid not in ("error", "skip"):
        raise fail(f"--invalid must be error or skip, not {invalid!r}")
    policy: InvalidPolicy = "skip" if invalid == "skip" else "error"
    start = time.perf_counter()
    try:
        snap = read_snapshot(list(inputs), at=at_s, max_age_s=max_age_s, invalid=policy)
    except FileNotFoundError as exc:
        raise fail(f"{exc.filename}: no such file") from None
    except ValueError as exc:  # DecodeError included
        raise fail(f"--at: {exc}" if "outside the data" in str(exc) else str(exc)) from None
    for warning in snap.warnings:
        typer.echo(f"wellclear: warning: {warning}", err=True)
    if policy == "skip":
        target = rejects or default_rejects(list(inputs))
        write_rejects(snap.rejects, target)
        if len(snap.rejects):
            typer.echo(
                f"wellclear: {len(snap.rejects)} rejected row(s) written to {target}", err=True
            )
    try:
        found = detect(
            snap.states, minima, between_parties=agreed.conflicts.between_parties, ownship=ownship
        )
    except ValueError as exc:
        raise fail(f"--ownship: {exc}") from None
    elapsed = time.perf_counter() - start
    try:
        if table:
            print_table(found.conflicts, f"Predicted losses of separation at {iso(snap.at)}")
        else:
            write_table(found.conflicts, output, schema=CONFLICTS)
    except ValueError as exc:
        raise fail(str(exc)) from None
    c = snap.counts
    extra = ""
    if found.pairs_without_common_altitude:
        extra = f", {found.pairs_without_common_altitude} pairs without a common altitude reference"
    typer.echo(
        f"snapshot {iso(snap.at)}: {c['used']} aircraft used, {c['stale']} stale, "
        f"{c['incomplete']} incomplete, {c['on_ground']} on ground, {c['rejected']} rejected; "
        f"{found.pairs_examined} pairs examined, {len(found.conflicts)} conflicts{extra}; "
        f"{accounting(c['rows'], c['used'], c['rejected'], snap.accounted())}; {elapsed:.2f} s",
        err=True,
    )
    sys.stdout.flush()
