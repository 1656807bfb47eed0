"""Pieces: the exact geometry of candidate pairs on each interval between merged sample times.

For a pair, the merged sample times of both aircraft cut time into intervals ``[a, b]`` on which
each aircraft follows one cubic Hermite segment. On each interval the separation vector (ECEF, on
the ellipsoid surface) is cubic in ``tau``; its horizontal part (projected off the mean up vector
of the pair, i.e. onto the local tangent plane) has a squared length of degree 6, and so do the
squared vertical and slant distances. Sub-intervals inside a volume and minima are found from
the roots of these polynomials (:mod:`wellclear.encounters.poly`), vectorised over intervals.

An interval is owned by the time bucket of its start ``a`` and computed from the two samples of
each aircraft that bound it only: that is what makes windows, chunks and partitions agree.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.encounters import poly
from wellclear.encounters.candidates import candidate_pairs
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.tracks import Tracks
from wellclear.geo import WGS84_E2, enu_basis

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SPAN_KINDS = ("prox", "los", "close", "nmac")


def _search(t: FloatArray, lo: IntArray, hi: IntArray, q: FloatArray, right: bool) -> IntArray:
    """Vectorised bisection: first index in ``[lo, hi)`` with ``t > q`` (right) or ``t >= q``."""
    lo = lo.copy()
    hi = hi.copy()
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        tm = t[np.minimum(mid, t.size - 1)]
        go_right = (tm <= q) if right else (tm < q)
        lo = np.where(active & go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)


def _intervals(
    tracks: Tracks, ci: IntArray, cj: IntArray, b0: FloatArray, b1: FloatArray
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray, FloatArray]:
    """Merged intervals of candidate pairs ``(ci, cj)`` with start in ``[b0, b1)``.

    Returns ``(ci, cj, ki, kj, a, b)``: codes, the segment (first sample) index of each aircraft
    and the interval bounds.
    """
    n_codes = tracks.ids.size
    first = np.searchsorted(tracks.code, np.arange(n_codes), side="left")
    last = np.searchsorted(tracks.code, np.arange(n_codes), side="right")
    t = tracks.t
    starts: list[FloatArray] = []
    owners: list[IntArray] = []
    for c in (ci, cj):
        s0 = _search(t, first[c], last[c], b0, right=False)
        s1 = _search(t, first[c], last[c], b1, right=False)
        cnt = s1 - s0
        own = np.repeat(np.arange(c.size), cnt)
        idx = np.repeat(s0, cnt) + (np.arange(own.size) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        starts.append(t[idx])
        owners.append(own)
    a = np.concatenate(starts)
    own = np.concatenate(owners)
    order = np.lexsort((a, own))
    a, own = a[order], own[order]
    dup = np.zeros(a.size, dtype=bool)
    dup[1:] = (own[1:] == own[:-1]) & (a[1:] == a[:-1])
    a, own = a[~dup], own[~dup]
    seg = []
    for c in (ci[own], cj[own]):
        k = _search(t, first[c], last[c], a, right=True) - 1
        valid = (k >= first[c]) & (k < last[c] - 1)
        kk = np.clip(k, 0, max(t.size - 2, 0))
        valid &= tracks.seg_next[kk] if t.size > 1 else False
        seg.append((kk, valid))
    (ki, vi), (kj, vj) = seg
    valid = vi & vj
    ki, kj, a, own = ki[valid], kj[valid], a[valid], own[valid]
    b = np.minimum(t[ki + 1], t[kj + 1])
    return ci[own], cj[own], ki, kj, a, b


def _state(tracks: Tracks, k: IntArray, q: FloatArray) -> tuple[FloatArray, ...]:
    """Position, velocity, altitude and vertical rate on segment ``k`` at times ``q``."""
    t0 = tracks.t[k]
    h = tracks.t[k + 1] - t0
    tau = (q - t0) / h
    p, v = poly.hermite_eval(
        tracks.pos[k], tracks.vel_out[k], tracks.pos[k + 1], tracks.vel_in[k + 1], h, tau
    )
    z, vz = poly.hermite_eval(
        tracks.alt[k], tracks.vz_out[k], tracks.alt[k + 1], tracks.vz_in[k + 1], h, tau
    )
    return p, v, z, vz


# horizontal position accuracy (95 %) by NACp, DO-260B; NACp 0 is unknown
_NACP_EPU_M = np.array(
    [np.nan, 18520.0, 7408.0, 3704.0, 1852.0, 926.0, 555.6, 185.2, 92.6, 30.0, 10.0, 3.0]
)


def _epu(frame: pd.DataFrame, r0: IntArray, r1: IntArray) -> FloatArray:
    """The larger position uncertainty (m) of two samples from their NACp; NaN when unknown."""
    if "nacp" not in frame.columns:
        return np.full(r0.size, np.nan)
    nacp = pd.to_numeric(frame["nacp"], errors="coerce").to_numpy(np.float64)
    idx = np.where(np.isnan(nacp), 0, np.clip(nacp, 0, 11)).astype(np.int64)
    return np.fmax(_NACP_EPU_M[idx[r0]], _NACP_EPU_M[idx[r1]])


def _latlon(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    lon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
    lat = np.degrees(np.arctan2(p[:, 2], (1.0 - WGS84_E2) * np.hypot(p[:, 0], p[:, 1])))
    return lat, lon


def _prefilter(
    pa: FloatArray,
    pb: FloatArray,
    za: FloatArray,
    zb: FloatArray,
    va: FloatArray,
    vb: FloatArray,
    vza: FloatArray,
    vzb: FloatArray,
    h: FloatArray,
    cfg: ScanConfig,
) -> npt.NDArray[np.bool_]:
    """Intervals on which the pair can come within the proximity range (a safe bound)."""
    speed = 1.5 * (np.linalg.norm(va, axis=1) + np.linalg.norm(vb, axis=1))
    speed += 1.5 * np.linalg.norm(pb - pa, axis=1) / h
    lower = 0.5 * (np.linalg.norm(pa, axis=1) + np.linalg.norm(pb, axis=1) - h * speed)
    vspeed = 1.5 * (np.abs(vza) + np.abs(vzb) + np.abs(zb - za) / h)
    vlower = 0.5 * (np.abs(za) + np.abs(zb) - h * vspeed)
    return (lower < cfg.proximity_horizontal_m) & (vlower < cfg.proximity_vertical_m)


# on tau in [0, 1], a cubic Hermite path minus the chord between its ends is
# g(tau) * (p1 - p0) + h * (h10(tau) v0 + h11(tau) v1) with |g| <= sqrt(3) / 18 < 0.1 and
# |h10|, |h11| <= 4/27
_CHORD_DEV = 0.1
_SCREEN_MARGIN_M = 1.0


def _seg_dist(p0: FloatArray, p1: FloatArray) -> FloatArray:
    """Distance from the origin to each segment ``[p0, p1]`` (rows of vectors)."""
    d = p1 - p0
    dd = np.einsum("nk,nk->n", d, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.clip(-np.einsum("nk,nk->n", p0, d) / dd, 0.0, 1.0)
    u = np.where(dd > 0, u, 0.0)
    return np.asarray(np.linalg.norm(p0 + u[:, None] * d, axis=1))


def _screen(
    rel: tuple[FloatArray, ...], h: FloatArray, up: FloatArray, cfg: ScanConfig
) -> npt.NDArray[np.bool_]:
    """Intervals on which the pair can come within the proximity range: a necessary condition.

    ``rel`` is ``(pa, pb, za, zb, va, vb, vza, vzb)``, the state of j relative to i at both ends
    (the arguments of :func:`_prefilter`).

    The separation is the Hermite cubic of :func:`_batch`; its horizontal part (projected off
    ``up``) stays within the chord deviation bound (:data:`_CHORD_DEV`) of the straight segment
    between its projected ends, and likewise for the vertical one. Dropping an interval whose
    lower bounds exceed the range (with a margin for rounding) never drops an encounter.
    """

    pa, pb, za, zb, va, vb, vza, vzb = rel

    def proj(x: FloatArray) -> FloatArray:
        return x - np.einsum("nk,nk->n", x, up)[:, None] * up

    ha, hb = proj(pa), proj(pb)
    dev = _CHORD_DEV * np.linalg.norm(hb - ha, axis=1) + _BULGE * h * (
        np.linalg.norm(proj(va), axis=1) + np.linalg.norm(proj(vb), axis=1)
    )
    lower = _seg_dist(ha, hb) - dev
    zlo = np.where(za * zb <= 0, 0.0, np.minimum(np.abs(za), np.abs(zb)))
    vlower = zlo - _CHORD_DEV * np.abs(zb - za) - _BULGE * h * (np.abs(vza) + np.abs(vzb))
    margin_h = _SCREEN_MARGIN_M + 1e-6 * cfg.proximity_horizontal_m
    margin_v = _SCREEN_MARGIN_M + 1e-6 * cfg.proximity_vertical_m
    return (lower < cfg.proximity_horizontal_m + margin_h) & (
        vlower < cfg.proximity_vertical_m + margin_v
    )


_BULGE = 4.0 / 27.0


def scan_pieces(
    tracks: Tracks,
    cfg: ScanConfig,
    t_lo: float = -np.inf,
    t_hi: float = np.inf,
    batch: int = 20_000,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pieces and spans of every pair whose interval starts in ``[t_lo, t_hi)``.

    ``pieces``: one row per interval with some time inside the proximity range, with the minima
    over that time and the state at its start. ``spans``: the sub-intervals inside each volume
    (``kind`` in :data:`SPAN_KINDS`), absolute times. Candidates are taken ``batch`` at a time,
    which bounds the memory of the interval arrays in dense traffic; rows are independent, so
    the result does not depend on it.
    """
    bk, ci, cj = candidate_pairs(tracks, cfg)
    b0 = np.maximum(bk * cfg.bucket_s, t_lo)
    b1 = np.minimum((bk + 1) * cfg.bucket_s, t_hi)
    ok = b0 < b1
    parts = [
        _batch(
            tracks,
            cfg,
            *_intervals(
                tracks,
                ci[ok][k : k + batch],
                cj[ok][k : k + batch],
                b0[ok][k : k + batch],
                b1[ok][k : k + batch],
            ),
        )
        for k in range(0, max(int(ok.sum()), 1), batch)
    ]
    pieces = pd.concat([p for p, _ in parts], ignore_index=True)
    spans = pd.concat([sp for _, sp in parts], ignore_index=True)
    order = np.lexsort((spans["s"].to_numpy(), spans["id_j"].to_numpy(), spans["id_i"].to_numpy()))
    return pieces, spans.iloc[order].reset_index(drop=True)


