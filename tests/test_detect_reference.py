"""The pruned detector against its brute-force twin, and the planar model against geodesic truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wellclear import detect_conflicts, read_states
from wellclear.detect.conflicts import Minima, detect
from wellclear.detect.reference import detect_bruteforce
from wellclear.geo import geod
from wellclear.simulate.snapshots import box_traffic, cap_traffic
from wellclear.units import FT_M, NM_M

PLACES = [
    (52.0, 5.0),  # Europe
    (0.0, 180.0),  # equator on the antimeridian
    (65.0, -179.5),  # Chukotka / Bering strait, across 180
    (89.6, 30.0),  # the north pole inside the cap
    (-89.0, -120.0),  # the south pole
    (-17.8, 178.0),  # Fiji
]


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.id_1) == list(b.id_1) and list(a.id_2) == list(b.id_2)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


@pytest.mark.parametrize("center", PLACES)
@pytest.mark.parametrize("level", [True, False])
def test_pruned_equals_bruteforce_anywhere(center: tuple[float, float], level: bool) -> None:
    states = cap_traffic(1500, area_per_aircraft_m2=40e6, center=center, seed=7, level=level)
    minima = Minima()
    fast = detect(states, minima).conflicts
    slow = detect_bruteforce(states, minima)
    assert len(slow) > 20  # dense enough to mean something
    same(fast, slow)


def test_pruned_equals_bruteforce_whole_globe_and_other_minima() -> None:
    states = cap_traffic(3000, area_per_aircraft_m2=200e6, seed=3, level=False)
    for minima in (
        Minima(),
        Minima(3 * NM_M, 500 * FT_M, 120.0),
        Minima(20 * NM_M, 2000 * FT_M, 600.0),
    ):
        same(detect(states, minima).conflicts, detect_bruteforce(states, minima))


def test_pruned_equals_bruteforce_with_filters() -> None:
    states = box_traffic(2000, side_m=300_000.0, seed=11, level=False)
    minima = Minima()
    same(
        detect(states, minima, between_parties=True).conflicts,
        detect_bruteforce(states, minima, between_parties=True),
    )
    own = list(states.id[:50])
    same(
        detect(states, minima, ownship=own).conflicts,
        detect_bruteforce(states, minima, ownship=own),
    )


_states = st.integers(min_value=0, max_value=2**31 - 1)


@settings(max_examples=25, deadline=None)
@given(seed=_states, lat=st.floats(-89.5, 89.5), lon=st.floats(-180.0, 180.0))
def test_property_agrees_with_bruteforce(seed: int, lat: float, lon: float) -> None:
    states = cap_traffic(120, area_per_aircraft_m2=30e6, center=(lat, lon), seed=seed, level=False)
    minima = Minima()
    same(detect(states, minima).conflicts, detect_bruteforce(states, minima))


@settings(max_examples=25, deadline=None)
@given(seed=_states)
def test_property_symmetric_in_the_pair(seed: int) -> None:
    states = box_traffic(150, side_m=80_000.0, seed=seed, level=False)
    reverse = states.iloc[::-1].reset_index(drop=True)
    same(detect_conflicts(states), detect_conflicts(reverse))


def opensky_rows(states: pd.DataFrame, t0: float) -> pd.DataFrame:
    """The same aircraft as OpenSky state vectors reported at various ages before ``t0``."""
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "time": t0 - rng.uniform(0.0, 15.0, len(states)).round(0),
            "icao24": states.id,
            "lat": states.lat,
            "lon": states.lon,
            "velocity": states.gs_mps,
            "heading": states.trk_deg,
            "vertrate": states.vs_mps,
            "baroaltitude": states.alt_baro_m,
            "geoaltitude": states.alt_baro_m + 50.0,
            "callsign": states.callsign,
            "onground": False,
        }
    )


@settings(max_examples=15, deadline=None)
@given(seed=_states, shift=st.floats(-1e8, 1e8))
def test_property_invariant_under_common_time_shift(seed: int, shift: float) -> None:
    states = box_traffic(120, side_m=80_000.0, seed=seed, level=False)
    t0 = 1.6e9
    rows = opensky_rows(states, t0)
    shifted = rows.assign(time=rows.time + round(shift))
    a = detect_conflicts(read_states(rows, at=t0))
    b = detect_conflicts(read_states(shifted, at=t0 + round(shift)))
    np.testing.assert_array_equal(b.t_unix - a.t_unix, round(shift))  # the snapshot time
    times = ["t", "t_unix"]
    pd.testing.assert_frame_equal(
        a.drop(columns=times), b.drop(columns=times), rtol=1e-9, atol=1e-6
    )


def geodesic_truth(
    states: pd.DataFrame, i: int, j: int, minima: Minima, step: float = 0.05
) -> tuple[bool, float, float]:
    """Both aircraft moving along their geodesics at constant speed, sampled densely: whether
    they lose separation, and the closest horizontal distance while vertically inside."""
    t = np.arange(0.0, minima.lookahead_s + step / 2, step)
    pos = []
    for k in (i, j):
        lon, lat, _ = geod().fwd(
            np.full(len(t), states.lon[k]),
            np.full(len(t), states.lat[k]),
            np.full(len(t), states.trk_deg[k]),
            states.gs_mps[k] * t,
        )
        pos.append((np.asarray(lat), np.asarray(lon), states.alt_baro_m[k] + states.vs_mps[k] * t))
    _, _, d = geod().inv(pos[0][1], pos[0][0], pos[1][1], pos[1][0])
    dz = np.abs(pos[1][2] - pos[0][2])
    vin = dz < minima.vertical_m
    inside = (np.asarray(d) < minima.horizontal_m) & vin
    first = float(t[np.argmax(inside)]) if inside.any() else np.inf
    closest = float(np.min(np.asarray(d)[vin])) if vin.any() else np.inf
    return bool(inside.any()), first, closest


@pytest.mark.parametrize("center", [(52.0, 5.0), (0.0, 180.0), (88.5, 0.0), (-60.0, -70.0)])
def test_against_geodesic_truth(center: tuple[float, float]) -> None:
    """The planar state-based model agrees with geodesic motion wherever the decision is not
    within 30 m of the horizontal minimum (the models differ by metres over 75 km paths)."""
    states = cap_traffic(400, area_per_aircraft_m2=40e6, center=center, seed=21, level=False)
    minima = Minima()
    found = detect(states, minima).conflicts
    index = {k: n for n, k in enumerate(states.id)}
    got = {
        (index[a], index[b]): t
        for a, b, t in zip(found.id_1, found.id_2, found.t_in_s, strict=True)
    }
    rng = np.random.default_rng(1)
    # every reported conflict, and as many random pairs that were not
    others = [tuple(sorted(rng.choice(len(states), 2, replace=False))) for _ in range(len(got))]
    checked = 0
    for i, j in list(got) + others:
        truth, first, closest = geodesic_truth(states, i, j, minima)
        if abs(closest - minima.horizontal_m) < 30.0:
            continue
        checked += 1
        assert ((i, j) in got) == truth, (i, j, closest)
        if truth:
            assert got[(i, j)] == pytest.approx(first, abs=0.5)
    assert checked > 20


def test_long_lookahead_keeps_cells_in_range() -> None:
    # the longest lookahead allowed (1 h of flight): tangent lines rise tens of km off the
    # Earth; the grid must still hold
    states = cap_traffic(300, area_per_aircraft_m2=2e9, center=(10.0, 100.0), seed=9, level=False)
    minima = Minima(lookahead_s=Minima.LIMITS["lookahead_s"][0])
    slow = detect_bruteforce(states, minima)
    assert len(slow) > 20
    same(detect(states, minima).conflicts, slow)
