"""Batched polynomials on the unit interval: the exact pieces of an encounter.

Every quantity of a pair between two merged sample times is a polynomial in the normalised time
``tau = (t - a) / (b - a)`` on ``[0, 1]``: each aircraft follows a cubic Hermite path, so the
separation vector is cubic, its squared length is of degree 6 and its derivative of degree 5.
Coefficients are stored in ascending order, one row per interval: shape ``(N, degree + 1)``.
Roots come from the eigenvalues of the companion matrices, batched over all rows.
"""

from __future__ import annotations

from math import comb

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def hermite(
    p0: FloatArray, v0: FloatArray, p1: FloatArray, v1: FloatArray, h: FloatArray
) -> FloatArray:
    """Ascending coefficients of the cubic Hermite path on ``tau`` in ``[0, 1]``.

    ``p0, p1`` are the end positions, ``v0, v1`` the end velocities per second and ``h`` the
    length of the interval in seconds; positions may have trailing axes (``(N, 3)``), giving
    coefficients of shape ``(N, 4, 3)``.
    """
    hh = h.reshape(h.shape + (1,) * (p0.ndim - h.ndim))
    m0 = hh * v0
    m1 = hh * v1
    c2 = -3.0 * p0 - 2.0 * m0 + 3.0 * p1 - m1
    c3 = 2.0 * p0 + m0 - 2.0 * p1 + m1
    return np.stack([p0, m0, c2, c3], axis=1)


def polyval(coef: FloatArray, tau: FloatArray) -> FloatArray:
    """Evaluate rows of ``coef`` (``(N, D)`` or ``(N, D, K)``) at ``tau`` (``(N,)`` or ``(N, M)``).

    With ``tau`` of shape ``(N, M)`` and 2-D ``coef`` the result is ``(N, M)``; with ``tau`` of
    shape ``(N,)`` it is ``(N,)`` or ``(N, K)``.
    """
    if coef.ndim == 2 and tau.ndim == 2:
        out = np.zeros(tau.shape)
        for k in range(coef.shape[1] - 1, -1, -1):
            out = out * tau + coef[:, k : k + 1]
        return out
    t = tau.reshape(tau.shape + (1,) * (coef.ndim - 2))
    res = np.zeros(coef[:, 0].shape)
    for k in range(coef.shape[1] - 1, -1, -1):
        res = res * t + coef[:, k]
    return res


def derivative(coef: FloatArray) -> FloatArray:
    """Coefficients of the derivative in ``tau`` (one degree less)."""
    deg = coef.shape[1] - 1
    if deg == 0:
        return np.zeros_like(coef)
    powers = np.arange(1, deg + 1, dtype=np.float64)
    return coef[:, 1:] * powers.reshape((1, deg) + (1,) * (coef.ndim - 2))


def square_sum(coef: FloatArray) -> FloatArray:
    """Coefficients of ``sum_k c_k(tau)^2`` for vector coefficients ``(N, D, K)``: ``(N, 2D-1)``."""
    n, d, _ = coef.shape
    out = np.zeros((n, 2 * d - 1))
    for i in range(d):
        for j in range(d):
            out[:, i + j] += np.einsum("nk,nk->n", coef[:, i], coef[:, j])
    return out


def square(coef: FloatArray) -> FloatArray:
    """Coefficients of ``c(tau)^2`` for scalar coefficients ``(N, D)``: ``(N, 2D-1)``."""
    return square_sum(coef[:, :, None])


def roots_unit(coef: FloatArray) -> FloatArray:
    """Real parts of the roots of each row that lie in ``[0, 1]``, NaN elsewhere: ``(N, degree)``.

    Complex roots contribute their real part: that only adds candidate points, which is harmless
    for minima (every candidate is evaluated) and for sign changes (every sub-interval is tested).
    A vanishing leading coefficient is replaced by a tiny one: the extra roots go to infinity.
    """
    n, d1 = coef.shape
    deg = d1 - 1
    out = np.full((n, max(deg, 0)), np.nan)
    if deg < 1 or n == 0:
        return out
    # Bernstein coefficients all of one sign: no root in [0, 1] (convex hull), no eigenvalues
    bern = coef @ _bernstein(deg).T
    some = ~(np.all(bern > 0, axis=1) | np.all(bern < 0, axis=1))
    if some.any():
        out[some] = _roots_unit(coef[some])
    return out


