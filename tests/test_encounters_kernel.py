"""The compiled pair kernel agrees with the numpy algebra of :mod:`wellclear.poly`."""

from __future__ import annotations

import numpy as np
import pytest

from wellclear import poly
from wellclear.encounters import _poly


def _random_h2_dz(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Squared horizontal distances (degree 6, from random cubic vectors) and cubics ``dz``."""
    d = rng.normal(0.0, 1.0, (n, 4, 2)) * np.array([8000.0, 6000.0, 3000.0, 1000.0])[None, :, None]
    dz = rng.normal(0.0, 1.0, (n, 4)) * np.array([400.0, 300.0, 200.0, 100.0])
    return poly.square_sum(d), dz


def test_roots_match_companion_eigenvalues() -> None:
    rng = np.random.default_rng(11)
    ws = _poly.workspace()
    out = np.empty(8)
    out_d = np.empty(8)
    checked = 0
    for _ in range(3000):
        deg = int(rng.integers(1, 7))
        c = rng.normal(size=deg + 1)
        n, _ = _poly.roots01(c, deg, out, out_d, ws)
        ref = np.roots(c[::-1])
        real = np.sort(ref[np.abs(ref.imag) < 1e-9].real)
        # simple real roots well inside [0, 1] (multiple roots are sign changes or not)
        inner = real[(real > 1e-6) & (real < 1 - 1e-6)]
        if inner.size and np.min(np.diff(np.r_[0.0, inner, 1.0])) > 1e-4:
            np.testing.assert_allclose(out[:n], inner, atol=1e-9)
            checked += 1
        # every reported root is a zero of the polynomial
        assert np.all(np.abs(np.polyval(c[::-1], out[:n])) < 1e-9 * np.abs(c).sum())
    assert checked > 500


def test_inside_and_minimum_match_numpy() -> None:
    rng = np.random.default_rng(12)
    h2, dz = _random_h2_dz(rng, 4000)
    hm, vm = 9000.0, 350.0
    s_ref, e_ref = poly.inside_intervals([(h2, -np.inf, hm * hm), (dz, -vm, vm)])
    ws = _poly.workspace()
    st = np.empty(8)
    en = np.empty(8)
    both = 0
    for r in range(h2.shape[0]):
        bounds = np.array([*_poly._bern_min_max(h2[r], 6), *_poly._bern_min_max(dz[r], 3)])
        m = _poly.inside(h2[r], dz[r], hm, vm, st, en, ws, bounds)
        s = s_ref[r][~np.isnan(s_ref[r])]
        e = e_ref[r][~np.isnan(e_ref[r])]
        # numpy may split one piece at a repeated breakpoint: compare the unions
        keep = np.r_[True, s[1:] > e[:-1] + 1e-12] if s.size else np.zeros(0, bool)
        s_u = s[keep]
        e_u = np.r_[e[np.flatnonzero(keep)[1:] - 1], e[-1:]] if s.size else e
        np.testing.assert_allclose(st[:m], s_u, atol=1e-8)
        np.testing.assert_allclose(en[:m], e_u, atol=1e-8)
        if m:
            both += 1
            val, tau = _poly.minimum_on(h2[r], st, en, m, ws)
            ref_v, ref_t = poly.minimum_on(h2[r : r + 1], st[None, :m], en[None, :m])
            assert val == pytest.approx(ref_v[0], rel=1e-9, abs=1e-3)
            # the minimum is the minimum over a dense sampling of the sub-intervals
            grid = np.concatenate([np.linspace(st[k], en[k], 2001) for k in range(m)])
            assert val <= np.polyval(h2[r][::-1], grid).min() + 1e-6 * abs(val) + 1e-3
            assert any(st[k] - 1e-12 <= tau <= en[k] + 1e-12 for k in range(m))
            assert np.isfinite(ref_t[0])
    assert both > 300


def test_bernstein_bounds_hold() -> None:
    """The Bernstein coefficients bound each polynomial on [0, 1] (what the fast paths use)."""
    rng = np.random.default_rng(13)
    grid = np.linspace(0.0, 1.0, 501)
    for deg in (3, 5, 6):
        for _ in range(300):
            c = rng.normal(size=deg + 1) * 10.0 ** rng.integers(-2, 4)
            lo, hi = _poly._bern_min_max(c, deg)
            val = np.polyval(c[::-1], grid)
            tol = 1e-12 * np.abs(c).sum()
            assert lo <= val.min() + tol and val.max() <= hi + tol
            # the end coefficients are the end values
            b0 = c[0]
            assert min(lo, b0) == lo and max(hi, b0) == hi
