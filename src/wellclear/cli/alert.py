"""``wellclear daa`` and ``wellclear alert``: DO-365 alert levels from the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import pandas as pd
import typer

from wellclear.cli import app
from wellclear.cli.agreement_option import (
    ALERTER,
    HYSTERESIS,
    MAX_AGE,
    AgreementOpt,
    MaxAgeOpt,
    from_agreement,
    resolve_agreement,
)
from wellclear.cli.skipped import INVALID_HELP, REJECTS_HELP, invalid_policy, write_skipped
from wellclear.formats.resultset import replacing

if TYPE_CHECKING:
    from wellclear.agreement import Agreement

T = TypeVar("T")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


AlerterOpt = Annotated[
    str | None,
    typer.Option(
        "--alerter",
        help="Preset (do365, do365-sum, do365-phase2, do365-noncoop, tcas, cylinder) "
        "or a .toml/.yaml preset file. " + from_agreement("do365"),
    ),
]
NoHystOpt = Annotated[
    bool,
    typer.Option(
        "--no-hysteresis", help="No M-of-N, persistence or early alerting (DAIDALUS --nohyst)."
    ),
]


def _agreed(
    agreement: Path | None, alerter: str | None, no_hysteresis: bool, max_age: str | None = None
) -> Agreement:
    """The agreement, ``--alerter``, ``--no-hysteresis`` and ``--max-age`` overriding it."""
    return resolve_agreement(
        agreement,
        {
            "--alerter": (ALERTER, alerter),
            "--no-hysteresis": (HYSTERESIS, False if no_hysteresis else None),
            "--max-age": (MAX_AGE, max_age),
        },
    )


@app.command("daa")
def daa_command(
    file: Annotated[Path, typer.Argument(help="DAIDALUS .daa encounter file.")],
    alerter: AlerterOpt = None,
    no_hysteresis: NoHystOpt = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV file (default: standard output).")
    ] = None,
    agreement: AgreementOpt = None,
) -> None:
    """Write the alerting CSV that DAIDALUS's DaidalusAlerting writes for FILE."""
    from wellclear.alerting.config import ConfigError
    from wellclear.alerting.logic import taumod_threshold
    from wellclear.alerting.scenario import run_scenario
    from wellclear.formats.daa import DaaDecodeError, read_daa
    from wellclear.formats.daa_csv import write_alerting_csv
    from wellclear.units import UnitError

    try:
        config = _agreed(agreement, alerter, no_hysteresis).alerting_config()
        scenario = read_daa(file)
    except (ConfigError, DaaDecodeError, UnitError, OSError, ValueError) as err:
        raise _fail(str(err)) from None
    table = run_scenario(scenario, config)
    taumod = taumod_threshold(config) is not None
    if output is None:
        write_alerting_csv(table, sys.stdout, taumod)
        return
    try:
        with replacing(output) as tmp, tmp.open("w") as out:
            write_alerting_csv(table, out, taumod)
    except ValueError as err:
        raise _fail(str(err)) from None


