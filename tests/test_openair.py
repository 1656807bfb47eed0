"""OpenAir reader: records, arcs and circles built geodesically, errors with file and line."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from wellclear.airspace.geometry import GEOD
from wellclear.airspace.openair import OpenAirError, parse_openair, parse_point
from wellclear.units import FT_M, NM_M

SAMPLE = """\
* a comment line
AC R
AN R-TEST ARC
AL SFC
AH FL95
AY restricted
AF 123.450
SP 0,1,0,0,255
V X=45:00:00 N 010:00:00 E
DP 45:00:00 N 010:00:00 E
DA 10,0,90
DP 45:00:00 N 010:00:00 E
AC Q
AN DANGER CIRCLE
AL 1500ft AMSL
AH 3000 m
V X=46:30.0 N 011:30.0 E
DC 5
AC P
AN PROHIBITED DB
AL 500FT AGL
AH UNL
V D=-
V X=44.0 N 9.0 E
DB 44:05:00 N 009:00:00 E, 44:00:00 N 009:06:57 E
DP 44:00:00 N 009:00:00 E
AC C
AN TMA
AL FL65
AH FL195
DP 47:00:00 N 008:00:00 E
DP 47:00:00 N 009:00:00 E
DP 48:00:00 N 009:00:00 E
"""


def test_records_limits_and_kinds() -> None:
    vols = parse_openair(SAMPLE, "sample.txt")
    assert [v.name for v in vols] == ["R-TEST ARC", "DANGER CIRCLE", "PROHIBITED DB", "TMA"]
    assert [v.kind for v in vols] == ["restricted", "danger", "prohibited", "controlled"]
    assert (vols[0].floor.ref, vols[0].ceiling.ref) == ("SFC", "FL")
    assert vols[0].ceiling.value_m == pytest.approx(9500 * FT_M)
    assert (vols[1].floor.ref, vols[1].floor.value_m) == ("AMSL", pytest.approx(1500 * FT_M))
    assert vols[1].ceiling.value_m == pytest.approx(3000.0)
    assert vols[2].floor.ref == "AGL" and any("above ground" in w for w in vols[2].warnings)
    assert vols[2].ceiling.ref == "UNL"
    assert "AY restricted" in vols[0].source and "AF 123.450" in vols[0].source
    assert vols[3].event == "crossing"


def _radial_inside(geom: shapely.Geometry, lon: float, lat: float, r: float, az: float) -> tuple:
    x_in, y_in, _ = GEOD.fwd(lon, lat, az, r - 100.0)
    x_out, y_out, _ = GEOD.fwd(lon, lat, az, r + 100.0)
    return geom.contains(shapely.Point(x_in, y_in)), geom.contains(shapely.Point(x_out, y_out))


def test_circle_and_arc_are_geodesic() -> None:
    vols = parse_openair(SAMPLE)
    circle = vols[1].geometry
    for az in range(0, 360, 15):
        assert _radial_inside(circle, 11.5, 46.5, 5 * NM_M, az) == (True, False)
    sector = vols[0].geometry  # a quarter disc, north to east, radius 10 NM
    for az in (5.0, 45.0, 85.0):
        assert _radial_inside(sector, 10.0, 45.0, 10 * NM_M, az) == (True, False)
    x, y, _ = GEOD.fwd(10.0, 45.0, 180.0, 5 * NM_M)
    assert not sector.contains(shapely.Point(x, y))
    # DB counter-clockwise from north to east of the centre: the 270-degree sector
    db = vols[2].geometry
    x, y, _ = GEOD.fwd(9.0, 44.0, 200.0, 5_000.0)
    assert db.contains(shapely.Point(x, y))
    x, y, _ = GEOD.fwd(9.0, 44.0, 45.0, 5_000.0)
    assert not db.contains(shapely.Point(x, y))


def test_dp_edges_are_great_circles() -> None:
    text = (
        "AC R\nAN LONG\nAL SFC\nAH UNL\n"
        "DP 40:00 N 000:00 E\nDP 40:00 N 006:00 E\nDP 39:00 N 003:00 E\n"
    )
    (vol,) = parse_openair(text)
    # the great circle from 0E to 6E at 40N bulges north of the parallel by ~3.5 km at 3E
    mids = GEOD.npts(0.0, 40.0, 6.0, 40.0, 1)
    x, y = mids[0]
    assert y > 40.02
    assert vol.geometry.contains(shapely.Point(x, y - 0.005))
    assert not vol.geometry.contains(shapely.Point(x, y + 0.005))


def test_circle_round_the_pole_and_across_the_antimeridian() -> None:
    text = "AC R\nAN POLE\nAL SFC\nAH UNL\nV X=89:30 N 000:00 E\nDC 60\n"
    (vol,) = parse_openair(text)
    assert vol.geometry.contains(shapely.Point(123.0, 89.95))
    assert vol.geometry.contains(shapely.Point(-170.0, 89.9))
    text = "AC R\nAN AM\nAL SFC\nAH UNL\nV X=16:30 S 180:00 E\nDC 20\n"
    (vol,) = parse_openair(text)
    parts = shapely.get_parts(vol.geometry)
    assert len(parts) == 2
    x0, _, x1, _ = vol.geometry.bounds
    assert (x0, x1) == (-180.0, 180.0)
    assert vol.geometry.area == pytest.approx(
        np.pi * (20 * NM_M / 111_320) ** 2 / np.cos(np.radians(16.5)), rel=0.02
    )


def test_points() -> None:
    assert parse_point("39:29.9 N 119:46.1 W") == pytest.approx((-119.768333, 39.498333), abs=1e-6)
    assert parse_point("39:29:54 S 119:46:06 E") == pytest.approx(
        (119.768333, -39.498333), abs=1e-6
    )
    assert parse_point("39.5N 119.5W") == pytest.approx((-119.5, 39.5))


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("AC R\nAN X\nAL SFC\nAH UNL\nDP 91:00 N 000:00 E\n", 5, "out of range"),
        ("AC R\nAN X\nAL 1500 parsecs\nAH UNL\nDP 1:00 N 000:00 E\n", 1, "altitude limit"),
        ("AC R\nAN X\nAL SFC\nAH UNL\nDA 10,0,90\n", 5, "without a centre"),
        ("AC R\nAN X\nAL SFC\nAH UNL\nXX whatever\n", 5, "unknown record"),
        ("AN X\n", 1, "before the first AC"),
        ("AC R\nAN X\nAL SFC\nAH UNL\nV D=*\n", 5, "V D="),
        ("AC R\nAN X\nAL SFC\nAH UNL\n", 1, "no DP"),
    ],
)
def test_errors_name_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(OpenAirError) as err:
        parse_openair(text, "bad.txt")
    assert err.value.line == line
    assert str(err.value).startswith(f"bad.txt:{line}:")
    assert words in str(err.value)


def test_self_intersecting_polygon_is_repaired_with_a_warning() -> None:
    text = (
        "AC R\nAN BOWTIE\nAL SFC\nAH UNL\n"
        "DP 45:00 N 010:00 E\nDP 45:10 N 010:10 E\nDP 45:00 N 010:10 E\nDP 45:10 N 010:00 E\n"
    )
    (vol,) = parse_openair(text)
    assert any("repaired" in w and "BOWTIE" in w for w in vol.warnings)
    assert vol.geometry.is_valid and len(shapely.get_parts(vol.geometry)) == 2


def test_airway_dy_with_width() -> None:
    text = "AC R\nAN AWY\nAL FL100\nAH FL200\nV W=10\nDY 45:00 N 010:00 E\nDY 45:00 N 011:00 E\n"
    (vol,) = parse_openair(text)
    # 10 NM wide: 4 NM either side of the centre line is inside, 6 NM is not
    for nm, inside in ((4.0, True), (6.0, False)):
        x, y, _ = GEOD.fwd(10.5, 45.0, 0.0, nm * NM_M)
        assert vol.geometry.contains(shapely.Point(x, y)) is inside
    with pytest.raises(OpenAirError, match="width"):
        parse_openair("AC R\nAN AWY\nAL SFC\nAH UNL\nDY 45:00 N 010:00 E\nDY 45:00 N 011:00 E\n")
