"""The per-aircraft pair geometry of PairAlerter against DAIDALUS's projection per pair."""

from __future__ import annotations

import numpy as np
import pytest

from wellclear.alerting.geometry import project, project_velocity, velocity_from_track
from wellclear.alerting.pairs import pair_geometry
from wellclear.simulate.snapshots import box_traffic, cap_traffic


@pytest.mark.parametrize("where", ["box", "pole", "antimeridian", "globe"])
def test_pair_geometry_is_the_per_pair_projection(where: str) -> None:
    if where == "box":
        states = box_traffic(300, side_m=80_000.0, seed=2, level=False)
    elif where == "globe":
        states = cap_traffic(300, area_per_aircraft_m2=2e12, seed=2, level=False)
    else:
        center = (89.9, 0.0) if where == "pole" else (0.0, 180.0)
        states = cap_traffic(300, area_per_aircraft_m2=2e7, center=center, seed=2, level=False)
    rng = np.random.default_rng(3)
    i = rng.integers(0, len(states), 2000)
    j = rng.integers(0, len(states), 2000)
    geo = pair_geometry(states, i, j)
    lat = np.radians(states["lat"].to_numpy(float))
    lon = np.radians(states["lon"].to_numpy(float))
    vx, vy = velocity_from_track(
        states["trk_deg"].to_numpy(float), states["gs_mps"].to_numpy(float)
    )
    alt = states["alt_m"].to_numpy(float)
    want_so = project(lat[i], lon[i], lat[i], lon[i])
    want_si = project(lat[i], lon[i], lat[j], lon[j])
    want_vo = project_velocity(lat[i], lon[i], lat[i], lon[i], vx[i], vy[i])
    want_vi = project_velocity(lat[i], lon[i], lat[j], lon[j], vx[j], vy[j])
    np.testing.assert_array_equal(geo.so[:, :2], want_so)
    np.testing.assert_array_equal(geo.si[:, :2], want_si)
    np.testing.assert_allclose(geo.vo[:, :2], want_vo, rtol=0, atol=1e-9)
    np.testing.assert_allclose(geo.vi[:, :2], want_vi, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(geo.so[:, 2], alt[i])
    np.testing.assert_array_equal(geo.si[:, 2], alt[j])
    assert np.abs(want_si).max() > 3e4  # pairs tens of km apart, where the projection matters


def test_window_holds_every_time_the_quadratic_is_negative() -> None:
    from wellclear.alerting.pairs import _window

    rng = np.random.default_rng(7)
    n = 4000
    a = np.abs(rng.normal(0, 1, n)) * rng.choice([0.0, 1e-14, 1.0, 1e4], n)
    b = rng.normal(0, 50, n) * rng.choice([0.0, 1.0], n, p=[0.1, 0.9])
    c = rng.normal(0, 1e3, n)
    lo, hi = _window(a, b, c)
    t = np.linspace(-200, 200, 4001)
    f = a[:, None] * t**2 + b[:, None] * t + c[:, None]
    inside = f <= -1e-9 * (1 + np.abs(c[:, None]))
    outside = inside & ((t < lo[:, None] - 1e-9) | (t > hi[:, None] + 1e-9))
    assert not outside.any()
    assert inside.any(axis=1).sum() > n / 3  # many non-empty windows checked
