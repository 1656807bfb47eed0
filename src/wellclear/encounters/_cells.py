"""Compiled loops of the encounter candidate grid (numba): the box of each (bucket, aircraft),
and the pairs of boxes that share a cell of a bucket. The geometry and why it loses no encounter
are documented in :mod:`wellclear.encounters.candidates`; these loops only do what it describes,
with the floating-point operations of its formulas in the same order (so that the same boxes,
cells and filters come out bit for bit).
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# a Hermite segment stays within 4/27 * h * (|v0| + |v1|) of its chord
BULGE = 4.0 / 27.0
# cell coordinates relative to the smallest one must fit 21 bits each (one int64 key per cell)
_AXIS_BITS = 21
_HASH = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, nogil=True, inline="always")
def _lower(cur: float, v: float) -> float:
    """Running minimum that skips NaN (a NaN only where every value is NaN), as pandas' min."""
    return v if (v < cur or cur != cur) else cur


@numba.njit(cache=True, nogil=True, inline="always")
def _upper(cur: float, v: float) -> float:
    """Running maximum that skips NaN, as pandas' max."""
    return v if (v > cur or cur != cur) else cur


@numba.njit(cache=True, nogil=True)
def _sample_buckets(
    t: FloatArray, seg_next: BoolArray, bucket_s: float
) -> tuple[IntArray, IntArray]:
    """First and last bucket of each sample: the buckets its two segments overlap."""
    n = t.shape[0]
    b_lo = np.empty(n, dtype=np.int64)
    ok = True
    for k in range(n):
        q = np.floor(t[k] / bucket_s)
        good = abs(q) < 2.0**62
        ok &= good
        b_lo[k] = np.int64(q) if good else 0
    if not ok:
        raise ValueError("candidate grid: a sample time is not finite")
    b_hi = np.empty(n, dtype=np.int64)
    for k in range(n):
        b_hi[k] = b_lo[k]
    for k in range(n - 1):
        if seg_next[k]:
            b_hi[k] = b_lo[k + 1]
    for k in range(n - 1, 0, -1):
        if seg_next[k - 1]:
            b_lo[k] = b_lo[k - 1]
    return b_lo, b_hi


@numba.njit(cache=True, nogil=True)
def _stable_order(key: IntArray) -> IntArray:
    """The stable sorting order of ``key``: a radix sort of ``key - min(key)``, 16 bits a pass."""
    n = key.shape[0]
    order = np.arange(n)
    if n == 0:
        return order
    base = key[0]
    top = key[0]
    for r in range(n):
        base = min(base, key[r])
        top = max(top, key[r])
    top -= base
    spare = np.empty(n, dtype=np.int64)
    count = np.empty((1 << 16) + 1, dtype=np.int64)
    shift = 0
    while shift < 64 and (shift == 0 or (top >> shift) > 0):
        for d in range(count.shape[0]):
            count[d] = 0
        for r in range(n):
            count[(((key[order[r]] - base) >> shift) & 0xFFFF) + 1] += 1
        for d in range(1 << 16):
            count[d + 1] += count[d]
        for r in range(n):
            d = ((key[order[r]] - base) >> shift) & 0xFFFF
            spare[count[d]] = order[r]
            count[d] += 1
        order, spare = spare, order
        shift += 16
    return order


