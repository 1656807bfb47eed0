"""Minima of generated encounters against the dense truth (issue 5 acceptance).

Straight and turning tracks, irregular sampling every 1-15 s with reported velocities: the
minimum horizontal distance within max(1 %, 20 m), its time within 1 s; anywhere on Earth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wellclear import poly
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.scan import ENCOUNTER_COLUMNS, scan
from wellclear.geo import extrapolate
from wellclear.simulate.flights import Leg, Plan, fly, sample, truth_minimum

T0 = 1_444_000_000.0


def backtrack(
    ident: str,
    party: str,
    lat: float,
    lon: float,
    trk: float,
    gs: float,
    alt: float,
    legs: tuple[Leg, ...],
    t_meet: float,
) -> Plan:
    """The plan that passes (lat, lon) on track ``trk`` at ``T0 + t_meet``, flying ``legs``."""
    done = 0.0
    before: list[Leg] = []
    for leg in legs:
        take = min(leg.duration_s, t_meet - done)
        if take > 0:
            before.append(Leg(take, turn_dps=-leg.turn_dps))
        done += leg.duration_s
    back = tuple(reversed(before))
    rev = Plan("r", party, T0, lat, lon, alt, gs, (trk + 180.0) % 360.0, back)
    last = fly([rev], dt=0.25).frame.iloc[-1]
    # the legs before the meeting are flown backwards above; start where that flight ended
    return Plan(
        ident,
        party,
        T0,
        float(last["lat"]),
        float(last["lon"]),
        alt,
        gs,
        (float(last["trk_deg"]) + 180.0) % 360.0,
        legs,
    )


def crossing(
    lat: float, lon: float, miss_m: float, angle: float, turn_dps: float, gs: float = 200.0
) -> list[Plan]:
    """Two aircraft meeting near (lat, lon) at T0 + 300 s, the second offset by ``miss_m``."""
    a = backtrack("a", "red", lat, lon, 0.0, gs, 3000.0, (Leg(600.0),), 300.0)
    m_lat, m_lon, _ = extrapolate(
        np.array([lat]), np.array([lon]), np.array([90.0]), np.array([miss_m])
    )
    legs: tuple[Leg, ...] = (Leg(600.0),)
    if turn_dps:
        legs = (Leg(240.0), Leg(120.0, turn_dps=turn_dps), Leg(240.0))
    # with a turn from 240 s to 360 s the track at the meeting time is turned by 60 s worth
    trk_meet = (angle + turn_dps * 60.0) % 360.0
    b = backtrack(
        "b", "blue", float(m_lat[0]), float(m_lon[0]), trk_meet, 0.8 * gs, 3100.0, legs, 300.0
    )
    return [a, b]


CASES = [
    ("straight", 36.0, 36.0, 1500.0, 90.0, 0.0),
    ("head-on", 36.0, 36.0, 150.0, 180.0, 0.0),
    ("turning", 36.0, 36.0, 1200.0, 60.0, 3.0),
    ("turning-left", 10.0, -60.0, 800.0, 300.0, -2.5),
    ("antimeridian", 0.5, 179.99, 1000.0, 80.0, 1.5),
    ("near-pole", 89.6, 20.0, 1000.0, 120.0, 2.0),
]


@pytest.mark.parametrize(("name", "lat", "lon", "miss", "angle", "turn"), CASES)
@pytest.mark.parametrize("seed", [1, 2])
def test_minimum_against_truth(
    name: str, lat: float, lon: float, miss: float, angle: float, turn: float, seed: int
) -> None:
    dense = fly(crossing(lat, lon, miss, angle, turn), dt=0.25)
    t_true, h_true, _ = truth_minimum(dense, "a", "b")
    states = sample(dense, seed=seed)
    enc = scan(states, ScanConfig()).encounters
    assert len(enc) == 1, name
    row = enc.iloc[0]
    assert abs(row["h_min_m"] - h_true) <= max(0.01 * h_true, 20.0), (name, row["h_min_m"], h_true)
    t_min = row["t_min"].timestamp()
    assert abs(t_min - t_true) <= 1.0, (name, t_min, t_true)


def test_poly_minimum_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    coef = rng.normal(size=(200, 7))
    s = np.zeros((200, 1))
    e = np.ones((200, 1))
    val, tau = poly.minimum_on(coef, s, e)
    grid = np.linspace(0, 1, 20001)
    brute = np.polynomial.polynomial.polyval(grid, coef.T).min(axis=1)
    assert np.allclose(val, brute, atol=1e-6)
    assert np.all((tau >= 0) & (tau <= 1))


def test_inside_intervals_against_sampling() -> None:
    rng = np.random.default_rng(3)
    coef = rng.normal(size=(300, 7))
    s, e = poly.inside_intervals([(coef, -np.inf, 0.0)])
    grid = np.linspace(0, 1, 4001)
    vals = np.polynomial.polynomial.polyval(grid, coef.T) < 0
    inside = np.zeros_like(vals)
    for m in range(s.shape[1]):
        inside |= (grid >= np.nan_to_num(s[:, m : m + 1], nan=2)) & (
            grid <= np.nan_to_num(e[:, m : m + 1], nan=-1)
        )
    assert (vals != inside).mean() < 1e-3


def test_degenerate_pairs() -> None:
    """Parallel at equal speed and co-located level flight: finite, no crash."""
    plans = [
        Plan("a", "x", T0, 36.0, 36.0, 3000.0, 150.0, 45.0, (Leg(300.0),)),
        Plan("b", "y", T0, 36.0, 36.01, 3000.0, 150.0, 45.0, (Leg(300.0),)),
    ]
    states = sample(fly(plans), seed=4)
    enc = scan(states).encounters
    assert len(enc) == 1
    assert np.isfinite(enc[["h_min_m", "slant_min_m"]].to_numpy(float)).all()
    assert enc["t_min"].notna().all()
    assert abs(enc.iloc[0]["h_min_m"] - 0.01 * 111_000 * np.cos(np.radians(36))) < 100


def test_empty_and_single_aircraft() -> None:
    plans = [Plan("a", "x", T0, 36.0, 36.0, 3000.0, 150.0, 45.0, (Leg(100.0),))]
    enc = scan(sample(fly(plans))).encounters
    assert enc.empty
    assert list(enc.columns) == list(ENCOUNTER_COLUMNS)


def test_in_out_in_within_one_interval_is_one_group() -> None:
    """Two aircraft 2 km apart sampled at the same times 50 s apart, j 590 m above i at its
    two samples, climbing then descending at 15 m/s: between the samples its Hermite path
    bulges 190 m up, so the pair leaves the proximity range (2000 ft) after 1.4 s and comes back
    1.4 s before the end, within one interval, and j has no later sample. The sub-intervals of
    one interval between samples make one encounter (the time outside them is in it), not a
    second encounter without a minimum."""
    base = {
        "party": "x",
        "callsign": "",
        "alt_geo_m": np.nan,
        "alt_src": "baro",
        "gs_mps": 0.0,
        "trk_deg": 0.0,
        "onground": False,
    }
    rows = [
        {**base, "id": "i", "t": T0 + s, "lat": 36.0, "lon": 36.0, "alt_m": 3000.0, "vs_mps": 0.0}
        for s in (0, 50, 100)
    ]
    for s, vs in ((0.0, 15.0), (50.0, -15.0)):
        rows.append(
            {**base, "id": "j", "t": T0 + s, "lat": 36.018, "lon": 36.0, "alt_m": 3590.0}
            | {"vs_mps": vs}
        )
    states = pd.DataFrame(rows)
    states["alt_baro_m"] = states["alt_m"]
    enc = scan(states).encounters
    assert len(enc) == 1
    e = enc.iloc[0]
    assert e["t_unix"] == pytest.approx(T0)  # the start
    assert e["end"].timestamp() == pytest.approx(T0 + 50.0)
    assert e["primary"] == "close_approach"
    assert e["h_min_m"] == pytest.approx(2000.0, rel=0.01)


@pytest.mark.parametrize(
    ("lat", "lon"), [(0.0, 10.0), (48.8, 2.3), (-33.9, 179.99), (71.0, -179.995), (89.9, 45.0)]
)
def test_bearing_of_the_other_aircraft_is_the_geodesic_azimuth(lat: float, lon: float) -> None:
    """Each piece's ``bearing_a_deg`` (the direction of j from i at the piece's start, used by
    the intercept rules) is the azimuth of the geodesic from i to j, at the equator, at
    mid-latitudes, across the antimeridian and near the pole, in every direction. Pair k
    flies at its own altitude (1000 m apart), so only i_k and j_k are near each other."""
    from pyproj import Geod

    from wellclear.encounters.pieces import scan_pieces
    from wellclear.encounters.tracks import build_tracks

    geod = Geod(ellps="WGS84")
    base = {"party": "x", "callsign": "", "alt_geo_m": np.nan, "alt_src": "baro"}
    base |= {"gs_mps": 0.0, "trk_deg": 0.0, "vs_mps": 0.0, "onground": False}
    rows = []
    azimuths = np.arange(5.0, 360.0, 40.0)
    for k, az in enumerate(azimuths):
        j_lon, j_lat, _ = geod.fwd(lon, lat, az, 3000.0)
        alt = {"alt_m": 1000.0 * (k + 1), "alt_baro_m": 1000.0 * (k + 1)}
        for s in (0.0, 10.0):
            rows.append({**base, **alt, "id": f"a{k}", "t": T0 + s, "lat": lat, "lon": lon})
            rows.append({**base, **alt, "id": f"b{k}", "t": T0 + s, "lat": j_lat, "lon": j_lon})
    cfg = ScanConfig()
    found = scan_pieces(build_tracks(pd.DataFrame(rows), cfg), cfg)
    names = found.groups[["id_i", "id_j"]].to_numpy(str)[found.pieces["wg"].to_numpy()]
    assert [f"a{k}" for k in range(azimuths.size)] == sorted(set(names[:, 0]))
    for (a, b), bearing in zip(names, found.pieces["bearing_a_deg"], strict=True):
        assert a[1:] == b[1:]
        k = int(a[1:])
        assert abs((bearing - azimuths[k] + 180.0) % 360.0 - 180.0) < 0.01, (k, bearing)


@pytest.mark.parametrize(("name", "lat", "lon", "miss", "angle", "turn"), CASES[:3])
def test_slant_minimum_is_exact_where_pieces_are_skipped(
    name: str, lat: float, lon: float, miss: float, angle: float, turn: float
) -> None:
    """The kernel skips the slant minimum of a piece that cannot beat its run; the minimum per
    candidate (and so per window group and encounter) equals the one with every piece solved
    (a merge gap of -inf: every piece its own run), and pieces were skipped."""
    from wellclear.encounters import _pairs
    from wellclear.encounters.candidates import candidate_pairs
    from wellclear.encounters.pieces import _limits
    from wellclear.encounters.tracks import build_tracks

    cfg = ScanConfig()
    tracks = build_tracks(sample(fly(crossing(lat, lon, miss, angle, turn), dt=0.25), seed=1), cfg)
    bk, ci, cj = candidate_pairs(tracks, cfg)
    codes = np.arange(tracks.ids.size)
    first = np.searchsorted(tracks.code, codes, side="left").astype(np.int64)
    last = np.searchsorted(tracks.code, codes, side="right").astype(np.int64)
    args = (tracks.t, tracks.pos, tracks.vel_out, tracks.vel_in, tracks.alt, tracks.vz_out)
    args += (tracks.vz_in, tracks.seg_next, first, last, ci, cj)
    args += (bk * cfg.bucket_s, (bk + 1) * cfg.bucket_s, _limits(cfg))
    slant = _pairs.PIECE_FLOATS.index("slant_min_m")
    mins = []
    for gap in (cfg.merge_gap_s, -np.inf):
        p_int, p_flt = _pairs.solve(*args, gap)[:2]
        per = np.full(ci.size, np.inf)
        np.minimum.at(per, p_int[:, 0], p_flt[:, slant])
        mins.append((per, int(np.isinf(p_flt[:, slant]).sum())))
    (skipping, skipped), (every, none) = mins
    assert none == 0 and skipped > 0, name
    np.testing.assert_array_equal(skipping, every)
