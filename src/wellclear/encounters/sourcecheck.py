"""Streamed states files validated as every reader validates its rows.

Streamed rows are validated as every reader validates them (:mod:`wellclear.formats.validate`),
at a cost that does not grow with clean data: :func:`check_source` reads the ``t`` column
(the median time, missing or far times) and the row-group statistics of the other columns;
only row groups whose statistics break a limit (or that have none) are read and checked row
by row. Rows found invalid are returned as rejects (or the first raises), and the windows of
:class:`~wellclear.encounters.sources.DatasetSource` then leave them out by the same test.

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
in a :class:`~wellclear.encounters.sources.DatasetSource` are checked by the rows' own values
only (no duplicates, no explicit NaN), as before; the scan command reads CSV through the
reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wellclear.encounters.sources import (
    Checked,
    DatasetSource,
    dictionary_file,
    file_format,
    input_error,
)
from wellclear.encounters.streamcheck import (
    POSITION,
    QUALITY,
    READ,
    IdCodes,
    check_group,
    check_quality,
    shared_keys,
)
from wellclear.encounters.tables import CHECKED, check_table
from wellclear.formats.errors import StatesInputError
from wellclear.formats.result import concat_rejects, make_rejects, raise_first
from wellclear.formats.validate import (
    RowChecker,
    check_duplicates,
    check_states,
    check_times,
    time_reference,
)


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
