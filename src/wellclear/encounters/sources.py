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
leave them out by the same test. Not checked in the stream: duplicate reports (one aircraft at
one time with two positions) and the case of ICAO addresses, which the whole-file readers do.
"""

from __future__ import annotations

import glob
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from wellclear.encounters.output import is_text
from wellclear.encounters.tracks import QUALITY_COLUMNS, SCAN_COLUMNS, SOURCE_COLUMNS
from wellclear.formats.errors import StatesInputError
from wellclear.formats.result import concat_rejects, make_rejects, raise_first
from wellclear.formats.validate import RowChecker, check_states, check_times, time_reference
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


def _error(e: Exception, file: str) -> StatesInputError:
    """A typed error naming the file and, where Arrow says it, the line (header = line 1)."""
    text = str(e)
    row = re.search(r"Row #(\d+)", text)
    names = re.findall(r"'(/[^']+)'", text)
    reason = text.split("Invalid: ")[-1] if "Invalid: " in text else text
    return StatesInputError(
        reason.strip(), file=names[0] if names else file, line=int(row.group(1)) if row else None
    )


def _fmt(path: str) -> str | None:
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
    return all(_fmt(f) in kinds and set(STATES_COLUMNS) <= set(_names(f)) for f in files)


def _names(file: str) -> list[str]:
    """The column names of a Parquet or CSV file (a CSV's header)."""
    try:
        if _fmt(file) == "csv":
            with pa.input_stream(file, compression="detect") as stream:
                head = stream.read(65536).decode("utf-8", errors="replace")
            return [c.strip() for c in head.splitlines()[0].split(",")] if head else []
        return list(ds.dataset(file, format="parquet").schema.names)
    except (pa.ArrowInvalid, OSError) as e:
        raise _error(e, file) from None


_CSV_TYPES = {
    c: (pa.string() if d == "object" else pa.bool_() if d == "bool" else pa.float64())
    for c, d in STATES_COLUMNS.items()
}


# the columns check_states sees in a streamed file (roles of formats.validate)
CHECKED = ("lat", "lon", "alt_m", "alt_baro_m", "alt_geo_m", "gs_mps", "vs_mps")


@dataclass(frozen=True)
class Checked:
    """What :func:`check_source` found: the median time (the time rule's centre), the range of
    the valid times, and whether some rows are invalid (the windows then leave them out)."""

    reference: float | None
    t_lo: float
    t_hi: float
    dirty: bool


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
            fs = [f for f in self.files if _fmt(f) == kind]
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
            raise _error(e, ",".join(self.files)) from None
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
        records), or those the file already holds (a copy sorted by :func:`sort_out_of_core`).
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
                    pf = files.get(f) or files.setdefault(f, _dictionary_file(f))
                    if t_max >= a:
                        held.append((t_max, self._valid(_with_origin(pf, f, g, first))))
                    nxt += 1
            except (pa.ArrowInvalid, OSError) as e:
                raise _error(e, ",".join(self.files)) from None
            parts = [_between(h[1], a, b) for h in held]
            if parts:
                table = pa.concat_tables(parts, promote_options="permissive")
            else:
                table = self._dataset().schema.empty_table()
            yield _frame(table)

    def count(self) -> int:
        try:
            return int(self._dataset().count_rows())
        except (pa.ArrowInvalid, OSError) as e:
            raise _error(e, ",".join(self.files)) from None

    def read(self, t_lo: float, t_hi: float) -> pd.DataFrame:
        f = (ds.field("t") >= t_lo) & (ds.field("t") < t_hi)
        try:
            table = self._dataset().to_table(filter=f)
        except (pa.ArrowInvalid, OSError) as e:
            raise _error(e, ",".join(self.files)) from None
        return _frame(self._valid(table))

    def _valid(self, table: pa.Table) -> pa.Table:
        """``table`` without the rows :func:`check_source` rejected (the same test)."""
        if self.checked is None or not self.checked.dirty:
            return table
        check = check_table(table, self.checked.reference)
        if not check.bad.any():
            return table
        return table.filter(pa.array(~check.bad))


def _between(table: pa.Table, a: float, b: float) -> pa.Table:
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


def _dictionary_file(file: str) -> pq.ParquetFile:
    """A Parquet file whose text columns of :data:`DICTIONARY_COLUMNS` read as dictionaries."""
    schema = pq.read_schema(file)
    text = [c for c in DICTIONARY_COLUMNS if c in schema.names and is_text(schema.field(c).type)]
    return pq.ParquetFile(file, read_dictionary=text)


def _with_origin(pf: pq.ParquetFile, file: str, group: int, first: int) -> pa.Table:
    """Row group ``group`` of a states file, the columns a scan reads (:data:`SCAN_COLUMNS`
    and the quality columns the file has), with ``source`` and ``line`` of every row."""
    has = set(pf.schema_arrow.names)
    extra = (*QUALITY_COLUMNS, *SOURCE_COLUMNS, "alt_geo_m")
    names = [*SCAN_COLUMNS, *(c for c in extra if c in has)]
    table = pf.read_row_group(group, columns=names)
    if all(c in has for c in SOURCE_COLUMNS):
        return table
    n = table.num_rows
    source = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([file]))
    line = pa.array(np.arange(first + 1, first + 1 + n, dtype=np.int64))
    return table.append_column("source", source).append_column("line", line)


