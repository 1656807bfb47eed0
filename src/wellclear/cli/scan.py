"""``wellclear scan`` and ``wellclear simulate``: recorded-traffic encounters.

A thin shell: parse, call :mod:`wellclear.encounters`, write through one sink, exit code.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import typer

from wellclear import __version__
from wellclear.cli import app
from wellclear.cli.agreement_option import (
    HORIZONTAL,
    MAX_GAP,
    MERGE_GAP,
    PROXIMITY,
    PROXIMITY_VERTICAL,
    VERTICAL,
    AgreementOpt,
    HorizontalOpt,
    MaxGapOpt,
    VerticalOpt,
    from_agreement,
    resolve_agreement,
)
from wellclear.cli.zones_option import ZONES, ZONES_HELP, ZonesCommand
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.output import QueuedWriter, TableWriter, parquet_options
from wellclear.encounters.scan import SCAN_WORKERS, ScanResult, Source
from wellclear.formats.errors import DecodeError
from wellclear.formats.result import accounting, counted_reasons
from wellclear.formats.results import arrow_cast
from wellclear.formats.resultset import ResultSet, command_line, describe_inputs
from wellclear.schemas import ENCOUNTERS, EVIDENCE, INFRINGEMENTS, REJECTS, Schema
from wellclear.units import UnitError, parse_duration, parse_length, positive, positive_duration

FORMATS = ("parquet", "csv", "json")
# the files a scan writes (stems): a rerun replaces all of them
SCAN_OUTPUTS = ("encounters", "evidence", "infringements", "rejects")
ROWS_PER_WINDOW = 500_000


def _fail(message: str) -> typer.Exit:
    typer.echo(f"wellclear: error: {message}", err=True)
    return typer.Exit(2)


def _write(frame: pd.DataFrame, path: Path, fmt: str, schema: Schema) -> Path:
    with TableWriter(path, fmt, schema=schema) as out:
        out.write(frame)
    return out.path


def _read_inputs(
    files: list[str], invalid: str, tz: str, t0: float | None
) -> tuple[pd.DataFrame, pd.DataFrame, int, dict[str, int]]:
    """Every non-streamed input read whole by the one road of :mod:`wellclear.formats`
    (:func:`~wellclear.formats.states.read_reports`): states, rejects, rows read and the rows
    set aside by reason."""
    from wellclear.formats.columns import coded
    from wellclear.formats.states import read_reports
    from wellclear.states import STATES_COLUMNS

    result = read_reports(
        files,  # type: ignore[arg-type]
        invalid=invalid,  # type: ignore[arg-type]
        tz=tz,
        t0=t0,
        categorical=True,  # ids coded once, as the streamed Parquet gives them
    )
    for note in result.notes:
        typer.echo(f"wellclear: {note}", err=True)
    frame = result.frame
    if len(frame.columns):
        baro = frame["alt_baro_m"]
        frame["alt_m"] = baro.where(baro.notna(), frame["alt_geo_m"])
        frame["alt_src"] = coded(baro.isna().to_numpy(np.int8), ["baro", "geo"])
    missing = [c for c in STATES_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"inputs lack the states column(s) {', '.join(missing)}")
    rows = result.counts.get("rows", len(frame) + len(result.rejects))
    return frame, result.rejects, rows, counted_reasons(result.counts)


@app.command("scan", cls=ZonesCommand)
def scan_command(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="State or feed files, directories, globs.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output directory.")],
    fmt: Annotated[str, typer.Option("--format", help="parquet, csv or json.")] = "parquet",
    zones: Annotated[list[str] | None, typer.Option(ZONES, help=ZONES_HELP)] = None,
    horizontal: HorizontalOpt = None,
    vertical: VerticalOpt = None,
    proximity: Annotated[
        str | None, typer.Option(help="Close-approach range. " + from_agreement("10NM"))
    ] = None,
    proximity_vertical: Annotated[
        str | None, typer.Option(help="Close-approach height. " + from_agreement("2000ft"))
    ] = None,
    merge_gap: Annotated[
        str | None, typer.Option(help="Join intervals closer than this. " + from_agreement("10s"))
    ] = None,
    max_gap: MaxGapOpt = None,
    agreement: AgreementOpt = None,
    window: Annotated[
        str, typer.Option(help="Time window streamed at once; auto: about 500k rows.")
    ] = "auto",
    sort: Annotated[
        str, typer.Option(help="Group rows by time window on disk first: auto, always, never.")
    ] = "auto",
    dask: Annotated[bool, typer.Option("--dask", help="Partition on a Dask cluster.")] = False,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of an existing Dask scheduler.")
    ] = None,
    terminal: Annotated[
        bool, typer.Option("--terminal", help="Leave out encounters near IATA airports.")
    ] = False,
    terminal_radius: Annotated[str, typer.Option(help="Terminal-area radius.")] = "5nm",
    terminal_height: Annotated[str, typer.Option(help="Height above the airport.")] = "3000ft",
    invalid: Annotated[str, typer.Option(help="error, or skip bad rows.")] = "error",
    tz: Annotated[str, typer.Option(help="Time zone of SBS times.")] = "UTC",
    t0: Annotated[float | None, typer.Option(help="Unix time of a Beast capture's start.")] = None,
    party_state: Annotated[
        str | None, typer.Option(help="Parties to states for --zones, e.g. russia=RUS.")
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Windows scanned at once (one machine; more use more memory); 0: 2.")
    ] = 0,
    memory_mib: Annotated[
        int,
        typer.Option(
            help="Above this resident size (MiB) give freed memory back and scan one window "
            "at a time instead of several; 0: never."
        ),
    ] = 1536,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the results already in --output.")
    ] = False,
) -> None:
    """Find and classify every encounter in recorded traffic; write encounters and evidence.

    The files are written as one set with a manifest.json last: a run that fails or is killed
    leaves the previous complete set, or none.
    """
    from wellclear.encounters.partition import WindowedCopy, partition_by_window
    from wellclear.encounters.scan import FrameSource, auto_window, scan_dask
    from wellclear.encounters.sourcecheck import check_source
    from wellclear.encounters.sources import (
        DatasetSource,
        contract_files,
        expand,
        time_clustered,
    )

    started = time.perf_counter()
    from wellclear.runtime.memory import MemoryGovernor

    cleanup: list[Path] = []
    held = contextlib.ExitStack()
    try:
        governor = MemoryGovernor(memory_mib << 20) if memory_mib > 0 else None
        if governor is not None:
            held.enter_context(governor)
        if fmt not in FORMATS:
            raise UnitError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
        if invalid not in ("error", "skip"):
            raise UnitError(f"--invalid {invalid!r}: expected error or skip")
        if workers < 0:
            raise UnitError(f"--workers {workers}: expected 0 (automatic) or more")
        at_most = workers or SCAN_WORKERS
        agreed = resolve_agreement(
            agreement,
            {
                "--horizontal": (HORIZONTAL, horizontal),
                "--vertical": (VERTICAL, vertical),
                "--proximity": (PROXIMITY, proximity),
                "--proximity-vertical": (PROXIMITY_VERTICAL, proximity_vertical),
                "--merge-gap": (MERGE_GAP, merge_gap),
                "--max-gap": (MAX_GAP, max_gap),
            },
            zones=zones,
            party_state=party_state,
        )
        cfg = agreed.scan_config()
        window_s = (
            0.0 if window == "auto" else positive(parse_duration(window, "--window"), "--window")
        )
        files = expand(paths)
        results = held.enter_context(ResultSet(output, SCAN_OUTPUTS, overwrite))
        # Parquet in the states contract is streamed (validated by check_source), everything
        # else read whole; both validated as every reader validates its rows
        source: DatasetSource | FrameSource | WindowedCopy
        counted: dict[str, int] = {}
        if contract_files(files, ("parquet",)):
            source, found = check_source(DatasetSource(tuple(files)), invalid)
            read_rows = source.count()
        else:
            frame, found, read_rows, counted = _read_inputs(files, invalid, tz, t0)
            source = FrameSource(frame)
        rejects = found if invalid == "skip" and len(found) else None
        if sort not in ("auto", "always", "never"):
            raise UnitError(f"--sort {sort!r}: expected auto, always or never")
        if window_s == 0.0:
            window_s = auto_window(source, ROWS_PER_WINDOW)
        if isinstance(source, DatasetSource) and sort != "never":
            many = source.count() > ROWS_PER_WINDOW and not time_clustered(source.files)
            if sort == "always" or many:
                # rows bucketed by window in one pass (no full sort: a window needs no order)
                spill = Path(tempfile.mkdtemp(prefix="sort-", dir=results.staging))
                cleanup.append(spill)
                source = partition_by_window(source, spill, window_s)
        keep = _terminal_filter(terminal, terminal_radius, terminal_height)
        batches: list[pa.Table] = []
        # evidence written and encounters kept compact (Arrow) as they are finished, so that
        # memory does not grow with the archive; written on a thread of its own meanwhile
        with QueuedWriter(TableWriter(results.path("evidence"), fmt, schema=EVIDENCE)) as ev_out:

            def sink(r: ScanResult) -> None:
                kept = keep(r)
                ev_out.write(kept.evidence)
                if len(kept.encounters):
                    batches.append(pa.Table.from_pandas(kept.encounters, preserve_index=False))

            if dask or scheduler:
                result = scan_dask(source, cfg, window_s, scheduler=scheduler, sink=sink)
            else:
                # fewer windows at once while the live data exceed the memory budget
                parallel = (lambda: 1 if governor.tight else at_most) if governor else None
                result = _scan_with_progress(source, cfg, window_s, sink, parallel, at_most)
        encounters = _by_start(batches, result.encounters)
        written = [
            results.add(_write_arrow(encounters, results.path("encounters"), fmt), len(encounters)),
            results.add(ev_out.path, ev_out.writer.rows),
        ]
        if rejects is not None:
            written.append(
                results.add(_write(rejects, results.path("rejects"), "csv", REJECTS), len(rejects))
            )
            typer.echo(f"wellclear: {len(rejects)} rows rejected, see {written[-1]}", err=True)
        if agreed.airspace.zones:
            from wellclear.encounters.zones import infringements

            events = infringements(
                source,
                [],
                cfg,
                window_s,
                agreed.party_state(),
                warn=lambda m: typer.echo(f"wellclear: warning: {m}", err=True),
                volumes=agreed.zones(),
                bind_unknown=agreed.airspace.bind_unknown,
            )
            staged = _write(events, results.path("infringements"), fmt, INFRINGEMENTS)
            written.append(results.add(staged, len(events)))
        for d in cleanup:
            shutil.rmtree(d, ignore_errors=True)
        results.commit(
            {
                "command": command_line(),
                "parameters": ctx.params,
                "wellclear": __version__,
                "inputs": describe_inputs(files),
                "settings": {
                    **asdict(cfg),
                    "format": fmt,
                    "window_s": window_s,
                    "zones": list(zones or []),
                    "party_state": party_state,
                    "agreement": {
                        "id": agreed.id,
                        "version": agreed.version,
                        "sha256": agreed.digest(),
                        "zones": [z.source for z in agreed.airspace.zones],
                    },
                    "terminal": terminal,
                    "terminal_radius": terminal_radius if terminal else None,
                    "terminal_height": terminal_height if terminal else None,
                    "invalid": invalid,
                    "tz": tz,
                    "t0": t0,
                },
                "rows": {
                    "input": read_rows,
                    "used": result.rows,
                    "counted": counted,
                    "rejected": len(found),
                    "flagged": result.flagged,
                },
            }
        )
    except (DecodeError, UnitError, ValueError, FileNotFoundError, OSError) as e:
        raise _fail(str(e)) from None
    finally:
        held.close()
        for d in cleanup:
            shutil.rmtree(d, ignore_errors=True)
    seconds = time.perf_counter() - started
    accounted = accounting(read_rows, result.rows, len(found), counted)
    flagged = {k: v for k, v in result.flagged.items() if v}
    if flagged:  # used, kept in the evidence, but not for minima (docs/plausibility.md)
        accounted += "; of the used, left out of the minima as implausible: " + ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in flagged.items()
        )
    _summary(encounters, result.rows, seconds, written, accounted)


def _terminal_filter(on: bool, radius: str, height: str) -> Callable[[ScanResult], ScanResult]:
    """What ``--terminal`` keeps of a (partial) result: everything when off."""
    if not on:
        return lambda r: r
    from wellclear.encounters.terminal import drop_terminal

    r_m = parse_length(radius, "--terminal-radius")
    h_m = parse_length(height, "--terminal-height")
    return lambda r: drop_terminal(r, r_m, h_m)


def _scan_with_progress(
    source: Source,
    cfg: ScanConfig,
    window_s: float,
    sink: Callable[[ScanResult], None] | None = None,
    parallel: Callable[[], int] | None = None,
    workers: int | None = None,
) -> ScanResult:
    """Stream ``source`` with a rich progress bar when stderr is a terminal."""
    from wellclear.encounters.scan import scan_source

    if not sys.stderr.isatty():
        return scan_source(source, cfg, window_s, sink=sink, parallel=parallel, workers=workers)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("scanning time windows", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return scan_source(
            source, cfg, window_s, progress=tick, sink=sink, parallel=parallel, workers=workers
        )


def _by_start(batches: list[pa.Table], empty: pd.DataFrame) -> pa.Table:
    """The encounters of all batches in one Arrow table, by start time and pair."""
    if not batches:
        return pa.Table.from_pandas(empty, preserve_index=False)
    table = pa.concat_tables(batches, promote_options="permissive")
    return table.sort_by([("start", "ascending"), ("id_1", "ascending"), ("id_2", "ascending")])


def _write_arrow(table: pa.Table, path: Path, fmt: str) -> Path:
    """Write the encounters (an Arrow table of conformed batches) as :func:`_write` writes a
    frame (Parquet straight from Arrow)."""
    if fmt != "parquet":
        return _write(table.to_pandas(), path, fmt, ENCOUNTERS)
    out = path.with_suffix(".parquet")
    table = arrow_cast(table)
    pq.write_table(table, out, **parquet_options(table.schema))
    return out


def _summary(
    enc: pa.Table, rows: int, seconds: float, written: list[Path], accounted: str = ""
) -> None:
    frame = enc.select(["primary", "airprox"]).to_pandas()
    counts = frame["primary"].value_counts().to_dict() if len(frame) else {}
    cats = frame.loc[frame["airprox"] != "", "airprox"].value_counts().sort_index().to_dict()
    parts = ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
    typer.echo(
        f"wellclear scan: {rows} rows, {enc.num_rows} encounters ({parts}); airprox "
        f"{', '.join(f'{k} {v}' for k, v in cats.items()) or 'none'}; "
        f"{seconds:.1f} s ({rows / max(seconds, 1e-9):,.0f} rows/s); {accounted}; wrote "
        + ", ".join(str(p) for p in written),
        err=True,
    )


@app.command("simulate")
def simulate_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="States file: .parquet or .csv.")],
    scenario: Annotated[str, typer.Option(help="syria2015 or random.")] = "syria2015",
    aircraft: Annotated[int, typer.Option(help="Flights of the random scenario.")] = 50,
    duration: Annotated[str, typer.Option(help="Length of the random scenario.")] = "1h",
    seed: Annotated[int, typer.Option(help="Random seed (sampling and traffic).")] = 2015,
    min_dt: Annotated[str, typer.Option(help="Shortest time between reports.")] = "1s",
    max_dt: Annotated[str, typer.Option(help="Longest time between reports.")] = "15s",
) -> None:
    """Synthetic kinematic traffic in the states contract (the built-in Syria 2015 scenario)."""
    from wellclear.formats.resultset import check_output_file
    from wellclear.formats.tables import write_table
    from wellclear.simulate.flights import fly, sample
    from wellclear.simulate.scenarios import random_plans, syria_2015

    try:
        lo = positive_duration(min_dt, "--min-dt")
        hi = positive_duration(max_dt, "--max-dt")
        if hi < lo:
            raise UnitError("--max-dt must not be smaller than --min-dt")
        check_output_file(output)
        if output.suffix.lower() not in (".parquet", ".csv"):
            raise UnitError(f"{output}: write .parquet or .csv")
        if scenario == "syria2015":
            frame = syria_2015(seed=seed, min_dt=lo, max_dt=hi)
        elif scenario == "random":
            span = positive(parse_duration(duration, "--duration"), "--duration")
            if aircraft < 1:
                raise UnitError("--aircraft must be at least 1")
            plans = random_plans(aircraft, span, seed=seed)
            frame = sample(fly(plans, dt=1.0), seed=seed, min_dt=lo, max_dt=hi)
        else:
            raise UnitError(f"--scenario {scenario!r}: expected syria2015 or random")
        write_table(frame, output)
    except (UnitError, ValueError, OSError) as e:
        raise _fail(str(e)) from None
    typer.echo(
        f"wellclear simulate: {len(frame)} states of {frame['id'].nunique()} aircraft to {output}",
        err=True,
    )
