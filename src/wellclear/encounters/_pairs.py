"""Compiled pair kernel of the scan (numba): merged intervals, screens and exact volumes.

For each candidate ``(code_i, code_j, b0, b1)`` the merged sample times of both aircraft in
``[b0, b1)`` start the intervals the candidate owns; on each interval ``[a, b]`` both aircraft
follow one cubic Hermite segment, so (see :mod:`wellclear.encounters.pieces`) the horizontal
separation squared ``h2`` is a polynomial of degree 6 in ``tau = (t - a) / (b - a)``, the
vertical separation ``dz`` a cubic and the squared slant range ``h2 + dz^2`` of degree 6.

Roots on ``[0, 1]`` come from the derivative cascade: the roots of ``p'`` cut ``[0, 1]`` into
pieces on which ``p`` is monotone, so each piece holds at most one sign change, which a
safeguarded Newton iteration (bisection whenever Newton leaves the bracket) converges to. The
cascade starts from the linear derivative and climbs to ``p``; it finds every root where the
polynomial changes sign, which is all that the volumes (strict inequalities) and the minima
(a minimum inside an interval is a sign change of the derivative) need.
"""

from __future__ import annotations

from math import comb

import numba
import numpy as np

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
def _horner(c: np.ndarray, deg: int, x: float) -> float:
    v = 0.0
    for k in range(deg, -1, -1):
        v = v * x + c[k]
    return v


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _refine(c: np.ndarray, dc: np.ndarray, deg: int, lo: float, hi: float, flo: float) -> float:
    """The sign change of ``c`` in ``[lo, hi]`` (``c(lo)`` is ``flo``, of the other sign at hi)."""
    x = 0.5 * (lo + hi)
    for _ in range(_NEWTON_IT):
        fx = _horner(c, deg, x)
        if fx == 0.0:
            return x
        if (fx < 0.0) == (flo < 0.0):
            lo = x
            flo = fx
        else:
            hi = x
        dfx = _horner(dc, deg - 1, x) if deg > 0 else 0.0
        xn = x - fx / dfx if dfx != 0.0 else lo - 1.0
        if not (lo < xn < hi):
            xn = 0.5 * (lo + hi)
        if abs(xn - x) <= _TOL or hi - lo <= _TOL:
            return xn
        x = xn
    return x


@numba.njit(cache=True, nogil=True, error_model="numpy")
def roots01(
    c: np.ndarray, deg: int, out: np.ndarray, out_d: np.ndarray, ws: np.ndarray
) -> tuple[int, int]:
    """Sign changes of the polynomial ``c`` (ascending, degree ``deg``) in ``[0, 1]`` into
    ``out``, sorted, and those of its derivative into ``out_d``: ``(count, count_d)``.

    A root exactly at a piece's end (``p == 0`` there) is reported once. ``ws`` is scratch
    space (:func:`workspace`), so that the inner loops allocate nothing.
    """
    # table of derivatives: row m holds the m-th derivative (degree deg - m)
    table = ws[:7, :7]
    for k in range(deg + 1):
        table[0, k] = c[k]
    for m in range(1, deg + 1):
        for k in range(deg - m + 1):
            table[m, k] = table[m - 1, k + 1] * (k + 1)
    prev = ws[7]
    cur = ws[8]
    n_prev = 0  # roots of the (m+1)-th derivative; level deg is a constant: no roots
    n_cur = 0
    n_d = 0
    # the cascade starts below the lowest derivative that keeps one sign on [0, 1] (its
    # Bernstein coefficients do): it has no roots, so the levels above it are not needed
    top = deg - 1
    for m in range(1, min(deg, 3)):
        lo, hi = _bern_min_max(table[m], deg - m)
        if lo > 0.0 or hi < 0.0:
            top = m - 1
            break
    for m in range(top, -1, -1):
        d = deg - m
        n_cur = 0
        x0 = 0.0
        f0 = _horner(table[m], d, x0)
        if f0 == 0.0:
            cur[n_cur] = 0.0
            n_cur += 1
        for s in range(n_prev + 1):
            x1 = prev[s] if s < n_prev else 1.0
            if x1 <= x0:
                continue
            f1 = _horner(table[m], d, x1)
            if f1 == 0.0:
                if n_cur == 0 or cur[n_cur - 1] < x1:
                    cur[n_cur] = x1
                    n_cur += 1
            elif f0 != 0.0 and (f0 < 0.0) != (f1 < 0.0):
                cur[n_cur] = _refine(table[m], table[m + 1], d, x0, x1, f0)
                n_cur += 1
            x0 = x1
            f0 = f1
        if m == 1:
            for k in range(n_cur):
                out_d[k] = cur[k]
            n_d = n_cur
        for k in range(n_cur):
            prev[k] = cur[k]
        n_prev = n_cur
    for k in range(n_prev):
        out[k] = prev[k]
    if deg == 0:
        return 0, 0
    if deg == 1:
        n_d = 0
    return n_prev, n_d


