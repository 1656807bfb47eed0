"""The report's maps across the antimeridian, near the poles and at the equator: centred on what
they show, every coordinate finite and inside the view, the scale bar true to its label."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod

from wellclear.report.maps import Layer, centre, map_svg, view_of
from wellclear.units import NM_M

CASES = {
    "antimeridian (Fiji)": ([-17.0, -16.6, -16.2], [179.6, 179.95, -179.7]),
    "north pole": ([89.6, 89.95, 89.7], [10.0, 100.0, -170.0]),
    "south pole": ([-89.9, -89.5], [0.0, 180.0]),
    "equator (Ecuador)": ([-0.2, 0.0, 0.3], [-78.6, -78.45, -78.3]),
    "syria": ([35.84, 35.87], [36.10, 36.02]),
}


def _numbers(svg: str) -> np.ndarray:
    coords = re.findall(r"class='(?:land|track1)' (?:points|d)='([^']*)'", svg)
    text = " ".join(coords).replace("M", " ").replace("Z", " ").replace(",", " ")
    return np.array([float(v) for v in text.split()])


@pytest.mark.parametrize("case", CASES)
def test_a_view_holds_its_points(case: str) -> None:
    lat, lon = (np.array(v, np.float64) for v in CASES[case])
    view = view_of(lat, lon)
    geod = Geod(ellps="WGS84")
    # the centre is among the points, not on the other side of the Earth
    far = max(geod.inv(view.lon0, view.lat0, o, a)[2] for a, o in zip(lat, lon, strict=True))
    span = max(geod.inv(lon[0], lat[0], o, a)[2] for a, o in zip(lat, lon, strict=True))
    assert far <= span + 1.0
    assert view.half_w_m < 200_000  # a few tens of km, not half the world
    x, y = view.xy(lat, lon)
    assert np.all(np.abs(x) <= view.half_w_m) and np.all(np.abs(y) <= view.half_h_m)
    svg = map_svg([Layer("track1", "track", lines=[(lat, lon)])], view, title=case)
    values = _numbers(svg)
    assert values.size and np.isfinite(values).all()
    width = 460
    height = float(re.search(r"height='(\d+)'", svg).group(1))  # type: ignore[union-attr]
    line = re.search(r"class='track1' points='([^']*)'", svg).group(1)  # type: ignore[union-attr]
    xs = np.array([[float(v) for v in p.split(",")] for p in line.split()])
    assert (xs[:, 0] >= 0).all() and (xs[:, 0] <= width).all()
    assert (xs[:, 1] >= 0).all() and (xs[:, 1] <= height).all()


def test_centre_across_the_antimeridian_and_at_a_pole() -> None:
    lat, lon = centre(np.array([10.0, 10.0]), np.array([179.0, -179.0]))
    assert lat == pytest.approx(10.0, abs=0.01) and abs(lon) == pytest.approx(180.0, abs=1e-6)
    lat, _ = centre(np.array([89.0, 89.0]), np.array([0.0, 180.0]))
    assert lat == pytest.approx(90.0, abs=1e-6)


def test_land_is_drawn_where_there_is_land() -> None:
    """Viti Levu (Fiji) lies on both sides of nothing, Taveuni across the antimeridian: land
    on the map; the open Pacific: none."""
    view = view_of(np.array([-16.9, -16.7]), np.array([179.8, -179.9]))
    svg = map_svg([], view)
    land = re.search(r"class='land' d='([^']*)'", svg).group(1)  # type: ignore[union-attr]
    assert land.count("M") >= 1
    sea = map_svg([], view_of(np.array([-30.0, -30.1]), np.array([-140.0, -140.1])))
    assert re.search(r"class='land' d=''", sea)


@pytest.mark.parametrize("case", CASES)
def test_scale_bar_is_true(case: str) -> None:
    lat, lon = (np.array(v, np.float64) for v in CASES[case])
    view = view_of(lat, lon)
    svg = map_svg([], view)
    bar = re.search(r"<g class='scale'><rect x='[\d.]+' y='[\d.-]+' width='([\d.]+)'", svg)
    label = re.search(r"<text [^>]*>([\d.]+) NM \(([\d.]+) km\)</text></g>", svg)
    assert bar and label
    px = view.half_w_m * 2 / 460  # metres a pixel
    assert float(bar.group(1)) * px == pytest.approx(float(label.group(1)) * NM_M, rel=1e-3)
    assert float(label.group(2)) == pytest.approx(float(label.group(1)) * NM_M / 1000, rel=1e-2)
    # the projection is equidistant from the centre: a bar's length on the ground is its label
    e, n = view.xy(np.array([view.lat0]), np.array([view.lon0]))
    assert (abs(e[0]) < 1e-6 and abs(n[0]) < 1e-6) or abs(view.lat0) > 89.9


def test_zone_areas_from_the_package_and_the_scans_zone_files(tmp_path: Path) -> None:
    from wellclear.airspace.load import load_zones
    from wellclear.report.findings import zone_areas

    geojson = str(Path(__file__).parent / "data" / "levant_borders.geojson")
    name = load_zones(geojson)[0].name
    gone = str(tmp_path / "gone.geojson")
    found = zone_areas([gone, geojson], ["sovereign:TUR", name, "nowhere"])
    assert set(found) == {"sovereign:TUR", name}  # a zone not found is left out, not guessed
    assert found["sovereign:TUR"].contains(shapely.Point(32.85, 39.93))  # Ankara
