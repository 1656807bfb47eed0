"""Compiled loops of the candidate search (numba): rasterising swept volumes into cells, and
scanning the cells for pairs. The geometry and the proof of conservativeness are documented in
:mod:`wellclear.detect.candidates`; these loops only do what it describes, fast.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@numba.njit(cache=True, nogil=True)
def rasterise(
    pos: FloatArray,
    vel: FloatArray,
    zlo: IntArray,
    zhi: IntArray,
    lookahead_s: float,
    radius_m: float,
    cell_m: float,
    span: int,
    xb: int,
    zb: int,
) -> tuple[IntArray, IntArray]:
    """Sorted distinct cell keys of each aircraft: ``(keys, offsets)``, aircraft ``a`` owning
    ``keys[offsets[a]:offsets[a + 1]]``. A key packs the (x, y, z) cell and the altitude bin."""
    n = pos.shape[0]
    counts = np.zeros(n + 1, dtype=np.int64)
    for a in range(n):
        sweep = np.sqrt(vel[a, 0] ** 2 + vel[a, 1] ** 2 + vel[a, 2] ** 2) * lookahead_s
        pieces = max(1, int(np.ceil(sweep / cell_m)))
        total = 0
        for k in range(pieces):
            cells = 1
            for ax in range(3):
                p0 = pos[a, ax] + vel[a, ax] * lookahead_s * k / pieces
                p1 = pos[a, ax] + vel[a, ax] * lookahead_s * (k + 1) / pieces
                lo = np.floor((min(p0, p1) - radius_m) / cell_m)
                hi = np.floor((max(p0, p1) + radius_m) / cell_m)
                cells *= int(hi - lo) + 1
            total += cells
        counts[a + 1] = total * (zhi[a] - zlo[a] + 1)
    offsets = np.cumsum(counts)
    keys = np.empty(offsets[n], dtype=np.int64)
    kept = np.zeros(n + 1, dtype=np.int64)
    write = 0
    for a in range(n):
        start = offsets[a]
        w = start
        sweep = np.sqrt(vel[a, 0] ** 2 + vel[a, 1] ** 2 + vel[a, 2] ** 2) * lookahead_s
        pieces = max(1, int(np.ceil(sweep / cell_m)))
        for k in range(pieces):
            lo = np.empty(3, dtype=np.int64)
            hi = np.empty(3, dtype=np.int64)
            for ax in range(3):
                p0 = pos[a, ax] + vel[a, ax] * lookahead_s * k / pieces
                p1 = pos[a, ax] + vel[a, ax] * lookahead_s * (k + 1) / pieces
                lo[ax] = int(np.floor((min(p0, p1) - radius_m) / cell_m)) + span
                hi[ax] = int(np.floor((max(p0, p1) + radius_m) / cell_m)) + span
            for x in range(lo[0], hi[0] + 1):
                for y in range(lo[1], hi[1] + 1):
                    for z in range(lo[2], hi[2] + 1):
                        cell = (((x << xb) | y) << xb) | z
                        for b in range(zlo[a], zhi[a] + 1):
                            keys[w] = (cell << zb) | b
                            w += 1
        block = np.sort(keys[start:w])
        last = -1
        for m in range(block.shape[0]):
            if block[m] != last:
                keys[write] = block[m]
                write += 1
                last = block[m]
        kept[a + 1] = write
    return keys[:write].copy(), kept


@numba.njit(cache=True, nogil=True)
def _first_shared(keys: IntArray, offsets: IntArray, a: int, b: int) -> int:
    """Smallest key that aircraft ``a`` and ``b`` share (their lists are sorted)."""
    p = offsets[a]
    q = offsets[b]
    while p < offsets[a + 1] and q < offsets[b + 1]:
        if keys[p] == keys[q]:
            return keys[p]
        if keys[p] < keys[q]:
            p += 1
        else:
            q += 1
    return -1


@numba.njit(cache=True, nogil=True)
def scan(
    entries: IntArray,
    ib: int,
    keys: IntArray,
    offsets: IntArray,
    pos: FloatArray,
    vel: FloatArray,
    baro: FloatArray,
    geo: FloatArray,
    vs: FloatArray,
    party: IntArray,
    own: npt.NDArray[np.bool_],
    use_party: bool,
    use_own: bool,
    reach_m: float,
    vertical_m: float,
    lookahead_s: float,
) -> tuple[IntArray, IntArray, int]:
    """Pairs that share a cell, filtered by party and ownship, then by two necessary
    conditions of a conflict: the straight 3-D paths come within ``reach_m`` and, on the pair's
    altitude reference, the altitudes within ``vertical_m``, somewhere in ``[0, lookahead]``;
    each pair is kept once, in the first cell both own. Returns ``(i, j, screened)``, where
    ``screened`` counts the cell-sharing pairs screened (a pair sharing k cells counts k times).
    """
    mask = (np.int64(1) << ib) - 1
    m = entries.shape[0]
    cap = 1024
    out_i = np.empty(cap, dtype=np.int64)
    out_j = np.empty(cap, dtype=np.int64)
    found = 0
    screened = 0
    start = 0
    while start < m:
        group = entries[start] >> ib
        end = start + 1
        while end < m and (entries[end] >> ib) == group:
            end += 1
        for p in range(start, end):
            a = entries[p] & mask
            for q in range(p + 1, end):
                b = entries[q] & mask
                if use_party and party[a] == party[b] and party[a] >= 0:
                    continue
                if use_own and not (own[a] or own[b]):
                    continue
                screened += 1
                # Horizontal: closest approach of the straight 3-D paths over the lookahead.
                dx = pos[b, 0] - pos[a, 0]
                dy = pos[b, 1] - pos[a, 1]
                dz = pos[b, 2] - pos[a, 2]
                ux = vel[b, 0] - vel[a, 0]
                uy = vel[b, 1] - vel[a, 1]
                uz = vel[b, 2] - vel[a, 2]
                uu = ux * ux + uy * uy + uz * uz
                t = 0.0
                if uu > 0.0:
                    t = min(max(-(dx * ux + dy * uy + dz * uz) / uu, 0.0), lookahead_s)
                cx = dx + ux * t
                cy = dy + uy * t
                cz = dz + uz * t
                if cx * cx + cy * cy + cz * cz >= reach_m * reach_m:
                    continue
                # Vertical, on the reference the exact test will use.
                if not (np.isnan(baro[a]) or np.isnan(baro[b])):
                    h = baro[b] - baro[a]
                elif not (np.isnan(geo[a]) or np.isnan(geo[b])):
                    h = geo[b] - geo[a]
                else:
                    h = 0.0  # no common reference: let the exact test count it
                w = vs[b] - vs[a]
                h_end = h + w * lookahead_s
                if h * h_end > 0.0 and min(abs(h), abs(h_end)) >= vertical_m:
                    continue
                if _first_shared(keys, offsets, a, b) != group:
                    continue
                if found == cap:
                    cap *= 2
                    grow_i = np.empty(cap, dtype=np.int64)
                    grow_j = np.empty(cap, dtype=np.int64)
                    grow_i[:found] = out_i[:found]
                    grow_j[:found] = out_j[:found]
                    out_i = grow_i
                    out_j = grow_j
                out_i[found] = min(a, b)
                out_j[found] = max(a, b)
                found += 1
        start = end
    return out_i[:found].copy(), out_j[:found].copy(), screened