def _frame(table: pa.Table) -> pd.DataFrame:
    """A states table from Arrow: missing text filled in Arrow (party "unknown", the others
    empty); text columns stay Arrow-backed strings, or categories where they were read as
    dictionaries, not converted to Python objects."""
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


RowGroup = tuple[float, float, str, int, int, int]


def row_groups(files: tuple[str, ...]) -> list[RowGroup] | None:
    """``(t_min, t_max, file, row_group, first_row, rows)`` of every non-empty row group,
    sorted, when every file is Parquet with ``t`` statistics in every such row group (None
    otherwise): read from the footers, no data."""
    out: list[RowGroup] = []
    try:
        for f in files:
            if _fmt(f) != "parquet":
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
        raise _error(e, ",".join(files)) from None
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
    number of row groups. Larger row groups are rewritten sorted (:func:`sort_out_of_core`, row
    groups of 100,000 rows). CSV files are never clustered; empty row groups do not count.
    """
    groups = row_groups(files)
    return groups is not None and _clustered(groups, slack_s, max_rows)


def sort_out_of_core(
    source: DatasetSource, directory: Path, memory_limit: str = "1GB"
) -> DatasetSource:
    """A copy of ``source`` sorted by ``t`` (DuckDB, spilling to ``directory``), in row groups of
    100,000 rows, so that each time window reads only its own row groups."""
    import duckdb

    directory.mkdir(parents=True, exist_ok=True)
    out = directory / "sorted.parquet"
    pq_files = [f for f in source.files if _fmt(f) == "parquet"]
    csv_files = [f for f in source.files if _fmt(f) == "csv"]
    # the quality columns of any file, NULL in the rows of files without them
    names = {f: set(_names(f)) for f in source.files}
    quality = [c for c in QUALITY_COLUMNS if any(c in n for n in names.values())]

    def columns(files: list[str]) -> str:
        extra = [
            f'"{c}"' if any(c in names[f] for f in files) else f'NULL AS "{c}"' for c in quality
        ]
        return ", ".join([*(f'"{c}"' for c in STATES_COLUMNS), *extra])

    parts = []
    if pq_files:
        parts.append(
            f"SELECT {columns(pq_files)}, filename AS source, file_row_number + 1 AS line "
            f"FROM read_parquet({pq_files!r}, union_by_name=true, filename=true, "
            "file_row_number=true)"
        )
    if csv_files:
        types = {
            c: "VARCHAR" if d == "object" else "BOOLEAN" if d == "bool" else "DOUBLE"
            for c, d in STATES_COLUMNS.items()
        }
        # CSV rows keep their file; their line is not known after the sort
        parts.append(
            f"SELECT {columns(csv_files)}, filename AS source, CAST(NULL AS BIGINT) AS line "
            f"FROM read_csv({csv_files!r}, header=true, types={types!r}, filename=true, "
            "union_by_name=true)"
        )
    query = " UNION ALL ".join(parts)
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit='{memory_limit}'")
        con.execute(f"SET temp_directory='{directory / 'spill'}'")
        con.execute("SET preserve_insertion_order=false")
        con.execute(
            f"COPY (SELECT * FROM ({query}) ORDER BY t) TO '{out}' "
            "(FORMAT PARQUET, ROW_GROUP_SIZE 100000)"
        )
    except duckdb.Error as e:
        raise StatesInputError(f"cannot sort by time: {e}", file=",".join(source.files)) from None
    finally:
        con.close()
    return DatasetSource((str(out),), source.checked)


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
    :class:`StatesInputError` naming file, line and field).

    Reads the ``t`` column of every file, and the row groups whose statistics break a limit or
    that hold an invalid time (every row group of a file without statistics, and of CSV).
    """
    times: list[tuple[str, np.ndarray]] = []
    try:
        for f in source.files:
            if _fmt(f) == "parquet":
                col = pq.read_table(f, columns=["t"]).column("t")
            else:
                col = DatasetSource((f,))._dataset().to_table(columns=["t"]).column("t")
            times.append((f, np.asarray(col.cast(pa.float64()).to_numpy(), dtype=np.float64)))
    except (pa.ArrowInvalid, OSError) as e:
        raise _error(e, ",".join(source.files)) from None
    every = np.concatenate([t for _, t in times]) if times else np.zeros(0)
    reference = time_reference(every)
    rejects: list[pd.DataFrame] = []
    valid_t: list[np.ndarray] = []
    for f, t in times:
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
            if invalid == "error" and bad.any():
                raise_first(concat_rejects(rejects), StatesInputError)
    found = concat_rejects(rejects)
    kept = np.concatenate(valid_t) if valid_t else np.zeros(0)
    lo, hi = (float(kept.min()), float(kept.max())) if kept.size else (0.0, 0.0)
    return replace(source, checked=Checked(reference, lo, hi, bool(len(found)))), found


def _suspect_groups(file: str, bad_t: np.ndarray) -> Iterator[tuple[int, pa.Table]]:
    """``(first record, table)`` of the row groups of ``file`` to check row by row: those with
    a bad time, statistics breaking a limit or no statistics (a CSV file: whole)."""
    if _fmt(file) != "parquet":
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
