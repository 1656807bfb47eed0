"""Raw tables from files: CSV, Parquet and JSON bytes to a frame of raw values with the physical
line of each row, before any column is interpreted (that is :mod:`wellclear.formats.states`).

What a file can carry and how it is read:

* gzip (``.gz``, or gzip's magic bytes) is decompressed whole; a truncated or corrupt stream is
  an error naming the file;
* CSV text is UTF-8, with or without a byte-order mark; line ends ``\\n``, ``\\r\\n`` or ``\\r``
  alone; a line that is not UTF-8 is rejected (``column`` empty, the reason saying which byte),
  the other lines are read; quoted fields may hold newlines, and rows are then numbered by the
  physical line they start on; a row with more or fewer fields than the header is rejected;
  blank lines are skipped and counted;
* JSON: pandas records (a list of objects, or one object a line for ``.jsonl``/``.ndjson``),
  the OpenSky REST API's ``states/all`` answer (``{"time": ..., "states": [[...], ...]}``) and
  readsb/dump1090 ``aircraft.json`` (``{"now": ..., "aircraft": [{...}, ...]}``);
* Parquet: any column type (decimals, binary, lists, structs, booleans, datetimes) is passed on
  as it is; :mod:`wellclear.formats.states` refuses the cells that are not what the column
  needs.

Column names are compared stripped and in lower case; two columns with one name (``lat`` and
``LAT``) are an error naming the header line and the column. The line of a row is its physical
line (the header is line 1); for Parquet and JSON records, the record's number counted from 1
(as the streamed scan counts them).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wellclear.formats.errors import StatesInputError
from wellclear.formats.result import empty_rejects, make_rejects

JSON_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")

# OpenSky REST ``states/all``: the fields of each state vector, in order (OpenSky API docs,
# "All State Vectors", response property ``states``)
OPENSKY_REST_FIELDS = (
    "icao24",
    "callsign",
    "origin_country",
    "time_position",
    "last_contact",
    "longitude",
    "latitude",
    "baro_altitude",
    "on_ground",
    "velocity",
    "true_track",
    "vertical_rate",
    "sensors",
    "geo_altitude",
    "squawk",
    "spi",
    "position_source",
    "category",
)


@dataclass
class Loaded:
    """A file's raw table: ``frame`` of raw values, ``lines`` (physical line of each row),
    ``rejects`` (lines that could not be split into fields), ``counts`` and, for several
    files loaded as one table, the file of each row (codes into the file names)."""

    frame: pd.DataFrame
    lines: pd.Series
    rejects: pd.DataFrame = field(default_factory=empty_rejects)
    counts: dict[str, int] = field(default_factory=dict)
    files: tuple[np.ndarray, list[str]] | None = None


def read_bytes(path: str) -> bytes:
    """The bytes of a file, decompressed when it is gzip; typed errors naming the file."""
    with open(path, "rb") as handle:
        raw = handle.read()
    if path.lower().endswith(".gz") or raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise StatesInputError(f"truncated or corrupt gzip data: {exc}", file=path) from None
    return raw


def _text_lines(raw: bytes, name: str) -> tuple[list[str], pd.DataFrame]:
    """Physical lines of CSV bytes (BOM removed, ``\\r`` alone read as a line end), and the
    lines that are not UTF-8 as rejects (left empty, so that the numbering holds)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\r" in raw and b"\n" not in raw:
        raw = raw.replace(b"\r", b"\n")
    parts = raw.split(b"\n")
    try:
        text = raw.decode("utf-8")
        lines = text.split("\n")
        return [s.removesuffix("\r") for s in lines], empty_rejects()
    except UnicodeDecodeError:
        pass
    lines, bad_no, bad_why, bad_raw = [], [], [], []
    for k, part in enumerate(parts):
        try:
            lines.append(part.decode("utf-8").removesuffix("\r"))
        except UnicodeDecodeError as exc:
            lines.append("")
            bad_no.append(k + 1)
            bad_why.append(f"not UTF-8 text: byte 0x{part[exc.start]:02x} at character {exc.start}")
            bad_raw.append(part.decode("utf-8", errors="replace"))
    if 1 in bad_no:
        raise StatesInputError(bad_why[0], file=name, line=1, field="header")
    return lines, make_rejects(name, bad_no, [""] * len(bad_no), bad_why, bad_raw)


