"""Polynomials on [0, 1] for the compiled pair kernel (numba): roots, bounds, volumes, minima.

Roots on ``[0, 1]`` come from the derivative cascade: the roots of ``p'`` cut ``[0, 1]`` into
pieces on which ``p`` is monotone, so each piece holds at most one sign change, which a
safeguarded Newton iteration (bisection whenever Newton leaves the bracket) converges to. The
cascade starts from the linear derivative and climbs to ``p``; it finds every root where the
polynomial changes sign, which is all that the volumes (strict inequalities) and the minima
(a minimum inside an interval is a sign change of the derivative) need. Bernstein coefficients
bound a polynomial on ``[0, 1]`` (:func:`_bern_min_max`) before any root is sought.
"""

from __future__ import annotations

from math import comb

import numba
import numpy as np

_MAXDEG = 6
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
