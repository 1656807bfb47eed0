"""``wellclear daa`` and ``wellclear alert``: DO-365 alert levels from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from wellclear.cli import app
from wellclear.cli.skipped import INVALID_HELP, REJECTS_HELP, invalid_policy, write_skipped
from wellclear.formats.resultset import replacing
from wellclear.snapshot import MAX_AGE_LIMIT_S

# the most time steps one run takes (a day at 0.1 s)
MAX_STEPS = 864_000


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


AlerterOpt = Annotated[
    str,
    typer.Option(
        "--alerter",
        help="Preset (do365, do365-sum, do365-phase2, do365-noncoop, tcas, cylinder) "
        "or a .toml/.yaml preset file.",
    ),
]
NoHystOpt = Annotated[
    bool,
    typer.Option(
        "--no-hysteresis", help="No M-of-N, persistence or early alerting (DAIDALUS --nohyst)."
    ),
]


@app.command("daa")
def daa_command(
    file: Annotated[Path, typer.Argument(help="DAIDALUS .daa encounter file.")],
    alerter: AlerterOpt = "do365",
    no_hysteresis: NoHystOpt = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV file (default: standard output).")
    ] = None,
) -> None:
    """Write the alerting CSV that DAIDALUS's DaidalusAlerting writes for FILE."""
    from wellclear.alerting.config import ConfigError, preset
    from wellclear.alerting.logic import taumod_threshold
    from wellclear.alerting.scenario import run_scenario
    from wellclear.formats.daa import DaaDecodeError, read_daa
    from wellclear.formats.daa_csv import write_alerting_csv
    from wellclear.units import UnitError

    try:
        config = preset(alerter)
        scenario = read_daa(file)
    except (ConfigError, DaaDecodeError, UnitError, OSError) as err:
        raise _fail(str(err)) from None
    if no_hysteresis:
        config = config.without_hysteresis()
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
    alerter: AlerterOpt = "do365",
    no_hysteresis: NoHystOpt = False,
    step: Annotated[str, typer.Option("--step", help="Time step, e.g. 1s.")] = "1s",
    start: Annotated[
        str | None, typer.Option("--start", help="First time: unix s or ISO 8601 (UTC).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Last time: unix s or ISO 8601 (UTC).")
    ] = None,
    max_age: Annotated[
        str, typer.Option("--max-age", help="Oldest usable report, e.g. 20s.")
    ] = "20s",
    events: Annotated[
        bool, typer.Option("--events", help="Lifecycle events instead of levels.")
    ] = False,
    invalid: Annotated[str, typer.Option(help=INVALID_HELP)] = "error",
    rejects: Annotated[Path | None, typer.Option(help=REJECTS_HELP)] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV file (default: standard output).")
    ] = None,
) -> None:
    """Alert levels of every ordered pair (ownship, intruder) over time, level >= 1."""
    import time

    from wellclear.alerting.config import ConfigError, preset
    from wellclear.alerting.pairs import PairAlerter, level_events
    from wellclear.formats.errors import DecodeError
    from wellclear.formats.result import accounting, counted_reasons
    from wellclear.formats.states import read_reports
    from wellclear.snapshot import snapshot
    from wellclear.snapshot_steps import StepRows
    from wellclear.timeutil import iso, parse_time
    from wellclear.units import UnitError, positive_duration

    started = time.perf_counter()
    try:
        config = preset(alerter)
        dt = positive_duration(step, "--step")
        age = positive_duration(max_age, "--max-age", at_most_s=MAX_AGE_LIMIT_S)
        policy = invalid_policy(invalid)
        sources: list[str | Path | pd.DataFrame] = list(states)
        reports = read_reports(sources, invalid=policy)
        first = None if start is None else parse_time(start)
        last = None if end is None else parse_time(end)
    except (ConfigError, UnitError, DecodeError, OSError, ValueError) as err:
        raise _fail(str(err)) from None
    if no_hysteresis:
        config = config.without_hysteresis()
    for note in reports.notes:
        typer.echo(f"wellclear: warning: {note}", err=True)
    if policy == "skip":
        write_skipped(reports.rejects, rejects, list(states))
    frame = reports.frame
    if frame.empty:
        raise _fail("no states in the input")
    lo, hi = float(frame["t_row"].min()), float(frame["t_row"].max())
    t0 = lo if first is None else first
    t1 = hi if last is None else last
    if t1 < t0:
        raise _fail(f"--end {iso(t1)} is before --start {iso(t0)}")
    if t0 > hi + age or t1 < lo:
        raise _fail(
            f"--start {iso(t0)} to --end {iso(t1)} is outside the data: reports from {iso(lo)} "
            f"to {iso(hi)} (usable up to --max-age {age:g} s after)"
        )
    if (t1 - t0) / dt >= MAX_STEPS:
        raise _fail(
            f"--start {iso(t0)} to --end {iso(t1)} at --step {dt:g} s is more than {MAX_STEPS:,} "
            "steps: shorten the range or lengthen the step"
        )
    engine = PairAlerter(config)
    rows: list[pd.DataFrame] = []
    history: dict[tuple[str, str], int] = {}
    log: list[dict] = []
    n_steps = int((t1 - t0) // dt) + 1
    seen = StepRows(frame, t0, dt, n_steps)
    for k in range(n_steps):
        now = t0 + k * dt
        snap = snapshot(frame, now, age)
        seen.add(snap.states)
        result = engine.step(snap.states, now)
        if events:
            log.extend(level_events(history, result))
        else:
            rows.append(result[result["level"] >= 1])
    if events:
        table = pd.DataFrame(log, columns=["t", "ownship", "intruder", "event", "from", "to"])
    else:
        table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
        if not table.empty:
            table = table.sort_values(["t", "ownship", "intruder"], kind="stable")
    try:
        if output is None:
            table.to_csv(sys.stdout, index=False)
            sys.stdout.flush()
        else:
            with replacing(output) as tmp:
                table.to_csv(tmp, index=False)
    except ValueError as err:
        raise _fail(str(err)) from None
    if not seen.used:
        typer.echo(
            f"wellclear: warning: no report was usable at any step from {iso(t0)} to {iso(t1)}: "
            f"each was stale (older than --max-age {age:g} s), incomplete or on the ground",
            err=True,
        )
    n_rows = reports.counts.get("rows", len(frame) + len(reports.rejects))
    counted = {**counted_reasons(reports.counts), **seen.counted()}
    what = f"{len(table)} events" if events else f"{len(table)} alerts (level >= 1)"
    typer.echo(
        f"alert {iso(t0)} to {iso(t1)}: {n_steps} steps of {dt:g} s, {what}, "
        f"{len(reports.rejects)} rejected; "
        f"{accounting(n_rows, seen.used, len(reports.rejects), counted)}; "
        f"{time.perf_counter() - started:.2f} s",
        err=True,
    )
