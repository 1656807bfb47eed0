"""Compiled pair kernel of the scan (numba): merged intervals, screens and exact volumes.

For each candidate ``(code_i, code_j, b0, b1)`` the merged sample times of both aircraft in
``[b0, b1)`` start the intervals the candidate owns; on each interval ``[a, b]`` both aircraft
follow one cubic Hermite segment, so (see :mod:`wellclear.encounters.pieces`) the horizontal
separation squared ``h2`` is a polynomial of degree 6 in ``tau = (t - a) / (b - a)``, the
vertical separation ``dz`` a cubic and the squared slant range ``h2 + dz^2`` of degree 6.

The polynomials' roots and bounds are in :mod:`._poly`, the segments' states and the screens
in :mod:`._segments`.
"""

from __future__ import annotations

import numba
import numpy as np

from wellclear.encounters._poly import _bern_min_max, inside, minimum_on, workspace
from wellclear.encounters._segments import (
    _grow_f,
    _lower_bound,
    _norm,
    _screens,
    _state,
    _vscreen,
    _zstate,
)
from wellclear.geo import WGS84_E2

_MAXDEG = 6

# the float columns of a piece, in the order :func:`solve` writes them
PIECE_FLOATS = (
    "a",
    "b",
    "h_min_m",
    "t_min",
    "dz_min_m",
    "dzdot_min_mps",
    "slant_min_m",
    "t_slant_min",
    "lat_i",
    "lon_i",
    "alt_i_m",
    "lat_j",
    "lon_j",
    "alt_j_m",
    "range_a_m",
    "dz_a_m",
    "range_rate_a_mps",
    "dzdot_a_mps",
    "rel_speed_a_mps",
    "vh_a_mps",
    "vh_min_mps",
    "gs_i_a_mps",
    "gs_j_a_mps",
    "bearing_a_deg",
    "i_toward_mps",
    "j_toward_mps",
)
_NF = len(PIECE_FLOATS)
_NEWTON_IT = 60
_TOL = 1e-14


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _features(
    out: np.ndarray,
    a: float,
    b: float,
    hmin2: float,
    tau_h: float,
    smin2: float,
    tau_s: float,
    ki: int,
    kj: int,
    t: np.ndarray,
    pos: np.ndarray,
    vel_out: np.ndarray,
    vel_in: np.ndarray,
    alt: np.ndarray,
    vz_out: np.ndarray,
    vz_in: np.ndarray,
    pia: np.ndarray,
    via: np.ndarray,
    vja: np.ndarray,
    dva: np.ndarray,
    za: float,
    vza: float,
    coef: np.ndarray,
    up: np.ndarray,
    pm: np.ndarray,
    vm_i: np.ndarray,
    qm: np.ndarray,
    vm_j: np.ndarray,
) -> None:
    """The columns :data:`PIECE_FLOATS` of one piece into ``out``: the minimum (positions of
    both aircraft then), and the state at the start ``a`` (``coef[0]`` is the horizontal
    separation there, ``dva`` the relative velocity)."""
    h = b - a
    t_min = a + h * tau_h
    zi, vzi = _state(ki, t_min, t, pos, vel_out, vel_in, alt, vz_out, vz_in, pm, vm_i)
    zj, vzj = _state(kj, t_min, t, pos, vel_out, vel_in, alt, vz_out, vz_in, qm, vm_j)
    out[0] = a
    out[1] = b
    out[2] = np.sqrt(max(hmin2, 0.0))
    out[3] = t_min
    out[4] = zj - zi
    out[5] = vzj - vzi
    out[6] = np.sqrt(max(smin2, 0.0))
    out[7] = a + h * tau_s
    # latitudes and longitudes at the minimum: for the pieces that need them (latlon_at)
    out[8] = out[9] = out[11] = out[12] = np.nan
    out[10] = zi
    out[13] = zi + (zj - zi)
    # horizontal relative velocity at the minimum and at the start
    for x in range(3):
        vm_j[x] -= vm_i[x]
    s = vm_j[0] * up[0] + vm_j[1] * up[1] + vm_j[2] * up[2]
    for x in range(3):
        vm_j[x] -= s * up[x]
    s = dva[0] * up[0] + dva[1] * up[1] + dva[2] * up[2]
    for x in range(3):
        qm[x] = dva[x] - s * up[x]
    dpa = coef[0]
    rng = _norm(dpa)
    rdot = (dpa[0] * qm[0] + dpa[1] * qm[1] + dpa[2] * qm[2]) / rng if rng > 0.0 else 0.0
    out[14] = rng
    out[15] = za
    out[16] = rdot if np.isfinite(rdot) else 0.0
    out[17] = vza
    out[18] = np.sqrt(dva[0] ** 2 + dva[1] ** 2 + dva[2] ** 2 + vza * vza)
    out[19] = _norm(qm)
    out[20] = _norm(vm_j)
    out[21] = _norm(via)
    out[22] = _norm(vja)
    # direction of j from i (deg from north at i): with r = hypot(x, y) and the geodetic
    # latitude of i, tan(lat) = z / ((1 - e2) r), the east and north components of dpa are
    # (x d1 - y d0) / r and (k r^2 d2 - z (x d0 + y d1)) / (r L), L = hypot(k r, z): their
    # ratio without a sine or cosine (the same angle as from lat and lon)
    x, y, z = pia[0], pia[1], pia[2]
    k = 1.0 - WGS84_E2
    r2 = x * x + y * y
    east = (x * dpa[1] - y * dpa[0]) * np.sqrt(k * k * r2 + z * z)
    north = k * r2 * dpa[2] - z * (x * dpa[0] + y * dpa[1])
    out[23] = np.degrees(np.arctan2(east, north))
    den = max(rng, 1e-9)
    out[24] = (via[0] * dpa[0] + via[1] * dpa[1] + via[2] * dpa[2]) / den
    out[25] = -(vja[0] * dpa[0] + vja[1] * dpa[1] + vja[2] * dpa[2]) / den