@numba.njit(cache=True, nogil=True, error_model="numpy")
def workspace() -> np.ndarray:
    """Scratch rows of :func:`roots01`, :func:`inside` and :func:`minimum_on` (see their use)."""
    return np.zeros((16, 16))


def _bernstein_table() -> np.ndarray:
    """``[deg, k, j]``: the matrix taking ascending power coefficients of degree ``deg`` on
    [0, 1] to Bernstein coefficients, ``b_k = sum_{j <= k} C(k, j) / C(deg, j) c_j``."""
    out = np.zeros((_MAXDEG + 1, _MAXDEG + 1, _MAXDEG + 1))
    for deg in range(_MAXDEG + 1):
        for k in range(deg + 1):
            for j in range(k + 1):
                out[deg, k, j] = comb(k, j) / comb(deg, j)
    return out


_BERNSTEIN = _bernstein_table()


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _bern_min_max(c: np.ndarray, deg: int) -> tuple[float, float]:
    """Smallest and largest Bernstein coefficient on [0, 1]: bounds of the polynomial there."""
    lo = np.inf
    hi = -np.inf
    for k in range(deg + 1):
        b = 0.0
        for j in range(k + 1):
            b += _BERNSTEIN[deg, k, j] * c[j]
        lo = min(lo, b)
        hi = max(hi, b)
    return lo, hi


@numba.njit(cache=True, nogil=True, error_model="numpy")
def inside(
    h2: np.ndarray,
    dz: np.ndarray,
    hm: float,
    vm: float,
    starts: np.ndarray,
    ends: np.ndarray,
    ws: np.ndarray,
    bounds: np.ndarray,
) -> int:
    """Sub-intervals of ``[0, 1]`` where ``h2 < hm^2`` and ``-vm < dz < vm``; adjacent pieces
    joined. Writes ``starts``/``ends`` and returns their count. ``bounds`` holds the Bernstein
    bounds of ``h2`` and ``dz`` on [0, 1] (:func:`_bern_min_max`): ``(lo, hi, zlo, zhi)``."""
    hh = hm * hm
    lo, hi, zlo, zhi = bounds[0], bounds[1], bounds[2], bounds[3]
    if lo >= hh:
        return 0
    if zlo >= vm or zhi <= -vm:
        return 0
    if hi < hh and -vm < zlo and zhi < vm:
        # inside all along (the Bernstein coefficients bound the polynomials): no roots needed
        starts[0] = 0.0
        ends[0] = 1.0
        return 1
    bp = ws[9]
    bp[0] = 0.0
    bp[1] = 1.0
    n = 2
    tmp = ws[10]
    tmp_d = ws[11]
    c = ws[12]
    c[:7] = h2[:7]
    c[0] -= hh
    r, _ = roots01(c, 6, tmp, tmp_d, ws)
    for k in range(r):
        bp[n] = tmp[k]
        n += 1
    z = ws[13]
    z[:4] = dz[:4]
    for bound in (vm, -vm):
        z[0] = dz[0] - bound
        r, _ = roots01(z, 3, tmp, tmp_d, ws)
        for k in range(r):
            bp[n] = tmp[k]
            n += 1
    bp[:n].sort()
    m = 0
    open_ = False
    for k in range(n - 1):
        x0 = bp[k]
        x1 = bp[k + 1]
        if not x1 > x0:
            continue
        mid = 0.5 * (x0 + x1)
        vz = _horner(dz, 3, mid)
        ok = _horner(h2, 6, mid) < hh and -vm < vz < vm
        if ok:
            if open_:
                ends[m - 1] = x1
            else:
                starts[m] = x0
                ends[m] = x1
                m += 1
                open_ = True
        else:
            open_ = False
    return m


@numba.njit(cache=True, nogil=True, error_model="numpy")
def minimum_on(
    c: np.ndarray, starts: np.ndarray, ends: np.ndarray, m: int, ws: np.ndarray
) -> tuple[float, float]:
    """Minimum of the degree-6 polynomial ``c`` over the union of ``m`` sub-intervals:
    ``(value, tau)``; candidates are the ends of the sub-intervals and the critical points."""
    tmp = ws[10]
    crit = ws[14]
    dc = ws[15]
    for k in range(6):
        dc[k] = c[k + 1] * (k + 1)
    dlo, dhi = _bern_min_max(dc, 5)
    # a derivative of one sign has no sign change: the minimum is at an end
    nc = 0 if dlo >= 0.0 or dhi <= 0.0 else roots01(dc, 5, crit, tmp, ws)[0]
    best = np.inf
    tau = np.nan
    for k in range(m):
        v = _horner(c, 6, starts[k])
        if v < best:
            best = v
            tau = starts[k]
    for k in range(m):
        v = _horner(c, 6, ends[k])
        if v < best:
            best = v
            tau = ends[k]
    for q in range(nc):
        x = crit[q]
        member = False
        for k in range(m):
            if starts[k] <= x <= ends[k]:
                member = True
        if member:
            v = _horner(c, 6, x)
            if v < best:
                best = v
                tau = x
    return best, tau


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
