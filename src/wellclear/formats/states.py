"""Readers of aircraft state tables: OpenSky state vectors and the ``traffic`` library's columns.

Files are CSV or Parquet by extension (``-`` reads CSV from standard input), or the ``traffic``
library's JSON collections (pandas records, optionally gzip; ``.json``, ``.json.gz``, ``.jsonl``).
Three column sets are recognised by name:

* OpenSky historical database: ``time`` (unix s), ``icao24``, ``lat``, ``lon``, ``velocity``
  (m/s), ``heading`` (deg, true track), ``vertrate`` (m/s), ``baroaltitude``, ``geoaltitude`` (m),
  optional ``callsign``, ``onground``, ``lastposupdate`` (time of the position);
* OpenSky REST API: ``time_position``/``time``/``last_contact``, ``icao24``, ``latitude``,
  ``longitude``, ``velocity``, ``true_track``, ``vertical_rate`` (m/s), ``baro_altitude``,
  ``geo_altitude`` (m), optional ``callsign``, ``on_ground``;
* ``traffic`` canonical: ``timestamp`` (ISO 8601, unix s or ms), ``icao24``, ``latitude``,
  ``longitude``, ``altitude`` (ft, barometric), ``groundspeed`` (kt), ``track`` (deg),
  ``vertical_rate`` (ft/min), optional ``geoaltitude`` (ft), ``callsign``, ``onground``.

The states contract of :mod:`wellclear.states` itself (``id, t, lat, lon, alt_baro_m,
alt_geo_m, gs_mps, trk_deg, vs_mps``, SI units; what ``wellclear simulate`` writes) is read too.
Any of them may carry ``party``. Units are converted here, once, into the states contract of
:mod:`wellclear.states`.

Missing is not invalid: an empty field is missing (filled later from the same aircraft's earlier
reports). Invalid is text where a number belongs, an explicit NaN or infinity, a latitude outside
+-90, a longitude outside +-180, a negative speed, or a row without time or aircraft id. Invalid
rows raise :class:`~wellclear.formats.errors.StatesInputError` naming file, line (the header is
line 1; for Parquet and JSON, the record number + 1) and column, or with ``invalid="skip"`` are
returned as rejects with their reason. Nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wellclear.formats.errors import StatesInputError
from wellclear.states import UNKNOWN_PARTY
from wellclear.units import FPM_MPS, FT_M, KT_MPS

InvalidPolicy = Literal["error", "skip"]
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


@dataclass
class Reports:
    """Rows of one or more inputs in SI units, before filling and snapshot.

    ``frame`` has the states columns plus ``t_row`` (time of the report), ``source`` and
    ``line``; ``rejects`` lists every invalid row with its reason.
    """

    frame: pd.DataFrame
    rejects: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


REJECT_COLUMNS = ["source", "line", "column", "reason"]


def _lower_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def _read_csv(data: bytes | str, name: str) -> pd.DataFrame:
    """CSV as text columns ('' where empty), blank lines kept as empty rows (line numbers)."""
    raw = data.encode() if isinstance(data, str) else data
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    header = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip("\r")
    if not header.strip():
        raise StatesInputError("empty file: no header line", file=name, line=1)
    names = next(csv.reader([header]))
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        raise StatesInputError(f"cannot read CSV: {exc}", file=name) from None
    return table.to_pandas()


def _load(path: str, stdin: io.TextIOBase | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Load a file as a frame of raw values and the source line number of each row."""
    name = path.lower()
    if path == "-":
        frame = _read_csv((stdin or sys.stdin).read(), "<stdin>")
    elif name.endswith(".parquet") or name.endswith(".pq"):
        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise StatesInputError(f"cannot read Parquet: {exc}", file=path) from None
        frame = _arrow_to_frame(table)
    elif name.endswith((".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
        lines = ".jsonl" in name or ".ndjson" in name
        try:
            frame = pd.read_json(path, lines=lines, dtype=False)
        except ValueError as exc:
            raise StatesInputError(f"cannot read JSON: {exc}", file=path) from None
    else:
        with open(path, "rb") as handle:
            frame = _read_csv(handle.read(), path)
    frame = _lower_columns(frame.reset_index(drop=True))
    lines_no = pd.Series(np.arange(len(frame), dtype=np.int64) + 2, index=frame.index)
    if frame.shape[1] and all(pd.api.types.is_string_dtype(frame[c]) for c in frame.columns):
        blank = np.logical_and.reduce(
            [_stripped(frame[c]).eq("").to_numpy() for c in frame.columns]
        )
        if blank.any():
            frame, lines_no = frame[~blank].reset_index(drop=True), lines_no[~blank]
            lines_no = lines_no.reset_index(drop=True)
    return frame, lines_no


def _stripped(series: pd.Series) -> pd.Series:
    """Text of a column, stripped, '' where missing."""
    if not pd.api.types.is_string_dtype(series.dtype):
        series = series.astype(object).where(series.notna(), "").astype(str)
    return series.fillna("").str.strip()


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
    out[idx] = [f"{prefix}: {v!r}" for v in text.to_numpy(dtype=object)[idx]]
    return out


_EXPLICIT_NAN = "__explicit_nan__"


def _arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow table to pandas, marking float NaN (not null) cells as explicit NaN text."""
    columns: dict[str, object] = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_floating(col.type):
            values = col.to_numpy(zero_copy_only=False).astype(np.float64)
            valid = col.is_valid().to_numpy(zero_copy_only=False)
            explicit = np.isnan(values) & valid
            if explicit.any():
                obj = pd.Series(values, dtype=object)
                obj[explicit] = _EXPLICIT_NAN
                columns[name] = obj
                continue
            columns[name] = pd.Series(values)
        else:
            columns[name] = col.to_pandas()
    return pd.DataFrame(columns)


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


class _RowChecker:
    """Collects the first reason each row is invalid."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.column = np.full(n, "", dtype=object)
        self.reason = np.full(n, "", dtype=object)

    def flag(self, mask: BoolArray, column: str, reasons: npt.NDArray[np.object_] | str) -> None:
        new = mask & ~self.bad
        if not new.any():
            return
        self.bad |= new
        self.column[new] = column
        self.reason[new] = reasons[new] if isinstance(reasons, np.ndarray) else reasons


def _numeric(series: pd.Series, column: str, check: _RowChecker) -> FloatArray:
    """Float values of a column: NaN where missing; invalid cells flagged on ``check``."""
    if series.dtype == bool:
        return series.to_numpy(dtype=np.float64)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        check.flag(np.isinf(values), column, "infinite value")
        return values
    text = _stripped(series)
    explicit = text.eq(_EXPLICIT_NAN).to_numpy()
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


def _times(series: pd.Series, column: str, check: _RowChecker) -> FloatArray:
    """Unix seconds from unix s, unix ms (values above 1e11) or ISO 8601 (UTC when no zone)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        ts = pd.to_datetime(series, utc=True)
        delta = (ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        return np.asarray(delta.to_numpy(np.float64), dtype=np.float64)
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
    return np.asarray(np.where(np.abs(values) > 1e11, values / 1000.0, values), dtype=np.float64)


def _booleans(series: pd.Series, column: str, check: _RowChecker) -> BoolArray:
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


def _text(frame: pd.DataFrame, column: str, default: str = "") -> npt.NDArray[np.object_]:
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=object)
    text = _stripped(frame[column])
    if default:
        text = text.where(text.ne(""), default)
    return text.to_numpy(dtype=object)


def convert(
    frame: pd.DataFrame, lines: pd.Series, source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert a raw frame to SI reports; returns ``(reports, rejects)``."""
    frame = _lower_columns(frame.copy())
    schema = detect_schema(list(frame.columns), source)
    n = len(frame)
    check = _RowChecker(n)

    ids = np.char.lower(_text(frame, schema.ident).astype(str)).astype(object)
    check.flag(ids == "", schema.ident, "missing aircraft id")
    time_col = next(c for c in schema.time if c in frame.columns)
    t_row = _times(frame[time_col], time_col, check)
    check.flag(np.isnan(t_row) & ~check.bad, time_col, "missing time")
    t_pos = t_row.copy()
    if schema.pos_time and schema.pos_time in frame.columns and schema.pos_time != time_col:
        pos = _times(frame[schema.pos_time], schema.pos_time, check)
        t_pos = np.where(np.isnan(pos), t_row, pos)

    def num(column: str, factor: float = 1.0) -> FloatArray:
        if column not in frame.columns:
            return np.full(n, np.nan)
        return _numeric(frame[column], column, check) * factor

    lat = num(schema.lat)
    check.flag(np.abs(lat) > 90.0, schema.lat, "latitude outside +-90")
    lon = num(schema.lon)
    check.flag(np.abs(lon) > 180.0, schema.lon, "longitude outside +-180")
    gs = num(schema.gs, schema.gs_factor)
    check.flag(gs < 0.0, schema.gs, "negative speed")
    trk = num(schema.trk)
    vs = num(schema.vs, schema.vs_factor)
    baro = num(schema.baro, schema.alt_factor)
    geo = num(schema.geo, schema.alt_factor)
    cols = set(frame.columns)
    if schema.baro not in cols and schema.geo not in cols and _short_contract(schema, cols):
        alt = num("alt_m")
        is_geo = _text(frame, "alt_src") == "geo"
        baro, geo = np.where(is_geo, np.nan, alt), np.where(is_geo, alt, np.nan)
    if schema.onground in frame.columns:
        onground = _booleans(frame[schema.onground], schema.onground, check)
    else:
        onground = np.zeros(n, dtype=bool)

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
            "source": source,
            "line": lines.to_numpy(np.int64),
        }
    )
    bad = check.bad
    rejects = pd.DataFrame(
        {
            "source": source,
            "line": lines.to_numpy(np.int64)[bad],
            "column": check.column[bad],
            "reason": check.reason[bad],
        }
    )
    raw = frame.loc[bad].reset_index(drop=True).astype(object)
    rejects = pd.concat([rejects.reset_index(drop=True), raw.add_prefix("raw_")], axis=1)
    return reports.loc[~bad].reset_index(drop=True), rejects


