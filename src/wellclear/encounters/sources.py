"""Where a scan reads its states from, one time window at a time.

:class:`DatasetSource` streams Parquet or CSV files (or directories, including hive-style
``date=/hour=`` partitions) that already hold the states columns: each window is read with a
filter on ``t`` (pyarrow datasets push it down to row groups), so memory is bounded by one window
whatever the input size or order. Anything else (OpenSky, ``traffic``, feeds) is read whole by
the readers of :mod:`wellclear.formats` and scanned from memory (:class:`~.scan.FrameSource`).

Streamed rows are validated as every reader validates them (:mod:`wellclear.formats.validate`),
at a cost that does not grow with clean data: :func:`check_source` reads the ``t`` column
(the median time, missing or far times) and the row-group statistics of the other columns;
only row groups whose statistics break a limit (or that have none) are read and checked row
by row. Rows found invalid are returned as rejects (or the first raises), and the windows then
leave them out by the same test.

Parquet files are checked as :func:`wellclear.formats.states.read_reports` checks them, in its
order (:mod:`~wellclear.encounters.streamcheck`): the same rows are rejected with the same
file, line (record number from 1), column and reason, exact repeats are left out and counted
(``Checked.counted``), and the windows give the same states: ids stripped with ICAO addresses
in lower case, party and callsign stripped (an empty party is ``unknown``), ``alt_m`` from
``alt_baro_m`` or else ``alt_geo_m`` (the file's own ``alt_m`` and ``alt_src`` are not used, as
the reader does not use them), tracks modulo 360. The check reads, one row group at a time,
the id, time and number columns (explicit NaN is only seen in the values; statistics skip
NaN), which costs less than one ``read_table`` of the file. One difference is left: the reader
takes a ``t`` above 1e11 for milliseconds, the stream rejects it as beyond 1e10 s. CSV files
in a :class:`DatasetSource` are checked by the rows' own values only (no duplicates, no
explicit NaN), as before; the scan command reads CSV through the reader.
"""

from __future__ import annotations

import glob
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from wellclear.encounters.output import is_text
from wellclear.encounters.streamcheck import (
    POSITION,
    QUALITY,
    READ,
    IdCodes,
    check_group,
    check_quality,
    shared_keys,
)
from wellclear.encounters.tracks import QUALITY_COLUMNS, SCAN_COLUMNS, SOURCE_COLUMNS
from wellclear.formats.errors import StatesInputError
from wellclear.formats.result import concat_rejects, make_rejects, raise_first
from wellclear.formats.validate import (
    RowChecker,
    check_duplicates,
    check_states,
    check_times,
    time_reference,
)
from wellclear.states import STATES_COLUMNS, UNKNOWN_PARTY

STATE_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".json", ".jsonl", ".json.gz", ".jsonl.gz")
FEED_SUFFIXES = (".sbs", ".txt", ".log", ".bin", ".beast")


def expand(paths: list[str]) -> list[str]:
    """Files named by ``paths``: files as given, directories walked, glob patterns expanded."""
    out: list[str] = []
    for p in paths:
        if any(c in p for c in "*?["):
            hits = sorted(glob.glob(p, recursive=True))
            if not hits:
                raise FileNotFoundError(f"{p}: no file matches")
            out.extend(h for h in hits if Path(h).is_file())
        elif Path(p).is_dir():
            hits = sorted(
                str(f)
                for f in Path(p).rglob("*")
                if f.is_file() and f.name.lower().endswith(STATE_SUFFIXES + FEED_SUFFIXES)
            )
            if not hits:
                raise FileNotFoundError(f"{p}: no state or feed file in this directory")
            out.extend(hits)
        elif p == "-" or Path(p).is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file")
    return out


def input_error(e: Exception, file: str) -> StatesInputError:
    """A typed error naming the file and, where Arrow says it, the line (header = line 1)."""
    text = str(e)
    row = re.search(r"Row #(\d+)", text)
    names = re.findall(r"'(/[^']+)'", text)
    reason = text.split("Invalid: ")[-1] if "Invalid: " in text else text
    return StatesInputError(
        reason.strip(), file=names[0] if names else file, line=int(row.group(1)) if row else None
    )


def file_format(path: str) -> str | None:
    name = path.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    return None


