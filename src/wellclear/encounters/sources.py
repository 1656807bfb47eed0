"""Where a scan reads its states from, one time window at a time.

:class:`DatasetSource` streams Parquet or CSV files (or directories, including hive-style
``date=/hour=`` partitions) that already hold the states columns: each window is read with a
filter on ``t`` (pyarrow datasets push it down to row groups), so memory is bounded by one window
whatever the input size or order. Anything else (OpenSky, ``traffic``, feeds) is read whole by
the readers of :mod:`wellclear.formats` and scanned from memory (:class:`~.scan.FrameSource`).
Streamed rows are validated first (:func:`~wellclear.encounters.sourcecheck.check_source`),
and the windows leave out the rows the check rejected; they give the states the whole-file
reader gives (:func:`~wellclear.encounters.tables.states_frame`).
"""

from __future__ import annotations

import glob
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from wellclear.encounters.output import is_text
from wellclear.encounters.tables import check_table, states_frame
from wellclear.encounters.tracks import QUALITY_COLUMNS, SCAN_COLUMNS, SOURCE_COLUMNS
from wellclear.formats.errors import StatesInputError
from wellclear.states import STATES_COLUMNS

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


@dataclass(frozen=True)
class Checked:
    """What :func:`~.sourcecheck.check_source` found: the median time (the time rule's
    centre), the range of the valid times, whether some rows are invalid or repeated (the
    windows then leave them out), the records left out of each Parquet file (0-based, sorted;
    rejected or exact repeats), and the rows left out and counted by reason (``repeats``)."""

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

    ``checked`` (set by :func:`~.sourcecheck.check_source`) gives the valid time range and
    whether the windows must leave invalid rows out.
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
    """``table`` without the rows :func:`~.sourcecheck.check_source` left out: its records by
    ``source`` and ``line``, and (CSV files, rows without a line) the same test."""
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
