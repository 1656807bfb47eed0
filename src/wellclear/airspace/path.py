"""The path between samples, for crossings: the scan's cubic Hermite path, made fine enough.

Between two samples of a track an aircraft follows the cubic Hermite path of the encounter scan
(:func:`wellclear.poly.hermite`, in ECEF, from the positions and the ground-speed /
track velocities at both ends; a missing velocity falls back to the chord, so the path to the
great circle). A boundary crossed between two samples that are both inside (a brief exit) or
both outside (a corner cut) is invisible to the samples; :func:`refine` inserts points so that
the samples see it:

1. an interval whose path may come near a boundary (its chord's midpoint within half the chord
   plus the Hermite bulge, ``4/27 h (|v0| + |v1|)``, of any volume's boundary), or whose
   altitude may reach a floor or ceiling, is cut into chords that stay within
   :data:`CHORD_TOL_M` of the path;
2. on each chord, between two successive crossings of one volume's boundary, the midpoint is
   inserted: each piece then crosses each boundary at most once, and the stays between samples
   become stays of samples, with entry and exit found on the chords as before.

The inserted rows carry the id, party, callsign and flags of the sample before them, the time
and position of the path, and the altitudes of the Hermite path in altitude (vertical rates at
both ends, or the chord). Their ``gs_mps``, ``trk_deg`` and ``vs_mps`` are NaN.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.airspace.index import VolumeIndex
from wellclear.geo import WGS84_E2, ecef, velocity_ecef
from wellclear.poly import hermite, polyval

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# the farthest a chord of the refined path strays from the Hermite path (m)
CHORD_TOL_M = 2.0
# the most chords one interval is cut into
MAX_PIECES = 256
BULGE = 4.0 / 27.0


def lonlat_of_ecef(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Longitude and geodetic latitude (deg) of ECEF points on (or metres off) the ellipsoid."""
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    lat = np.degrees(np.arctan2(z, (1.0 - WGS84_E2) * np.hypot(x, y)))
    return np.degrees(np.arctan2(y, x)), lat


def _velocities(
    lat: FloatArray, lon: FloatArray, gs: FloatArray, trk: FloatArray, chord: FloatArray
) -> FloatArray:
    v = velocity_ecef(lat, lon, gs, trk)
    bad = ~np.isfinite(v).all(axis=1)
    v[bad] = chord[bad]
    return v


def _rates(vs: FloatArray, chord: FloatArray) -> FloatArray:
    return np.where(np.isfinite(vs), vs, chord)