def contract_files(files: list[str], kinds: tuple[str, ...] = ("parquet", "csv")) -> bool:
    """Whether every file is of ``kinds`` (Parquet, CSV) with all the states columns."""
    if not files:
        return False
    return all(file_format(f) in kinds and set(STATES_COLUMNS) <= set(_names(f)) for f in files)


def _names(file: str) -> list[str]:
    """The column names of a Parquet or CSV file (a CSV's header)."""
    try:
        if file_format(file) == "csv":
            with pa.input_stream(file, compression="detect") as stream:
                head = stream.read(65536).decode("utf-8", errors="replace")
            return [c.strip() for c in head.splitlines()[0].split(",")] if head else []
        return list(ds.dataset(file, format="parquet").schema.names)
    except (pa.ArrowInvalid, OSError) as e:
        raise input_error(e, file) from None


_CSV_TYPES = {
    c: (pa.string() if d == "object" else pa.bool_() if d == "bool" else pa.float64())
    for c, d in STATES_COLUMNS.items()
}


# the columns check_states sees in a streamed file (roles of formats.validate)
# (alt_m is not checked: the windows make it from alt_baro_m and alt_geo_m, as the reader does)
CHECKED = ("lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "vs_mps")


@dataclass(frozen=True)
class Checked:
    """What :func:`check_source` found: the median time (the time rule's centre), the range of
    the valid times, whether some rows are invalid or repeated (the windows then leave them
    out), the records left out of each Parquet file (0-based, sorted; rejected or exact
    repeats), and the rows left out and counted by reason (``repeats``)."""

    reference: float | None
    t_lo: float
    t_hi: float
    dirty: bool
    drop: dict[str, np.ndarray] = field(default_factory=dict, compare=False)
    counted: dict[str, int] = field(default_factory=dict, compare=False)
    csv: bool = False


@dataclass(frozen=True)
class DatasetSource:
    """Parquet or CSV files in the states contract, read window by window (picklable).

    ``checked`` (set by :func:`check_source`) gives the valid time range and whether the
    windows must leave invalid rows out.
    """

    files: tuple[str, ...]
    checked: Checked | None = None

    def _dataset(self) -> ds.Dataset:
        kinds: dict[str, tuple[list[str], ds.FileFormat | str]] = {}
        for kind in ("parquet", "csv"):
            fs = [f for f in self.files if file_format(f) == kind]
            if fs and kind == "csv":
                opts = pacsv.ConvertOptions(column_types=_CSV_TYPES)
                kinds[kind] = (fs, ds.CsvFileFormat(convert_options=opts))
            elif fs:
                kinds[kind] = (fs, kind)
        parts = [ds.dataset(fs, format=f, partitioning="hive") for fs, f in kinds.values()]
        if len(parts) == 1:
            return parts[0]
        # one schema for both kinds (e.g. large strings in Parquet, strings in CSV, a column
        # in one only), each file cast to it as it is read
        schema = pa.unify_schemas([p.schema for p in parts], promote_options="permissive")
        return ds.dataset(
            [
                ds.dataset(fs, format=fmt, partitioning="hive", schema=schema)
                for fs, fmt in kinds.values()
            ]
        )

    def time_range(self) -> tuple[float, float]:
        if self.checked is not None:
            return (self.checked.t_lo, self.checked.t_hi)
        groups = row_groups(self.files)
        if groups is not None:  # from the row-group statistics, no data read
            if not groups:
                return (0.0, 0.0)
            return min(g[0] for g in groups), max(g[1] for g in groups)
        lo, hi = np.inf, -np.inf
        try:
            for batch in self._dataset().to_batches(columns=["t"]):
                if batch.num_rows:
                    mm = pc.min_max(batch.column(0))
                    lo = min(lo, mm["min"].as_py())
                    hi = max(hi, mm["max"].as_py())
        except (pa.ArrowInvalid, OSError) as e:
            raise input_error(e, ",".join(self.files)) from None
        return (0.0, 0.0) if lo > hi else (float(lo), float(hi))

    def windows(
        self, bounds: list[tuple[float, float]], overlap_s: float
    ) -> Iterator[pd.DataFrame]:
        """The states of each window ``[lo - overlap, hi + overlap)`` of ``bounds`` (in time
        order), as :meth:`read` gives them or with the columns a scan reads only.

        When the row groups are ordered by time (:func:`time_clustered`), each row group is
        read once and kept while a window still needs it: the windows cost one pass over the
        data whatever the row-group size. Only the columns a scan reads are decoded
        (:data:`~wellclear.encounters.tracks.SCAN_COLUMNS`, the quality columns that a file
        has; not ``alt_geo_m`` nor ``alt_src``). Each row carries its ``source`` file and
        ``line`` (record number + 1, as the readers of :mod:`wellclear.formats` count Parquet
        records), or those the file already holds.
        Otherwise each window is read with a filter.
        """
        groups = row_groups(self.files)
        if groups is None or not _clustered(groups):
            for lo, hi in bounds:
                yield self.read(lo - overlap_s, hi + overlap_s)
            return
        files: dict[str, pq.ParquetFile] = {}
        held: list[tuple[float, pa.Table]] = []  # (t_max, table) of the row groups read
        nxt = 0
        for lo, hi in bounds:
            a, b = lo - overlap_s, hi + overlap_s
            held = [h for h in held if h[0] >= a]
            try:
                while nxt < len(groups) and groups[nxt][0] < b:
                    _, t_max, f, g, first, _ = groups[nxt]
                    pf = files.get(f) or files.setdefault(f, dictionary_file(f))
                    if t_max >= a:
                        held.append((t_max, self._valid(_with_origin(pf, f, g, first))))
                    nxt += 1
            except (pa.ArrowInvalid, OSError) as e:
                raise input_error(e, ",".join(self.files)) from None
            parts = [between(h[1], a, b) for h in held]
            if parts:
                table = pa.concat_tables(parts, promote_options="permissive")
            else:
                table = self._dataset().schema.empty_table()
            yield states_frame(table)

    def count(self) -> int:
        try:
            return int(self._dataset().count_rows())
        except (pa.ArrowInvalid, OSError) as e:
            raise input_error(e, ",".join(self.files)) from None

    def read(self, t_lo: float, t_hi: float) -> pd.DataFrame:
        """The states with ``t_lo <= t < t_hi``, every column of the files (Parquet: the row
        groups whose ``t`` statistics overlap, each row with its ``source`` and ``line``)."""
        try:
            if all(file_format(f) == "parquet" for f in self.files):
                parts = list(self._groups_between(t_lo, t_hi))
                if parts:
                    return states_frame(pa.concat_tables(parts, promote_options="permissive"))
                return states_frame(self._dataset().schema.empty_table())
            f = (ds.field("t") >= t_lo) & (ds.field("t") < t_hi)
            table = self._dataset().to_table(filter=f)
        except (pa.ArrowInvalid, OSError) as e:
            raise input_error(e, ",".join(self.files)) from None
        return states_frame(self._valid(table))

    def _groups_between(self, t_lo: float, t_hi: float) -> Iterator[pa.Table]:
        for f in self.files:
            pf = pq.ParquetFile(f)  # text as text, as a dataset reads it
            meta = pf.metadata
            col = meta.schema.names.index("t")
            first = 0
            for g in range(meta.num_row_groups):
                rows = meta.row_group(g).num_rows
                stats = meta.row_group(g).column(col).statistics
                known = stats is not None and stats.has_min_max
                if rows and not (known and (stats.max < t_lo or stats.min >= t_hi)):
                    table = _with_origin(pf, f, g, first, every=True)
                    yield between(self._valid(table), t_lo, t_hi)
                first += rows

    def _valid(self, table: pa.Table) -> pa.Table:
        return valid_rows(table, self.checked)


def valid_rows(table: pa.Table, checked: Checked | None) -> pa.Table:
    """``table`` without the rows :func:`check_source` left out: its records by ``source``
    and ``line``, and (CSV files, rows without a line) the same test."""
    if checked is None or not checked.dirty:
        return table
    names = set(table.column_names)
    gone = np.zeros(table.num_rows, dtype=bool)
    if checked.drop and {"source", "line"} <= names:
        gone = _dropped(table, checked.drop)
    if checked.csv or not {"source", "line"} <= names:
        gone |= check_table(table, checked.reference).bad
    return table.filter(pa.array(~gone)) if gone.any() else table


def between(table: pa.Table, a: float, b: float) -> pa.Table:
    """The rows of ``table`` with ``a <= t < b``, in their order: a zero-copy slice when they
    are consecutive (a row group sorted by time), else filtered."""
    t = table.column("t").to_numpy()
    keep = (t >= a) & (t < b)  # a missing time (NaN) is left out
    at = np.flatnonzero(keep)
    if at.size and at[-1] - at[0] + 1 == at.size:
        return table.slice(int(at[0]), int(at.size))
    return table.filter(pa.array(keep))


# text columns read as dictionaries (the few names of a row group, and the codes of its rows):
# no string per row is built, and the ids are coded already (0.4 s of CPU less on 10M rows)
DICTIONARY_COLUMNS = ("id", "callsign", "party")


def dictionary_file(file: str) -> pq.ParquetFile:
    """A Parquet file whose text columns of :data:`DICTIONARY_COLUMNS` read as dictionaries."""
    schema = pq.read_schema(file)
    text = [c for c in DICTIONARY_COLUMNS if c in schema.names and is_text(schema.field(c).type)]
    return pq.ParquetFile(file, read_dictionary=text)


def _dropped(table: pa.Table, drop: dict[str, np.ndarray]) -> np.ndarray:
    """Rows of ``table`` whose ``source`` and ``line`` (record + 1) are in ``drop``."""
    source = table.column("source")
    line = np.asarray(table.column("line").to_numpy(zero_copy_only=False), dtype=np.float64)
    gone = np.zeros(table.num_rows, dtype=bool)
    for file, records in drop.items():
        if not len(records):
            continue
        mine = np.asarray(pc.fill_null(pc.equal(source, file), False).to_numpy(), dtype=bool)
        if mine.any():
            gone[mine] = np.isin(line[mine] - 1, records)
    return gone


def _with_origin(
    pf: pq.ParquetFile, file: str, group: int, first: int, every: bool = False
) -> pa.Table:
    """Row group ``group`` of a states file, the columns a scan reads (:data:`SCAN_COLUMNS`
    and the quality columns the file has; ``every``: all), with ``source`` and ``line`` of
    every row."""
    has = set(pf.schema_arrow.names)
    extra = (*QUALITY_COLUMNS, *SOURCE_COLUMNS, "alt_geo_m")
    names = [*SCAN_COLUMNS, *(c for c in extra if c in has)]
    table = pf.read_row_group(group, columns=None if every else names)
    if all(c in has for c in SOURCE_COLUMNS):
        return table
    n = table.num_rows
    source = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([file]))
    line = pa.array(np.arange(first + 1, first + 1 + n, dtype=np.int64))
    return table.append_column("source", source).append_column("line", line)


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


