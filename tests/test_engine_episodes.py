"""Episodes: the lifecycle of alerts and airspace findings, stable ids, the episode so far,
and the situation of own against other at each event (hand-built ticks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wellclear.alerting.config import preset
from wellclear.engine.airspace_episodes import AirspaceBook
from wellclear.engine.assess import level_names, name_levels
from wellclear.engine.episodes import ALERT_EVENT_COLUMNS, AlertBook

T0 = 1_700_000_000.0
NAMES = ["none", "preventive", "corrective", "warning"]


def _states(gap_deg: float, dalt_m: float = 100.0) -> pd.DataFrame:
    """Aircraft a at (45 N, 0), b ``gap_deg`` east of it, flying west at 200 m/s; c far."""
    rows = [
        ("a", 45.0, 0.0, 3000.0, 90.0, 0.0),
        ("b", 45.0, gap_deg, 3000.0 + dalt_m, 270.0, 200.0),
        ("c", 10.0, 10.0, 3000.0, 0.0, 200.0),
    ]
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "party": ["red", "blue", "blue"],
            "callsign": ["A1", "B2", "C3"],
            "t": T0,
            "lat": [r[1] for r in rows],
            "lon": [r[2] for r in rows],
            "alt_m": [r[3] for r in rows],
            "alt_baro_m": [r[3] for r in rows],
            "alt_geo_m": np.nan,
            "alt_src": "baro",
            "gs_mps": [r[5] for r in rows],
            "trk_deg": [r[4] for r in rows],
            "vs_mps": 0.0,
            "onground": False,
        }
    )


def _alerts(t: float, levels: dict[tuple[str, str], int]) -> pd.DataFrame:
    pairs = list(levels)
    names = {"a": ("A1", "red"), "b": ("B2", "blue"), "c": ("C3", "blue")}
    return pd.DataFrame(
        {
            "t": t,
            "id_1": [p[0] for p in pairs],
            "id_2": [p[1] for p in pairs],
            "callsign_1": [names[p[0]][0] for p in pairs],
            "callsign_2": [names[p[1]][0] for p in pairs],
            "party_1": [names[p[0]][1] for p in pairs],
            "party_2": [names[p[1]][1] for p in pairs],
            "level": [levels[p] for p in pairs],
            "ttv_1": 10.0,
            "ttv_2": 20.0,
            "ttv_3": [30.0 if levels[p] == 3 else np.inf for p in pairs],
            "hmd_m": 50.0,
            "taumod_s": 12.0,
        },
        columns=[
            "t", "id_1", "id_2", "callsign_1", "callsign_2", "party_1", "party_2", "level",
            "ttv_1", "ttv_2", "ttv_3", "hmd_m", "taumod_s",
        ],
    )  # fmt: skip


def test_alert_lifecycle_ids_and_the_episode_so_far() -> None:
    book = AlertBook(NAMES)
    ab, ba = ("a", "b"), ("b", "a")
    # a closes on b, then opens; level 0, 1, 2, 3, 2, (pruned: cleared), then raised again
    plan = [
        (0.10, {ab: 0, ba: 0}),
        (0.08, {ab: 1, ba: 1}),
        (0.06, {ab: 2, ba: 1}),
        (0.04, {ab: 3, ba: 1}),
        (0.05, {ab: 2}),
        (0.07, {}),
        (0.09, {ab: 1}),
    ]
    out = []
    for k, (gap, levels) in enumerate(plan):
        out.append(book.update(T0 + k, _alerts(T0 + k, levels), _states(gap)))
    ev = pd.concat(out, ignore_index=True)
    assert list(ev.columns) == ALERT_EVENT_COLUMNS
    mine = ev[ev["id_1"] == "a"]
    assert mine["event"].tolist() == [
        "raised", "upgraded", "upgraded", "downgraded", "cleared", "raised",
    ]  # fmt: skip
    assert mine["from_level"].tolist() == [0, 1, 2, 3, 2, 0]
    assert mine["to_level"].tolist() == [1, 2, 3, 2, 0, 1]
    assert mine["level_name"].tolist() == [
        "preventive", "corrective", "warning", "corrective", "none", "preventive",
    ]  # fmt: skip
    first, second = mine["alert_id"].iloc[0], mine["alert_id"].iloc[-1]
    assert (mine["alert_id"].iloc[:5] == first).all() and second != first
    assert first.startswith(f"{T0 + 1:.0f}-a-b-") and second.startswith(f"{T0 + 6:.0f}-a-b-")
    assert mine["max_level"].tolist() == [1, 2, 3, 3, 3, 1]
    # the smallest distance so far: reached at the 0.04 deg tick, kept after it
    gap_m = 0.04 * np.pi / 180 * 6366707.0195 * np.cos(np.radians(45.0))
    at_min = mine.iloc[2]["min_distance_m"]
    assert at_min == pytest.approx(gap_m, rel=2e-3)
    assert mine.iloc[3]["min_distance_m"] == at_min and mine.iloc[4]["min_distance_m"] == at_min
    assert mine.iloc[3]["t_min_distance"] == T0 + 3
    assert mine.iloc[0]["min_dalt_m"] == pytest.approx(100.0)
    # the situation at each event: b is east of a, 100 m above, closing at 200 m/s
    assert mine.iloc[0]["bearing_deg"] == pytest.approx(90.0, abs=0.1)
    assert mine.iloc[0]["dalt_m"] == pytest.approx(100.0)
    assert mine.iloc[0]["closure_mps"] == pytest.approx(200.0, rel=1e-3)
    assert mine["time_to_los_s"].iloc[2] == 30.0 and np.isnan(mine["time_to_los_s"].iloc[0])
    assert mine["callsign_2"].eq("B2").all() and mine["party_1"].eq("red").all()
    # the reverse pair is its own episode, cleared when it is no longer assessed
    theirs = ev[ev["id_1"] == "b"]
    assert theirs["event"].tolist() == ["raised", "cleared"]
    assert theirs["alert_id"].nunique() == 1 and theirs["alert_id"].iloc[0] != first
    assert theirs.iloc[0]["bearing_deg"] == pytest.approx(270.0, abs=0.1)
    assert len(book.open) == 1


def test_alert_book_state_round_trip() -> None:
    book = AlertBook(NAMES)
    book.update(T0, _alerts(T0, {("a", "b"): 2}), _states(0.05))
    frame, counter = book.get_state()
    other = AlertBook(NAMES)
    other.set_state(frame, counter)
    a = book.update(T0 + 1, _alerts(T0 + 1, {("a", "c"): 1}), _states(0.04))
    b = other.update(T0 + 1, _alerts(T0 + 1, {("a", "c"): 1}), _states(0.04))
    pd.testing.assert_frame_equal(a, b)
    assert a["alert_id"].tolist()[0].endswith("-a-b-0") and a["alert_id"].tolist()[1].endswith(
        "-a-c-1"
    )
    with pytest.raises(ValueError, match="missing columns"):
        other.set_state(frame.drop(columns="level"), counter)


def test_level_names_follow_the_alerter() -> None:
    assert level_names(preset("do365")) == NAMES
    assert level_names(preset("tcas")) == ["none", "TA", "RA"]
    assert level_names(preset("cylinder")) == ["none", "conflict"]
    assert name_levels([0, 2, 1], preset("tcas")).tolist() == ["none", "RA", "TA"]


def _findings(t: float, rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "callsign": "A1",
            "party": "red",
            "volume": "box",
            "kind": "restricted",
            "status": [r[1] for r in rows],
            "event": "infringement",
            "t": t,
            "lat": 45.0,
            "lon": 0.0,
            "alt_m": 3000.0,
            "distance_m": [r[2] for r in rows],
            "entry_time": np.nan,
            "time_to_entry_s": [30.0 if r[1] == "entry" else np.nan for r in rows],
            "entry_lat": np.nan,
            "entry_lon": np.nan,
            "entry_alt_m": np.nan,
            "closing_mps": np.nan,
            "no_qnh": False,
        }
    )


def test_airspace_lifecycle() -> None:
    book = AirspaceBook()
    plan = [
        [("a", "proximity", 900.0)],
        [("a", "entry", np.nan), ("a", "proximity", 500.0)],  # one episode: entry first
        [("a", "inside", 100.0)],
        [("a", "inside", 400.0)],
        [],
        [("a", "entry", np.nan)],
        [],
    ]
    out = [book.update(T0 + k, _findings(T0 + k, rows)) for k, rows in enumerate(plan)]
    ev = pd.concat(out, ignore_index=True)
    assert ev["event"].tolist() == ["predicted", "entered", "exited", "predicted", "cleared"]
    assert ev["from_status"].tolist() == ["", "entry", "inside", "", "entry"]
    assert (
        ev["episode_id"].iloc[:3].nunique() == 1
        and ev["episode_id"].iloc[3] != ev["episode_id"].iloc[0]
    )
    exited = ev.iloc[2]
    assert exited["max_depth_m"] == 400.0 and exited["min_gap_m"] == 900.0
    assert exited["t_entered"] == T0 + 2 and exited["finding"] == "infringement"
    assert len(book.open) == 0
