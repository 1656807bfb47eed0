"""A self-contained HTML report of a scan: a sortable table and, per encounter, three plots.

Plots (matplotlib, PNG embedded as base64): the plan view of both tracks around the minimum, the
vertical profile, and the horizontal separation against time, from the evidence samples (raw
reports of both aircraft within ``evidence_s`` of the minimum). Only the ``max_plots`` most
severe encounters get plots (by primary class, then minimum distance); the table has them all.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from wellclear.encounters.classify import PRECEDENCE
from wellclear.formats.results import read_result
from wellclear.formats.resultset import read_manifest, write_atomic
from wellclear.geo import geodesic_distance
from wellclear.schemas import ENCOUNTERS, EVIDENCE, Schema, SchemaError
from wellclear.units import FT_M, NM_M

_TABLE_COLUMNS = [
    ("encounter_id", "encounter"),
    ("primary", "primary"),
    ("classes", "classes"),
    ("airprox", "airprox"),
    ("callsign_1", "callsign 1"),
    ("party_1", "party 1"),
    ("callsign_2", "callsign 2"),
    ("party_2", "party 2"),
    ("start_utc", "start (UTC)"),
    ("duration_s", "duration s"),
    ("h_min_nm", "min horiz NM"),
    ("dz_min_ft", "vert then ft"),
    ("slant_min_nm", "min slant NM"),
    ("rel_speed_kt", "rel speed kt"),
]

_SCRIPT = """
<script>
document.querySelectorAll('th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var rows = Array.from(body.rows);
    var asc = th.dataset.asc !== '1';
    th.dataset.asc = asc ? '1' : '0';
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>
"""


# the pair naming of scans written before the result contracts (schemas.ENCOUNTERS)
OLD_NAMES = ("id_i", "id_j")


def read_table(directory: Path, schema: Schema) -> pd.DataFrame:
    """The table of ``schema`` from a scan's output directory: the file its complete manifest
    lists (:func:`~wellclear.formats.resultset.read_manifest` refuses an incomplete set), read
    back as the contract. A directory of the old pair naming (``id_i``, ``id_j``) is refused
    with what to do, rather than read through a second set of names."""
    files = cast(dict[str, object], read_manifest(directory)["files"])  # checked there
    for suffix in (".parquet", ".csv", ".json"):
        path = directory / f"{schema.name}{suffix}"
        if path.name in files:
            try:
                return read_result(path, schema)
            except SchemaError as err:
                if any(name in str(err) for name in OLD_NAMES):
                    raise SchemaError(
                        f"{path}: written by an earlier wellclear, with the pair naming id_i, "
                        "id_j: run wellclear scan again to write it with id_1, id_2"
                    ) from None
                raise
    raise FileNotFoundError(
        f"{directory}: its manifest lists no {schema.name} table (run wellclear scan)"
    )


def _png(fig: object) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")  # type: ignore[attr-defined]
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(enc: pd.Series, ev: pd.DataFrame) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    plan, prof, sep = axes
    t_min = pd.Timestamp(enc["t_min"]).timestamp()
    tracks = {}
    for who in ("1", "2"):
        ident = enc[f"id_{who}"]
        g = ev[ev["id"] == ident].sort_values("t_unix")
        tracks[who] = g
        flag = g["flag"]
        bad = flag.notna() & (flag.astype(str) != "")  # CSV reads an empty flag as NaN
        label = f"{ident} {enc[f'callsign_{who}']}"
        line = plan.plot(g["lon"], g["lat"], ".-", label=label)[0]
        plan.plot(g.loc[bad, "lon"], g.loc[bad, "lat"], "x", color="red")
        plan.plot(
            enc[f"lon_{who}"], enc[f"lat_{who}"], "o", color=line.get_color(), mfc="none", ms=10
        )
        prof.plot(g["t_unix"] - t_min, g["alt_m"] / FT_M, ".-", label=label)
    plan.set_xlabel("lon (deg)")
    plan.set_ylabel("lat (deg)")
    plan.set_title("plan view (o: at the minimum, x: flagged)")
    plan.legend(fontsize=7)
    prof.set_xlabel("s from the minimum")
    prof.set_ylabel("altitude (ft)")
    prof.set_title("vertical profile")
    gi, gj = tracks["1"], tracks["2"]
    if len(gi) and len(gj) > 1:
        ti, tj = gi["t_unix"], gj["t_unix"]
        lat_j = np.interp(ti, tj, gj["lat"])
        lon_j = np.interp(ti, tj, np.unwrap(gj["lon"], period=360.0))
        d = geodesic_distance(gi["lat"].to_numpy(), gi["lon"].to_numpy(), lat_j, lon_j)
        inside = (ti >= tj.min()) & (ti <= tj.max())
        sep.plot(ti[inside] - t_min, d[inside] / NM_M, ".-", label="from samples")
    sep.plot([0.0], [enc["h_min_m"] / NM_M], "o", color="red", label="minimum (Hermite)")
    sep.set_xlabel("s from the minimum")
    sep.set_ylabel("horizontal separation (NM)")
    sep.set_title("separation")
    sep.legend(fontsize=7)
    data = _png(fig)
    plt.close(fig)
    alt = html.escape(str(enc["encounter_id"]))
    return f'<img alt="plots of {alt}" src="data:image/png;base64,{data}">'


def render(encounters: pd.DataFrame, evidence: pd.DataFrame, max_plots: int = 50) -> str:
    """The HTML text of the report."""
    enc = encounters.copy()
    enc["start_utc"] = enc["start"].dt.strftime("%Y-%m-%d %H:%M:%S")
    enc["h_min_nm"] = (enc["h_min_m"] / NM_M).round(3)
    enc["slant_min_nm"] = (enc["slant_min_m"] / NM_M).round(3)
    enc["dz_min_ft"] = (enc["dz_min_m"] / FT_M).round(0)
    enc["rel_speed_kt"] = (enc["rel_speed_start_mps"] * 3600 / NM_M).round(0)
    enc["duration_s"] = enc["duration_s"].round(1)
    enc["airprox"] = enc["airprox"].fillna("")
    rank = {c: k for k, c in enumerate(PRECEDENCE)}
    enc["_rank"] = enc["primary"].map(rank)
    head = "".join(f"<th>{html.escape(t)}</th>" for _, t in _TABLE_COLUMNS)
    rows = []
    for r in enc.sort_values(["_rank", "h_min_m"]).itertuples():
        cells = []
        for col, _ in _TABLE_COLUMNS:
            v = getattr(r, col)
            text = html.escape(str(v))
            if col == "encounter_id":
                text = f'<a href="#{text}">{text}</a>'
            cells.append(f'<td data-v="{html.escape(str(v))}">{text}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    sections = []
    for _, e in enc.sort_values(["_rank", "h_min_m"]).head(max_plots).iterrows():
        ev = evidence[evidence["encounter_id"] == e["encounter_id"]]
        name = html.escape(str(e["encounter_id"]))
        sections.append(
            f'<h3 id="{name}">{name} - {html.escape(str(e["primary"]))}</h3>'
            f"<p>{html.escape(str(e['rules']))}</p>" + _plots(e, ev)
        )
    counts = enc["primary"].value_counts().to_dict()
    summary = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>wellclear encounters</title>"
        "<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;"
        "font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}th{cursor:pointer;"
        "background:#eee}img{max-width:100%}</style></head><body>"
        f"<h1>Encounters</h1><p>{len(enc)} encounters ({html.escape(summary)}). Click a column "
        f"head to sort.</p><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
        f"</tbody></table><h2>Most severe (up to {max_plots})</h2>{''.join(sections)}"
        f"{_SCRIPT}</body></html>"
    )


def write_report(directory: Path, output: Path, max_plots: int = 50) -> int:
    """Write the report of a scan's output directory; returns the number of encounters."""
    enc = read_table(directory, ENCOUNTERS)
    ev = read_table(directory, EVIDENCE)
    write_atomic(output, render(enc, ev, max_plots))
    return len(enc)
