"""Classes of generated encounters (issue 5 acceptance): intercept (from astern, and a jet
orbiting a slow drone), a jet passing a drone (not an intercept), close approach, NMAC with
airprox A, a same-party formation (not an intercept) and a probable duplicate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wellclear.encounters.classify import station_keeping, tcas_ra
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.scan import scan
from wellclear.geo import extrapolate
from wellclear.simulate.flights import Follow, Leg, Plan, fly, sample
from wellclear.units import FT_M, NM_M

T0 = 1_444_000_000.0


def one(plans: list[Plan | Follow], seed: int = 0) -> pd.Series:
    enc = scan(sample(fly(plans), seed=seed)).encounters
    assert len(enc) == 1, enc[["id_1", "id_2", "primary"]]
    return enc.iloc[0]


def target(party: str = "blue", gs: float = 200.0, dur: float = 900.0) -> Plan:
    return Plan("tgt", party, T0, 36.0, 38.0, 6000.0, gs, 90.0, (Leg(dur),))


@pytest.mark.parametrize("seed", [0, 1])
def test_intercept_from_astern(seed: int) -> None:
    icp = Follow(
        "icp",
        "red",
        "tgt",
        (
            (T0, 180.0, 20_000.0, 0.0),
            (T0 + 300, 170.0, 900.0, 60.0),
            (T0 + 420, 200.0, 800.0, 60.0),
            (T0 + 480, 100.0, 16_000.0, -400.0),
        ),
    )
    row = one([target(), icp], seed)
    assert row["primary"] == "intercept"
    assert "intercept: icp from outside 5 NM into the rear half of tgt" in row["rules"]
    assert row["airprox"] in {"B", "C"}


def test_jet_orbiting_slow_drone_is_an_intercept() -> None:
    drone = Plan("tgt", "blue", T0, 36.0, 38.0, 4500.0, 60.0, 45.0, (Leg(1200.0),))
    # head-on approach at 275 m/s closure, then two orbits of radius 3 km (1.6 NM) in 400 s
    keys = [(T0, 0.0, 25_000.0, 300.0), (T0 + 80, 0.0, 3000.0, 300.0)]
    keys += [(T0 + 80 + k * 20, 36.0 * k, 3000.0, 300.0) for k in range(1, 21)]
    keys += [(T0 + 580, 760.0, 25_000.0, 300.0)]
    jet = Follow("jet", "red", "tgt", tuple(keys))
    row = one([drone, jet])
    assert row["primary"] == "intercept"
    assert "intercept: jet" in row["rules"]


def test_weaving_escort_with_short_excursions_is_an_intercept() -> None:
    keys = [(T0, 180.0, 20_000.0, 0.0), (T0 + 200, 180.0, 2500.0, 0.0)]
    # in and out of 2 NM (3704 m): 30 s inside, 8 s outside, repeatedly
    t = T0 + 200
    for _ in range(5):
        keys += [
            (t + 30, 200.0, 2500.0, 0.0),
            (t + 34, 200.0, 4200.0, 0.0),
            (t + 38, 200.0, 2500.0, 0.0),
        ]
        t += 38
    keys += [(t + 200, 90.0, 20_000.0, 0.0)]
    row = one([target(), Follow("icp", "red", "tgt", tuple(keys))])
    assert "intercept" in row["classes"].split(",")


def test_jet_passing_a_drone_is_not_an_intercept() -> None:
    drone = Plan("drone", "usa", T0, 36.0 - 0.2115, 38.0, 4500.0, 60.0, 0.0, (Leg(900.0),))
    jet = Plan("jet", "rus", T0, 36.04, 37.0, 4600.0, 230.0, 90.0, (Leg(900.0),))
    row = one([drone, jet])
    assert row["primary"] == "los"
    assert "intercept" not in row["classes"]
    assert 1 * NM_M < row["h_min_m"] < 5 * NM_M


def test_close_approach() -> None:
    a = Plan("a", "x", T0, 36.0, 38.0, 6000.0, 200.0, 90.0, (Leg(900.0),))
    b = Plan("b", "y", T0, 36.11, 38.0, 6200.0, 200.0, 90.0, (Leg(900.0),))
    row = one([a, b])
    assert row["primary"] == "close_approach"
    assert row["airprox"] == ""
    assert 5 * NM_M < row["h_min_m"] < 10 * NM_M


def test_nmac_is_airprox_a() -> None:
    a = Plan("a", "x", T0, 36.0, 38.0, 3000.0, 150.0, 90.0, (Leg(600.0),))
    m_lat, m_lon, _ = extrapolate(
        np.array([36.0]), np.array([38.0]), np.array([90.0]), np.array([45_000.0])
    )
    s_lat, s_lon, _ = extrapolate(m_lat, m_lon + 0.0004, np.array([180.0]), np.array([45_000.0]))
    b = Plan("b", "y", T0, float(s_lat[0]), float(s_lon[0]), 3020.0, 150.0, 0.0, (Leg(600.0),))
    row = one([a, b])
    assert row["primary"] == "nmac"
    assert row["airprox"] == "A"
    assert row["h_min_m"] < 500 * FT_M


def test_same_party_formation_is_not_an_intercept() -> None:
    lead = target(party="blue")
    wing = Follow(
        "wing",
        "blue",
        "tgt",
        ((T0, 180.0, 20_000.0, 0.0), (T0 + 300, 135.0, 400.0, 0.0), (T0 + 900, 135.0, 400.0, 0.0)),
    )
    row = one([lead, wing])
    assert "intercept" not in row["classes"]
    assert row["primary"] == "los"


def test_duplicate_ids_are_not_nmac() -> None:
    a = target()
    twin = Follow("twin", "blue", "tgt", ((T0, 0.0, 5.0, 0.0), (T0 + 900, 0.0, 5.0, 0.0)))
    row = one([a, twin])
    assert row["primary"] == "duplicate"
    assert "nmac" not in row["classes"]


def test_station_keeping_rule() -> None:
    cfg = ScanConfig()
    assert station_keeping(np.array([0.0]), np.array([30.0]), cfg) is not None
    assert station_keeping(np.array([0.0]), np.array([29.0]), cfg) is None
    # 30 s in, 15 s out, 30 s in: no 40 s window reaches 75 % across the gap, each part does
    sk = station_keeping(np.array([0.0, 45.0]), np.array([30.0, 75.0]), cfg)
    assert sk is not None and sk[2] == pytest.approx(30.0)
    # 9 s in, 1 s out, repeated: 90 % of every window
    s = np.arange(0.0, 100.0, 10.0)
    sk = station_keeping(s, s + 9.0, cfg)
    assert sk is not None and sk[2] >= 80.0


def test_tcas_ra_volume() -> None:
    alt = np.full(4, 3000.0)  # SL 5: tau 25 s, DMOD 0.55 NM, ZTHR 600 ft
    r = np.array([900.0, 5000.0, 5000.0, 900.0])
    rdot = np.array([0.0, -250.0, -100.0, 0.0])
    vh = np.array([10.0, 250.0, 100.0, 10.0])
    dz = np.array([30.0, 30.0, 30.0, 300.0])
    ra = tcas_ra(alt, r, rdot, vh, dz, np.zeros(4))
    assert ra.tolist() == [True, True, False, False]


def test_coarse_position_accuracy_gives_airprox_d() -> None:
    a = Plan("a", "x", T0, 36.0, 38.0, 3000.0, 150.0, 90.0, (Leg(600.0),))
    m_lat, m_lon, _ = extrapolate(
        np.array([36.0]), np.array([38.0]), np.array([90.0]), np.array([45_000.0])
    )
    s_lat, s_lon, _ = extrapolate(m_lat, m_lon + 0.0004, np.array([180.0]), np.array([45_000.0]))
    b = Plan("b", "y", T0, float(s_lat[0]), float(s_lon[0]), 3020.0, 150.0, 0.0, (Leg(600.0),))
    states = sample(fly([a, b]), seed=0)
    states["nacp"] = 7  # 185 m each
    row = scan(states).encounters.iloc[0]
    assert row["primary"] == "nmac"
    assert row["airprox"] == "D"
    assert "NACp" in row["rules"]
    assert row["position_uncertainty_m"] == pytest.approx(2 * 185.2)