def check_names(columns: list[object], name: str) -> list[str]:
    """Column names stripped and in lower case; a name given twice is an error (line 1)."""
    seen: dict[str, int] = {}
    out = []
    for k, c in enumerate(columns):
        key = str(c).strip().lower()
        if key in seen:
            raise StatesInputError(
                f"duplicate column name (columns {seen[key] + 1} and {k + 1}: "
                f"{columns[seen[key]]!r} and {c!r})",
                file=name,
                line=1,
                field=key,
            )
        seen[key] = k
        out.append(key)
    return out


def read_csv_bytes(raw: bytes, name: str) -> Loaded:
    """CSV as text columns ('' where empty); see the module docstring."""
    lines, rejects = _text_lines(raw, name)
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].strip():
        raise StatesInputError("empty file: no header line", file=name, line=1)
    try:
        header = next(csv.reader([lines[0]]))
    except csv.Error as exc:
        raise StatesInputError(f"cannot read the header: {exc}", file=name, line=1) from None
    names = check_names(list(header), name)
    body = lines[1:]
    counts = {"lines": len(lines)}
    frame, numbers = _fast_csv(lines, names)
    if frame is None:
        frame, numbers, ragged = _slow_csv(body, names, name)
        rejects = pd.concat([rejects, ragged], ignore_index=True) if len(ragged) else rejects
    line_no = pd.Series(numbers, dtype=np.int64)
    empty = np.zeros(len(frame), dtype=bool)
    if frame.shape[1]:
        empty = np.logical_and.reduce([frame[c].str.strip().eq("").to_numpy() for c in names])
    rejected = line_no.isin(set(rejects["line"])).to_numpy()  # lines not UTF-8
    counts["blank"] = int((empty & ~rejected).sum())
    keep = ~empty & ~rejected
    frame = frame[keep].reset_index(drop=True)
    line_no = line_no[keep].reset_index(drop=True)
    return Loaded(frame, line_no, rejects.sort_values("line").reset_index(drop=True), counts)


def _fast_csv(lines: list[str], names: list[str]) -> tuple[pd.DataFrame | None, np.ndarray]:
    """Arrow's parser, when every physical line is one row (no quoted newline, no ragged
    row); ``(None, ...)`` otherwise."""
    data = "\n".join(lines).encode()
    longest = max((len(s) for s in lines), default=0)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=max(1 << 20, 4 * longest + 64)
            ),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None, np.array([], dtype=np.int64)
    if table.num_rows != len(lines) - 1:
        return None, np.array([], dtype=np.int64)
    return table.to_pandas(), np.arange(2, table.num_rows + 2, dtype=np.int64)


def _slow_csv(
    body: list[str], names: list[str], name: str
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Python's csv module: rows numbered by the physical line they start on; rows with the
    wrong number of fields (or that the parser refuses) are rejects."""
    width = len(names)
    rows: list[list[str]] = []
    numbers: list[int] = []
    bad_no, bad_why, bad_raw = [], [], []
    reader = csv.reader(io.StringIO("\n".join(body), newline=""))
    done = 0  # physical lines of the body consumed so far
    while True:
        start = done + 2
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            done = reader.line_num
            bad_no.append(start)
            bad_why.append(f"cannot split into fields: {exc}")
            bad_raw.append(body[start - 2] if start - 2 < len(body) else "")
            continue
        done = reader.line_num
        if not record:
            rows.append([""] * width)
            numbers.append(start)
        elif len(record) != width:
            bad_no.append(start)
            bad_why.append(f"expected {width} fields as in the header, got {len(record)}")
            bad_raw.append(",".join(record))
        else:
            rows.append(record)
            numbers.append(start)
    frame = pd.DataFrame(rows, columns=names, dtype=object).astype(str) if rows else None
    if frame is None:
        frame = pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    rejects = make_rejects(name, bad_no, ["fields"] * len(bad_no), bad_why, bad_raw)
    return frame, np.asarray(numbers, dtype=np.int64), rejects


def _json_frame(raw: bytes, name: str, lines: bool) -> pd.DataFrame:
    """pandas records, OpenSky REST ``states/all`` or readsb ``aircraft.json``."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StatesInputError(
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start}", file=name
        ) from None
    if lines:
        try:
            return pd.read_json(io.StringIO(text), lines=True, dtype=False)
        except ValueError as exc:
            raise StatesInputError(f"cannot read JSON lines: {exc}", file=name) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StatesInputError(f"cannot read JSON: {exc}", file=name) from None
    if isinstance(data, dict) and "states" in data and "time" in data:
        return _opensky_rest(data, name)
    if isinstance(data, dict) and isinstance(data.get("aircraft"), list):
        return _readsb(data, name)
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        records = list(data.values())  # pandas' "columns"/"index" orientations
        return pd.DataFrame.from_dict(data, orient="columns" if _columnar(records) else "index")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise StatesInputError(
            "expected a list of records, OpenSky states/all ({'time', 'states'}) or readsb "
            "aircraft.json ({'now', 'aircraft'})",
            file=name,
        )
    return pd.DataFrame.from_records(data) if data else pd.DataFrame()


