"""Zones geometry against exact oracles: RFC 7946 edges, bad volumes, depth about the poles."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod

from wellclear.airspace.geojson import ZoneError, read_geojson_zones
from wellclear.airspace.geometry import (
    MAX_EDGE_DEG,
    boundary_segments,
    clean,
    geodesic_circle,
    polygon_from_ring,
)
from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.load import ZoneSpecError, load_zones
from wellclear.airspace.openair import OpenAirError, parse_openair
from wellclear.airspace.volume import Volume

WGS84 = Geod(ellps="WGS84")


def write(tmp: Path, *rings_props: tuple[list, dict]) -> Path:
    features = [
        {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": r}}
        for r, props in rings_props
    ]
    p = tmp / "zones.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return p


def inside_lonlat(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Even-odd ray casting on the ring as written, in the lon/lat plane: the RFC 7946 oracle."""
    out = np.zeros(len(x), dtype=bool)
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(invalid="ignore", divide="ignore"):
            xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        out ^= crosses & (x < xi)
    return out


@pytest.mark.parametrize(
    "ring",
    [
        [[-100, 10], [100, 10], [100, 20], [-100, 20], [-100, 10]],
        [[-120, -30], [120, -25], [130, 40], [-110, 35], [-120, -30]],  # long slanted edges
        [[-130, 60], [130, 61], [0, 80], [-130, 60]],
    ],
)
def test_long_edges_are_straight_in_lonlat(tmp_path: Path, ring: list) -> None:
    (v,) = read_geojson_zones(write(tmp_path, ([ring], {"name": "long"})))
    r = np.asarray(ring, dtype=float)
    rng = np.random.default_rng(7)
    # points close to every edge (within 0.01 deg either side), and anywhere
    k = rng.integers(0, len(r) - 1, 4000)
    f = rng.random(4000)
    x = r[k, 0] + f * (r[k + 1, 0] - r[k, 0])
    y = r[k, 1] + f * (r[k + 1, 1] - r[k, 1]) + rng.uniform(-0.01, 0.01, 4000)
    x = np.r_[x, rng.uniform(-180, 180, 4000)]
    y = np.r_[y, rng.uniform(-89, 89, 4000)]
    got = shapely.contains_xy(v.geometry, x, y)
    want = inside_lonlat(r, x, y)
    on_edge = shapely.distance(v.geometry.boundary, shapely.points(x, y)) < 1e-9
    assert (got == want)[~on_edge].all()
    assert want.sum() > 500
    # the edges are taken as written, and a long one is said to be
    assert any("straight in lon/lat" in w and "(long)" in w for w in v.warnings)
    # boundary segments are short, so projected searches stay on the boundary
    s = boundary_segments(v.geometry)
    assert np.hypot(s[:, 2] - s[:, 0], s[:, 3] - s[:, 1]).max() <= MAX_EDGE_DEG + 1e-9


def test_unsplit_antimeridian_ring_is_unwrapped_and_said(tmp_path: Path) -> None:
    ring = [[[179, -17], [-179, -17], [-179, -16], [179, -16], [179, -17]]]
    (v,) = read_geojson_zones(write(tmp_path, (ring, {"name": "AM"})))
    assert v.geometry.area == pytest.approx(2.0)
    assert v.geometry.contains(shapely.Point(-179.5, -16.5))
    assert any("across the antimeridian" in w for w in v.warnings)
    # an RFC 7946 polar cap (edges along -180/180) is read silently, as written
    cap = [[[-180, 80], [180, 80], [180, 90], [-180, 90], [-180, 80]]]
    (c,) = read_geojson_zones(write(tmp_path, (cap, {"name": "cap"})))
    assert c.geometry.area == pytest.approx(3600.0) and not c.warnings


SQ = [[10, 45], [11, 45], [11, 46], [10, 46], [10, 45]]


@pytest.mark.parametrize(
    ("rings", "props", "message"),
    [
        (
            [[[10, 45], [190, 45], [11, 46], [10, 45]]],
            {},
            r"position 1 \[190, 45\] is out of range",
        ),
        ([[[10, 45], [11, 95], [11, 46], [10, 45]]], {}, "out of range"),
        ([[[10, 45], [11, 45], [11, None], [10, 45]]], {}, "out of range"),
        ([SQ, [[20, 45], [20.5, 45], [20.5, 45.5], [20, 45]]], {}, "hole 1 is not inside"),
        ([SQ, [[10.5, 45.5], [12, 45.5], [12, 45.8], [10.5, 45.5]]], {}, "hole 1 is not inside"),
        ([SQ], {"floor": "FL100", "ceiling": "FL50"}, "not below ceiling"),
        ([SQ], {"floor": "3000 ft", "ceiling": "3000 ft"}, "not below ceiling"),
        ([SQ], {"floor": "UNL"}, "unlimited"),
    ],
)
def test_bad_geojson_volumes_name_the_feature(
    tmp_path: Path, rings: list, props: dict, message: str
) -> None:
    p = write(tmp_path, (SQ and [SQ], {"name": "ok"}), (rings, {"name": "BAD", **props}))
    with pytest.raises(ZoneError, match=rf"zones.geojson: feature 1 \(BAD\).*{message}"):
        read_geojson_zones(p)


