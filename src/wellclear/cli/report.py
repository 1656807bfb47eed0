"""``wellclear report``: the report a safety board reads, of a scan directory (HTML or PDF)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from wellclear.cli import app


@app.command("report")
def report_command(
    directory: Annotated[Path, typer.Argument(help="Output directory of wellclear scan.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[
        str, typer.Option("--format", help="html, or pdf (headless Chromium).")
    ] = "html",
    plots: Annotated[
        int,
        typer.Option(
            "--plots",
            "--max-plots",
            help="Encounters with a plan view and curve, most severe first.",
        ),
    ] = 50,
    local_tz: Annotated[
        str | None, typer.Option(help="Also show times in this IANA zone, e.g. Europe/Istanbul.")
    ] = None,
) -> None:
    """Summary (run, settings, agreement, counts), overview map, paged and filterable tables of
    encounters and infringements, and for the most severe a plan view and separation curve."""
    from rich.console import Console
    from rich.progress import Progress

    from wellclear.report.build import write_report
    from wellclear.report.pdf import ChromiumError

    started = time.perf_counter()
    console = Console(stderr=True)
    try:
        with Progress(console=console, transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("drawing the most severe encounters", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            made = write_report(directory, output, plots, fmt, local_tz, tick)
    except (ValueError, OSError, ChromiumError) as e:
        typer.echo(f"wellclear: error: {e}", err=True)
        raise typer.Exit(2) from None
    seconds = time.perf_counter() - started
    inf = "not scanned" if made.infringements is None else str(made.infringements)
    typer.echo(
        f"wellclear report: {made.encounters} encounters, {made.evidence_rows} evidence rows, "
        f"{inf} infringements read; {made.plots} encounters plotted; {fmt} "
        f"({made.html_bytes:,} bytes of HTML) to {output}; {seconds:.1f} s",
        err=True,
    )