RowGroup = tuple[float, float, str, int, int, int]


def row_groups(files: tuple[str, ...]) -> list[RowGroup] | None:
    """``(t_min, t_max, file, row_group, first_row, rows)`` of every non-empty row group,
    sorted, when every file is Parquet with ``t`` statistics in every such row group (None
    otherwise): read from the footers, no data."""
    out: list[RowGroup] = []
    try:
        for f in files:
            if file_format(f) != "parquet":
                return None
            meta = pq.ParquetFile(f).metadata
            col = meta.schema.names.index("t")
            first = 0
            for g in range(meta.num_row_groups):
                rows = meta.row_group(g).num_rows
                stats = meta.row_group(g).column(col).statistics
                if rows and (stats is None or not stats.has_min_max):
                    return None
                if rows:
                    out.append((float(stats.min), float(stats.max), f, g, first, rows))
                first += rows
    except (pa.ArrowInvalid, OSError) as e:
        raise input_error(e, ",".join(files)) from None
    return sorted(out)


def _clustered(groups: list[RowGroup], slack_s: float = 3600.0, max_rows: int = 2_000_000) -> bool:
    """The test of :func:`time_clustered` on :func:`row_groups`."""
    if any(g[5] > max_rows for g in groups):
        return False
    return all(a[1] <= b[0] + slack_s for a, b in itertools.pairwise(groups))


