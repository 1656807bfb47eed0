"""The column sets of state tables recognised by name, and their conversion into the states
contract of :mod:`wellclear.states` (SI units), checked row by row.

* OpenSky historical database: ``time`` (unix s), ``icao24``, ``lat``, ``lon``, ``velocity``
  (m/s), ``heading`` (deg, true track), ``vertrate`` (m/s), ``baroaltitude``, ``geoaltitude`` (m),
  optional ``callsign``, ``onground``, ``lastposupdate`` (time of the position);
* OpenSky REST API: ``time_position``/``time``/``last_contact``, ``icao24``, ``latitude``,
  ``longitude``, ``velocity``, ``true_track``, ``vertical_rate`` (m/s), ``baro_altitude``,
  ``geo_altitude`` (m), optional ``callsign``, ``on_ground``;
* ``traffic`` canonical: ``timestamp`` (ISO 8601, unix s or ms), ``icao24``, ``latitude``,
  ``longitude``, ``altitude`` (ft, barometric), ``groundspeed`` (kt), ``track`` (deg),
  ``vertical_rate`` (ft/min), optional ``geoaltitude`` (ft), ``callsign``, ``onground``;
* the states contract itself (``id, t, lat, lon, alt_baro_m, alt_geo_m, gs_mps, trk_deg,
  vs_mps``). Any of them may carry ``party``.

:func:`convert` turns one loaded table into reports and rejects; what is invalid and how it is
reported is said in :mod:`wellclear.formats.states`, which reads files through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wellclear.formats.errors import StatesInputError
from wellclear.formats.load import EXPLICIT_NAN
from wellclear.formats.repeats import duplicates
from wellclear.formats.result import (
    empty_rejects,
    make_rejects,
    short,
)
from wellclear.formats.validate import (
    RowChecker,
    check_states,
    normalise_ids,
)
from wellclear.states import UNKNOWN_PARTY
from wellclear.units import FPM_MPS, FT_M, KT_MPS

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Schema:
    """Where each quantity lives in one column set, and the factor that makes it SI."""

    name: str
    time: tuple[str, ...]
    lat: str
    lon: str
    gs: str
    trk: str
    vs: str
    baro: str
    geo: str
    pos_time: str | None = None
    onground: str = "onground"
    ident: str = "icao24"
    gs_factor: float = 1.0
    vs_factor: float = 1.0
    alt_factor: float = 1.0

    def required(self) -> list[str]:
        return [self.ident, self.lat, self.lon, self.gs, self.trk, self.vs]


SCHEMAS: dict[str, Schema] = {
    "wellclear": Schema(
        "wellclear",
        ("t",),
        "lat",
        "lon",
        "gs_mps",
        "trk_deg",
        "vs_mps",
        "alt_baro_m",
        "alt_geo_m",
        ident="id",
    ),
    "opensky": Schema(
        "opensky",
        ("time",),
        "lat",
        "lon",
        "velocity",
        "heading",
        "vertrate",
        "baroaltitude",
        "geoaltitude",
        pos_time="lastposupdate",
    ),
    "opensky-rest": Schema(
        "opensky-rest",
        ("time", "last_contact", "time_position"),
        "latitude",
        "longitude",
        "velocity",
        "true_track",
        "vertical_rate",
        "baro_altitude",
        "geo_altitude",
        pos_time="time_position",
        onground="on_ground",
    ),
    "traffic": Schema(
        "traffic",
        ("timestamp",),
        "latitude",
        "longitude",
        "groundspeed",
        "track",
        "vertical_rate",
        "altitude",
        "geoaltitude",
        gs_factor=KT_MPS,
        vs_factor=FPM_MPS,
        alt_factor=FT_M,
    ),
}


def _stripped(series: pd.Series) -> pd.Series:
    """Text of a column, stripped, '' where missing."""
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind not in ("string", "empty"):  # numbers, booleans, bytes, lists, objects: as text
        cells = series.to_numpy(dtype=object)
        series = pd.Series([_cell_text(v) for v in cells], index=series.index, dtype=object)
    return series.fillna("").str.strip()


def _cell_text(value: object) -> str:
    """One raw cell as text: '' when missing (None, NaN, NaT), else ``str``."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    if value is pd.NaT or value is pd.NA:
        return ""
    return str(value)


