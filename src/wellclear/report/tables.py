"""The tables of the report: read from a scan's complete result set, shown paged and filterable.

Each shown number carries the value it was formatted from (``data-v``, the scan's own value in
SI units, unrounded) so that a reader (and the tests) can hold the page against the files; the
filters and pages are a small inline script of :mod:`wellclear.report.page` over the rows.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from wellclear.encounters.classify import PRECEDENCE
from wellclear.formats.results import read_result
from wellclear.formats.resultset import read_manifest
from wellclear.report.rules import utc
from wellclear.schemas import Schema, SchemaError
from wellclear.units import FT_M, NM_M

# the pair naming of scans written before the result contracts (schemas.ENCOUNTERS)
OLD_NAMES = ("id_i", "id_j")


def listed(directory: Path, schema: Schema) -> bool:
    """Whether the complete result set in ``directory`` holds the table of ``schema``."""
    files = cast(dict[str, object], read_manifest(directory)["files"])
    return any(f"{schema.name}{s}" in files for s in (".parquet", ".csv", ".json"))


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


def most_severe_first(encounters: pd.DataFrame) -> pd.DataFrame:
    """Encounters by primary class (NMAC first, :data:`PRECEDENCE`), then minimum distance."""
    rank = encounters["primary"].map({c: k for k, c in enumerate(PRECEDENCE)})
    order = np.lexsort((encounters["h_min_m"].to_numpy(), rank.fillna(len(PRECEDENCE))))
    return encounters.iloc[order].reset_index(drop=True)


def nm_m(m: float) -> str:
    """A distance in NM with metres beside it."""
    return "" if pd.isna(m) else f"{m / NM_M:.2f} NM ({m:,.0f} m)"


def ft_m(m: float, signed: bool = True) -> str:
    """A height (``signed``: a difference, shown with its sign) in ft with metres beside it."""
    if pd.isna(m):
        return ""
    sign = "+" if signed else ""
    return f"{m / FT_M:{sign},.0f} ft ({m:{sign},.0f} m)"


@dataclass(frozen=True)
class Col:
    """A column of a shown table: the table's column, its head, how a value is shown, and
    whether the page offers a filter on it (``select``: a choice of values; ``text``)."""

    name: str
    head: str
    show: Callable[[object], str] = str
    filter: str = ""


def _value(v: object) -> str:
    if isinstance(v, pd.Timestamp):
        return "" if pd.isna(v) else f"{v.timestamp():.6f}"
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else repr(float(v))
    return str(v)


def _when(v: object) -> str:
    return utc(cast(pd.Timestamp, v))


ENCOUNTER_COLUMNS = (
    Col("encounter_id", "encounter", filter="text"),
    Col("primary", "class", filter="select"),
    Col("airprox", "airprox", filter="select"),
    Col("party_1", "party 1", filter="select"),
    Col("callsign_1", "callsign 1"),
    Col("party_2", "party 2", filter="select"),
    Col("callsign_2", "callsign 2"),
    Col("t_min", "minimum at (UTC)", _when, filter="time"),
    Col("h_min_m", "min horizontal", lambda v: nm_m(cast(float, v))),
    Col("dz_min_m", "vertical then", lambda v: ft_m(cast(float, v))),
    Col("slant_min_m", "min slant", lambda v: nm_m(cast(float, v))),
    Col("duration_s", "duration s", lambda v: f"{cast(float, v):.0f}"),
    Col("los_s", "below minima s", lambda v: f"{cast(float, v):.0f}"),
)

INFRINGEMENT_COLUMNS = (
    Col("volume", "zone", filter="select"),
    Col("event", "event", filter="select"),
    Col("party", "party", filter="select"),
    Col("id", "aircraft", filter="text"),
    Col("callsign", "callsign"),
    Col("entry_time", "entry (UTC)", _when, filter="time"),
    Col("exit_time", "exit (UTC)", _when),
    Col("dwell_s", "dwell s", lambda v: f"{cast(float, v):.1f}"),
    Col("max_depth_m", "max depth", lambda v: nm_m(cast(float, v))),
    Col("max_alt_m", "max altitude", lambda v: ft_m(cast(float, v), signed=False)),
)


def table_html(
    frame: pd.DataFrame,
    columns: Sequence[Col],
    table_id: str,
    anchor: str = "",
    sections: set[str] | None = None,
) -> str:
    """A table of ``frame`` with filters (``data-filter`` heads) for the page's script;
    ``anchor``: the column whose value names the finding's section (``#value``), linked where
    it is in ``sections`` (every row when None)."""
    head = "".join(f"<th data-filter='{c.filter}'>{html.escape(c.head)}</th>" for c in columns)
    rows = []
    values = {c.name: frame[c.name].tolist() for c in columns}
    links = frame[anchor].astype(str).tolist() if anchor else []
    for k in range(len(frame)):
        cells = []
        link = links[k] if anchor and (sections is None or links[k] in sections) else ""
        for c in columns:
            v = values[c.name][k]
            text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else c.show(v)
            text = html.escape(text)
            if link and c is columns[0]:
                text = f"<a href='#{html.escape(link)}'>{text}</a>"
            cells.append(f"<td data-v='{html.escape(_value(v))}'>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<table class='findings' id='{table_id}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