@numba.njit(cache=True, nogil=True, error_model="numpy")
def solve(
    t: np.ndarray,
    pos: np.ndarray,
    vel_out: np.ndarray,
    vel_in: np.ndarray,
    alt: np.ndarray,
    vz_out: np.ndarray,
    vz_in: np.ndarray,
    seg_next: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    ci: np.ndarray,
    cj: np.ndarray,
    b0: np.ndarray,
    b1: np.ndarray,
    limits: np.ndarray,
    merge_gap: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pieces and spans of the candidates ``(ci, cj)`` owning ``[b0, b1)``.

    ``limits`` holds the (horizontal, vertical) extent of the nested volumes, proximity first.
    A piece's slant minimum is computed only where it can be the smallest of its run (the
    pieces of one candidate whose times in the proximity range are closer than ``merge_gap``,
    which lie in one window group): a piece whose squared slant range is bounded below
    (Bernstein) by the run's smallest so far gets ``inf`` (and a NaN time), so that the
    minimum over a window group is still exact.
    Returns ``(piece_int, piece_float, piece_prox, span_int, span_float, n_intervals)``: per
    piece ``(candidate, ki, kj)``, the columns :data:`PIECE_FLOATS` and the first entry into
    and last exit from the proximity range (absolute times); per span
    ``(candidate, kind, piece)`` and ``(s, e)`` in absolute time; the number of intervals examined.
    """
    n_lim = limits.shape[0]
    cap_p = 1024
    cap_s = 1024
    p_int = np.empty((cap_p, 3), dtype=np.int64)
    p_flt = np.empty((cap_p, _NF))
    p_prox = np.empty((cap_p, 2))
    pm = np.empty(3)
    vm_i = np.empty(3)
    qm = np.empty(3)
    vm_j = np.empty(3)
    s_int = np.empty((cap_s, 3), dtype=np.int64)
    s_flt = np.empty((cap_s, 2))
    n_p = 0
    n_s = 0
    n_iv = 0
    pia = np.empty(3)
    via = np.empty(3)
    pib = np.empty(3)
    vib = np.empty(3)
    pja = np.empty(3)
    vja = np.empty(3)
    pjb = np.empty(3)
    vjb = np.empty(3)
    dpa = np.empty(3)
    dpb = np.empty(3)
    dva = np.empty(3)
    dvb = np.empty(3)
    up = np.empty(3)
    coef = np.empty((4, 3))
    h2 = np.zeros(7)
    s2 = np.zeros(7)
    dzc = np.empty(4)
    st = np.empty((n_lim, 8))
    en = np.empty((n_lim, 8))
    cnt = np.zeros(n_lim, dtype=np.int64)
    ws = workspace()
    bnd = np.empty(4)
    run_c = -1
    run_end = -np.inf
    run_best = np.inf
    for c in range(ci.size):
        i = ci[c]
        j = cj[c]
        fi, li = first[i], last[i]
        fj, lj = first[j], last[j]
        ii = _lower_bound(t, fi, li, b0[c])
        ei = _lower_bound(t, fi, li, b1[c])
        jj = _lower_bound(t, fj, lj, b0[c])
        ej = _lower_bound(t, fj, lj, b1[c])
        while ii < ei or jj < ej:
            a = t[ii] if jj >= ej or (ii < ei and t[ii] <= t[jj]) else t[jj]
            if ii < ei and t[ii] == a:
                ii += 1
            if jj < ej and t[jj] == a:
                jj += 1
            # the last sample at or before a: times are unique per aircraft, the next ones
            # (ii, jj) are after a, and a < b1 <= t[ei], t[ej]
            ki = ii - 1
            kj = jj - 1
            if not (ki >= fi and ki < li - 1 and seg_next[ki]):
                continue
            if not (kj >= fj and kj < lj - 1 and seg_next[kj]):
                continue
            b = min(t[ki + 1], t[kj + 1])
            h = b - a
            n_iv += 1
            # the vertical screen first: it needs the four altitudes only
            zia, vzia = _zstate(ki, a, t, alt, vz_out, vz_in)
            zib, vzib = _zstate(ki, b, t, alt, vz_out, vz_in)
            zja, vzja = _zstate(kj, a, t, alt, vz_out, vz_in)
            zjb, vzjb = _zstate(kj, b, t, alt, vz_out, vz_in)
            if not _vscreen(zja - zia, zjb - zib, vzja - vzia, vzjb - vzib, h, limits[0, 1]):
                continue
            _state(ki, a, t, pos, vel_out, vel_in, alt, vz_out, vz_in, pia, via)
            _state(ki, b, t, pos, vel_out, vel_in, alt, vz_out, vz_in, pib, vib)
            _state(kj, a, t, pos, vel_out, vel_in, alt, vz_out, vz_in, pja, vja)
            _state(kj, b, t, pos, vel_out, vel_in, alt, vz_out, vz_in, pjb, vjb)
            ni = _norm(pia)
            nj = _norm(pja)
            for x in range(3):
                dpa[x] = pja[x] - pia[x]
                dpb[x] = pjb[x] - pib[x]
                dva[x] = vja[x] - via[x]
                dvb[x] = vjb[x] - vib[x]
                up[x] = pia[x] / ni + pja[x] / nj
            up[2] /= 1.0 - WGS84_E2
            nu = _norm(up)
            for x in range(3):
                up[x] /= nu
            za = zja - zia
            zb = zjb - zib
            vza = vzja - vzia
            vzb = vzjb - vzib
            if not _screens(
                dpa, dpb, dva, dvb, za, zb, vza, vzb, h, up, limits[0, 0], limits[0, 1], ws
            ):
                continue
            # relative Hermite cubic, horizontal part (off ``up``), squared length
            for x in range(3):
                m0 = h * dva[x]
                m1 = h * dvb[x]
                coef[0, x] = dpa[x]
                coef[1, x] = m0
                coef[2, x] = -3.0 * dpa[x] - 2.0 * m0 + 3.0 * dpb[x] - m1
                coef[3, x] = 2.0 * dpa[x] + m0 - 2.0 * dpb[x] + m1
            for d in range(4):
                s = coef[d, 0] * up[0] + coef[d, 1] * up[1] + coef[d, 2] * up[2]
                for x in range(3):
                    coef[d, x] -= s * up[x]
            h2[:] = 0.0
            for d in range(4):
                for e in range(4):
                    h2[d + e] += (
                        coef[d, 0] * coef[e, 0]
                        + coef[d, 1] * coef[e, 1]
                        + (coef[d, 2] * coef[e, 2])
                    )
            m0 = h * vza
            m1 = h * vzb
            dzc[0] = za
            dzc[1] = m0
            dzc[2] = -3.0 * za - 2.0 * m0 + 3.0 * zb - m1
            dzc[3] = 2.0 * za + m0 - 2.0 * zb + m1
            cnt[:] = 0
            bnd[0], bnd[1] = _bern_min_max(h2, 6)
            bnd[2], bnd[3] = _bern_min_max(dzc, 3)
            for k in range(n_lim):
                cnt[k] = inside(h2, dzc, limits[k, 0], limits[k, 1], st[k], en[k], ws, bnd)
                if cnt[k] == 0:
                    break
            if cnt[0] == 0:
                continue
            for d in range(7):
                s2[d] = h2[d]
            for d in range(4):
                for e in range(4):
                    s2[d + e] += dzc[d] * dzc[e]
            hmin2, tau_h = minimum_on(h2, st[0], en[0], cnt[0], ws)
            p_s = a + h * st[0, 0]
            p_e = a + h * en[0, cnt[0] - 1]
            if c != run_c or p_s - run_end >= merge_gap:  # a new run
                run_c = c
                run_best = np.inf
                run_end = p_e
            else:
                run_end = max(run_end, p_e)
            if _bern_min_max(s2, 6)[0] >= run_best:
                smin2, tau_s = np.inf, np.nan
            else:
                smin2, tau_s = minimum_on(s2, st[0], en[0], cnt[0], ws)
                run_best = min(run_best, smin2)
            if n_p == p_int.shape[0]:
                p_int = _grow_f(p_int, n_p)
                p_flt = _grow_f(p_flt, n_p)
                p_prox = _grow_f(p_prox, n_p)
            p_int[n_p, 0] = c
            p_int[n_p, 1] = ki
            p_int[n_p, 2] = kj
            p_prox[n_p, 0] = p_s
            p_prox[n_p, 1] = p_e
            _features(
                p_flt[n_p],
                a,
                b,
                hmin2,
                tau_h,
                smin2,
                tau_s,
                ki,
                kj,
                t,
                pos,
                vel_out,
                vel_in,
                alt,
                vz_out,
                vz_in,
                pia,
                via,
                vja,
                dva,
                za,
                vza,
                coef,
                up,
                pm,
                vm_i,
                qm,
                vm_j,
            )
            n_p += 1
            for k in range(n_lim):
                for q in range(cnt[k]):
                    if n_s == s_int.shape[0]:
                        s_int = _grow_f(s_int, n_s)
                        s_flt = _grow_f(s_flt, n_s)
                    s_int[n_s, 0] = c
                    s_int[n_s, 1] = k
                    s_int[n_s, 2] = n_p - 1
                    s_flt[n_s, 0] = a + h * st[k, q]
                    s_flt[n_s, 1] = a + h * en[k, q]
                    n_s += 1
    counts = np.array([n_iv], dtype=np.int64)
    return p_int[:n_p], p_flt[:n_p], p_prox[:n_p], s_int[:n_s], s_flt[:n_s], counts
