"""States tables in Arrow, as the scan's streamed sources give them: the states the
whole-file reader (:func:`wellclear.formats.states.read_reports`) makes of the same columns
(:func:`states_frame`), and the row checks of :mod:`wellclear.formats.validate` on a table
(:func:`check_table`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wellclear.encounters.output import is_text
from wellclear.formats.validate import (
    RowChecker,
    check_states,
    check_times,
)
from wellclear.states import STATES_COLUMNS, UNKNOWN_PARTY

# the columns check_states sees in a streamed file (roles of formats.validate)
# (alt_m is not checked: the windows make it from alt_baro_m and alt_geo_m, as the reader does)
CHECKED = ("lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "vs_mps")


def states_frame(table: pa.Table) -> pd.DataFrame:
    """A states table from Arrow: missing text filled in Arrow (party "unknown", the others
    empty); text columns stay Arrow-backed strings, or categories where they were read as
    dictionaries, not converted to Python objects. Text is tidied, ``alt_m`` made and tracks
    brought into [0, 360) as the reader does (:func:`_as_reader`)."""
    table = _as_reader(table)
    other = []
    for c, d in STATES_COLUMNS.items():
        k = table.schema.get_field_index(c)
        if d != "object" or k < 0:
            continue
        col = table.column(k)
        if pa.types.is_null(col.type):
            col = col.cast(pa.string())
        if not is_text(col.type):
            other.append(c)
        elif col.null_count:
            kind = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
            fill = pa.scalar(UNKNOWN_PARTY if c == "party" else "", type=kind)
            table = table.set_column(k, c, pc.fill_null(col, fill))
        elif col is not table.column(k):
            table = table.set_column(k, c, col)
    frame = table.to_pandas()
    for c in other:  # not text in the file (numbers, dictionaries of numbers): as Python objects
        fill = UNKNOWN_PARTY if c == "party" else ""
        frame[c] = frame[c].astype(object).where(frame[c].notna(), fill)
    return frame


def _as_reader(table: pa.Table) -> pa.Table:
    """What the whole-file reader makes of the same columns: ids, parties and callsigns
    stripped (ICAO addresses in lower case, an empty party ``unknown``), ``alt_m`` and
    ``alt_src`` from ``alt_baro_m`` or else ``alt_geo_m``, tracks in [0, 360), ``onground``
    false where missing."""
    for c in ("id", "party", "callsign"):
        k = table.schema.get_field_index(c)
        if k >= 0 and is_text(table.column(k).type):
            table = table.set_column(k, c, _tidy_column(table.column(k), c))
    names = set(table.column_names)
    if {"alt_baro_m", "alt_geo_m"} <= names:
        baro = table.column("alt_baro_m")
        if "alt_m" in names:
            alt = pc.coalesce(pc.if_else(pc.is_nan(baro), None, baro), table.column("alt_geo_m"))
            table = table.set_column(table.schema.get_field_index("alt_m"), "alt_m", alt)
        if "alt_src" in names:
            known = pc.fill_null(pc.invert(pc.is_nan(baro)), False)
            src = pc.if_else(known, "baro", "geo")
            table = table.set_column(table.schema.get_field_index("alt_src"), "alt_src", src)
    if "trk_deg" in names and table.num_rows:
        trk = table.column("trk_deg")
        mm = pc.min_max(trk)
        low, high = mm["min"].as_py(), mm["max"].as_py()
        if low is not None and (low < 0.0 or high >= 360.0):
            turned = np.mod(np.asarray(trk.to_numpy(), np.float64), 360.0)
            values = pa.array(turned, from_pandas=True)
            table = table.set_column(table.schema.get_field_index("trk_deg"), "trk_deg", values)
    if "onground" in names and table.column("onground").null_count:
        k = table.schema.get_field_index("onground")
        table = table.set_column(k, "onground", pc.fill_null(table.column(k), False))
    return table


def _tidy_column(col: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    chunks = []
    for chunk in col.chunks:
        if pa.types.is_dictionary(chunk.type):
            values = _tidy_text(chunk.dictionary, name)
            if len(pc.unique(values)) == len(values):
                chunks.append(pa.DictionaryArray.from_arrays(chunk.indices, values))
            else:  # two spellings became one (an ICAO address in both cases)
                chunks.append(pc.dictionary_encode(pc.take(values, chunk.indices)))
        else:
            chunks.append(_tidy_text(chunk, name))
    return pa.chunked_array(chunks) if chunks else col


def _tidy_text(values: pa.Array, name: str) -> pa.Array:
    text = pc.utf8_trim_whitespace(values)
    if name == "id":
        icao = pc.match_substring_regex(text, r"^[0-9A-Fa-f]{6}$")
        text = pc.if_else(icao, pc.utf8_lower(text), text)
    elif name == "party":
        text = pc.if_else(pc.equal(text, ""), pa.scalar(UNKNOWN_PARTY, text.type), text)
    return text


def _empty_text(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Rows of a text column (perhaps a dictionary) that are null or empty."""
    if isinstance(col, pa.ChunkedArray):
        parts = [_empty_text(c) for c in col.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
    if pa.types.is_dictionary(col.type):
        empty = _empty_text(col.dictionary)
        codes = col.indices.to_numpy(zero_copy_only=False)
        nulls = col.is_null().to_numpy(zero_copy_only=False)
        out = nulls.copy()
        out[~nulls] = empty[codes[~nulls].astype(np.int64)] if empty.size else False
        return np.asarray(out, dtype=bool)
    if not is_text(col.type):
        return np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray(
        pc.fill_null(pc.equal(pc.utf8_trim_whitespace(col), ""), True).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )


def _floats(table: pa.Table, name: str) -> np.ndarray:
    col = table.column(name)
    if not pa.types.is_floating(col.type):
        col = col.cast(pa.float64(), safe=False)
    return np.asarray(col.to_numpy(), dtype=np.float64)


def check_table(table: pa.Table, reference: float | None) -> RowChecker:
    """The checks of :mod:`wellclear.formats.validate` on a states table in Arrow: a missing
    id or time, the time rule around ``reference``, the physical limits."""
    check = RowChecker(table.num_rows)
    names = set(table.column_names)
    if "id" in names:
        check.flag(_empty_text(table.column("id")), "id", "missing aircraft id")
    t = _floats(table, "t")
    check.flag(np.isnan(t), "t", "missing time")
    check_times(check, t, "t", reference)
    check_states(check, {c: _floats(table, c) for c in CHECKED if c in names})
    return check