@numba.njit(cache=True, nogil=True)
def bucket_boxes(
    t: FloatArray,
    code: IntArray,
    seg_next: BoolArray,
    pos: FloatArray,
    vel_out: FloatArray,
    vel_in: FloatArray,
    alt: FloatArray,
    vz_out: FloatArray,
    vz_in: FloatArray,
    bucket_s: float,
    half_m: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The box of every (bucket, aircraft) that has samples, in (bucket, code) order:
    ``(bucket, code, box_lo, box_hi, alt_lo, alt_hi)``, the ECEF box (``(B, 3)``) grown by
    ``half_m`` and the largest Hermite bulge of its samples, the altitude band by the largest
    vertical bulge.

    Rows must be sorted by (code, t): each aircraft is one run and its samples' first and last
    buckets never decrease, so the boxes of an aircraft are filled in one pass, in bucket order,
    the buckets that a sample shares with its predecessor being the last boxes opened.
    """
    n = t.shape[0]
    sample_lo, sample_hi = _sample_buckets(t, seg_next, bucket_s)
    # boxes: the distinct buckets of each aircraft (the union of its samples' bucket ranges)
    n_box = 0
    last = np.int64(0)
    prev_lo = np.int64(0)
    prev_hi = np.int64(0)
    for k in range(n):
        b_lo = sample_lo[k]
        b_hi = sample_hi[k]
        if k == 0 or code[k] != code[k - 1]:
            if k > 0 and code[k] < code[k - 1]:
                raise ValueError("candidate grid: tracks are not sorted by (code, t)")
            last = b_lo - 1
        elif b_lo < prev_lo or b_hi < prev_hi:
            raise ValueError("candidate grid: tracks are not sorted by (code, t)")
        if b_hi < b_lo:
            raise ValueError("candidate grid: tracks are not sorted by (code, t)")
        start = max(b_lo, last + 1)
        if b_hi >= start:
            n_box += b_hi - start + 1
            last = b_hi
        prev_lo, prev_hi = b_lo, b_hi
    bucket = np.empty(n_box, dtype=np.int64)
    owner = np.empty(n_box, dtype=np.int64)
    lo = np.empty((n_box, 4))
    hi = np.empty((n_box, 4))
    marg = np.empty((n_box, 2))
    for q in range(n_box):
        for ax in range(4):
            lo[q, ax] = np.nan
            hi[q, ax] = np.nan
        marg[q, 0] = np.nan
        marg[q, 1] = np.nan
    w = 0
    for k in range(n):
        b_lo = sample_lo[k]
        b_hi = sample_hi[k]
        if k == 0 or code[k] != code[k - 1]:
            last = b_lo - 1
        # the bulges of the segment leaving sample k (none at a segment's end)
        dt = t[k + 1] - t[k] if (k < n - 1 and seg_next[k]) else 0.0
        # the sums of squares of np.linalg.norm, in its order
        vx, vy, vzz = vel_out[k, 0], vel_out[k, 1], vel_out[k, 2]
        speed = np.sqrt(vx * vx + vy * vy + vzz * vzz)
        speed_in = 0.0
        vz_next = 0.0
        if k < n - 1:
            vx, vy, vzz = vel_in[k + 1, 0], vel_in[k + 1, 1], vel_in[k + 1, 2]
            speed_in = np.sqrt(vx * vx + vy * vy + vzz * vzz)
            vz_next = abs(vz_in[k + 1])
        m = BULGE * dt * (speed + speed_in)
        mz = BULGE * dt * (abs(vz_out[k]) + vz_next)
        for b in range(b_lo, b_hi + 1):
            if b > last:
                bucket[w] = b
                owner[w] = code[k]
                last = np.int64(b)
                w += 1
            i = w - 1 - (last - b)
            for ax in range(3):
                lo[i, ax] = _lower(lo[i, ax], pos[k, ax])
                hi[i, ax] = _upper(hi[i, ax], pos[k, ax])
            lo[i, 3] = _lower(lo[i, 3], alt[k])
            hi[i, 3] = _upper(hi[i, 3], alt[k])
            marg[i, 0] = _upper(marg[i, 0], m)
            marg[i, 1] = _upper(marg[i, 1], mz)
    # (bucket, code) order: a stable sort of the (code, bucket)-ordered boxes by bucket
    order = _stable_order(bucket)
    by_bucket = np.empty(n_box, dtype=np.int64)
    by_code = np.empty(n_box, dtype=np.int64)
    box_lo = np.empty((n_box, 3))
    box_hi = np.empty((n_box, 3))
    alt_lo = np.empty(n_box)
    alt_hi = np.empty(n_box)
    for r in range(n_box):
        j = order[r]
        by_bucket[r] = bucket[j]
        by_code[r] = owner[j]
        grow = half_m + marg[j, 0]
        for ax in range(3):
            box_lo[r, ax] = lo[j, ax] - grow
            box_hi[r, ax] = hi[j, ax] + grow
        alt_lo[r] = lo[j, 3] - marg[j, 1]
        alt_hi[r] = hi[j, 3] + marg[j, 1]
    return by_bucket, by_code, box_lo, box_hi, alt_lo, alt_hi


@numba.njit(cache=True, nogil=True)
def _grow(out: IntArray, found: int, size: int) -> IntArray:
    """A new array of ``size`` holding the first ``found`` of ``out``."""
    bigger = np.empty(size, dtype=np.int64)
    for k in range(found):
        bigger[k] = out[k]
    return bigger


@numba.njit(cache=True, nogil=True)
def _cell_ranges(
    box_lo: FloatArray, box_hi: FloatArray, cell_m: float
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """First and last cell of each box along each axis (an empty range for a box with a
    non-finite bound), and each box's number of cells; the smallest cell along each axis."""
    n_box = box_lo.shape[0]
    c_lo = np.zeros((n_box, 3), dtype=np.int64)
    c_hi = np.empty((n_box, 3), dtype=np.int64)
    for i in range(n_box):
        for ax in range(3):
            c_hi[i, ax] = -1
    c_min = np.zeros(3, dtype=np.int64)
    c_max = np.zeros(3, dtype=np.int64)
    count = np.zeros(n_box, dtype=np.int64)
    seen = False
    for i in range(n_box):
        finite = True
        for ax in range(3):
            finite = finite and np.isfinite(box_lo[i, ax]) and np.isfinite(box_hi[i, ax])
        if not finite:
            continue
        count[i] = 1
        for ax in range(3):
            c_lo[i, ax] = np.int64(np.floor(box_lo[i, ax] / cell_m))
            c_hi[i, ax] = np.int64(np.floor(box_hi[i, ax] / cell_m))
            count[i] *= c_hi[i, ax] - c_lo[i, ax] + 1
            if not seen or c_lo[i, ax] < c_min[ax]:
                c_min[ax] = c_lo[i, ax]
            if not seen or c_hi[i, ax] > c_max[ax]:
                c_max[ax] = c_hi[i, ax]
        seen = True
    for ax in range(3):
        if c_max[ax] - c_min[ax] >= (1 << _AXIS_BITS):
            raise ValueError("candidate grid: boxes too large for the cell grid")
    grid = np.empty(6, dtype=np.int64)
    for ax in range(3):
        grid[ax] = c_min[ax]
        grid[3 + ax] = c_max[ax] - c_min[ax] + 1
    return c_lo, c_hi, count, grid


@numba.njit(cache=True, nogil=True)
def near_box_pairs(
    bucket: IntArray,
    box_lo: FloatArray,
    box_hi: FloatArray,
    alt_lo: FloatArray,
    alt_hi: FloatArray,
    cell_m: float,
    vertical_m: float,
) -> tuple[IntArray, IntArray]:
    """Pairs ``(i, j)``, ``i < j``, of boxes of one bucket (boxes in (bucket, code) order) that
    share a cubic cell of side ``cell_m``, are at most 1 m apart and whose altitude bands are less
    than ``vertical_m`` apart; each pair once, in no particular order.

    Bucket by bucket, the (box, cell) incidences are numbered by cell through a hash table and
    grouped by cell (a counting sort that keeps the boxes in order); the boxes of a cell are then
    paired, a pair being tested only in the lowest cell the two share (the corner of the
    intersection of their cell ranges, where along each axis one of the two starts), hence once.
    Boxes with a non-finite bound are in no cell.
    """
    n_box = bucket.shape[0]
    c_lo, c_hi, count, grid = _cell_ranges(box_lo, box_hi, cell_m)
    ry = grid[4]
    rz = grid[5]
    # the runs of boxes of one bucket: boxes first[r]:first[r + 1], with cells[r] incidences
    first = np.empty(n_box + 1, dtype=np.int64)
    cells = np.zeros(n_box, dtype=np.int64)
    n_run = 0
    for i in range(n_box):
        if i == 0 or bucket[i] != bucket[i - 1]:
            first[n_run] = i
            n_run += 1
        cells[n_run - 1] += count[i]
    first[n_run] = n_box
    most = 0
    for r in range(n_run):
        most = max(most, cells[r])
    bits = 4
    while (1 << bits) < 2 * most:
        bits += 1
    table_key = np.empty(1 << bits, dtype=np.int64)
    table_id = np.empty(1 << bits, dtype=np.int64)
    size = max(most, 1)
    rec_cell = np.empty(size, dtype=np.int64)
    rec_box = np.empty(size, dtype=np.int64)
    rec_starts = np.empty(size, dtype=np.int64)
    by_box = np.empty(size, dtype=np.int64)
    by_starts = np.empty(size, dtype=np.int64)
    cell_end = np.empty(size + 1, dtype=np.int64)
    out_i = np.empty(1024, dtype=np.int64)
    out_j = np.empty(1024, dtype=np.int64)
    found = 0
    for run in range(n_run):
        size_bits = 4
        while (1 << size_bits) < 2 * cells[run]:
            size_bits += 1
        mask = (1 << size_bits) - 1
        shift = np.uint64(64 - size_bits)
        for e in range(mask + 1):
            table_key[e] = -1
        n_rec = 0
        n_cell = 0
        for b in range(first[run], first[run + 1]):
            for x in range(c_lo[b, 0], c_hi[b, 0] + 1):
                for y in range(c_lo[b, 1], c_hi[b, 1] + 1):
                    for z in range(c_lo[b, 2], c_hi[b, 2] + 1):
                        key = ((x - grid[0]) * ry + (y - grid[1])) * rz + (z - grid[2])
                        slot = np.int64((np.uint64(key) * _HASH) >> shift)
                        while table_key[slot] != -1 and table_key[slot] != key:
                            slot = (slot + 1) & mask
                        if table_key[slot] == -1:
                            table_key[slot] = key
                            table_id[slot] = n_cell
                            cell_end[n_cell + 1] = 0
                            n_cell += 1
                        cid = table_id[slot]
                        rec_cell[n_rec] = cid
                        rec_box[n_rec] = b
                        # the axes along which box b starts in this cell
                        rec_starts[n_rec] = (
                            (x == c_lo[b, 0]) * 1 + (y == c_lo[b, 1]) * 2 + (z == c_lo[b, 2]) * 4
                        )
                        cell_end[cid + 1] += 1
                        n_rec += 1
        # group by cell, boxes in order within a cell: cell c holds [cell_end[c], cell_end[c+1])
        cell_end[0] = 0
        for c in range(n_cell):
            cell_end[c + 1] += cell_end[c]
        for r in range(n_rec):
            p = cell_end[rec_cell[r]]
            by_box[p] = rec_box[r]
            by_starts[p] = rec_starts[r]
            cell_end[rec_cell[r]] += 1
        # now cell c holds [cell_end[c - 1], cell_end[c]) (cell_end[-1] read as 0)
        g0 = 0
        for c in range(n_cell):
            g1 = cell_end[c]
            for p in range(g0, g1 - 1):
                a = by_box[p]
                sa = by_starts[p]
                for q in range(p + 1, g1):
                    # tested in the lowest shared cell only
                    if (sa | by_starts[q]) != 7:
                        continue
                    b = by_box[q]
                    if not (
                        alt_lo[a] - alt_hi[b] < vertical_m and alt_lo[b] - alt_hi[a] < vertical_m
                    ):
                        continue
                    gx = max(0.0, max(box_lo[a, 0] - box_hi[b, 0], box_lo[b, 0] - box_hi[a, 0]))
                    gy = max(0.0, max(box_lo[a, 1] - box_hi[b, 1], box_lo[b, 1] - box_hi[a, 1]))
                    gz = max(0.0, max(box_lo[a, 2] - box_hi[b, 2], box_lo[b, 2] - box_hi[a, 2]))
                    if not np.sqrt(gx * gx + gy * gy + gz * gz) <= 1.0:
                        continue
                    if found == out_i.shape[0]:
                        out_i = _grow(out_i, found, 2 * found)
                        out_j = _grow(out_j, found, 2 * found)
                    out_i[found] = a
                    out_j[found] = b
                    found += 1
            g0 = g1
    return _grow(out_i, found, found), _grow(out_j, found, found)