def time_clustered(
    files: tuple[str, ...], slack_s: float = 3600.0, max_rows: int = 2_000_000
) -> bool:
    """Whether Parquet row groups are ordered by time, so that each window reads few of them
    and the files need no sort.

    True when, with row groups sorted by their smallest ``t``, none reaches more than
    ``slack_s`` past the start of the next one, and every row group has at most ``max_rows``
    rows: a window reads whole the row groups its time range overlaps, so the largest row
    group bounds the memory of a read (2,000,000 rows: a few hundred MB decoded), whatever the
    number of row groups. Other files are copied window by window first
    (:func:`~wellclear.encounters.partition.partition_by_window`). CSV files are never
    clustered; empty row groups do not count.
    """
    groups = row_groups(files)
    return groups is not None and _clustered(groups, slack_s, max_rows)


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


def check_source(
    source: DatasetSource, invalid: str = "error"
) -> tuple[DatasetSource, pd.DataFrame]:
    """Validate a streamed source as every reader validates its rows; returns the source with
    :class:`Checked` set, and the rejects (with ``invalid="error"``, the first raises
    :class:`StatesInputError` naming file, line and field, as the reader raises it).

    Parquet files: every row group's id, time and number columns, checked in the reader's
    order (:mod:`~wellclear.encounters.streamcheck`), duplicates per file, then the time rule
    around the median time of the rows kept. CSV files: the ``t`` column, then the row
    groups whose values break a limit, row by row (the whole file).
    """
    files: list[_ParquetCheck] = []
    csv: list[tuple[str, np.ndarray]] = []
    rejects: list[pd.DataFrame] = []
    try:
        for f in source.files:
            if file_format(f) == "parquet":
                checked_file = _check_parquet(f)
                rejects.append(checked_file.rejects())
                if invalid == "error":
                    raise_first(rejects[-1], StatesInputError)
                files.append(checked_file)
            else:
                col = DatasetSource((f,))._dataset().to_table(columns=["t"]).column("t")
                csv.append((f, np.asarray(col.cast(pa.float64()).to_numpy(), dtype=np.float64)))
    except (pa.ArrowInvalid, OSError) as e:
        raise input_error(e, ",".join(source.files)) from None
    kept = [p.t[p.kept] for p in files] + [t for _, t in csv]
    reference = time_reference(np.concatenate(kept) if kept else np.zeros(0))
    valid_t: list[np.ndarray] = []
    drop: dict[str, np.ndarray] = {}
    for p in files:
        rejects.append(p.time_rule(reference))
        drop[p.file] = np.flatnonzero(~p.kept)
        valid_t.append(p.t[p.kept])
    for f, t in csv:
        check = RowChecker(len(t))
        check.flag(np.isnan(t), "t", "missing time")
        check_times(check, t, "t", reference)
        valid_t.append(t[~check.bad])
        for first, table in _suspect_groups(f, check.bad):
            rows = check_table(table, reference)
            bad = rows.bad
            lines = np.flatnonzero(bad) + first + 1
            raws = [f"record {k}" for k in lines - 1]
            rejects.append(make_rejects(f, lines, rows.column[bad], rows.reason[bad], raws))
    found = concat_rejects(rejects)
    if invalid == "error":
        raise_first(found, StatesInputError)
    every = np.concatenate(valid_t) if valid_t else np.zeros(0)
    lo, hi = (float(every.min()), float(every.max())) if every.size else (0.0, 0.0)
    repeats = sum(p.repeats for p in files)
    dirty = bool(len(found)) or repeats > 0
    checked = Checked(reference, lo, hi, dirty, drop, {"repeats": repeats}, bool(csv))
    return replace(source, checked=checked), found


