"""Volume model, GeoJSON zones, geometry repair and the antimeridian, sovereign data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapely

from wellclear.airspace.geojson import ZoneError, read_geojson_zones
from wellclear.airspace.geometry import boundary_segments, ring_to_lonlat, unwrap_lon
from wellclear.airspace.load import load_zones
from wellclear.airspace.sovereign import sovereign_codes, sovereign_volume
from wellclear.airspace.vertical import vertical_inside
from wellclear.airspace.volume import (
    LimitError,
    Volume,
    parse_limit,
    parse_party_state,
    parse_window,
)
from wellclear.units import FT_M

BOX = shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])


@pytest.mark.parametrize(
    ("text", "ref", "metres"),
    [
        ("SFC", "SFC", 0.0),
        ("GND", "SFC", 0.0),
        ("UNL", "UNL", math.inf),
        ("FL95", "FL", 9500 * FT_M),
        ("FL 195", "FL", 19500 * FT_M),
        ("1500ft AMSL", "AMSL", 1500 * FT_M),
        ("1500 ft MSL", "AMSL", 1500 * FT_M),
        ("2000 m", "AMSL", 2000.0),
        ("500FT AGL", "AGL", 500 * FT_M),
        ("300m SFC", "AGL", 300.0),
    ],
)
def test_parse_limit(text: str, ref: str, metres: float) -> None:
    lim = parse_limit(text)
    assert (lim.ref, lim.value_m) == (ref, pytest.approx(metres))


@pytest.mark.parametrize("bad", ["1500", "1500 parsecs", "FLX", 1500])
def test_parse_limit_rejects(bad: str | int) -> None:
    with pytest.raises(LimitError):
        parse_limit(bad)


def test_windows_and_party_state() -> None:
    a, b = parse_window("2015-11-24T07:00:00Z/2015-11-24T08:30:00Z")
    assert b - a == 5400.0
    a, b = parse_window("2015-11-24T07:00:00Z/P1DT2H")
    assert b - a == 26 * 3600.0
    with pytest.raises(ValueError, match="ends before"):
        parse_window("2015-11-24T08:00:00Z/2015-11-24T07:00:00Z")
    with pytest.raises(ValueError, match="time zone"):
        parse_window("2015-11-24T08:00:00/PT1H")
    assert parse_party_state("russia=rus, Turkey=TUR") == {"russia": "RUS", "turkey": "TUR"}
    with pytest.raises(ValueError):
        parse_party_state("russia")


def test_binding_rules() -> None:
    m = {"russia": "RUS", "turkey": "TUR"}
    everyone = Volume("R", "restricted", BOX)
    assert everyone.binds_party("unknown", m) and everyone.binds_party("turkey", m)
    listed = Volume("A", "agreed", BOX, binds=frozenset({"russia"}))
    assert listed.binds_party("Russia", m) and not listed.binds_party("turkey", m)
    exempt = Volume("R", "restricted", BOX, exempt=frozenset({"nato"}))
    assert not exempt.binds_party("nato", m) and exempt.binds_party("russia", m)
    sov = Volume("sovereign:TUR", "sovereign", BOX, owner="TUR")
    assert sov.binds_party("russia", m)
    assert not sov.binds_party("turkey", m)
    assert not sov.binds_party("TUR", {})
    assert not sov.binds_party("unknown", m)


def test_vertical_references() -> None:
    vol = Volume("R", "restricted", BOX, floor=parse_limit("1000 m"), ceiling=parse_limit("FL100"))
    baro = np.array([1500.0, 1500.0, np.nan, 3100.0, 900.0])
    geo = np.array([np.nan, 950.0, 1500.0, 3000.0, np.nan])
    inside, no_qnh = vertical_inside(vol, baro, geo)
    # AMSL floor: geometric when known (950 m is below), else barometric without QNH
    assert inside.tolist() == [True, False, True, False, False]
    assert no_qnh.tolist() == [True, False, False, False, True]


def write(tmp: Path, features: list[dict]) -> Path:
    p = tmp / "zones.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return p


def feature(coords: list, **props: object) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Polygon", "coordinates": coords},
    }


def test_geojson_properties_and_defaults(tmp_path: Path) -> None:
    sq = [[[10, 45], [11, 45], [11, 46], [10, 46], [10, 45]]]
    p = write(
        tmp_path,
        [
            feature(sq),
            feature(
                sq,
                name="D-1",
                kind="danger",
                floor="FL50",
                ceiling="FL150",
                windows=["2015-11-24T07:00:00Z/PT1H"],
                binds="russia, syria",
                margin="5 NM",
            ),
        ],
    )
    a, b = read_geojson_zones(p)
    assert (a.name, a.kind, a.floor.ref, a.ceiling.ref, a.binds) == (
        "feature 0",
        "restricted",
        "SFC",
        "UNL",
        None,
    )
    assert (b.name, b.kind, b.floor.text, b.ceiling.text) == ("D-1", "danger", "FL50", "FL150")
    assert b.binds == frozenset({"russia", "syria"})
    assert b.margin_m == pytest.approx(5 * 1852.0)
    assert b.windows is not None and b.windows[0][1] - b.windows[0][0] == 3600.0


def test_geojson_errors_name_the_feature(tmp_path: Path) -> None:
    sq = [[[10, 45], [11, 45], [11, 46], [10, 46], [10, 45]]]
    p = write(tmp_path, [feature(sq, name="X1", floor="1500 parsecs")])
    with pytest.raises(ZoneError, match=r"feature 0 \(X1\): floor"):
        read_geojson_zones(p)
    p = write(tmp_path, [feature(sq, name="X2", kind="tfr")])
    with pytest.raises(ZoneError, match=r"X2.*unknown kind"):
        read_geojson_zones(p)
    p = write(tmp_path, [feature([[[10, 45], [11, 45]]], name="X3")])
    with pytest.raises(ZoneError, match="X3"):
        read_geojson_zones(p)


def test_geojson_repairs_and_winding(tmp_path: Path) -> None:
    bowtie = [[[10, 45], [11, 46], [11, 45], [10, 46], [10, 45]]]
    unclosed = [[[12, 45], [13, 45], [13, 46], [12, 46]]]
    clockwise = [[[14, 45], [14, 46], [15, 46], [15, 45], [14, 45]]]
    p = write(
        tmp_path,
        [feature(bowtie, name="B"), feature(unclosed, name="U"), feature(clockwise, name="C")],
    )
    b, u, c = read_geojson_zones(p)
    assert any("repaired" in w and "(B)" in w for w in b.warnings)
    assert any("unclosed" in w and "(U)" in w for w in u.warnings)
    assert not c.warnings
    ring = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(c.geometry)[0]))
    assert shapely.LinearRing(ring).is_ccw  # normalised winding, silently


def test_antimeridian_ring_is_split(tmp_path: Path) -> None:
    ring = [[[179, -17], [-179, -17], [-179, -16], [179, -16], [179, -17]]]
    (v,) = read_geojson_zones(write(tmp_path, [feature(ring, name="AM")]))
    parts = shapely.get_parts(v.geometry)
    assert len(parts) == 2
    assert v.geometry.area == pytest.approx(2.0)
    assert v.geometry.contains(shapely.Point(179.5, -16.5))
    assert v.geometry.contains(shapely.Point(-179.5, -16.5))
    assert not v.geometry.contains(shapely.Point(0.0, -16.5))
    segs = boundary_segments(v.geometry)
    # the cut along 180 is not a boundary
    assert not ((np.abs(segs[:, 0]) == 180) & (segs[:, 0] == segs[:, 2])).any()


def test_unwrap_and_pole() -> None:
    assert unwrap_lon(np.array([170.0, -170.0, -160.0])).tolist() == [170.0, 190.0, 200.0]
    lon = np.linspace(-180, 180, 37)
    _, y = ring_to_lonlat(lon, np.full(37, 80.0))
    assert y.max() == 90.0


def test_sovereign_data() -> None:
    codes = sovereign_codes()
    assert len(codes) == 250 and "TUR" in codes and "FJI" in codes
    tur = sovereign_volume("TUR")
    assert tur.geometry.is_valid and tur.owner == "TUR"
    # Antakya (land), 8 NM off Samandag (sea), Golan Heights (no polygon in this edition)
    assert tur.geometry.contains(shapely.Point(36.16, 36.2))
    assert tur.geometry.contains(shapely.Point(35.80, 36.08))
    assert not any(
        sovereign_volume(c).geometry.contains(shapely.Point(35.75, 33.0))
        for c in ("ISR", "SYR", "LBN", "JOR")
    )
    # the Aegean is 6 NM: west of Karaburun, 3.7 NM off is Turkish, 8.6 NM off is not
    assert tur.geometry.contains(shapely.Point(26.275, 38.6))
    assert not tur.geometry.contains(shapely.Point(26.169, 38.6))
    # the Mediterranean is 12 NM: 9 NM south of Antalya is Turkish
    assert tur.geometry.contains(shapely.Point(30.7, 36.74))
    with pytest.raises(KeyError):
        sovereign_volume("XYZ")
    assert load_zones("sovereign:tur,syr")[1].name == "sovereign:SYR"


def test_geojson_eurocontrol_fir_properties(tmp_path: Path) -> None:
    sq = [[[34, 30], [35.6, 30], [35.6, 33.2], [34, 33.2], [34, 30]]]
    props = {
        "IDENT": "LLLL",
        "NAME": "TEL AVIV FIR",
        "TYPE": "FIR",
        "UPPERLIMIT": "999",
        "UPPERUNIT": "FL",
        "LOWERLIMIT": "0",
        "LOWERUNIT": "FT",
    }
    (v,) = read_geojson_zones(write(tmp_path, [feature(sq, **props)]))
    assert (v.name, v.kind, v.event) == ("TEL AVIV FIR", "fir", "crossing")
    assert (v.floor.ref, v.floor.value_m) == ("SFC", 0.0)
    assert (v.ceiling.ref, v.ceiling.value_m) == ("FL", pytest.approx(99_900 * FT_M))


def test_sovereign_land_borders_are_exact_and_file_is_small() -> None:
    from wellclear.airspace.sovereign import DATA_FILE

    assert DATA_FILE.stat().st_size < 3_000_000
    assert all(sovereign_volume(c).geometry.is_valid for c in sovereign_codes())
    data = json.loads((Path(__file__).parent / "data" / "levant_borders.geojson").read_text())
    land = {
        f["properties"]["adm0_a3"]: shapely.geometry.shape(f["geometry"]) for f in data["features"]
    }
    border = shapely.intersection(land["TUR"].boundary, shapely.buffer(land["SYR"], 1e-6))
    pts = shapely.points(shapely.get_coordinates(shapely.segmentize(border, 0.005)))
    assert len(pts) > 1000
    for code in ("TUR", "SYR"):
        gap = shapely.distance(pts, sovereign_volume(code).geometry.boundary)
        assert gap.max() < 1e-5  # degrees: about a metre, the storage precision
