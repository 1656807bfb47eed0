"""Greatest depth of a stay inside a volume: branch and bound along the track.

The distance from the boundary is 1-Lipschitz along the track, so between two evaluated
points ``a`` and ``b`` an along-track distance ``L`` apart it is at most ``(d_a + d_b + L) / 2``.
Starting from a few samples per stay (the entry point, up to ``coarse`` rows, the exit point),
intervals whose bound exceeds the best value found so far (plus a tolerance) are halved until
none does: the result is within the tolerance of the greatest depth on the piecewise great-circle
track, without evaluating every sample.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wellclear.airspace.geometry import GEOD, local_xy
from wellclear.airspace.index import VolumeIndex

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

REL_TOL = 0.002
ABS_TOL_M = 2.0
MAX_ROUNDS = 40


def along_track(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Cumulative distance (m) from row to row, in a local frame (fine for short steps)."""
    if len(lon) < 2:
        return np.zeros(len(lon))
    x, y = local_xy(lon[1:], lat[1:], lon[:-1], lat[:-1])
    return np.r_[0.0, np.cumsum(np.hypot(x, y))]


def _position(u: FloatArray, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    j = np.clip(np.floor(u).astype(np.intp), 0, max(len(lon) - 2, 0))
    f = u - j
    if len(lon) < 2:
        return lon[j], lat[j]
    az, _, dist = GEOD.inv(lon[j], lat[j], lon[j + 1], lat[j + 1])
    x, y, _ = GEOD.fwd(lon[j], lat[j], az, np.asarray(dist) * f)
    return np.asarray(x), np.asarray(y)


def _along(u: FloatArray, cum: FloatArray) -> FloatArray:
    j = np.clip(np.floor(u).astype(np.intp), 0, max(len(cum) - 2, 0))
    if len(cum) < 2:
        return np.zeros(len(u))
    return cum[j] + (u - j) * (cum[j + 1] - cum[j])


def max_depth(
    index: VolumeIndex,
    vol: int,
    starts: IntArray,
    ends: IntArray,
    u_in: FloatArray,
    u_out: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
    cum: FloatArray,
    coarse: int = 8,
) -> FloatArray:
    """Greatest distance from the boundary of ``vol`` for each stay (rows starts..ends).

    ``u_in`` and ``u_out`` are the entry and exit as fractional row numbers.
    """
    m = len(starts)
    if m == 0:
        return np.zeros(0)
    nrows = ends - starts + 1
    stride = np.maximum(1, -(-nrows // coarse))
    counts = -(-nrows // stride)
    ev = np.repeat(np.arange(m), counts)
    off = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = (starts[ev] + off * stride[ev]).astype(np.float64)
    ev = np.concatenate([np.arange(m), ev, np.arange(m)])
    u = np.concatenate([u_in, rows, u_out])
    order = np.lexsort((u, ev))
    ev, u = ev[order], u[order]
    x, y = _position(u, lon, lat)
    d, _, _ = index.boundary_distance(vol, x, y)
    d = np.nan_to_num(d, nan=0.0)
    best = np.zeros(m)
    np.maximum.at(best, ev, d)
    same = ev[1:] == ev[:-1]
    ia, ib = np.flatnonzero(same), np.flatnonzero(same) + 1
    iv, ua, ub, da, db = ev[ia], u[ia], u[ib], d[ia], d[ib]
    for _ in range(MAX_ROUNDS):
        length = np.abs(_along(ub, cum) - _along(ua, cum)) * 1.01
        bound = (da + db + length) / 2.0
        act = bound > best[iv] + np.maximum(REL_TOL * best[iv], ABS_TOL_M)
        if not act.any():
            break
        iv, ua, ub, da, db = iv[act], ua[act], ub[act], da[act], db[act]
        um = (ua + ub) / 2.0
        x, y = _position(um, lon, lat)
        dm, _, _ = index.boundary_distance(vol, x, y)
        dm = np.nan_to_num(dm, nan=0.0)
        np.maximum.at(best, iv, dm)
        iv = np.concatenate([iv, iv])
        ua, ub = np.concatenate([ua, um]), np.concatenate([um, ub])
        da, db = np.concatenate([da, dm]), np.concatenate([dm, db])
    return best