def test_hole_inside_is_kept(tmp_path: Path) -> None:
    hole = [[10.2, 45.2], [10.4, 45.2], [10.4, 45.4], [10.2, 45.2]]
    (v,) = read_geojson_zones(write(tmp_path, ([SQ, hole], {"name": "H"})))
    assert not v.geometry.contains(shapely.Point(10.35, 45.25))
    assert v.geometry.contains(shapely.Point(10.7, 45.7))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("V X=45:00 N 010:00 E\nDA -5,0,90\n", "DA radius must be positive"),
        ("V X=45:00 N 010:00 E\nDC 5\nDP 45:00 N 010:00 E\nDP 45:10 N 010:00 E\n", "both a DC"),
        ("V X=45:00 N 010:00 E\nDC 5\nDC 6\n", "a second DC"),
        ("V X=45:00 N 010:00 E\nDC -5\n", "DC radius must be positive"),
        ("V W=-4\nDY 45:00 N 010:00 E\nDY 45:10 N 010:00 E\n", "width must be positive"),
    ],
)
def test_bad_openair_airspaces_name_the_line(body: str, message: str) -> None:
    text = "AC R\nAN OK\nAL SFC\nAH FL50\nV X=44:00 N 010:00 E\nDC 2\n"
    text += "AC R\nAN BAD\nAL SFC\nAH FL50\n" + body
    with pytest.raises(OpenAirError, match=message) as e:
        parse_openair(text, "bad.txt")
    assert str(e.value).startswith("bad.txt:")


def test_openair_floor_above_ceiling() -> None:
    text = "AC R\nAN UPSIDE\nAL FL100\nAH 2000ft AMSL\nV X=44:00 N 010:00 E\nDC 2\n"
    with pytest.raises(OpenAirError, match=r"bad.txt:1: .*not below ceiling"):
        parse_openair(text, "bad.txt")


def test_zone_specs_that_name_nothing(tmp_path: Path) -> None:
    for spec in ("sovereign:", "sovereign: , "):
        with pytest.raises(ZoneSpecError, match="no state code"):
            load_zones(spec)
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(ZoneSpecError, match=r"empty\.geojson: no airspace volume"):
        load_zones(str(empty))
    blank = tmp_path / "blank.txt"
    blank.write_text("* only a comment\n")
    with pytest.raises(ZoneSpecError, match=r"blank\.txt: no airspace volume"):
        load_zones(str(blank))
    with pytest.raises(KeyError, match="did you mean FRA"):
        load_zones("sovereign:FR")
    with pytest.raises(KeyError, match="TUR"):
        load_zones("sovereign:TR")


def _circle(lon: float, lat: float, radius_m: float) -> VolumeIndex:
    x, y = geodesic_circle(lon, lat, radius_m, n=360)
    geom, _ = clean(polygon_from_ring(x, y, "circle"), "circle")
    return VolumeIndex([Volume("circle", "restricted", geom)])


def _oracle(index: VolumeIndex, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Geodesic distance to the boundary sampled every ~100 m: the slow, exact twin."""
    s = boundary_segments(index.volumes[0].geometry)
    s = s[(s[:, 0] >= -180) & (s[:, 0] <= 180) & (s[:, 2] >= -180) & (s[:, 2] <= 180)]
    pts = []
    for x1, y1, x2, y2 in s:
        _, _, d = WGS84.inv(x1, y1, x2, y2)
        n = max(2, int(d // 100.0) + 2)
        f = np.linspace(0.0, 1.0, n)
        dx = (x2 - x1 + 180.0) % 360.0 - 180.0
        pts.append(np.column_stack([x1 + f * dx, y1 + f * (y2 - y1)]))
    b = np.concatenate(pts)
    out = []
    for x, y in zip(lon, lat, strict=True):
        _, _, d = WGS84.inv(np.full(len(b), x), np.full(len(b), y), b[:, 0], b[:, 1])
        out.append(np.min(d))
    return np.asarray(out)


@pytest.mark.parametrize(("lon", "lat"), [(0.0, 88.0), (10.0, 88.0), (179.5, -87.0), (-60, 75)])
def test_depth_about_a_pole_holds_against_geodesic_oracle(lon: float, lat: float) -> None:
    r = 300 * 1852.0
    idx = _circle(lon, lat, r)
    assert len(shapely.get_parts(idx.volumes[0].geometry)) <= 2  # the pole seam merged away
    d, _, _ = idx.boundary_distance(0, np.array([lon]), np.array([lat]))
    assert d[0] == pytest.approx(r, rel=1e-3)  # was 109 km at (0, 88N)
    # points between the centre, the pole and beyond
    rng = np.random.default_rng(3)
    az = rng.uniform(0, 360, 12)
    dist = rng.uniform(0, 0.95 * r, 12)
    x, y, _ = WGS84.fwd(np.full(12, lon), np.full(12, lat), az, dist)
    d, _, _ = idx.boundary_distance(0, np.asarray(x), np.asarray(y))
    want = _oracle(idx, np.asarray(x), np.asarray(y))
    assert np.allclose(d, want, rtol=2e-3, atol=100.0)