def _columnar(records: list[dict[str, object]]) -> bool:
    """Whether a dict of dicts is pandas' ``columns`` orientation (column -> index -> value)."""
    return all(all(str(k).isdigit() for k in r) for r in records)


def _opensky_rest(data: dict[str, object], name: str) -> pd.DataFrame:
    """The ``states`` of an OpenSky ``states/all`` answer, one row per state vector; ``time``
    (the answer's time) on every row."""
    states = data.get("states") or []
    assert isinstance(states, list)
    rows = []
    for k, vector in enumerate(states):
        if not isinstance(vector, list) or len(vector) < 17:
            raise StatesInputError(
                "an OpenSky state vector is a list of 17 or 18 fields",
                file=name,
                line=k + 1,
                field="states",
            )
        rows.append(dict(zip(OPENSKY_REST_FIELDS, vector, strict=False)))
    frame = pd.DataFrame.from_records(rows, columns=list(OPENSKY_REST_FIELDS))
    frame.insert(0, "time", np.full(len(frame), data.get("time"), dtype=object))
    return frame


def _readsb(data: dict[str, object], name: str) -> pd.DataFrame:
    """readsb/dump1090 ``aircraft.json``: one row per aircraft with a position, in the
    ``traffic`` library's columns (ft, kt, ft/min); the time of the position is ``now`` less
    ``seen_pos`` (readsb's README-json.md: ``seen_pos``, seconds since the position)."""
    now = data.get("now")
    aircraft = data.get("aircraft")
    assert isinstance(aircraft, list)
    rows = []
    for k, a in enumerate(aircraft):
        if not isinstance(a, dict):
            raise StatesInputError(
                "an aircraft is an object", file=name, line=k + 1, field="aircraft"
            )
        baro = a.get("alt_baro", a.get("altitude"))
        ground = baro == "ground"
        seen = a.get("seen_pos", 0.0)
        when: object = now
        if isinstance(now, int | float) and isinstance(seen, int | float):
            when = float(now) - float(seen)
        rows.append(
            {
                "timestamp": when,
                "icao24": a.get("hex"),
                "callsign": a.get("flight"),
                "latitude": a.get("lat"),
                "longitude": a.get("lon"),
                "altitude": None if ground else baro,
                "geoaltitude": a.get("alt_geom"),
                "groundspeed": a.get("gs", a.get("speed")),
                "track": a.get("track"),
                "vertical_rate": a.get("baro_rate", a.get("geom_rate", a.get("vert_rate"))),
                "onground": bool(ground),
            }
        )
    return pd.DataFrame.from_records(
        rows,
        columns=[
            "timestamp",
            "icao24",
            "callsign",
            "latitude",
            "longitude",
            "altitude",
            "geoaltitude",
            "groundspeed",
            "track",
            "vertical_rate",
            "onground",
        ],
    )