def _parse_floats(text: pd.Series, skip: BoolArray) -> FloatArray:
    """Floats of text cells (NaN where ``skip`` or unparseable): Arrow's parser, falling back
    to pandas' cell by cell only when some cell is not a number."""
    cells = pc.if_else(pa.array(skip), pa.scalar(None, pa.string()), pa.array(text, pa.string()))
    try:
        parsed = pc.cast(cells, pa.float64())
        return np.asarray(parsed.to_numpy(zero_copy_only=False), dtype=np.float64).copy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        coerced = pd.to_numeric(text.mask(skip), errors="coerce")
        return np.asarray(coerced, dtype=np.float64).copy()


def _reasons(prefix: str, text: pd.Series, mask: BoolArray) -> npt.NDArray[np.object_]:
    """``prefix: 'value'`` for the flagged rows only (others empty)."""
    out = np.full(len(text), "", dtype=object)
    idx = np.flatnonzero(mask)
    out[idx] = [f"{prefix}: {short(repr(v))}" for v in text.to_numpy(dtype=object)[idx]]
    return out


def _short_contract(schema: Schema, cols: set[str]) -> bool:
    """The states contract with one ``alt_m`` (and ``alt_src``) instead of both altitudes."""
    return schema.name == "wellclear" and "alt_m" in cols


def detect_schema(columns: list[str], source: str) -> Schema:
    """The column set of a file, recognised by its column names."""
    cols = set(columns)
    if {"gs_mps", "trk_deg", "vs_mps"} & cols:
        schema = SCHEMAS["wellclear"]
    elif {"lat", "lon"} & cols or {"baroaltitude", "vertrate", "heading"} & cols:
        schema = SCHEMAS["opensky"]
    elif {"baro_altitude", "true_track", "time_position", "geo_altitude"} & cols:
        schema = SCHEMAS["opensky-rest"]
    elif {"timestamp", "groundspeed", "altitude", "latitude"} & cols:
        schema = SCHEMAS["traffic"]
    else:
        raise StatesInputError(
            "unrecognised columns: expected OpenSky state vectors (time, icao24, lat, lon, ...) "
            f"or traffic columns (timestamp, icao24, latitude, ...); got {', '.join(columns)}",
            file=source,
            line=1,
        )
    missing = [c for c in schema.required() if c not in cols]
    if not any(t in cols for t in schema.time):
        missing.insert(0, schema.time[0])
    if schema.baro not in cols and schema.geo not in cols and not _short_contract(schema, cols):
        missing.append(schema.baro)
    if missing:
        raise StatesInputError(
            f"missing required column(s) for {schema.name} states: {', '.join(missing)}",
            file=source,
            line=1,
            field=missing[0],
        )
    return schema


def _numeric(series: pd.Series, column: str, check: RowChecker) -> FloatArray:
    """Float values of a column: NaN where missing; invalid cells flagged on ``check``."""
    if pd.api.types.is_bool_dtype(series.dtype):
        check.flag(series.notna().to_numpy(dtype=bool), column, "not a number: a boolean")
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        if series.dtype == np.float64:  # NaN is missing already: no copy
            values = series.to_numpy()
        else:
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        check.flag(np.isinf(values), column, "infinite value")
        return values
    booleans = series.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
    check.flag(booleans, column, "not a number: a boolean")
    text = _stripped(series.mask(booleans, ""))
    explicit = text.eq(EXPLICIT_NAN).to_numpy()
    empty = (text.eq("") | text.eq("None")).to_numpy()
    check.flag(explicit, column, "explicit NaN")
    values = _parse_floats(text, empty | explicit)
    nonempty = ~empty & ~explicit
    odd = nonempty & ~np.isfinite(values)
    if odd.any():
        lowered = text.str.lower().to_numpy(dtype=object)
        is_nan_text = odd & np.isin(lowered, ["nan", "-nan", "+nan"])
        check.flag(is_nan_text, column, "explicit NaN")
        check.flag(odd & np.isinf(values), column, "infinite value")
        bad = odd & np.isnan(values) & ~is_nan_text
        check.flag(bad, column, _reasons("not a number", text, bad))
        values[odd] = np.nan
    return values