class _ParquetCheck:
    """What :func:`_check_parquet` found in one file: the time of every record, the first
    reason of each invalid one, the exact repeats; :meth:`time_rule` adds the last stage."""

    def __init__(self, file: str, check: RowChecker, t: np.ndarray, repeats: np.ndarray):
        self.file, self.check, self.t, self.repeated = file, check, t, repeats
        self.late = RowChecker(len(t))

    @property
    def kept(self) -> np.ndarray:
        return ~self.check.bad & ~self.repeated & ~self.late.bad

    @property
    def repeats(self) -> int:
        return int((self.repeated & ~self.check.bad).sum())

    def rejects(self) -> pd.DataFrame:
        return self._rejects(self.check)

    def time_rule(self, reference: float | None) -> pd.DataFrame:
        """Stage 8: the kept rows whose time breaks the rule around ``reference``."""
        t = np.where(self.kept, self.t, np.nan)
        check_times(self.late, t, "t", reference)
        return self._rejects(self.late)

    def _rejects(self, check: RowChecker) -> pd.DataFrame:
        at = np.flatnonzero(check.bad)
        if not at.size:  # the rows' texts are made at the first flag only
            return make_rejects(self.file, at, at, at, at)
        return make_rejects(
            self.file, at + 1, check.column[at], check.reason[at], [f"record {k}" for k in at + 1]
        )


