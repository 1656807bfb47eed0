"""The summary a safety board reads first: what was scanned, when, under which settings and
agreement, and the counts (encounters by class and airprox category, infringements by zone and
party), all from the scan's manifest and tables."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, cast

import pandas as pd

from wellclear.encounters.classify import PRECEDENCE
from wellclear.report.rules import STANDARDS, utc
from wellclear.report.tables import ft_m, nm_m

# the scan settings shown (the manifest's names), as distances or times
_DISTANCES = (
    ("horizontal_m", "scan minimum, horizontal"),
    ("proximity_horizontal_m", "proximity range, horizontal"),
    ("nmac_horizontal_m", "NMAC, horizontal"),
    ("intercept_horizontal_m", "intercept station-keeping, horizontal"),
)
_HEIGHTS = (
    ("vertical_m", "scan minimum, vertical"),
    ("proximity_vertical_m", "proximity range, vertical"),
    ("nmac_vertical_m", "NMAC, vertical"),
    ("intercept_vertical_m", "intercept station-keeping, vertical"),
)
_TIMES = (
    ("merge_gap_s", "intervals joined across"),
    ("max_gap_s", "longest gap bridged between samples"),
    ("intercept_min_s", "intercept station-keeping at least"),
    ("evidence_s", "evidence kept around each minimum"),
)


def _dl(items: list[tuple[str, str]]) -> str:
    return (
        "<dl>"
        + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items)
        + "</dl>"
    )


def _counts(series: pd.Series, order: list[str] | None = None) -> str:
    counts = series[series.astype(str) != ""].astype(str).value_counts()
    keys = [k for k in (order or []) if k in counts] + sorted(set(counts.index) - set(order or []))
    if not keys:
        return "none"
    return ", ".join(f"{k} <b data-count='{html.escape(k)}'>{counts[k]}</b>" for k in keys)


def settings_html(manifest: Mapping[str, Any]) -> str:
    """The run: command, version, inputs, time range, minima, agreement."""
    settings = cast(dict[str, Any], manifest.get("settings", {}))
    agreed = cast(dict[str, Any], settings.get("agreement") or {})
    inputs = cast(list[dict[str, Any]], manifest.get("inputs", []))
    rows = cast(dict[str, Any], manifest.get("rows", {}))
    run = [
        ("command", " ".join(str(a) for a in manifest.get("command", []))),
        ("wellclear", str(manifest.get("wellclear", ""))),
        ("finished", str(manifest.get("finished", "")).replace("+00:00", " UTC")),
        (
            "agreement",
            f"{agreed.get('id', 'none')} version {agreed.get('version', '-')} (sha256 "
            f"{str(agreed.get('sha256', ''))[:16]}...)"
            if agreed
            else "none (built-in defaults)",
        ),
        ("zones", ", ".join(agreed.get("zones", []) or settings.get("zones", [])) or "none"),
        (
            "rows",
            f"{rows.get('input', '?')} read, {rows.get('used', '?')} used, "
            f"{rows.get('rejected', 0)} rejected",
        ),
    ]
    for k, f in enumerate(inputs):
        size = f" ({f['bytes']:,} bytes, modified {f.get('modified', '')})" if "bytes" in f else ""
        run.append((f"input {k + 1}", f"{f.get('path', '')}{size}"))
    minima = [(label, nm_m(float(settings[k]))) for k, label in _DISTANCES if k in settings]
    minima += [
        (label, ft_m(float(settings[k]), signed=False)) for k, label in _HEIGHTS if k in settings
    ]
    minima += [(label, f"{float(settings[k]):g} s") for k, label in _TIMES if k in settings]
    return (
        "<div class='cols'><div><h3>Run</h3>"
        + _dl(run)
        + "</div><div><h3>Minima and settings</h3>"
        + _dl(minima)
        + "</div></div>"
    )


def counts_html(encounters: pd.DataFrame, infringements: pd.DataFrame | None) -> str:
    """Counts by class, airprox category, time range; infringements by zone and party."""
    parts = [f"<p><b data-count='encounters'>{len(encounters)}</b> encounters"]
    if len(encounters):
        parts.append(
            f" between {html.escape(utc(encounters['start'].min()))} and "
            f"{html.escape(utc(encounters['end'].max()))}"
        )
    parts.append(f". By class: {_counts(encounters['primary'], list(PRECEDENCE))}.")
    parts.append(
        f" Provisional airprox category ({html.escape(STANDARDS['7'])}): "
        f"{_counts(encounters['airprox'], ['A', 'B', 'C', 'D'])}.</p>"
    )
    if infringements is None:
        parts.append("<p>Airspace infringements: not scanned (no zones in the run).</p>")
    else:
        parts.append(
            f"<p><b data-count='infringements'>{len(infringements)}</b> airspace "
            "infringements and crossings (EUROCONTROL: a flight into notified airspace without "
            "approval)."
        )
        if len(infringements):
            pairs = (
                infringements["volume"].astype(str) + " by " + infringements["party"].astype(str)
            )
            parts.append(f" By zone and party: {_counts(pairs)}.")
        parts.append("</p>")
    return "".join(parts)
