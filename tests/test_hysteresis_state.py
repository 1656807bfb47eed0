"""PairAlerter / HysteresisTable state: saved as plain arrays, restored, the run continues."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wellclear.alerting import HysteresisTable, preset
from wellclear.alerting.pairs import PairAlerter
from wellclear.formats.states import read_reports
from wellclear.simulate.flights import fly, sample
from wellclear.simulate.scenarios import random_plans
from wellclear.snapshot import snapshot


@pytest.fixture(scope="module")
def steps() -> list[tuple[float, pd.DataFrame]]:
    plans = random_plans(80, 600.0, seed=3, radius_deg=0.25)
    frame = read_reports([sample(fly(plans, dt=1.0), seed=3, min_dt=1.0, max_dt=4.0)]).frame
    t0 = float(frame["t_row"].min()) + 250.0
    return [(t0 + k, snapshot(frame, t0 + k, 20.0).states) for k in range(40)]


def _plain(state: dict) -> None:
    for name, value in state.items():
        assert isinstance(value, (np.ndarray, float, int, list)), name
        if isinstance(value, list):
            assert all(isinstance(x, str) for x in value), name


@pytest.mark.parametrize("name", ["do365", "tcas"])
def test_restored_alerter_continues_exactly(
    steps: list[tuple[float, pd.DataFrame]], name: str
) -> None:
    config = preset(name)
    a = PairAlerter(config)
    alerting = 0
    for cut in (7, 19, 31):
        b = PairAlerter(config)
        for now, states in steps[:cut]:
            a_out = a.step(states, now)
        state = a.get_state()
        _plain(state)
        b.set_state(state)
        for now, states in steps[cut : cut + 8]:
            a_out = a.step(states, now)
            b_out = b.step(states, now)
            pd.testing.assert_frame_equal(a_out, b_out)
            alerting += int((a_out["level"] >= 1).sum())
        a = b  # keep going on the restored one
    assert alerting > 0  # the scenario alerts, so the state matters


def test_table_state_round_trip_and_errors() -> None:
    a = HysteresisTable(5.0, 4.0, 2, 4)
    for t, raw in enumerate([0, 2, 2, 0, 3]):
        a.update([("x", "y"), ("y", "x")], [raw, 1], float(t))
    b = HysteresisTable(5.0, 4.0, 2, 4)
    b.set_state(a.get_state())
    for t, raw in enumerate([0, 0, 1, 3, 0, 0], start=5):
        assert (
            a.update([("x", "y")], [raw], float(t)).tolist()
            == b.update([("x", "y")], [raw], float(t)).tolist()
        )
    with pytest.raises(ValueError, match="'m'"):
        HysteresisTable(5.0, 4.0, 3, 4).set_state(a.get_state())
    broken = a.get_state()
    del broken["queue"]
    with pytest.raises(ValueError, match="queue"):
        b.set_state(broken)
