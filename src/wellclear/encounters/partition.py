"""Parquet files rearranged by time window in one pass, so that a scan reads each window once.

A flight-ordered archive (the ``traffic`` library's files, OpenSky exports sorted by aircraft)
has row groups that each span the whole time range: every window of a scan would read every
row group. The scan needs no order inside a window (:func:`~wellclear.encounters.tracks.
build_tracks` sorts each window's rows by aircraft and time), only that each window's rows lie
together. :func:`partition_by_window` therefore buckets rows by window instead of sorting them:
each input row group is read once, its rows are put in window order by a stable sort of small
integers (rows keep their order inside a window) and written to a scratch Arrow IPC file of
its own (one per row group: an IPC file holds one dictionary per column), one record batch per
window. :class:`WindowedCopy` reads a window's batches back through a memory map (no decoding,
no copy). A full sort by time (DuckDB, spilling to disk) cost about 2 s per million rows on two
cores; this costs one read of the Parquet files and one write of their rows.
"""

from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

from wellclear.encounters.sources import (
    Checked,
    DatasetSource,
    between,
    dictionary_file,
    file_format,
    input_error,
    valid_rows,
)
from wellclear.encounters.tables import states_frame
from wellclear.encounters.tracks import QUALITY_COLUMNS, SOURCE_COLUMNS
from wellclear.states import STATES_COLUMNS

# rows of one row group of the copy: a window holds few of them at once
COPY_ROW_GROUP = 100_000