def load(path: str, stdin: io.TextIOBase | None = None) -> Loaded:
    """Load a file as a frame of raw values and the line of each row (see the module
    docstring); ``-`` reads CSV from ``stdin``."""
    name = path.lower()
    if path == "-":
        text = (stdin or sys.stdin).read()
        loaded = read_csv_bytes(text.encode() if isinstance(text, str) else text, "<stdin>")
    elif name.endswith(PARQUET_SUFFIXES):
        table = read_parquet(path)
        check_names(list(table.column_names), path)
        loaded = Loaded(arrow_to_frame(table), _record_lines(table.num_rows))
    elif name.endswith(JSON_SUFFIXES):
        loaded = read_json_bytes(read_bytes(path), path, ".jsonl" in name or ".ndjson" in name)
    else:
        loaded = read_csv_bytes(read_bytes(path), path)
    loaded.frame.columns = [str(c).strip().lower() for c in loaded.frame.columns]
    loaded.counts.setdefault("lines", len(loaded.frame))
    return loaded


def read_json_bytes(raw: bytes, name: str, lines: bool = False) -> Loaded:
    """JSON bytes (records, OpenSky ``states/all``, readsb ``aircraft.json``; one record a line
    with ``lines``) as a frame of raw values, ``name`` in the errors (a file or a URL)."""
    frame = _json_frame(raw, name, lines)
    check_names(list(frame.columns), name)
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return Loaded(frame, _record_lines(len(frame)), counts={"lines": len(frame)})


def read_parquet(path: str) -> pa.Table:
    """A Parquet file as an Arrow table, its text columns as dictionaries (a few distinct names,
    no string built per row); a typed error naming the file."""
    try:
        schema = pq.read_schema(path)
        text = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        return pq.read_table(path, read_dictionary=text)
    except (pa.ArrowException, OSError) as exc:
        raise StatesInputError(f"cannot read Parquet: {exc}", file=path) from None


def load_parquet_files(paths: list[str]) -> Loaded:
    """Parquet files of one schema (an archive's ``hour=`` partitions) loaded as one table:
    one conversion instead of one per file. ``files`` says which file each row is from (codes
    into ``paths``, in their order) and ``lines`` its record number in that file, counted
    from 1, as :func:`load` numbers the records of each file."""
    tables = [read_parquet(p) for p in paths]
    check_names(list(tables[0].column_names), paths[0])
    sizes = np.array([t.num_rows for t in tables], dtype=np.int64)
    n = int(sizes.sum())
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    lines = np.arange(1, n + 1, dtype=np.int64)
    lines -= starts
    frame = arrow_to_frame(pa.concat_tables(tables))
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    codes = np.repeat(np.arange(len(paths), dtype=np.int32), sizes)
    return Loaded(frame, pd.Series(lines, copy=False), files=(codes, list(paths)))


def _record_lines(n: int) -> pd.Series:
    """Lines of Parquet and JSON records: their numbers, counted from 1."""
    return pd.Series(np.arange(1, n + 1, dtype=np.int64), copy=False)


EXPLICIT_NAN = "__explicit_nan__"


def _floats(col: pa.ChunkedArray) -> np.ndarray:
    """A float column as float64, null as NaN: one chunk as Arrow gives it (without nulls, no
    copy), several chunk by chunk into one array (no concatenation of per-chunk copies: an
    archive's partitions are hundreds of chunks)."""
    if col.num_chunks == 1:
        return np.asarray(col.chunk(0).to_numpy(zero_copy_only=False), dtype=np.float64)
    out = np.empty(len(col), dtype=np.float64)
    at = 0
    for chunk in col.chunks:
        out[at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
        at += len(chunk)
    return out


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow table to pandas, marking float NaN (not null) cells as explicit NaN text."""
    columns: dict[str, object] = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_floating(col.type):
            values = _floats(col)
            nan = np.isnan(values)
            if col.null_count and nan.any():  # nulls are NaN too: only the others are explicit
                explicit = nan & col.is_valid().to_numpy(zero_copy_only=False)
            else:
                explicit = nan
            if explicit.any():
                obj = pd.Series(values, dtype=object)
                obj[explicit] = EXPLICIT_NAN
                columns[name] = obj
                continue
            columns[name] = pd.Series(values, copy=False)  # pandas would copy it
        else:
            try:
                columns[name] = col.to_pandas()
            except (pa.ArrowException, ValueError, OverflowError):
                columns[name] = pd.Series([str(v) for v in col.to_pylist()], dtype=object)
    return pd.DataFrame(columns, copy=False)  # no copy of the columns into one block
