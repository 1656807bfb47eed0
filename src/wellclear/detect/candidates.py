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

from wellclear.detect import _grid

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


def grid_parameters(
    travel_m: FloatArray, horizontal_m: float, cell_m: float | None
) -> tuple[float, float, float]:
    """``(reach, radius, cell)``: the 3-D distance a conflicting pair is within, the radius that
    grows each swept box, and the cell side (m)."""
    max_travel = float(travel_m.max()) if len(travel_m) else 0.0
    reach = float(np.hypot(horizontal_m, normal_bound(max_travel, horizontal_m)))
    reach = reach * (1.0 + 1e-9) + 1.0
    radius = 0.5 * reach
    if cell_m is None:
        median = float(np.median(travel_m)) if len(travel_m) else 0.0
        cell_m = max(4.0 * radius, 0.5 * median + 2.0 * radius)
    return reach, radius, cell_m


def candidate_pairs(
    pos: FloatArray,
    vel: FloatArray,
    alt_lo: FloatArray,
    alt_hi: FloatArray,
    *,
    horizontal_m: float,
    vertical_m: float,
    lookahead_s: float,
    baro: FloatArray | None = None,
    geo: FloatArray | None = None,
    vs: FloatArray | None = None,
    party: IntArray | None = None,
    own: npt.NDArray[np.bool_] | None = None,
    cell_m: float | None = None,
    alt_bin_m: float | None = None,
) -> tuple[IntArray, IntArray, int]:
    """Pairs ``(i, j)``, ``i < j``, that may conflict: a superset of the conflicts.

    ``pos`` and ``vel`` are ECEF ``(N, 3)`` (m, m/s); ``alt_lo``/``alt_hi`` bound each
    aircraft's altitude over the lookahead on every reference it may be compared on. Pairs that
    share a cell are kept when they pass two necessary conditions (straight 3-D paths within
    ``reach``, altitudes within ``V`` on the pair's reference, see :func:`_grid.scan`); with
    ``party`` (integer codes, -1 for unknown) only pairs of different parties, with ``own``
    only pairs involving an ownship. Returns ``(i, j, screened)``: the pairs for the exact test
    and the number of cell-sharing pairs screened to find them.
    """
    n = len(pos)
    empty = np.empty(0, dtype=np.int64)
    if n < 2:
        return empty, empty, 0
    travel = np.linalg.norm(vel, axis=1) * lookahead_s
    reach, radius, cell = grid_parameters(travel, horizontal_m, cell_m)
    if alt_bin_m is None:
        alt_bin_m = 2.0 * vertical_m
    zlo = np.floor((alt_lo - 0.5 * vertical_m) / alt_bin_m).astype(np.int64)
    zhi = np.floor((alt_hi + 0.5 * vertical_m) / alt_bin_m).astype(np.int64)
    zmin = int(zlo.min())
    zlo -= zmin
    zhi -= zmin
    # every swept box lies within this distance of the Earth's centre, whatever the lookahead
    extent = float(np.abs(pos).max()) + float(travel.max()) + radius
    span = int(np.ceil(extent / cell)) + 2
    xb = int(2 * span + 1).bit_length()
    zb = int(zhi.max() + 1).bit_length()
    ib = int(n).bit_length()
    if 3 * xb + zb + ib > 63:
        raise ValueError("candidate grid too fine for 64-bit keys: choose a larger cell")
    keys, offsets = _grid.rasterise(pos, vel, zlo, zhi, lookahead_s, radius, cell, span, xb, zb)
    owners = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets))
    entries = np.sort((keys << np.int64(ib)) | owners)
    nan = np.full(n, np.nan)
    return _grid.scan(
        entries,
        ib,
        keys,
        offsets,
        pos,
        vel,
        nan if baro is None else baro,
        nan if geo is None else geo,
        np.zeros(n) if vs is None else vs,
        np.full(n, -1, dtype=np.int64) if party is None else party,
        np.zeros(n, dtype=bool) if own is None else own,
        party is not None,
        own is not None,
        reach,
        vertical_m + 1e-6,
        lookahead_s,
    )