def _columns(files: tuple[str, ...]) -> tuple[dict[str, list[str]], pa.Schema]:
    """The columns copied from each file (the states columns but ``alt_src``, the quality
    columns it has,
    ``source`` and ``line`` where it has both) and the copy's schema: the files' types unified,
    with ``source`` and ``line`` added where the files lack them."""
    wanted = (*(c for c in STATES_COLUMNS if c != "alt_src"), *QUALITY_COLUMNS, *SOURCE_COLUMNS)
    names: dict[str, list[str]] = {}
    schemas = []
    for f in files:
        schema = dictionary_file(f).schema_arrow
        names[f] = [c for c in wanted if c in schema.names]
        schemas.append(pa.schema([schema.field(c) for c in names[f]]))
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    if "source" not in schema.names:
        schema = schema.append(pa.field("source", pa.dictionary(pa.int32(), pa.string())))
    if "line" not in schema.names:
        schema = schema.append(pa.field("line", pa.int64()))
    return names, schema


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the columns of ``schema`` in its order (nulls where it has none)."""
    columns = [
        table.column(c)
        if c in table.column_names
        else pa.nulls(table.num_rows, schema.field(c).type)
        for c in schema.names
    ]
    return pa.Table.from_arrays(columns, schema=schema) if table.schema != schema else table


@dataclass(frozen=True)
class WindowedCopy:
    """States in Arrow IPC files, each record batch inside one window of ``window_s`` (as
    :func:`partition_by_window` writes them): a source for
    :func:`~wellclear.encounters.scan.scan_source` (picklable). ``batches`` holds, for every
    batch, its window number (``floor(t / window_s)``), file and index in the file;
    ``checked`` is the original files' (the records it leaves out are named by ``source`` and
    ``line``)."""

    files: tuple[str, ...]
    window_s: float
    batches: tuple[tuple[int, int, int], ...]
    rows: int
    checked: Checked | None = None

    def time_range(self) -> tuple[float, float]:
        if self.checked is not None:
            return (self.checked.t_lo, self.checked.t_hi)
        if not self.batches:
            return (0.0, 0.0)
        return (self.batches[0][0] * self.window_s, (self.batches[-1][0] + 1) * self.window_s)

    def count(self) -> int:
        return self.rows

    def read(self, t_lo: float, t_hi: float) -> pd.DataFrame:
        """The states with ``t_lo <= t < t_hi`` (from the batches of the windows they touch)."""
        first = math.floor(t_lo / self.window_s)
        last = math.floor(t_hi / self.window_s)
        parts = []
        opened: dict[int, pa.ipc.RecordBatchFileReader] = {}
        for window, f, k in self.batches:
            if first <= window <= last:
                if f not in opened:
                    opened[f] = pa.ipc.open_file(pa.memory_map(self.files[f]))
                batch = pa.Table.from_batches([opened[f].get_batch(k)])
                parts.append(between(valid_rows(batch, self.checked), t_lo, t_hi))
        if not parts:
            with pa.memory_map(self.files[0]) as m:
                parts.append(pa.ipc.open_file(m).schema.empty_table())
        return states_frame(pa.concat_tables(parts, promote_options="permissive"))


def partition_by_window(source: DatasetSource, directory: Path, window_s: float) -> WindowedCopy:
    """A copy of ``source`` (Parquet files) in ``directory``, in Arrow IPC files whose record
    batches each hold rows of one window of ``window_s`` (aligned on multiples of it, as
    :func:`~wellclear.encounters.scan.window_bounds` aligns windows), in the files' order, at
    most :data:`COPY_ROW_GROUP` rows each, with every row's ``source`` file and ``line``
    (record number + 1, or those the file holds). Rows without a time (never in a window) are
    not copied, nor ``alt_src`` (made again from the altitudes where it is read). The next
    row group is read and put in order on a thread while the last one is written."""
    files = source.files
    if not files or any(file_format(f) != "parquet" for f in files):
        raise ValueError("only Parquet files are partitioned by window")
    if not (math.isfinite(window_s) and window_s > 0.0):
        raise ValueError(f"window {window_s!r} s: expected a positive finite duration")
    directory.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    batches: list[tuple[int, int, int]] = []
    rows = 0
    try:
        names, schema = _columns(files)
        groups = [
            (f, g, first)
            for f in files
            for g, first in enumerate(_firsts(pq.ParquetFile(f).metadata))
        ]
        with ThreadPoolExecutor(1, thread_name_prefix="partition") as reader:
            opened: dict[str, pq.ParquetFile] = {}

            def ordered(k: int) -> tuple[pa.Table, np.ndarray]:
                f, g, first = groups[k]
                pf = opened.get(f) or opened.setdefault(f, dictionary_file(f))
                table = _with_source(pf.read_row_group(g, columns=names[f]), f, first)
                return _in_windows(_conform(table, schema), window_s)

            ahead = reader.submit(ordered, 0) if groups else None
            for k in range(len(groups)):
                assert ahead is not None
                table, window = ahead.result()
                ahead = reader.submit(ordered, k + 1) if k + 1 < len(groups) else None
                path = str(directory / f"part-{k:06d}.arrow")
                edges = [0, *(np.flatnonzero(np.diff(window)) + 1).tolist(), len(window)]
                n = 0
                with pa.ipc.new_file(path, schema) as out:
                    for a, b in itertools.pairwise(edges):
                        for at in range(a, b, COPY_ROW_GROUP):
                            size = min(COPY_ROW_GROUP, b - at)
                            for batch in table.slice(at, size).to_batches():
                                out.write_batch(batch)
                                batches.append((int(window[a]), len(written), n))
                                n += 1
                written.append(path)
                rows += table.num_rows
    except (pa.ArrowInvalid, OSError) as e:
        raise input_error(e, ",".join(files)) from None
    return WindowedCopy(tuple(written), window_s, tuple(sorted(batches)), rows, source.checked)


def _firsts(meta: pq.FileMetaData) -> list[int]:
    """The first record of each row group."""
    sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
    return [int(x) for x in np.cumsum([0, *sizes[:-1]])] if sizes else []


def _with_source(table: pa.Table, file: str, first: int) -> pa.Table:
    """``table`` (records from ``first``) with its ``source`` and ``line``, unless it has both."""
    if all(c in table.column_names for c in SOURCE_COLUMNS):
        return table
    n = table.num_rows
    origin = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([file]))
    line = pa.array(np.arange(first + 1, first + 1 + n, dtype=np.int64))
    table = table.drop_columns([c for c in SOURCE_COLUMNS if c in table.column_names])
    return table.append_column("source", origin).append_column("line", line)


def _in_windows(table: pa.Table, width: float) -> tuple[pa.Table, np.ndarray]:
    """The rows of ``table`` with a time in window order (a stable sort of window numbers: in
    their order within a window), and the window number of each."""
    t = np.asarray(table.column("t").cast(pa.float64()).to_numpy(), dtype=np.float64)
    timed = np.flatnonzero(~np.isnan(t))
    window = np.floor(t[timed] / width)
    order = timed[np.argsort(window, kind="stable")]
    if order.size != t.size or np.any(order[1:] < order[:-1]):
        table = table.take(pa.array(order))
    return table.combine_chunks(), np.floor(t[order] / width).astype(np.int64)