def read_reports(
    sources: list[str | Path | pd.DataFrame] | str | Path | pd.DataFrame,
    *,
    invalid: InvalidPolicy = "error",
    stdin: io.TextIOBase | None = None,
) -> Reports:
    """Read one or more inputs into SI reports (unfilled), with every rejected row.

    With ``invalid="error"`` the first invalid row raises :class:`StatesInputError`.
    """
    if isinstance(sources, (str, Path, pd.DataFrame)):
        sources = [sources]
    frames, rejects = [], []
    for number, src in enumerate(sources):
        if isinstance(src, pd.DataFrame):
            name = f"<dataframe {number}>" if len(sources) > 1 else "<dataframe>"
            raw = src.reset_index(drop=True)
            lines = pd.Series(np.arange(len(raw), dtype=np.int64) + 2)
        else:
            name = "<stdin>" if str(src) == "-" else str(src)
            raw, lines = _load(str(src), stdin)
        reports, rej = convert(raw, lines, name)
        if invalid == "error" and len(rej):
            first = rej.iloc[int(np.argmin(rej["line"].to_numpy()))]
            raise StatesInputError(
                str(first["reason"]), file=name, line=int(first["line"]), field=first["column"]
            )
        frames.append(reports)
        rejects.append(rej)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    rejected = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame()
    if rejected.empty:
        rejected = pd.DataFrame(columns=REJECT_COLUMNS)
    return Reports(frame, rejected, _party_warnings(frame))


def _party_warnings(frame: pd.DataFrame) -> list[str]:
    """One warning per aircraft key that carries more than one party label."""
    if frame.empty:
        return []
    labelled = frame.loc[frame["party"] != UNKNOWN_PARTY, ["id", "party"]].drop_duplicates()
    counts = labelled.groupby("id")["party"].agg(lambda s: sorted(set(s)))
    return [
        f"aircraft {key} carries several party labels: {', '.join(parties)} (the latest is used)"
        for key, parties in counts.items()
        if len(parties) > 1
    ]


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> None:
    """Write rejected rows (line, column, reason and the raw fields) as CSV."""
    rejects.to_csv(path, index=False)
