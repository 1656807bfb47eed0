"""The cell cache of nearest boundary points against a geodesic oracle, anywhere on Earth.

The oracle samples every edge (straight in lon/lat, RFC 7946) every 25 m and takes the
smallest WGS-84 geodesic distance: it is never below the true distance and above it by at
most a sampling error (under a metre at the distances tested). The cache must agree with it
to a metre (plus 1e-5 of the distance: the nearest point is found on the sphere, measured on
the ellipsoid), give the same answers whatever the order and batching of the questions, and
its clearance must never exceed the distance (a lower bound is what the predictor relies on).
"""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from wellclear.airspace.geometry import boundary_segments
from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.load import load_zones
from wellclear.airspace.nearest import NearestBoundary
from wellclear.airspace.volume import Volume

WGS84 = Geod(ellps="WGS84")


def oracle(segs: np.ndarray, lon: np.ndarray, lat: np.ndarray, step_m: float = 25.0) -> np.ndarray:
    pts = []
    for x1, y1, x2, y2 in segs:
        _, _, d = WGS84.inv(x1, y1, x2, y2)
        f = np.linspace(0.0, 1.0, max(2, int(d // step_m) + 2))
        pts.append(np.column_stack([x1 + f * (x2 - x1), y1 + f * (y2 - y1)]))
    b = np.concatenate(pts)
    out = []
    for x, y in zip(lon, lat, strict=True):
        _, _, d = WGS84.inv(np.full(len(b), x), np.full(len(b), y), b[:, 0], b[:, 1])
        out.append(float(np.min(d)))
    return np.asarray(out)


def polygon_volume(ring: list[tuple[float, float]]) -> VolumeIndex:
    import shapely

    from wellclear.airspace.geometry import wrap_polygons

    geom = wrap_polygons(shapely.Polygon(ring))
    return VolumeIndex([Volume(name="z", kind="restricted", geometry=geom)])


RINGS = {
    # a box on the equator and the prime meridian
    "equator": [(-0.4, -0.3), (0.5, -0.3), (0.5, 0.4), (-0.4, 0.4)],
    # across the antimeridian (longitudes past 180 are unwrapped by wrap_polygons)
    "antimeridian": [(179.2, 10.0), (180.9, 10.0), (180.9, 11.2), (179.2, 11.2)],
    # a slanted quadrilateral at 75N: lon/lat edges far from great circles
    "arctic": [(10.0, 74.0), (30.0, 74.5), (28.0, 77.0), (12.0, 76.0)],
    "southern": [(-70.0, -55.0), (-60.0, -55.0), (-60.0, -50.0), (-70.0, -50.0)],
}


@pytest.mark.parametrize("name", sorted(RINGS))
def test_boundary_distance_against_oracle(name: str) -> None:
    idx = polygon_volume(RINGS[name])
    segs = idx.segments(0).segs
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = idx.volumes[0].geometry.bounds
    lon = rng.uniform(x0 - 0.3, x1 + 0.3, 25)
    lat = rng.uniform(y0 - 0.3, y1 + 0.3, 25)
    lon = (lon + 180.0) % 360.0 - 180.0
    d, qlon, qlat = idx.boundary_distance(0, lon, lat)
    want = oracle(segs, lon, lat)
    np.testing.assert_allclose(d, want, atol=1.0, rtol=1e-5)
    # the returned point is that far away
    _, _, dq = WGS84.inv(lon, lat, qlon, qlat)
    np.testing.assert_allclose(dq, d, atol=1e-6)


def test_depth_inside_a_country() -> None:
    """Points deep inside and near the coast of France (Natural Earth, bundled)."""
    idx = VolumeIndex(load_zones("sovereign:FRA"))
    vol = next(i for i, v in enumerate(idx.volumes) if v.name == "sovereign:FRA")
    lon = np.array([2.35, 4.8, -1.5, 6.9, 2.0, 0.2])
    lat = np.array([48.85, 45.7, 47.2, 43.7, 50.9, 46.5])
    d, _, _ = idx.boundary_distance(vol, lon, lat)
    want = oracle(idx.segments(vol).segs, lon, lat, step_m=50.0)
    np.testing.assert_allclose(d, want, atol=1.0, rtol=1e-5)
    assert d.max() > 150_000  # some of them deep inside


def test_answers_do_not_depend_on_the_cache() -> None:
    segs = boundary_segments(polygon_volume(RINGS["arctic"]).volumes[0].geometry)
    rng = np.random.default_rng(11)
    lon = rng.uniform(5.0, 35.0, 400)
    lat = rng.uniform(72.0, 79.0, 400)
    batch = NearestBoundary(segs).nearest(lon, lat)
    fresh = NearestBoundary(segs)
    one_by_one = np.array(
        [np.r_[fresh.nearest(lon[i : i + 1], lat[i : i + 1])] for i in range(len(lon))]
    ).reshape(len(lon), 2)
    np.testing.assert_array_equal(np.column_stack(batch), one_by_one)
    again = fresh.nearest(lon[::-1], lat[::-1])
    np.testing.assert_array_equal(np.column_stack(again)[::-1], one_by_one)


def test_clearance_is_a_lower_bound_and_not_far_below() -> None:
    idx = polygon_volume(RINGS["equator"])
    rng = np.random.default_rng(5)
    lon = rng.uniform(-2.0, 2.0, 40)
    lat = rng.uniform(-2.0, 2.0, 40)
    clear = idx.clearance(lon, lat)
    d, _, _ = idx.boundary_distance(0, lon, lat)
    assert np.all(clear <= d)
    assert np.all(clear >= 0.98 * d - 12_000.0)  # less twice the cell radius (<= 0.05 deg)


def test_points_that_are_not_finite() -> None:
    idx = polygon_volume(RINGS["equator"])
    d, qlon, _ = idx.boundary_distance(0, np.array([np.nan, 0.0]), np.array([0.0, np.inf]))
    assert np.isnan(d).all() and np.isnan(qlon).all()
    assert np.isnan(idx.clearance(np.array([np.nan]), np.array([0.0]))).all()


@pytest.mark.parametrize("name", sorted(RINGS))
def test_inside_by_cell_is_the_point_by_point_answer(name: str) -> None:
    """Points on a grid finer than the cells and at random, over each ring and round it (the
    antimeridian, 75N, the equator), asked twice (the second from the cells kept)."""
    idx = polygon_volume(RINGS[name])
    x0, y0, x1, y1 = idx.volumes[0].geometry.bounds
    rng = np.random.default_rng(3)
    gx, gy = np.meshgrid(np.arange(x0 - 0.2, x1 + 0.2, 0.013), np.arange(y0 - 0.2, y1 + 0.2, 0.011))
    lon = np.r_[gx.ravel(), rng.uniform(x0 - 0.3, x1 + 0.3, 2000)]
    lat = np.r_[gy.ravel(), rng.uniform(y0 - 0.3, y1 + 0.3, 2000)]
    lon = (lon + 180.0) % 360.0 - 180.0
    want = idx.inside_pairs(lon, lat)
    assert 0 < len(want[0]) < len(lon)
    for _ in range(2):
        got = idx.inside_pairs(lon, lat, by_cell=True)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_inside_by_cell_in_countries_that_share_borders() -> None:
    """France and its neighbours (Natural Earth, bundled): shared borders, enclaves, coast."""
    idx = VolumeIndex(load_zones("sovereign:FRA,BEL,CHE,DEU,ESP,ITA,LUX,AND,MCO"))
    rng = np.random.default_rng(9)
    lon = rng.uniform(-5.0, 10.0, 20_000)
    lat = rng.uniform(41.0, 52.0, 20_000)
    want = idx.inside_pairs(lon, lat)
    got = idx.inside_pairs(lon, lat, by_cell=True)
    np.testing.assert_array_equal(np.column_stack(got), np.column_stack(want))
    assert len(np.unique(want[1])) >= 5
