"""The checks of the whole-file reader on the row groups of streamed states-contract Parquet.

:func:`wellclear.formats.columns.convert` checks a row in this order, and the first reason
found is the row's reason; :func:`check_group` follows the same order on an Arrow row group
so that a streamed scan rejects the same rows with the same column and reason:

1. a missing (null or blank) ``id``;
2. ``t``: an explicit NaN, an infinite value, then a missing time;
3. ``lat, lon, gs_mps, trk_deg, vs_mps, alt_baro_m, alt_geo_m`` in that order: an explicit
   NaN (a float NaN that is not null: null is missing, NaN is not), an infinite value, a
   boolean where a number belongs;
4. ``onground`` given as a number other than 0 or 1;
5. the physical limits of :func:`wellclear.formats.validate.check_states`;
6. duplicate reports (one aircraft at one time with two positions, per file:
   :func:`shared_keys` finds the rows that share an aircraft and a time, then
   :func:`~wellclear.formats.validate.check_duplicates` decides on those only);
7. the quality columns ``nacp, nic, nucp`` (explicit NaN, infinite value);
8. the time rule around the median time of the rows kept
   (:func:`~wellclear.formats.validate.check_times`), over every input.

Identifiers are compared as the reader compares them: stripped, ICAO addresses in lower case
(:func:`~wellclear.formats.validate.normalise_ids`); :class:`IdCodes` gives each a number.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wellclear.formats.validate import RowChecker, check_states, normalise_ids

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# the float columns in the order the reader converts them (stage 3)
FLOAT_ORDER = ("lat", "lon", "gs_mps", "trk_deg", "vs_mps", "alt_baro_m", "alt_geo_m")
# the columns whose physical limits are checked (stage 5), as the reader names them
LIMITED = ("lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "vs_mps")
QUALITY = ("nacp", "nic", "nucp")
# what check_group reads of a row group (those the file has)
READ = ("id", "t", *FLOAT_ORDER, "onground", *QUALITY)
# the position that makes two reports of one aircraft at one time the same report
POSITION = ("lat", "lon", "alt_baro_m")


def tidy_ids(values: list[object]) -> npt.NDArray[np.object_]:
    """Identifiers as the reader keeps them: text, stripped, ICAO addresses in lower case;
    '' where missing."""
    text = np.array(["" if v is None else str(v).strip() for v in values], dtype=object)
    return normalise_ids(text) if len(text) else text


class IdCodes:
    """A number for each identifier (as :func:`tidy_ids` writes it) over the row groups of a
    file; -1 for a missing one. Not thread-safe: one per file being checked."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.ids: list[str] = []

    def _code(self, value: str) -> int:
        if not value:
            return -1
        code = self._index.get(value)
        if code is None:
            code = self._index[value] = len(self.ids)
            self.ids.append(value)
        return code

    def codes(self, col: pa.ChunkedArray) -> IntArray:
        """The code of every row of a text (or dictionary) column."""
        parts = [np.zeros(0, dtype=np.int64)]
        for chunk in col.chunks:
            if not pa.types.is_dictionary(chunk.type):
                if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
                    chunk = chunk.cast(pa.string())
                chunk = pc.dictionary_encode(chunk)
            mapped = np.array(
                [self._code(v) for v in tidy_ids(chunk.dictionary.to_pylist())], dtype=np.int64
            )
            idx = pc.fill_null(chunk.indices, 0).to_numpy(zero_copy_only=False).astype(np.int64)
            codes = mapped[idx] if mapped.size else np.full(len(chunk), -1, dtype=np.int64)
            if chunk.null_count:
                codes[chunk.is_null().to_numpy(zero_copy_only=False)] = -1
            parts.append(codes)
        return np.concatenate(parts)

    def names(self, codes: IntArray) -> npt.NDArray[np.object_]:
        """The identifiers of ``codes`` ('' for -1)."""
        table = np.array([*self.ids, ""], dtype=object)
        return np.asarray(table[np.where(codes < 0, len(self.ids), codes)], dtype=object)


def numbers(table: pa.Table, name: str, check: RowChecker) -> FloatArray:
    """Float values of a column (NaN where null), flagging on ``check`` what the reader
    flags: an explicit NaN, an infinite value, a boolean."""
    col = table.column(name)
    if pa.types.is_boolean(col.type):
        check.flag(col.is_valid().to_numpy(zero_copy_only=False), name, "not a number: a boolean")
        return np.full(len(col), np.nan)
    if not pa.types.is_floating(col.type):
        col = col.cast(pa.float64(), safe=False)
    values = np.asarray(col.to_numpy(), dtype=np.float64)
    odd = ~np.isfinite(values)
    if odd.any():
        valid = np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        check.flag(np.isnan(values) & valid, name, "explicit NaN")
        check.flag(np.isinf(values), name, "infinite value")
    return values


def check_group(
    table: pa.Table, codes: IntArray, limits: bool = True
) -> tuple[RowChecker, FloatArray, dict[str, FloatArray]]:
    """Stages 1-5 of the module docstring on a row group: ``(check, t, floats)``.

    ``limits=False`` skips stage 5 where the row group's statistics already show every value
    within the limits (stages 1-4 read the values themselves).
    """
    check = RowChecker(table.num_rows)
    check.flag(codes < 0, "id", "missing aircraft id")
    t = numbers(table, "t", check)
    check.flag(np.isnan(t), "t", "missing time")
    names = set(table.column_names)
    floats = {c: numbers(table, c, check) for c in FLOAT_ORDER if c in names}
    if "onground" in names:
        col = table.column("onground")
        if not pa.types.is_boolean(col.type) and not pa.types.is_null(col.type):
            v = np.asarray(col.cast(pa.float64(), safe=False).to_numpy(), dtype=np.float64)
            check.flag(~np.isnan(v) & ~np.isin(v, [0.0, 1.0]), "onground", "not a boolean")
    if limits:
        check_states(check, {c: floats[c] for c in LIMITED if c in floats})
    return check, t, floats


def check_quality(table: pa.Table, check: RowChecker) -> None:
    """Stage 7: the quality columns the row group has."""
    for c in QUALITY:
        if c in table.column_names:
            numbers(table, c, check)


_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing's multiplier (2^64 / golden ratio)


def shared_keys(codes: IntArray, t: FloatArray, ok: BoolArray) -> BoolArray:
    """The rows among ``ok`` that share their aircraft code and time with another of them.

    Rows in aircraft-then-time or time-then-aircraft order (each key after the one before)
    are distinct by a look at their neighbours; otherwise equal keys are found as equal
    64-bit hashes (one sort), and the few rows with a shared hash are compared exactly.
    """
    out = np.zeros(len(t), dtype=bool)
    at = np.flatnonzero(ok)
    if at.size < 2:
        return out
    c = codes[at]
    tt = np.where(t[at] == 0.0, 0.0, t[at])  # -0.0 is the time 0.0
    dc, dt = np.diff(c), np.diff(tt)
    if np.all((dc > 0) | ((dc == 0) & (dt > 0))) or np.all((dt > 0) | ((dt == 0) & (dc > 0))):
        return out
    h = c.astype(np.uint64) * _MIX ^ tt.view(np.uint64)
    s = np.sort(h)
    repeated = s[1:][s[1:] == s[:-1]]
    if not repeated.size:
        return out
    candidate = np.flatnonzero(np.isin(h, repeated))
    same = pd.DataFrame({"c": c[candidate], "t": tt[candidate]}).duplicated(keep=False)
    out[at[candidate[same.to_numpy()]]] = True
    return out