@app.command("alert")
def alert_command(
    states: Annotated[list[str], typer.Argument(help="States files (the inputs of detect).")],
    alerter: AlerterOpt = None,
    no_hysteresis: NoHystOpt = False,
    agreement: AgreementOpt = None,
    step: Annotated[str, typer.Option("--step", help="Time step, e.g. 1s.")] = "1s",
    start: Annotated[
        str | None, typer.Option("--start", help="First time: unix s or ISO 8601 (UTC).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Last time: unix s or ISO 8601 (UTC).")
    ] = None,
    max_age: MaxAgeOpt = None,
    events: Annotated[
        bool, typer.Option("--events", help="Lifecycle events instead of levels.")
    ] = False,
    invalid: Annotated[str, typer.Option(help=INVALID_HELP)] = "error",
    rejects: Annotated[Path | None, typer.Option(help=REJECTS_HELP)] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="CSV, JSONL or Parquet by extension (default: CSV on standard output).",
        ),
    ] = None,
) -> None:
    """Alert levels of every ordered pair (ownship, intruder) over time, level >= 1."""
    import time

    from wellclear.alerting.config import ConfigError
    from wellclear.engine.assess import EngineSettings
    from wellclear.engine.engine import Engine
    from wellclear.engine.run import run_alerts, step_range
    from wellclear.formats.errors import DecodeError
    from wellclear.formats.result import accounting, counted_reasons
    from wellclear.formats.states import read_reports
    from wellclear.timeutil import iso, parse_time
    from wellclear.units import UnitError, positive_duration

    started = time.perf_counter()
    try:
        agreed = _agreed(agreement, alerter, no_hysteresis, max_age)
        config, age = agreed.alerting_config(), agreed.staleness.max_age.s
        dt = positive_duration(step, "--step")
        policy = invalid_policy(invalid)
        fmt = _format(output)
        sources: list[str | Path | pd.DataFrame] = list(states)
        reports = read_reports(sources, invalid=policy)
        first = None if start is None else parse_time(start)
        last = None if end is None else parse_time(end)
    except (ConfigError, UnitError, DecodeError, OSError, ValueError) as err:
        raise _fail(str(err)) from None
    for note in reports.notes:
        typer.echo(f"wellclear: warning: {note}", err=True)
    if policy == "skip":
        write_skipped(reports.rejects, rejects, list(states))
    frame = reports.frame
    try:
        ticks = step_range(frame, first, last, dt, age)
    except ValueError as err:
        raise _fail(str(err)) from None
    engine = Engine(EngineSettings(alerting=config, max_age_s=age))
    run = _with_progress(
        lambda tick: run_alerts(engine, frame, ticks, events=events, progress=tick), ticks.n
    )
    _write(run.table, events, output, fmt)
    seen = run.rows
    if not seen.used:
        typer.echo(
            f"wellclear: warning: no report was usable at any step from {iso(ticks.t0)} to "
            f"{iso(ticks.t1)}: each was stale (older than --max-age {age:g} s), incomplete or "
            "on the ground",
            err=True,
        )
    n_rows = reports.counts.get("rows", len(frame) + len(reports.rejects))
    counted = {**counted_reasons(reports.counts), **seen.counted()}
    what = f"{run.events} events"
    if not events:
        what = f"{len(run.table)} alerts (level >= 1), {what}"
    typer.echo(
        f"alert {iso(ticks.t0)} to {iso(ticks.t1)}: {ticks.n} steps of {dt:g} s, "
        f"{run.aircraft} aircraft, {run.pairs} pairs assessed, {what}, "
        f"{len(reports.rejects)} rejected; "
        f"{accounting(n_rows, seen.used, len(reports.rejects), counted)}; "
        f"{time.perf_counter() - started:.2f} s",
        err=True,
    )


def _format(output: Path | None) -> str:
    """The result format of ``--output`` by its extension: JSON lines for ``.jsonl``, Parquet
    for ``.parquet``, else CSV (also on standard output); a path that cannot be written is
    refused before any work."""
    from wellclear.formats.resultset import check_output_file

    if output is None:
        return "csv"
    check_output_file(output)
    return {".jsonl": "jsonl", ".parquet": "parquet"}.get(output.suffix.lower(), "csv")


def _with_progress(work: Callable[[Callable[[int, int], None] | None], T], total: int) -> T:
    """Run ``work(tick)`` with a rich progress bar of the steps when stderr is a terminal."""
    if not sys.stderr.isatty():
        return work(None)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("alerting steps", total=total)

        def tick(done: int, of: int) -> None:
            bar.update(task, completed=done, total=of)

        return work(tick)


def _write(table: pd.DataFrame, events: bool, output: Path | None, fmt: str) -> None:
    """The alerts or events in their result contract (:mod:`wellclear.schemas`)."""
    from wellclear.engine.run import alert_table
    from wellclear.formats.results import write_result
    from wellclear.schemas import ALERT_EVENTS, ALERTS

    schema = ALERT_EVENTS if events else ALERTS
    frame = alert_table(table, events)
    try:
        if output is None:
            write_result(frame, schema, None, fmt)
            sys.stdout.flush()
        else:
            with replacing(output) as tmp:
                write_result(frame, schema, tmp, fmt)
    except ValueError as err:
        raise _fail(str(err)) from None
