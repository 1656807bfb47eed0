"""Conservative candidate pairs: swept volumes in Earth-centred cells.

Each aircraft's path over the lookahead is the straight segment ``P + V t`` (ECEF, ``t`` in
``[0, T]``): exactly the motion that :mod:`wellclear.detect.cpa` projects on each pair's
tangent plane. The segment is cut into pieces no longer than a cell; each piece's bounding box,
grown by a radius ``r``, is rasterised into cubic Earth-centred cells of side ``C`` (cells of
ECEF coordinates have no seam at +-180 degrees and no singularity at the poles), crossed with
the altitude bins of the aircraft's altitude band over the lookahead grown by ``V/2``.

Why no conflict is lost: if the pair's projected distance is below ``H`` at some time ``t``,
the 3-D distance of the two straight points is below ``sqrt(H^2 + N^2)``, where ``N`` bounds the
component along the pair's normal (the tangent lines rise off the curved Earth; see
:func:`normal_bound`). The point ``Q`` of the segment between them at ``r_i / (r_i + r_j)``
is within ``r_i`` of aircraft i and ``r_j`` of aircraft j, so its cell is in both cell sets when
``r_i + r_j >= sqrt(H^2 + N^2)``; the mean altitude is in both altitude bands likewise. Pairs
that share a cell and an altitude bin are then tested exactly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wellclear.geo import MEAN_RADIUS_M

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Smallest radius of curvature of the WGS-84 ellipsoid (meridian, at the equator), m.
MIN_CURVATURE_RADIUS_M = 6335439.0


def normal_bound(max_travel_m: float, horizontal_m: float) -> float:
    """Bound on the normal component of the 3-D separation of a pair that can conflict.

    A pair that can conflict starts at most ``d0 = 2 D + H`` apart (``D`` the longest travel
    over the lookahead). The normals of two surface points ``d0`` apart differ by at most
    ``d0 / R`` (``R`` the smallest radius of curvature), so the initial separation leaves the
    mean plane by at most ``d0^2 / (2 R)`` and each velocity by at most ``|V| d0 / (2 R)``.
    """
    d0 = 2.0 * max_travel_m + horizontal_m
    return d0 * d0 / (2.0 * MIN_CURVATURE_RADIUS_M) + 2.0 * max_travel_m * d0 / (
        2.0 * MIN_CURVATURE_RADIUS_M
    )


def _expand(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """All integers in ``[lo, hi]`` of each row: returns ``(value, row)``."""
    counts = (hi - lo + 1).astype(np.int64)
    rows = np.repeat(np.arange(len(lo), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    offset = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return lo[rows] + offset, rows


def candidate_pairs(
    pos: FloatArray,
    vel: FloatArray,
    alt_lo: FloatArray,
    alt_hi: FloatArray,
    *,
    horizontal_m: float,
    vertical_m: float,
    lookahead_s: float,
    cell_m: float | None = None,
    alt_bin_m: float | None = None,
) -> tuple[IntArray, IntArray]:
    """Pairs ``(i, j)``, ``i < j``, whose swept volumes share a cell: a superset of conflicts.

    ``pos`` and ``vel`` are ECEF ``(N, 3)`` (m, m/s); ``alt_lo``/``alt_hi`` bound each
    aircraft's altitude over the lookahead on every reference it may be compared on.
    """
    n = len(pos)
    empty = np.empty(0, dtype=np.int64)
    if n < 2:
        return empty, empty
    speed = np.linalg.norm(vel, axis=1)
    travel = speed * lookahead_s
    max_travel = float(travel.max())
    reach = np.hypot(horizontal_m, normal_bound(max_travel, horizontal_m))
    radius = 0.5 * reach * (1.0 + 1e-9) + 1.0
    if cell_m is None:
        cell_m = max(4.0 * radius, 0.5 * float(np.median(travel)) + 2.0 * radius)
    if alt_bin_m is None:
        alt_bin_m = 2.0 * vertical_m
    pieces = np.maximum(np.ceil(travel / cell_m), 1.0).astype(np.int64)

    aircraft = np.repeat(np.arange(n, dtype=np.int64), pieces)
    starts = np.cumsum(pieces) - pieces
    k = np.arange(int(pieces.sum()), dtype=np.int64) - np.repeat(starts, pieces)
    frac0 = (k / pieces[aircraft])[:, None]
    frac1 = ((k + 1) / pieces[aircraft])[:, None]
    sweep = vel[aircraft] * lookahead_s
    a = pos[aircraft] + frac0 * sweep
    b = pos[aircraft] + frac1 * sweep
    lo = np.floor((np.minimum(a, b) - radius) / cell_m).astype(np.int64)
    hi = np.floor((np.maximum(a, b) + radius) / cell_m).astype(np.int64)

    zlo = np.floor((alt_lo - 0.5 * vertical_m) / alt_bin_m).astype(np.int64)
    zhi = np.floor((alt_hi + 0.5 * vertical_m) / alt_bin_m).astype(np.int64)
    zmin = int(zlo.min())

    span = int(np.ceil(6.6e6 / cell_m)) + 2
    xb = int(2 * span).bit_length()
    zb = int(zhi.max() - zmin + 1).bit_length()
    ib = int(n).bit_length()
    if 3 * xb + zb + ib > 63:
        raise ValueError("candidate grid too fine for 64-bit keys: choose a larger cell")

    # Rasterise: every (x, y, z) cell of each piece's box, then every altitude bin.
    off = np.int64(span)
    x, row = _expand(lo[:, 0], hi[:, 0])
    acc = x + off
    for axis in (1, 2):
        vals, k = _expand(lo[row, axis], hi[row, axis])
        acc = (acc[k] << np.int64(xb)) | (vals + off)
        row = row[k]
    owner = aircraft[row]
    zz, k = _expand(zlo[owner], zhi[owner])
    keys = (acc[k] << np.int64(zb)) | (zz - zmin)
    keys = (keys << np.int64(ib)) | owner[k]
    keys = np.unique(keys)
    return _pairs_in_groups(keys >> np.int64(ib), keys & np.int64((1 << ib) - 1))


def _pairs_in_groups(group: IntArray, member: IntArray) -> tuple[IntArray, IntArray]:
    """Every pair of members sharing a group, ``i < j``, without duplicates.

    ``group`` is sorted; within a group ``member`` is sorted and unique.
    """
    m = len(group)
    if m < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    boundary = np.flatnonzero(np.diff(group)) + 1
    starts = np.concatenate([[0], boundary])
    ends = np.concatenate([boundary, [m]])
    size = ends - starts
    end_of = np.repeat(ends, size)
    after = end_of - np.arange(m) - 1
    first = np.repeat(np.arange(m, dtype=np.int64), after)
    offs = np.cumsum(after) - after
    second = first + 1 + (np.arange(int(after.sum()), dtype=np.int64) - np.repeat(offs, after))
    i = member[first]
    j = member[second]
    n_bits = int(max(int(member.max()), 1)).bit_length()
    code = np.unique((i << np.int64(n_bits)) | j)
    return code >> np.int64(n_bits), code & np.int64((1 << n_bits) - 1)
