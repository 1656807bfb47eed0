"""The report of a scan directory: summary, overview map, tables, then each finding."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from wellclear.encounters.config import ScanConfig
from wellclear.formats.resultset import read_manifest, write_atomic
from wellclear.report.findings import (
    encounter_section,
    infringement_id,
    infringement_section,
    overview,
    zone_areas,
)
from wellclear.report.page import page
from wellclear.report.summary import counts_html, settings_html
from wellclear.report.tables import (
    ENCOUNTER_COLUMNS,
    INFRINGEMENT_COLUMNS,
    listed,
    most_severe_first,
    read_table,
    table_html,
)
from wellclear.schemas import ENCOUNTERS, EVIDENCE, INFRINGEMENTS

FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class Report:
    """What a report was made of: rows read, findings, plots drawn, its size."""

    encounters: int
    evidence_rows: int
    infringements: int | None
    plots: int
    html_bytes: int


def scan_config(manifest: dict[str, Any]) -> ScanConfig:
    """The thresholds the scan ran with (its manifest's settings; defaults for older ones)."""
    settings = manifest.get("settings", {})
    return ScanConfig(
        **{f.name: settings[f.name] for f in fields(ScanConfig) if f.name in settings}
    )


def render(
    manifest: dict[str, Any],
    encounters: pd.DataFrame,
    evidence: pd.DataFrame,
    infringements: pd.DataFrame | None,
    plots: int = 50,
    tz: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    script: bool = True,
) -> tuple[str, int]:
    """The HTML text of the report and the number of encounters plotted (``script``: the
    page's paging and filters; left out for the PDF, which shows every row)."""
    cfg = scan_config(manifest)
    enc = most_severe_first(encounters)
    inf = None
    if infringements is not None:
        inf = infringements.sort_values(["dwell_s", "max_depth_m"], ascending=False)
        inf = inf.reset_index(drop=True)
        inf["_anchor"] = [infringement_id(inf.iloc[k]) for k in range(len(inf))]
    settings = manifest.get("settings", {}) or {}
    specs = [
        *((settings.get("agreement") or {}).get("zones") or []),
        *(settings.get("zones") or []),
    ]
    zones = zone_areas(specs, [] if inf is None else inf["volume"].astype(str).unique())
    shown = min(plots, len(enc))
    sections = []
    for k in range(shown):
        sections.append(encounter_section(enc.iloc[k], evidence, cfg, tz, True))
        if progress is not None:
            progress(k + 1, shown)
    inf_part = ""
    if inf is not None:
        inf_part = (
            "<h2>Airspace infringements, longest first</h2>"
            + table_html(inf, INFRINGEMENT_COLUMNS, "infringements", anchor="_anchor")
            + "".join(infringement_section(inf.iloc[k], tz, zones) for k in range(len(inf)))
        )
    agreed = (manifest.get("settings", {}) or {}).get("agreement") or {}
    title = "wellclear safety report" + (f": agreement {agreed['id']}" if agreed else "")
    more = len(enc) - len(sections)
    body = (
        f"<h1>{html.escape(title)}</h1>"
        "<h2>Summary</h2>"
        + counts_html(enc, inf)
        + settings_html(manifest)
        + "<h2>Overview</h2>"
        + overview(enc, inf, zones)
        + inf_part
        + "<h2>Encounters, most severe first</h2>"
        + table_html(
            enc, ENCOUNTER_COLUMNS, "encounters", "encounter_id", set(enc["encounter_id"][:shown])
        )
        + f"<p class='note'>Plan views and separation curves for the {shown} most severe "
        "(--plots); curves along the interpolated (Hermite) paths the minima come from, "
        "samples marked."
        + (f" {more} less severe encounters are in the table only." if more > 0 else "")
        + "</p>"
        + "".join(sections)
    )
    return page(title, body, script), shown


def write_report(
    directory: Path,
    output: Path,
    plots: int = 50,
    fmt: str = "html",
    tz: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Write the report of a scan's output directory (complete manifest required)."""
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: expected html or pdf")
    if plots < 0:
        raise ValueError(f"--plots {plots}: expected 0 or more")
    if tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"--local-tz {tz!r}: not an IANA time zone (e.g. Europe/Istanbul)"
            ) from None
    manifest = json.loads(json.dumps(read_manifest(directory)))
    enc = read_table(directory, ENCOUNTERS)
    ev = read_table(directory, EVIDENCE)
    inf = read_table(directory, INFRINGEMENTS) if listed(directory, INFRINGEMENTS) else None
    text, shown = render(manifest, enc, ev, inf, plots, tz, progress, script=fmt == "html")
    if fmt == "pdf":
        from wellclear.report.pdf import html_to_pdf

        html_to_pdf(text, output)
    else:
        write_atomic(output, text)
    return Report(len(enc), len(ev), None if inf is None else len(inf), shown, len(text.encode()))