def _bernstein(deg: int) -> FloatArray:
    """Matrix taking ascending power coefficients on [0, 1] to Bernstein coefficients."""
    m = np.zeros((deg + 1, deg + 1))
    for k in range(deg + 1):
        for j in range(k + 1):
            m[k, j] = comb(k, j) / comb(deg, j)
    return m


def _roots_unit(coef: FloatArray) -> FloatArray:
    """:func:`roots_unit` by companion-matrix eigenvalues, for every row."""
    n, d1 = coef.shape
    deg = d1 - 1
    scale = np.max(np.abs(coef), axis=1)
    scale = np.where(scale > 0, scale, 1.0)
    c = coef / scale[:, None]
    lead = c[:, deg]
    tiny = 1e-13
    lead = np.where(np.abs(lead) < tiny, np.where(lead < 0, -tiny, tiny), lead)
    comp = np.zeros((n, deg, deg))
    if deg > 1:
        comp[:, np.arange(1, deg), np.arange(0, deg - 1)] = 1.0
    comp[:, :, deg - 1] = -c[:, :deg] / lead[:, None]
    comp = np.nan_to_num(comp, nan=0.0, posinf=1e300, neginf=-1e300)
    with np.errstate(all="ignore"):
        roots = np.linalg.eigvals(comp).real
    ok = (roots >= 0.0) & (roots <= 1.0)
    return np.where(ok, roots, np.nan)


def inside_intervals(
    tests: list[tuple[FloatArray, float, float]],
) -> tuple[FloatArray, FloatArray]:
    """Sub-intervals of ``[0, 1]`` where ``lo < p(tau) < hi`` for each ``(p, lo, hi)`` of tests.

    E.g. the squared horizontal distance below the squared minimum (``lo = -inf``), and the
    vertical distance (a cubic) between ``-V`` and ``V``. Returns ``(starts, ends)``, each
    ``(N, M)``, NaN where there is no sub-interval; adjacent inside pieces are joined.
    """
    n = tests[0][0].shape[0]
    cuts = [np.zeros((n, 1)), np.ones((n, 1))]
    for coef, lo, hi in tests:
        for bound in (lo, hi):
            if np.isfinite(bound):
                shifted = coef.copy()
                shifted[:, 0] -= bound
                cuts.append(roots_unit(shifted))
    bp = np.sort(np.concatenate(cuts, axis=1), axis=1)  # NaN sort last
    mid = 0.5 * (bp[:, :-1] + bp[:, 1:])
    inside = ~np.isnan(mid) & (bp[:, 1:] > bp[:, :-1])
    for coef, lo, hi in tests:
        val = polyval(coef, np.nan_to_num(mid))
        inside &= (val > lo) & (val < hi)
    # join neighbouring inside pieces: a piece starts where the previous one is not inside
    prev = np.concatenate([np.zeros((n, 1), dtype=bool), inside[:, :-1]], axis=1)
    nxt = np.concatenate([inside[:, 1:], np.zeros((n, 1), dtype=bool)], axis=1)
    starts = np.where(inside & ~prev, bp[:, :-1], np.nan)
    ends = np.where(inside & ~nxt, bp[:, 1:], np.nan)
    s = np.sort(starts, axis=1)
    e = np.sort(ends, axis=1)
    keep = ~np.all(np.isnan(s), axis=0)
    return s[:, keep], e[:, keep]


def minimum_on(
    coef: FloatArray, starts: FloatArray, ends: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Minimum of each row of ``coef`` over the union of its ``[starts, ends]`` sub-intervals.

    Returns ``(value, tau)``; NaN where a row has no sub-interval.
    """
    crit = roots_unit(derivative(coef))
    n = coef.shape[0]
    cand = np.concatenate([starts, ends, crit], axis=1)
    valid = ~np.isnan(cand)
    member = np.zeros(cand.shape, dtype=bool)
    for m in range(starts.shape[1]):
        lo = starts[:, m : m + 1]
        hi = ends[:, m : m + 1]
        member |= (cand >= lo) & (cand <= hi)
    valid &= member
    vals = polyval(coef, np.nan_to_num(cand))
    vals = np.where(valid, vals, np.inf)
    k = np.argmin(vals, axis=1)
    rows = np.arange(n)
    best = vals[rows, k]
    tau = cand[rows, k]
    none = ~np.isfinite(best)
    return np.where(none, np.nan, best), np.where(none, np.nan, tau)