def _batch(
    tracks: Tracks,
    cfg: ScanConfig,
    ci: IntArray,
    cj: IntArray,
    ki: IntArray,
    kj: IntArray,
    a: FloatArray,
    b: FloatArray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pieces and spans of one batch of merged intervals (see :func:`scan_pieces`)."""
    h = b - a
    pi_a, vi_a, zi_a, vzi_a = _state(tracks, ki, a)
    pi_b, vi_b, zi_b, vzi_b = _state(tracks, ki, b)
    pj_a, vj_a, zj_a, vzj_a = _state(tracks, kj, a)
    pj_b, vj_b, zj_b, vzj_b = _state(tracks, kj, b)
    rel = (
        pj_a - pi_a,
        pj_b - pi_b,
        zj_a - zi_a,
        zj_b - zi_b,
        vj_a - vi_a,
        vj_b - vi_b,
        vzj_a - vzi_a,
        vzj_b - vzi_b,
    )
    keep = _prefilter(*rel, h, cfg)
    # the pair's up vector (mean of both normals) defines the horizontal plane
    up = pi_a / np.linalg.norm(pi_a, axis=1)[:, None] + pj_a / np.linalg.norm(pj_a, axis=1)[:, None]
    up[:, 2] /= 1.0 - WGS84_E2  # ellipsoid normal direction from ECEF
    up /= np.linalg.norm(up, axis=1)[:, None]
    keep[keep] = _screen(tuple(x[keep] for x in rel), h[keep], up[keep], cfg)
    sel = np.flatnonzero(keep)
    up = up[sel]
    ci, cj, ki, kj, a, b, h = ci[sel], cj[sel], ki[sel], kj[sel], a[sel], b[sel], h[sel]
    pi_a, vi_a, zi_a, vzi_a = pi_a[sel], vi_a[sel], zi_a[sel], vzi_a[sel]
    pj_a, vj_a, zj_a, vzj_a = pj_a[sel], vj_a[sel], zj_a[sel], vzj_a[sel]
    pi_b, vi_b, pj_b, vj_b = pi_b[sel], vi_b[sel], pj_b[sel], vj_b[sel]
    zi_b, vzi_b, zj_b, vzj_b = zi_b[sel], vzi_b[sel], zj_b[sel], vzj_b[sel]
    ci_c = poly.hermite(pi_a, vi_a, pi_b, vi_b, h)
    cj_c = poly.hermite(pj_a, vj_a, pj_b, vj_b, h)
    d = cj_c - ci_c
    d_h = d - np.einsum("ndk,nk->nd", d, up)[:, :, None] * up[:, None, :]
    h2 = poly.square_sum(d_h)
    dz = poly.hermite(zj_a - zi_a, vzj_a - vzi_a, zj_b - zi_b, vzj_b - vzi_b, h)
    z2 = poly.square(dz)
    s2 = h2 + z2
    # nested volumes: each is computed only where the wider one was entered
    limits = [
        ("prox", cfg.proximity_horizontal_m, cfg.proximity_vertical_m),
        ("los", cfg.horizontal_m, cfg.vertical_m),
        ("close", cfg.intercept_horizontal_m, cfg.intercept_vertical_m),
        ("nmac", cfg.nmac_horizontal_m, cfg.nmac_vertical_m),
    ]
    spans = []
    rows_k = np.arange(sel.size)
    prox_rows = rows_k
    prox_s = prox_e = np.zeros((0, 0))
    for kind, hm, vm in limits:
        s, e = poly.inside_intervals([(h2[rows_k], -np.inf, hm * hm), (dz[rows_k], -vm, vm)])
        if kind == "prox":
            prox_s, prox_e = s, e
        rr, cols = np.nonzero(~np.isnan(s))
        rows = rows_k[rr]
        spans.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "ci": ci[rows],
                    "cj": cj[rows],
                    "s": a[rows] + h[rows] * s[rr, cols],
                    "e": a[rows] + h[rows] * e[rr, cols],
                }
            )
        )
        has = ~np.all(np.isnan(s), axis=1)
        if kind == "prox":
            prox_rows = rows_k[has]
            prox_s, prox_e = s[has], e[has]
        rows_k = rows_k[has]
    hmin2 = np.full(sel.size, np.nan)
    tau_h = np.full(sel.size, np.nan)
    smin2 = np.full(sel.size, np.nan)
    tau_s = np.full(sel.size, np.nan)
    hmin2[prox_rows], tau_h[prox_rows] = poly.minimum_on(h2[prox_rows], prox_s, prox_e)
    smin2[prox_rows], tau_s[prox_rows] = poly.minimum_on(s2[prox_rows], prox_s, prox_e)
    inside = ~np.isnan(hmin2)
    r = np.flatnonzero(inside)
    ta = tau_h[r]
    p_i = poly.polyval(ci_c[r], ta)
    p_j = poly.polyval(cj_c[r], ta)
    z_i = poly.polyval(poly.hermite(zi_a[r], vzi_a[r], zi_b[r], vzi_b[r], h[r]), ta)
    dz_min = poly.polyval(dz[r], ta)
    dzdot_min = poly.polyval(poly.derivative(dz[r]), ta) / h[r]
    lat_i, lon_i = _latlon(p_i)
    lat_j, lon_j = _latlon(p_j)
    # state at the start of the interval
    dpa = d_h[r, 0]
    dva = (vj_a - vi_a)[r]
    dva_h = dva - np.einsum("nk,nk->n", dva, up[r])[:, None] * up[r]
    range_a = np.linalg.norm(dpa, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rdot_a = np.einsum("nk,nk->n", dpa, dva_h) / range_a
    dvz_a = (vzj_a - vzi_a)[r]
    east, north, _ = enu_basis(*_latlon(pi_a[r]))
    bearing_a = np.degrees(
        np.arctan2(np.einsum("nk,nk->n", dpa, east), np.einsum("nk,nk->n", dpa, north))
    )
    dvh_min = poly.polyval(poly.derivative(d_h[r]), ta) / h[r][:, None]
    ids = tracks.ids
    rows_f = tracks.row
    baro = ~np.isnan(tracks.alt_baro)
    alt_baro = baro[ki[r]] & baro[ki[r] + 1] & baro[kj[r]] & baro[kj[r] + 1]
    frame = tracks.frame
    party = frame["party"].to_numpy()
    callsign = frame["callsign"].to_numpy()
    pieces = pd.DataFrame(
        {
            "id_i": ids[ci[r]],
            "id_j": ids[cj[r]],
            "party_i": party[rows_f[ki[r]]],
            "party_j": party[rows_f[kj[r]]],
            "callsign_i": callsign[rows_f[ki[r]]],
            "callsign_j": callsign[rows_f[kj[r]]],
            "a": a[r],
            "b": b[r],
            "h_min_m": np.sqrt(np.maximum(hmin2[r], 0.0)),
            "t_min": a[r] + h[r] * ta,
            "dz_min_m": dz_min,
            "dzdot_min_mps": dzdot_min,
            "slant_min_m": np.sqrt(np.maximum(smin2[r], 0.0)),
            "t_slant_min": a[r] + h[r] * tau_s[r],
            "lat_i": lat_i,
            "lon_i": lon_i,
            "alt_i_m": z_i,
            "lat_j": lat_j,
            "lon_j": lon_j,
            "alt_j_m": z_i + dz_min,
            "range_a_m": range_a,
            "dz_a_m": (zj_a - zi_a)[r],
            "range_rate_a_mps": np.nan_to_num(rdot_a),
            "dzdot_a_mps": dvz_a,
            "rel_speed_a_mps": np.sqrt(np.einsum("nk,nk->n", dva, dva) + dvz_a**2),
            "vh_a_mps": np.linalg.norm(dva_h, axis=1),
            "vh_min_mps": np.linalg.norm(dvh_min, axis=1),
            "gs_i_a_mps": np.linalg.norm(vi_a[r], axis=1),
            "gs_j_a_mps": np.linalg.norm(vj_a[r], axis=1),
            # direction of j from i (deg from north at i): its turning tells an orbit
            "bearing_a_deg": bearing_a,
            # speed of each aircraft towards the other (the approacher has the larger one)
            "i_toward_mps": np.einsum("nk,nk->n", vi_a[r], dpa) / np.maximum(range_a, 1e-9),
            "j_toward_mps": -np.einsum("nk,nk->n", vj_a[r], dpa) / np.maximum(range_a, 1e-9),
            # j in the rear half of i: behind i's track; and the other way round
            "j_behind_i": np.einsum("nk,nk->n", vi_a[r], dpa) < 0,
            "i_behind_j": np.einsum("nk,nk->n", vj_a[r], -dpa) < 0,
            "alt_baro": alt_baro,
            "epu_m": _epu(frame, rows_f[ki[r]], rows_f[ki[r] + 1])
            + _epu(frame, rows_f[kj[r]], rows_f[kj[r] + 1]),
            "row_i0": rows_f[ki[r]],
            "row_i1": rows_f[ki[r] + 1],
            "row_j0": rows_f[kj[r]],
            "row_j1": rows_f[kj[r] + 1],
        }
    )
    span_frame = pd.concat(spans, ignore_index=True)
    span_frame.insert(1, "id_i", ids[span_frame["ci"].to_numpy()])
    span_frame.insert(2, "id_j", ids[span_frame["cj"].to_numpy()])
    return pieces, span_frame.drop(columns=["ci", "cj"])
