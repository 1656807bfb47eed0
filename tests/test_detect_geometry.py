"""Hand-worked conflict geometry, the pitfalls of standards.md section 2.5, anywhere on Earth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from wellclear import detect_conflicts
from wellclear.geo import geod
from wellclear.units import FPM_MPS, FT_M, KT_MPS, NM_M

H = 5 * NM_M
V = 1000 * FT_M


def aircraft(
    ident: str,
    lat: float,
    lon: float,
    alt_ft: float,
    gs_kt: float,
    trk: float,
    vs_fpm: float = 0.0,
    party: str = "unknown",
) -> dict[str, object]:
    alt = alt_ft * FT_M
    return {
        "id": ident,
        "party": party,
        "callsign": ident.upper(),
        "t": 0.0,
        "lat": lat,
        "lon": lon,
        "alt_m": alt,
        "alt_baro_m": alt,
        "alt_geo_m": np.nan,
        "alt_src": "baro",
        "gs_mps": gs_kt * KT_MPS,
        "trk_deg": trk,
        "vs_mps": vs_fpm * FPM_MPS,
        "onground": False,
        "age_s": 0.0,
    }


def offset(lat: float, lon: float, az: float, dist_m: float) -> tuple[float, float]:
    lon2, lat2, _ = geod().fwd(lon, lat, az, dist_m)
    return lat2, lon2


def detect(*rows: dict[str, object], **kw: float) -> pd.DataFrame:
    return detect_conflicts(pd.DataFrame(list(rows)), **kw)


def head_on(lat: float, lon: float, az: float, gap_nm: float = 20.0) -> pd.DataFrame:
    lat2, lon2 = offset(lat, lon, az, gap_nm * NM_M)
    # the track of b at its own position, pointing back at a
    toward_a, _, _ = geod().inv(lon2, lat2, lon, lat)
    return detect(
        aircraft("a", lat, lon, 20000, 250, az),
        aircraft("b", lat2, lon2, 20000, 250, toward_a % 360.0),
    )


@pytest.mark.parametrize(
    ("lat", "lon", "az"),
    [
        (0.0, 10.0, 0.0),  # equator, north-south
        (0.0, 179.9, 90.0),  # across the antimeridian, eastbound
        (-17.8, -179.95, 270.0),  # Fiji, westbound across 180
        (52.0, 5.0, 45.0),
        (89.0, 0.0, 90.0),  # one degree from the pole
        (-88.9, 120.0, 0.0),  # over the south pole's neighbourhood
    ],
)
def test_head_on_anywhere(lat: float, lon: float, az: float) -> None:
    out = head_on(lat, lon, az)
    assert len(out) == 1
    row = out.iloc[0]
    closing = 500 * KT_MPS
    assert row.tcpa_s == pytest.approx(20 * NM_M / closing, rel=2e-3)
    assert row.t_in_s == pytest.approx(15 * NM_M / closing, rel=2e-3)
    assert row.t_out_s == pytest.approx(25 * NM_M / closing, rel=2e-3)
    assert row.dcpa_m < 0.002 * NM_M * 20
    assert row.distance_m == pytest.approx(20 * NM_M, rel=1e-6)
    assert not row.los


def test_crossing_at_right_angles() -> None:
    # a flies north from 10 NM south of the crossing point, b flies east from 10 NM west of it.
    lat_a, lon_a = offset(45.0, 7.0, 180.0, 10 * NM_M)
    lat_b, lon_b = offset(45.0, 7.0, 270.0, 10 * NM_M)
    trk_b, _, _ = geod().inv(lon_b, lat_b, 7.0, 45.0)
    out = detect(
        aircraft("a", lat_a, lon_a, 30000, 400, 0.0), aircraft("b", lat_b, lon_b, 30000, 400, trk_b)
    )
    row = out.iloc[0]
    speed = 400 * KT_MPS
    assert row.tcpa_s == pytest.approx(10 * NM_M / speed, rel=2e-3)
    assert row.dcpa_m < 50.0
    # relative speed sqrt(2) v along the relative track: inside 5 NM for 2*5NM/(sqrt2 v)
    assert row.t_out_s - row.t_in_s == pytest.approx(2 * H / (math.sqrt(2) * speed), rel=5e-3)


def test_overtaking_same_track() -> None:
    lat_b, lon_b = offset(40.0, -3.0, 90.0, 8 * NM_M)
    out = detect(
        aircraft("a", 40.0, -3.0, 35000, 480, 90.0),
        aircraft("b", lat_b, lon_b, 35000, 420, geod().fwd(-3.0, 40.0, 90.0, 8 * NM_M)[2] + 180.0),
    )
    row = out.iloc[0]
    assert row.t_in_s == pytest.approx(3 * NM_M / (60 * KT_MPS), rel=5e-3)
    assert row.tcpa_s == pytest.approx(8 * NM_M / (60 * KT_MPS), rel=5e-3)


def test_parallel_equal_speed_inside_forever() -> None:
    lat_b, lon_b = offset(10.0, 20.0, 90.0, 4 * NM_M)
    out = detect(
        aircraft("a", 10.0, 20.0, 10000, 300, 0.0), aircraft("b", lat_b, lon_b, 10000, 300, 0.0)
    )
    row = out.iloc[0]
    assert row.los and row.t_in_s == 0.0
    # meridians converge slightly: the pair is inside for far longer than the lookahead
    assert pd.isna(row.t_out_s) or row.t_out_s > 300
    assert row.tcpa_s >= 0.0


def test_parallel_equal_speed_outside_never() -> None:
    lat_b, lon_b = offset(10.0, 20.0, 90.0, 6 * NM_M)
    assert detect(
        aircraft("a", 10.0, 20.0, 10000, 300, 0.0), aircraft("b", lat_b, lon_b, 10000, 300, 0.0)
    ).empty


def test_identical_velocity_same_place_is_los_forever() -> None:
    out = detect(aircraft("a", 0.0, 0.0, 10000, 300, 0.0), aircraft("b", 0.0, 0.0, 10500, 300, 0.0))
    row = out.iloc[0]
    assert row.los and row.t_in_s == 0.0 and pd.isna(row.t_out_s)
    assert row.tcpa_s == 0.0 and row.dcpa_m == 0.0
    assert row.dalt_m == pytest.approx(500 * FT_M)


def test_exactly_at_horizontal_minimum_is_separated() -> None:
    lat_b, lon_b = offset(48.0, 2.0, 90.0, H)
    assert detect(
        aircraft("a", 48.0, 2.0, 10000, 0, 0.0), aircraft("b", lat_b, lon_b, 10000, 0, 0.0)
    ).empty
    lat_c, lon_c = offset(48.0, 2.0, 90.0, H - 0.5)
    assert (
        len(
            detect(
                aircraft("a", 48.0, 2.0, 10000, 0, 0.0), aircraft("c", lat_c, lon_c, 10000, 0, 0.0)
            )
        )
        == 1
    )


def test_exactly_at_vertical_minimum_is_separated() -> None:
    assert detect(
        aircraft("a", 0.0, 0.0, 10000, 250, 0.0), aircraft("b", 0.0, 0.0, 11000, 250, 180.0)
    ).empty
    out = detect(
        aircraft("a", 0.0, 0.0, 10000, 250, 0.0), aircraft("b", 0.0, 0.0, 10999, 250, 180.0)
    )
    assert len(out) == 1 and out.iloc[0].los


def test_climbing_through() -> None:
    # same position and velocity; b 3000 ft below climbing 2000 fpm: enters 1000 ft band at 60 s
    out = detect(
        aircraft("a", 30.0, 30.0, 20000, 300, 45.0),
        aircraft("b", 30.0, 30.0, 17000, 300, 45.0, vs_fpm=2000),
    )
    row = out.iloc[0]
    assert row.t_in_s == pytest.approx(60.0, abs=1e-6)
    assert row.t_out_s == pytest.approx(120.0, abs=1e-6)
    assert row.dalt_m == pytest.approx(-3000 * FT_M)
    assert not row.los


def test_diverging_is_not_a_conflict_and_tcpa_is_clamped() -> None:
    lat_b, lon_b = offset(0.0, 0.0, 0.0, 6 * NM_M)
    assert detect(
        aircraft("a", 0.0, 0.0, 10000, 300, 180.0), aircraft("b", lat_b, lon_b, 10000, 300, 0.0)
    ).empty
    # diverging but inside now: LoS, t_in 0, tcpa 0
    lat_c, lon_c = offset(0.0, 0.0, 0.0, 3 * NM_M)
    row = detect(
        aircraft("a", 0.0, 0.0, 10000, 300, 180.0), aircraft("c", lat_c, lon_c, 10000, 300, 0.0)
    ).iloc[0]
    assert row.los and row.t_in_s == 0.0 and row.tcpa_s == 0.0
    assert row.t_out_s == pytest.approx(2 * NM_M / (600 * KT_MPS), rel=2e-3)
    assert row.dcpa_m == pytest.approx(3 * NM_M, rel=1e-6)


def test_conflict_beyond_lookahead_is_not_reported() -> None:
    # head-on 100 NM apart at 500 kt closing: t_in = 95 NM / 500 kt = 684 s
    lat_b, lon_b = offset(0.0, 0.0, 0.0, 100 * NM_M)
    rows = (
        aircraft("a", 0.0, 0.0, 10000, 250, 0.0),
        aircraft("b", lat_b, lon_b, 10000, 250, 180.0),
    )
    assert detect(*rows).empty
    out = detect(*rows, lookahead_s=700.0)
    assert out.iloc[0].t_in_s == pytest.approx(95 * NM_M / (500 * KT_MPS), rel=2e-3)


def test_cancellation_small_miss_at_long_range() -> None:
    # 150 NM apart, closing at 1000 kt, missing by 4.9 NM laterally: dcpa must not cancel away
    lat_b, lon_b = offset(0.0, 0.0, 0.0, 150 * NM_M)
    lat_b, lon_b = offset(lat_b, lon_b, 90.0, 4.9 * NM_M)
    out = detect(
        aircraft("a", 0.0, 0.0, 10000, 500, 0.0),
        aircraft("b", lat_b, lon_b, 10000, 500, 180.0),
        lookahead_s=1200.0,
    )
    assert out.iloc[0].dcpa_m == pytest.approx(4.9 * NM_M, rel=1e-3)


def test_sign_rule_and_id_order() -> None:
    out = detect(
        aircraft("zz", 0.0, 0.0, 10500, 250, 0.0), aircraft("aa", 0.0, 0.0, 10000, 250, 0.0)
    )
    row = out.iloc[0]
    assert (row.id_1, row.id_2) == ("aa", "zz")
    assert row.dalt_m == pytest.approx(500 * FT_M)  # altitude of id_2 minus id_1


def test_between_parties_and_ownship() -> None:
    rows = [
        aircraft("a", 0.0, 0.0, 10000, 250, 0.0, party="red"),
        aircraft("b", 0.0, 0.01, 10000, 250, 0.0, party="red"),
        aircraft("c", 0.0, 0.02, 10000, 250, 0.0, party="blue"),
        aircraft("d", 0.0, 0.03, 10000, 250, 0.0),
        aircraft("e", 0.0, 0.04, 10000, 250, 0.0),
    ]
    frame = pd.DataFrame(rows)
    every = detect_conflicts(frame)
    assert len(every) == 10
    between = detect_conflicts(frame, between_parties=True)
    pairs = set(zip(between.id_1, between.id_2, strict=True))
    assert ("a", "b") not in pairs and ("d", "e") in pairs and ("a", "c") in pairs
    assert len(between) == 9
    own = detect_conflicts(frame, ownship=["c"])
    assert set(own.id_1) | set(own.id_2) >= {"c"} and len(own) == 4
    # ids are compared as written (only ICAO addresses ignore case): "C" is not "c"
    with pytest.raises(ValueError, match="ownship C not in the picture"):
        detect_conflicts(frame, ownship=["C"])


def test_icao_addresses_compare_in_any_case_and_minima_are_checked() -> None:
    frame = pd.DataFrame(
        [
            aircraft("4ca1b2", 0.0, 0.0, 10000, 250, 0.0),
            aircraft("4ca1b3", 0.0, 0.01, 10000, 250, 0.0),
        ]
    )
    assert len(detect_conflicts(frame, ownship=["4CA1B2"])) == 1
    for bad in (
        {"horizontal_m": -1.0},
        {"vertical_m": float("nan")},
        {"lookahead_s": 0.0},
        {"lookahead_s": 1e9},
        {"horizontal_m": 1e9},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            detect_conflicts(frame, **bad)


def test_no_common_altitude_reference_is_not_compared() -> None:
    a = aircraft("a", 0.0, 0.0, 10000, 250, 0.0)
    b = aircraft("b", 0.0, 0.0, 10000, 250, 0.0)
    b["alt_geo_m"], b["alt_baro_m"], b["alt_src"] = b["alt_baro_m"], np.nan, "geo"
    assert detect(a, b).empty
    a["alt_geo_m"] = 10000 * FT_M + 100.0
    out = detect(a, b)
    assert out.iloc[0].alt_src == "geo"
    assert out.iloc[0].dalt_m == pytest.approx(-100.0)


def test_states_of_different_ages_are_brought_to_a_common_time() -> None:
    # b reported 10 s before a: 10 s later it is 10 s x 250 kt further along its track
    lat_b, lon_b = offset(0.0, 0.0, 90.0, 20 * NM_M)
    a = aircraft("a", 0.0, 0.0, 20000, 250, 90.0)
    a["t"] = 10.0
    b = aircraft("b", lat_b, lon_b, 20000, 250, 270.0)
    row = detect(a, b).iloc[0]
    closing = 500 * KT_MPS
    gap = 20 * NM_M - 10.0 * 250 * KT_MPS
    assert row.tcpa_s == pytest.approx(gap / closing, rel=2e-3)
    assert row.age_1_s == 0.0 and row.age_2_s == pytest.approx(10.0)
    assert row.distance_m == pytest.approx(gap, rel=1e-6)
