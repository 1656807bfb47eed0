"""Property tests of DO-365 Phase I alerting, and step independence without hysteresis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wellclear.alerting import preset, raw_levels, run_scenario
from wellclear.alerting.detectors import PairGeometry, dcpa
from wellclear.formats.daa import read_daa
from wellclear.units import FT_M, NM_M

PHASE1 = preset("do365")
coord = st.floats(-30000, 30000, allow_nan=False)
alt = st.floats(0, 12000, allow_nan=False)
speed = st.floats(-300, 300, allow_nan=False)
climb = st.floats(-30, 30, allow_nan=False)
state = st.tuples(coord, coord, alt, speed, speed, climb)


def level(own: tuple[float, ...], intr: tuple[float, ...]) -> int:
    g = PairGeometry(
        np.array([own[:3]]), np.array([own[3:]]), np.array([intr[:3]]), np.array([intr[3:]])
    )
    res = raw_levels(PHASE1, g, np.array([1]), np.array([-1]))
    return int(res.raw[0])


@settings(max_examples=300, deadline=None)
@given(state, state)
def test_swapping_ownship_and_intruder_gives_the_same_raw_level(
    a: tuple[float, ...], b: tuple[float, ...]
) -> None:
    assert level(a, b) == level(b, a)


@settings(max_examples=300, deadline=None)
@given(state, state)
def test_far_miss_or_vertical_separation_never_alerts(
    a: tuple[float, ...], b: tuple[float, ...]
) -> None:
    s = np.array([[a[0] - b[0], a[1] - b[1]]])
    v = np.array([[a[3] - b[3], a[4] - b[4]]])
    sz, vz = a[2] - b[2], a[5] - b[5]
    dthr, zthr = 0.66 * NM_M, 700 * FT_M
    miss = float(dcpa(s, v)[0]) > dthr and float(np.hypot(*s[0])) > dthr
    above = min(abs(sz), abs(sz + 180 * vz)) > zthr and np.sign(sz) == np.sign(sz + 180 * vz)
    if miss or above:
        assert level(a, b) == 0


def test_without_hysteresis_a_step_depends_on_its_states_alone() -> None:
    data = Path(__file__).parent / "data" / "daidalus"
    scenario = read_daa(data / "H1.daa")
    config = PRESET_NO_HYST
    whole = run_scenario(scenario, config)
    records = scenario.records
    for t in whole["time_s"].to_numpy()[::10]:
        alone = type(scenario)(
            scenario.path,
            scenario.latlon,
            scenario.names,
            records[records["t"] == t],
            scenario.columns,
        )
        one = run_scenario(alone, config)
        assert one["level"].tolist() == whole.loc[whole["time_s"] == t, "level"].tolist()


PRESET_NO_HYST = PHASE1.without_hysteresis()


def test_a_relative_velocity_too_small_to_square_is_none() -> None:
    """|v|^2 underflows to 0 for v ~ 1e-170 m/s: the closest approach is now (the distance now),
    not the product of an infinite time and a zero component (NaN, and a RuntimeWarning)."""
    s = np.array([[1000.0, 0.0]])
    v = np.array([[1e-170, 0.0]])
    with np.errstate(invalid="raise"):
        assert dcpa(s, v).tolist() == [1000.0]