def _check_parquet(file: str) -> _ParquetCheck:
    """Stages 1-7 of :mod:`~wellclear.encounters.streamcheck` on a Parquet file, one row group
    at a time (the values of a row group are read once; the position columns once more for
    the row groups that hold reports sharing an aircraft and a time)."""
    pf = dictionary_file(file)
    meta = pf.metadata
    names = [c for c in READ if c in pf.schema_arrow.names]
    ids = IdCodes()
    checks, quality, times, codes, starts = [], [], [], [], [0]
    for g in range(meta.num_row_groups):
        table = pf.read_row_group(g, columns=names)
        code = ids.codes(table.column("id")) if "id" in names else np.full(table.num_rows, -1)
        check, t, _ = check_group(table, code, limits=_stats_break(meta.row_group(g)))
        later = RowChecker(table.num_rows)
        check_quality(table, later)
        checks.append(check)
        quality.append(later)
        times.append(t)
        codes.append(code)
        starts.append(starts[-1] + table.num_rows)
    check = _joined(checks)
    t = np.concatenate(times) if times else np.zeros(0)
    code = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
    repeats = np.zeros(len(t), dtype=bool)
    shared = shared_keys(code, t, ~check.bad)
    if shared.any():
        at = np.flatnonzero(shared)
        group = np.searchsorted(starts, at, side="right") - 1
        position = {c: np.full(at.size, np.nan) for c in POSITION}
        for g in np.unique(group):
            table = pf.read_row_group(int(g), columns=[c for c in POSITION if c in names])
            rows = at[group == g] - starts[g]
            for c in table.column_names:
                values = table.column(c).cast(pa.float64()).to_numpy()
                position[c][group == g] = np.asarray(values, dtype=np.float64)[rows]
        found = RowChecker(at.size)
        same = check_duplicates(found, ids.names(code[at]), t[at], position, at + 1, "id")
        repeats[at[same]] = True
        clash = np.zeros(len(t), dtype=bool)
        clash[at[found.bad]] = True
        reasons = np.full(len(t), "", dtype=object)
        reasons[at[found.bad]] = found.reason[found.bad]
        check.flag(clash, "id", reasons)
    later = _joined(quality)
    for c in QUALITY if later.bad.any() else ():
        check.flag(later.bad & (later.column == c), c, later.reason)
    return _ParquetCheck(file, check, t, repeats)


def _joined(checks: list[RowChecker]) -> RowChecker:
    """One checker for consecutive parts."""
    out = RowChecker(sum(len(c.bad) for c in checks))
    if not any(c.bad.any() for c in checks):
        return out
    out.bad[:] = np.concatenate([c.bad for c in checks])
    out.column[:] = np.concatenate([c.column for c in checks])
    out.reason[:] = np.concatenate([c.reason for c in checks])
    return out


def _suspect_groups(file: str, bad_t: np.ndarray) -> Iterator[tuple[int, pa.Table]]:
    """``(first record, table)`` of the row groups of ``file`` to check row by row: those with
    a bad time, statistics breaking a limit or no statistics (a CSV file: whole)."""
    if file_format(file) != "parquet":
        yield 0, DatasetSource((file,))._dataset().to_table()
        return
    pf = pq.ParquetFile(file)
    meta = pf.metadata
    names = [c for c in ("id", "t", *CHECKED) if c in pf.schema_arrow.names]
    first = 0
    for g in range(meta.num_row_groups):
        rows = meta.row_group(g).num_rows
        if rows and (bad_t[first : first + rows].any() or _stats_break(meta.row_group(g))):
            yield first, pf.read_row_group(g, columns=names)
        first += rows


def _stats_break(group: pq.RowGroupMetaData) -> bool:
    """Whether a row group's statistics show a value beyond a limit, a missing id, or say
    nothing (no statistics)."""
    lows, highs = {}, {}
    for k in range(group.num_columns):
        col = group.column(k)
        name = col.path_in_schema
        if name not in CHECKED and name != "id":
            continue
        stats = col.statistics
        if stats is None or (not stats.has_min_max and stats.null_count != col.num_values):
            return True
        if name == "id":
            if stats.null_count or (stats.has_min_max and str(stats.min).strip() == ""):
                return True
            continue
        if stats.has_min_max:
            lows[name], highs[name] = float(stats.min), float(stats.max)
    check = RowChecker(2)
    check_states(check, {c: np.array([lows[c], highs[c]]) for c in lows})
    return bool(check.bad.any())
