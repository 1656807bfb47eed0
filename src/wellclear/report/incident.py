"""The report of one incident of ``wellclear serve`` (``GET /v1/incidents/{id}/report``), drawn
by the same code as a scan's report, from what the caller may see of it (the view of
:func:`wellclear.service.disclosure.view_incident`, already minimised): the cell and observers
get the encounter with its rules, plan view of both tracks and separation curve; a party gets
the separation reached, and a plan view of its own track only."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from wellclear.encounters.config import ScanConfig
from wellclear.report.findings import encounter_section, facts_html
from wellclear.report.maps import Layer, map_svg, view_of
from wellclear.report.page import page
from wellclear.report.rules import utc
from wellclear.report.tables import ft_m, nm_m


def _evidence(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if len(frame) and "t_unix" not in frame and "t" in frame:
        t = frame["t"]
        numeric = pd.to_numeric(t, errors="coerce")
        frame["t_unix"] = numeric.where(
            numeric.notna(), pd.to_datetime(t, utc=True, errors="coerce").astype("int64") / 1e9
        )
    return frame


def _own_track(evidence: pd.DataFrame, label: str) -> str:
    if not len(evidence) or not {"lat", "lon"} <= set(evidence):
        return ""
    lat = evidence["lat"].to_numpy(np.float64)
    lon = evidence["lon"].to_numpy(np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return ""
    layer = Layer("track1", label, lines=[(lat[ok], lon[ok])])
    return map_svg([layer], view_of(lat[ok], lon[ok]), title=f"plan view: {label} (own track)")


def incident_page(view: dict[str, Any], cfg: ScanConfig, tz: str | None = None) -> str:
    """The HTML page of an incident as the caller may see it."""
    title = f"Incident {view['incident_id']}: {view['kind']}"
    sep = view.get("separation", {}) or {}
    items: list[tuple[str, str, object]] = [
        ("class", str(view["kind"]), view["kind"]),
        ("start", utc(pd.Timestamp(view["t_start"]), tz), view["t_start"]),
        ("end", utc(pd.Timestamp(view["t_end"]), tz), view["t_end"]),
        ("agreement version", str(view["agreement_version"]), view["agreement_version"]),
    ]
    for k in ("h_min_m", "slant_min_m"):
        if sep.get(k) is not None:
            items.append((k.replace("_m", "").replace("_", " "), nm_m(float(sep[k])), sep[k]))
    if sep.get("dz_min_m") is not None:
        items.append(("vertical at the minimum", ft_m(float(sep["dz_min_m"])), sep["dz_min_m"]))
    body = [f"<h1>{html.escape(title)}</h1>", facts_html(items)]
    evidence = _evidence(list(view.get("evidence", [])))
    if "encounter" in view:
        enc = pd.Series(view["encounter"])
        enc = enc.where(enc.notna(), "")
        body.append(encounter_section(enc, evidence, cfg, tz, plot=len(evidence) > 0))
    else:
        own = view.get("own", {}) or {}
        other = view.get("other", {}) or {}
        body.append(
            "<p>Your aircraft: "
            + html.escape(f"{own.get('id', '')} {own.get('callsign', '')}".strip())
            + ". The other aircraft: "
            + html.escape(", ".join(f"{k} {v}" for k, v in other.items()) or "not disclosed")
            + " (the agreement's sharing level).</p>"
        )
        body.append(_own_track(evidence, str(own.get("callsign") or own.get("id", ""))))
    body.append(
        "<p class='note'>Recorded by wellclear serve under agreement version "
        f"{html.escape(str(view['agreement_version']))}; classified by the rules of wellclear "
        "scan.</p>"
    )
    return page(title, "".join(body))