def hermite_intervals(df: pd.DataFrame, i0: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The Hermite path of intervals ``i0 -> i0 + 1`` of a tracks frame: ECEF coefficients
    ``(N, 4, 3)``, the interval lengths (s) and the largest second derivative (m per tau^2)."""
    lat = df["lat"].to_numpy(np.float64)
    lon = df["lon"].to_numpy(np.float64)
    t = df["t"].to_numpy(np.float64)
    gs = df["gs_mps"].to_numpy(np.float64)
    trk = df["trk_deg"].to_numpy(np.float64)
    i1 = i0 + 1
    h = t[i1] - t[i0]
    p0 = ecef(lat[i0], lon[i0])
    p1 = ecef(lat[i1], lon[i1])
    with np.errstate(invalid="ignore", divide="ignore"):
        chord = (p1 - p0) / np.where(h > 0, h, np.inf)[:, None]
    v0 = _velocities(lat[i0], lon[i0], gs[i0], trk[i0], chord)
    v1 = _velocities(lat[i1], lon[i1], gs[i1], trk[i1], chord)
    coef = hermite(p0, v0, p1, v1, h)
    acc = np.maximum(
        np.linalg.norm(2.0 * coef[:, 2], axis=1),
        np.linalg.norm(2.0 * coef[:, 2] + 6.0 * coef[:, 3], axis=1),
    )
    return coef, h, acc


def _altitude_coef(df: pd.DataFrame, column: str, i0: IntArray, h: FloatArray) -> FloatArray:
    a = df[column].to_numpy(np.float64)
    vs = df["vs_mps"].to_numpy(np.float64)
    i1 = i0 + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        chord = (a[i1] - a[i0]) / np.where(h > 0, h, np.inf)
    return hermite(a[i0], _rates(vs[i0], chord), a[i1], _rates(vs[i1], chord), h)


def _limits_m(index: VolumeIndex) -> FloatArray:
    out = [
        lim.value_m
        for v in index.volumes
        for lim in (v.floor, v.ceiling)
        if lim.ref not in ("SFC", "UNL")
    ]
    return np.unique(np.asarray(out, dtype=np.float64))


def _candidates(
    df: pd.DataFrame, index: VolumeIndex, i0: IntArray, coef: FloatArray, h: FloatArray
) -> npt.NDArray[np.bool_]:
    """The intervals whose path may cross a boundary, a floor or a ceiling."""
    p0 = coef[:, 0]
    p1 = coef.sum(axis=1)
    speed = np.linalg.norm(coef[:, 1], axis=1) + np.linalg.norm(
        coef[:, 1] + 2 * coef[:, 2] + 3 * coef[:, 3], axis=1
    )
    reach = 0.5 * np.linalg.norm(p1 - p0, axis=1) + BULGE * speed + 10.0 * CHORD_TOL_M
    mlon, mlat = lonlat_of_ecef(0.5 * (p0 + p1))
    out = np.zeros(len(i0), dtype=bool)
    if len(i0):
        pi, _, dist, _, _ = index.near_boundary(mlon, mlat, float(reach.max()))
        out[pi[dist <= reach[pi]]] = True
    limits = _limits_m(index)
    if len(limits):
        for column in ("alt_baro_m", "alt_geo_m"):
            ac = _altitude_coef(df, column, i0, h)
            a0, a1 = ac[:, 0], ac.sum(axis=1)
            bulge = BULGE * (np.abs(ac[:, 1]) + np.abs(ac[:, 1] + 2 * ac[:, 2] + 3 * ac[:, 3]))
            lo = np.fmin(a0, a1) - bulge
            hi = np.fmax(a0, a1) + bulge
            k = np.searchsorted(limits, lo)
            near = (k < len(limits)) & (limits[np.minimum(k, len(limits) - 1)] <= hi)
            out |= near & np.isfinite(lo) & np.isfinite(hi)
    return out


def refine(df: pd.DataFrame, index: VolumeIndex, split: npt.NDArray[np.bool_]) -> pd.DataFrame:
    """``df`` (a tracks frame, sorted by (id, t)) with the points of the path inserted where a
    boundary may be crossed between samples (see the module docstring).

    ``split[i]`` is true where row ``i`` and row ``i + 1`` are not joined (another aircraft, or a
    gap longer than ``max_gap_s``); nothing is inserted there. Rows keep their order; the
    inserted rows follow the row they are interpolated from.
    """
    n = len(df)
    if n < 2 or len(index.volumes) == 0:
        return df
    i0 = np.flatnonzero(~split[:-1]).astype(np.intp)
    t = df["t"].to_numpy(np.float64)
    i0 = i0[t[i0 + 1] > t[i0]]
    if len(i0) == 0:
        return df
    coef, h, acc = hermite_intervals(df, i0)
    cand = _candidates(df, index, i0, coef, h)
    i0, coef, h, acc = i0[cand], coef[cand], h[cand], acc[cand]
    if len(i0) == 0:
        return df
    # 1. chords within CHORD_TOL_M of the path: a chord over dtau strays acc dtau^2 / 8
    pieces = np.clip(np.ceil(np.sqrt(acc / (8.0 * CHORD_TOL_M))), 1, MAX_PIECES).astype(np.intp)
    iv = np.repeat(np.arange(len(i0)), pieces + 1)
    first = np.cumsum(pieces + 1) - (pieces + 1)
    k = np.arange(len(iv)) - np.repeat(first, pieces + 1)
    tau = k / pieces[iv]
    pos = polyval(coef[iv], tau)
    lon, lat = lonlat_of_ecef(pos)
    # 2. midpoints between successive crossings of one boundary on each chord
    a = np.flatnonzero(np.r_[iv[1:] == iv[:-1], False])
    ci, vol, f = index.crossings_all(lon[a], lat[a], lon[a + 1], lat[a + 1])
    extra_iv: list[IntArray] = []
    extra_tau: list[FloatArray] = []
    if len(ci):
        order = np.lexsort((f, vol, ci))
        ci, vol, f = ci[order], vol[order], f[order]
        pair = np.flatnonzero((ci[1:] == ci[:-1]) & (vol[1:] == vol[:-1]))
        if len(pair):
            c = a[ci[pair]]
            mid = 0.5 * (f[pair] + f[pair + 1])
            extra_iv.append(iv[c])
            extra_tau.append(tau[c] + mid * (tau[c + 1] - tau[c]))
    inner = (k > 0) & (k < pieces[iv])
    all_iv = np.concatenate([iv[inner], *extra_iv])
    all_tau = np.concatenate([tau[inner], *extra_tau])
    if len(all_iv) == 0:
        return df
    return _with_points(df, i0, coef, h, all_iv, all_tau)


def _with_points(
    df: pd.DataFrame,
    i0: IntArray,
    coef: FloatArray,
    h: FloatArray,
    iv: IntArray,
    tau: FloatArray,
) -> pd.DataFrame:
    """``df`` with the points at ``tau`` of intervals ``iv`` inserted after their first row.

    Points on the chord between two path points (the midpoints of step 2) are taken on the
    Hermite path at the same ``tau``: within :data:`CHORD_TOL_M` of the chord.
    """
    rows = i0[iv]
    new = df.iloc[rows].copy()
    lon, lat = lonlat_of_ecef(polyval(coef[iv], tau))
    new["lon"] = (lon + 180.0) % 360.0 - 180.0
    new["lat"] = lat
    new["t"] = df["t"].to_numpy(np.float64)[rows] + tau * h[iv]
    for column in ("alt_m", "alt_baro_m", "alt_geo_m"):
        if column in new.columns:
            ac = _altitude_coef(df, column, i0, h)
            new[column] = polyval(ac[iv], tau)
    for column in ("gs_mps", "trk_deg", "vs_mps"):
        if column in new.columns:
            new[column] = np.nan
    key = np.r_[np.arange(len(df), dtype=np.float64), rows + 0.5 + 0.49 * tau]
    out = pd.concat([df, new], ignore_index=True)
    return out.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
