"""Reports of one aircraft at one time, found fast: the candidates for
:func:`~wellclear.formats.validate.check_duplicates`, which decides on them.

A file written by flight (as ``traffic`` and OpenSky extracts are) holds each aircraft's rows
as one run of increasing times, and then no two rows can share an aircraft and a time: that is
checked in one pass. Otherwise the rows whose (aircraft, time) hash is shared by another row
are the candidates (one pass of hashing on integer keys; a hash collision is a candidate,
checked exactly, never a duplicate). Several files loaded as one frame are told apart by their
file codes: repeats are looked for within each file, as when each is read alone.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.formats.validate import RowChecker, check_duplicates

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.integer]


def duplicates(
    check: RowChecker,
    ids: npt.NDArray[np.object_] | pd.Categorical,
    t: FloatArray,
    position: dict[str, FloatArray],
    lines: npt.NDArray[np.int64],
    name: str,
    files: Codes | None = None,
) -> BoolArray:
    """:func:`~wellclear.formats.validate.check_duplicates` on the rows that can be duplicates
    only (see the module docstring); ``files``: the file of each row, where several are one
    frame. Flags the clashes on ``check``; returns the mask of exact repeats."""
    n = len(t)
    codes = ids.codes if isinstance(ids, pd.Categorical) else pd.factorize(ids)[0]
    t = np.asarray(t, dtype=np.float64)
    if n < 2 or _one_run_each(codes, t, files):
        return np.zeros(n, dtype=bool)
    bits = (t + 0.0).view(np.uint64)  # -0.0 as 0.0
    key = codes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ bits
    if files is not None:
        key ^= np.asarray(files).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    maybe = pd.Index(key).duplicated(keep=False)
    if not maybe.any():
        return np.zeros(n, dtype=bool)
    at = np.flatnonzero(maybe)
    sub = RowChecker(len(at))
    sub.bad[:] = check.bad[at]
    some = {k: np.asarray(v)[at] for k, v in position.items()}
    repeats = np.zeros(n, dtype=bool)
    in_file = None if files is None else np.asarray(files)[at]
    repeats[at] = check_duplicates(
        sub, np.asarray(ids)[at], t[at], some, lines[at], name, files=in_file
    )
    new = sub.bad & ~check.bad[at]
    if new.any():
        mask = np.zeros(n, dtype=bool)
        mask[at[new]] = True
        reasons = np.full(n, "", dtype=object)
        reasons[at[new]] = sub.reason[new]
        check.flag(mask, name, reasons)
    return repeats


def _one_run_each(codes: Codes, t: FloatArray, files: Codes | None = None) -> bool:
    """Whether each aircraft's rows (in each file) are one run of strictly increasing times:
    then no two rows share an aircraft and a time, and the hashing is not needed."""
    c = np.asarray(codes)
    if c.size == 0 or c.min() < 0:
        return False
    same = c[1:] == c[:-1]
    if files is None:
        ends = [c.size]
    else:
        f = np.asarray(files)
        step = f[1:] != f[:-1]
        if (f[1:] < f[:-1]).any():  # a file's rows not in one block: hash them
            return False
        same &= ~step
        ends = [*(np.flatnonzero(step) + 1).tolist(), c.size]
    with np.errstate(invalid="ignore"):
        runs = 1 + int(np.count_nonzero(~(same & (t[1:] > t[:-1]))))
    # an aircraft of each file is one run: as many runs as (file, aircraft) pairs
    pairs, start = 0, 0
    for end in ends:
        pairs += int(np.count_nonzero(np.bincount(c[start:end])))
        start = end
    return runs == pairs