def _times(series: pd.Series, column: str, check: RowChecker) -> FloatArray:
    """Unix seconds from unix s, unix ms (values above 1e11) or ISO 8601 (UTC when no zone)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        ts = series.array  # ticks since 1970 UTC; a naive time is UTC
        ticks = ts.asi8.astype(np.float64)  # in the array's unit
        if series.hasnans:
            ticks[np.asarray(ts.isna())] = np.nan
        ticks /= float(pd.Timedelta(1, unit="s") // pd.Timedelta(1, unit=ts.unit))
        return ticks
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = _numeric(series, column, check)
    else:
        text = _stripped(series)
        looks_iso = text.str.match(r"\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
        values = _numeric(text.mask(looks_iso, ""), column, check).copy()
        if looks_iso.any():
            iso = pd.to_datetime(text[looks_iso], utc=True, format="ISO8601", errors="coerce")
            secs = (iso - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(np.float64)
            idx = np.flatnonzero(looks_iso)
            values[idx] = secs
            bad_iso = np.zeros(len(values), dtype=bool)
            bad_iso[idx] = np.isnan(secs)
            check.flag(bad_iso, column, _reasons("not a time", text, bad_iso))
    values = np.asarray(values, dtype=np.float64)
    ms = (values > 1e11) | (values < -1e11)
    if ms.any():  # a copy: ``values`` may be the frame's own column
        values = np.where(ms, values / 1000.0, values)
    return values


def _booleans(series: pd.Series, column: str, check: RowChecker) -> BoolArray:
    if series.dtype == bool:
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        check.flag(~np.isnan(values) & ~np.isin(values, [0.0, 1.0]), column, "not a boolean")
        return values == 1.0
    text = _stripped(series).str.lower()
    true = text.isin(["true", "t", "1", "yes", "y", "1.0"]).to_numpy(dtype=bool)
    false = text.isin(["false", "f", "0", "no", "n", "", "none", "0.0"]).to_numpy(dtype=bool)
    check.flag(~true & ~false, column, _reasons("not a boolean", text, ~true & ~false))
    return true


Text = npt.NDArray[np.object_] | pd.Categorical


def coded(codes: npt.ArrayLike, categories: npt.ArrayLike) -> pd.Categorical:
    """A categorical column from its codes (-1: missing) and its categories."""
    return pd.Categorical.from_codes(
        np.asarray(codes), categories=pd.Index(np.asarray(categories, dtype=object))
    )


def map_categories(
    values: pd.Categorical,
    f: Callable[[npt.NDArray[np.object_]], npt.NDArray[np.object_]],
    missing: str = "",
) -> pd.Categorical:
    """``f`` applied to each category of ``values`` once (missing cells as ``missing``), the
    categories it makes equal merged: a text column of millions of rows handled as its few
    distinct values."""
    cats = np.append(np.asarray(values.categories, dtype=object), missing)
    mapped, uniques = pd.factorize(f(cats))
    # a missing cell's code is -1: the last entry, ``missing``'s
    return coded(mapped[values.codes], uniques)


def _ids(values: Text) -> Text:
    """Aircraft ids as compared (:func:`~wellclear.formats.validate.normalise_ids`), a
    categorical column category by category."""
    if isinstance(values, pd.Categorical):
        return map_categories(values, normalise_ids)
    return normalise_ids(values)


def _text(frame: pd.DataFrame, column: str, default: str = "") -> Text:
    """A text column stripped, ``default`` where empty or missing. A dictionary column (a
    Parquet file's strings) stays categorical: each distinct value is stripped once, not each
    row (no Python string per row)."""
    if column not in frame.columns:
        return coded(np.zeros(len(frame), np.int8), [default])
    series = frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype):

        def clean(values: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
            text = _stripped(pd.Series(values, dtype=object))
            return (text.where(text.ne(""), default) if default else text).to_numpy(object)

        return map_categories(series.array, clean)
    text = _stripped(series)
    if default:
        text = text.where(text.ne(""), default)
    return text.to_numpy(dtype=object)


def convert(
    frame: pd.DataFrame,
    lines: pd.Series,
    source: str,
    files: tuple[npt.NDArray[np.integer], list[str]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert a raw frame to SI reports; returns ``(reports, rejects)``.

    Every row is checked by :mod:`wellclear.formats.validate` (physical limits, one position
    per aircraft and time) after the conversion to SI units; the time rule, which needs every
    input's times, is applied by :func:`read_reports`. ``files`` (codes, names), for several
    files of one schema loaded as one frame (:func:`~wellclear.formats.load.load_parquet_files`),
    says which file each row is from: its rejects and ``source`` name that file, and repeats
    are looked for within each file, as when each file is converted alone.
    """
    frame = frame.set_axis([str(c).strip().lower() for c in frame.columns], axis=1)
    schema = detect_schema(list(frame.columns), source)
    n = len(frame)
    check = RowChecker(n)

    ids = _ids(_text(frame, schema.ident))
    check.flag(ids == "", schema.ident, "missing aircraft id")
    time_col = next(c for c in schema.time if c in frame.columns)
    t_row = _times(frame[time_col], time_col, check)
    check.flag(np.isnan(t_row) & ~check.bad, time_col, "missing time")
    if schema.pos_time and schema.pos_time in frame.columns and schema.pos_time != time_col:
        pos = _times(frame[schema.pos_time], schema.pos_time, check)
        t_pos = np.where(np.isnan(pos), t_row, pos)
    else:
        t_pos = t_row.copy()

    def num(column: str, factor: float = 1.0) -> FloatArray:
        if column not in frame.columns:
            return np.full(n, np.nan)
        values = _numeric(frame[column], column, check)
        return values * factor if factor != 1.0 else values

    lat = num(schema.lat)
    lon = num(schema.lon)
    gs = num(schema.gs, schema.gs_factor)
    trk = num(schema.trk)
    vs = num(schema.vs, schema.vs_factor)
    baro = num(schema.baro, schema.alt_factor)
    geo = num(schema.geo, schema.alt_factor)
    cols = set(frame.columns)
    names = {
        "lat": schema.lat,
        "lon": schema.lon,
        "alt_baro_m": schema.baro,
        "alt_geo_m": schema.geo,
        "gs_mps": schema.gs,
        "vs_mps": schema.vs,
    }
    if schema.baro not in cols and schema.geo not in cols and _short_contract(schema, cols):
        alt = num("alt_m")
        is_geo = _text(frame, "alt_src") == "geo"
        baro, geo = np.where(is_geo, np.nan, alt), np.where(is_geo, alt, np.nan)
        names["alt_baro_m"] = names["alt_geo_m"] = "alt_m"
    if schema.onground in frame.columns:
        onground = _booleans(frame[schema.onground], schema.onground, check)
    else:
        onground = np.zeros(n, dtype=bool)
    check_states(
        check,
        {"lat": lat, "lon": lon, "alt_baro_m": baro, "alt_geo_m": geo, "gs_mps": gs, "vs_mps": vs},
        names,
    )
    line_no = lines.to_numpy(np.int64)
    file_codes = None if files is None else np.asarray(files[0])
    repeats = duplicates(
        check, ids, t_pos, {"lat": lat, "lon": lon, "alt": baro}, line_no, schema.ident, file_codes
    )
    if files is None:
        sources = coded(np.zeros(n, np.int8), [source])
    else:
        file_codes_of, file_names = pd.factorize(pd.Series(files[1], dtype=object))
        sources = coded(file_codes_of[files[0]], file_names)  # a file given twice: one name

    reports = pd.DataFrame(
        {
            "id": ids,
            "party": _text(frame, "party", UNKNOWN_PARTY),
            "callsign": _text(frame, "callsign"),
            "t": t_pos,
            "t_row": t_row,
            "lat": lat,
            "lon": lon,
            "alt_baro_m": baro,
            "alt_geo_m": geo,
            "gs_mps": gs,
            "trk_deg": np.mod(trk, 360.0),
            "vs_mps": vs,
            "onground": onground,
            "source": sources,
            "line": line_no,
        },
        copy=False,
    )
    for q in ("nacp", "nic", "nucp"):  # position quality (NACp, NIC, NUCp), where given
        if q in frame.columns:
            reports[q] = num(q)
    if "source_type" in frame.columns:
        reports["source_type"] = _text(frame, "source_type")
    bad = check.bad
    if bad.any():
        # in the frame's order: by file (in their order), then by line within each
        rejects = make_rejects(
            source if files is None else np.asarray(sources[bad], dtype=object),
            line_no[bad],
            check.column[bad],
            check.reason[bad],
            _raw_rows(frame, bad),
            by_line=files is None,
        )
    else:
        rejects = empty_rejects()
    reports.attrs["repeats"] = int(repeats.sum())
    reports.attrs["time_column"] = time_col
    left_out = bad | repeats
    if left_out.any():
        reports = reports.loc[~left_out].reset_index(drop=True)
    return reports, rejects


def _raw_rows(frame: pd.DataFrame, mask: BoolArray) -> list[str]:
    """The raw fields of the flagged rows, comma-separated (what a rejects file shows)."""
    rows = frame.loc[mask]
    return [",".join("" if pd.isna(v) is True else str(v) for v in r) for r in rows.to_numpy()]
