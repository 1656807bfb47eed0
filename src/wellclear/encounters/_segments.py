"""The two aircraft of a pair on one interval, for the compiled pair kernel (numba).

Each aircraft follows one cubic Hermite segment between two samples (:func:`_state`); the
screens (:func:`_screens`) rule out, before the exact volumes of :mod:`._pairs`, the intervals
on which the pair cannot come within the proximity volume (chord deviation bounded by the
Hermite bulge, with a margin), and :func:`latlon_at` gives positions at the times of minima.
"""

from __future__ import annotations

import numba
import numpy as np

from wellclear.encounters._poly import workspace
from wellclear.geo import WGS84_E2


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _lower_bound(t: np.ndarray, lo: int, hi: int, q: float) -> int:
    """First index in ``[lo, hi)`` with ``t >= q`` (``hi`` if none)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if t[mid] < q:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(inline="always")
def _basis(
    k: int, q: float, t: np.ndarray
) -> tuple[float, float, float, float, float, float, float, float]:
    """The cubic Hermite weights on segment ``k`` at ``q`` of its start value, start slope, end
    value and end slope, then those of the derivative (per second)."""
    t0 = t[k]
    hh = t[k + 1] - t0
    tau = (q - t0) / hh
    t2 = tau * tau
    t3 = t2 * tau
    return (
        2.0 * t3 - 3.0 * t2 + 1.0,
        (t3 - 2.0 * t2 + tau) * hh,
        -2.0 * t3 + 3.0 * t2,
        (t3 - t2) * hh,
        (6.0 * t2 - 6.0 * tau) / hh,
        3.0 * t2 - 4.0 * tau + 1.0,
        (6.0 * tau - 6.0 * t2) / hh,
        3.0 * t2 - 2.0 * tau,
    )


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _state(
    k: int,
    q: float,
    t: np.ndarray,
    pos: np.ndarray,
    vel_out: np.ndarray,
    vel_in: np.ndarray,
    alt: np.ndarray,
    vz_out: np.ndarray,
    vz_in: np.ndarray,
    p: np.ndarray,
    v: np.ndarray,
) -> tuple[float, float]:
    """Position ``p``, velocity ``v`` (written) and ``(alt, vz)`` on segment ``k`` at ``q``."""
    w0, w1, w2, w3, d0, d1, d2, d3 = _basis(k, q, t)
    for x in range(3):
        p[x] = w0 * pos[k, x] + w1 * vel_out[k, x] + w2 * pos[k + 1, x] + w3 * vel_in[k + 1, x]
        v[x] = d0 * pos[k, x] + d1 * vel_out[k, x] + d2 * pos[k + 1, x] + d3 * vel_in[k + 1, x]
    z = w0 * alt[k] + w1 * vz_out[k] + w2 * alt[k + 1] + w3 * vz_in[k + 1]
    vz = d0 * alt[k] + d1 * vz_out[k] + d2 * alt[k + 1] + d3 * vz_in[k + 1]
    return z, vz


_CHORD_DEV = 0.1
_BULGE = 4.0 / 27.0
_SCREEN_MARGIN_M = 1.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _norm(x: np.ndarray) -> float:
    return float(np.sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _zstate(
    k: int, q: float, t: np.ndarray, alt: np.ndarray, vz_out: np.ndarray, vz_in: np.ndarray
) -> tuple[float, float]:
    """``(alt, vz)`` on segment ``k`` at ``q`` (the vertical part of :func:`_state`)."""
    w0, w1, w2, w3, d0, d1, d2, d3 = _basis(k, q, t)
    z = w0 * alt[k] + w1 * vz_out[k] + w2 * alt[k + 1] + w3 * vz_in[k + 1]
    vz = d0 * alt[k] + d1 * vz_out[k] + d2 * alt[k + 1] + d3 * vz_in[k + 1]
    return z, vz


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _vscreen(za: float, zb: float, vza: float, vzb: float, h: float, vp: float) -> bool:
    """The vertical half of :func:`_screens`: can ``|dz|`` come below ``vp`` on the interval."""
    zlo = 0.0 if za * zb <= 0.0 else min(abs(za), abs(zb))
    vlow = zlo - _CHORD_DEV * abs(zb - za) - _BULGE * h * (abs(vza) + abs(vzb))
    return bool(vlow < vp + _SCREEN_MARGIN_M + 1e-6 * vp)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _screens(
    pa: np.ndarray,
    pb: np.ndarray,
    va: np.ndarray,
    vb: np.ndarray,
    za: float,
    zb: float,
    vza: float,
    vzb: float,
    h: float,
    up: np.ndarray,
    hp: float,
    vp: float,
    ws: np.ndarray,
) -> bool:
    """Whether the pair can come within ``(hp, vp)`` on the interval: a necessary condition.

    ``pa, pb`` are the ECEF separations at both ends, ``va, vb`` the relative velocities,
    ``za, zb, vza, vzb`` the vertical ones, ``up`` the pair's vertical. The separation is the
    Hermite cubic of :func:`solve`; its horizontal part (projected off ``up``) stays within the
    chord deviation bound of the straight segment between its projected ends: on ``[0, 1]`` a
    cubic Hermite path minus that chord is ``g(tau) (p1 - p0) + h (h10(tau) v0 + h11(tau) v1)``
    with ``|g| <= sqrt(3) / 18 < 0.1`` and ``|h10|, |h11| <= 4/27``; likewise for the vertical.
    Dropping an interval whose lower bounds exceed the range (with a margin for rounding)
    never drops an encounter.
    """
    if not _vscreen(za, zb, vza, vzb, h, vp):
        return False
    dab = ws[0, :3]
    ha = ws[1, :3]
    hb = ws[2, :3]
    hva = ws[3, :3]
    hvb = ws[4, :3]
    sa = pa[0] * up[0] + pa[1] * up[1] + pa[2] * up[2]
    sb = pb[0] * up[0] + pb[1] * up[1] + pb[2] * up[2]
    sva = va[0] * up[0] + va[1] * up[1] + va[2] * up[2]
    svb = vb[0] * up[0] + vb[1] * up[1] + vb[2] * up[2]
    for x in range(3):
        ha[x] = pa[x] - sa * up[x]
        hb[x] = pb[x] - sb * up[x]
        hva[x] = va[x] - sva * up[x]
        hvb[x] = vb[x] - svb * up[x]
        dab[x] = hb[x] - ha[x]
    dev = _CHORD_DEV * _norm(dab) + _BULGE * h * (_norm(hva) + _norm(hvb))
    dd = dab[0] * dab[0] + dab[1] * dab[1] + dab[2] * dab[2]
    u = 0.0
    if dd > 0.0:
        u = -(ha[0] * dab[0] + ha[1] * dab[1] + ha[2] * dab[2]) / dd
        u = min(max(u, 0.0), 1.0)
    for x in range(3):
        ha[x] = ha[x] + u * dab[x]
    return _norm(ha) - dev < hp + _SCREEN_MARGIN_M + 1e-6 * hp


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _grow_f(x: np.ndarray, n: int) -> np.ndarray:
    out = np.empty((2 * x.shape[0], x.shape[1]), dtype=x.dtype)
    out[:n] = x[:n]
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _latlon(p: np.ndarray) -> tuple[float, float]:
    """Geodetic latitude and longitude (deg) of an ECEF point on the ellipsoid surface."""
    lon = np.degrees(np.arctan2(p[1], p[0]))
    lat = np.degrees(np.arctan2(p[2], (1.0 - WGS84_E2) * np.hypot(p[0], p[1])))
    return lat, lon


@numba.njit(cache=True, nogil=True, error_model="numpy")
def latlon_at(
    ki: np.ndarray,
    kj: np.ndarray,
    t_min: np.ndarray,
    t: np.ndarray,
    pos: np.ndarray,
    vel_out: np.ndarray,
    vel_in: np.ndarray,
    alt: np.ndarray,
    vz_out: np.ndarray,
    vz_in: np.ndarray,
) -> np.ndarray:
    """``(lat_i, lon_i, lat_j, lon_j)`` of pieces (segments ``ki``, ``kj``) at their minimum
    ``t_min``: the columns :func:`_features` leaves out, computed as it would (the same path
    positions) for the few pieces whose positions are reported."""
    out = np.empty((ki.size, 4))
    p = np.empty(3)
    v = np.empty(3)
    for r in range(ki.size):
        _state(ki[r], t_min[r], t, pos, vel_out, vel_in, alt, vz_out, vz_in, p, v)
        out[r, 0], out[r, 1] = _latlon(p)
        _state(kj[r], t_min[r], t, pos, vel_out, vel_in, alt, vz_out, vz_in, p, v)
        out[r, 2], out[r, 3] = _latlon(p)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def screen_many(
    pa: np.ndarray,
    pb: np.ndarray,
    va: np.ndarray,
    vb: np.ndarray,
    za: np.ndarray,
    zb: np.ndarray,
    vza: np.ndarray,
    vzb: np.ndarray,
    h: np.ndarray,
    up: np.ndarray,
    hp: float,
    vp: float,
) -> np.ndarray:
    """:func:`_screens` row by row (relative states of many intervals): which are kept."""
    out = np.empty(h.size, dtype=np.bool_)
    ws = workspace()
    for r in range(h.size):
        out[r] = _screens(
            pa[r], pb[r], va[r], vb[r], za[r], zb[r], vza[r], vzb[r], h[r], up[r], hp, vp, ws
        )
    return out
