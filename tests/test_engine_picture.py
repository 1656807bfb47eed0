"""The air picture: snapshots as ``wellclear.snapshot`` takes them, batches in any order,
repeats and clashes across batches as the reader treats them, pruning that changes no
snapshot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wellclear
from wellclear.engine.picture import AirPicture
from wellclear.formats.errors import StatesInputError
from wellclear.formats.states import read_reports
from wellclear.snapshot import fill_missing, snapshot

PARIS = Path(wellclear.__file__).parent / "data" / "paris_20211007_1320-1330.json.gz"


@pytest.fixture(scope="module")
def paris() -> pd.DataFrame:
    return read_reports(PARIS).frame


def _twin(reports: pd.DataFrame, at: float, max_age_s: float) -> pd.DataFrame:
    """The latest filled report per aircraft at or before ``at`` by groupby (slow, obvious)."""
    filled = fill_missing(reports, max_age_s)
    before = filled[filled["t_row"] <= at]
    return before.groupby("id", sort=False).tail(1).reset_index(drop=True)


def test_snapshot_picks_the_latest_report_as_the_groupby_twin(paris: pd.DataFrame) -> None:
    picture = AirPicture(20.0)
    picture.ingest(paris)
    rng = np.random.default_rng(0)
    lo, hi = float(paris["t_row"].min()), float(paris["t_row"].max())
    for at in [lo, hi, *rng.uniform(lo - 5, hi + 30, 12)]:
        snap = picture.snapshot(at)
        twin = _twin(paris, at, 20.0)
        used = set(zip(snap.states["source"], snap.states["line"], strict=True))
        assert used <= set(zip(twin["source"], twin["line"], strict=True))
        assert snap.counts["aircraft"] == len(twin)
        pd.testing.assert_frame_equal(snap.states, snapshot(paris, at, 20.0).states)


def test_batches_in_any_order_give_the_same_snapshots(paris: pd.DataFrame) -> None:
    rng = np.random.default_rng(1)
    order = rng.permutation(len(paris))
    parts = [paris.iloc[chunk] for chunk in np.array_split(order, 5)]
    picture = AirPicture(20.0)
    for part in parts:
        picture.ingest(part)
    whole = AirPicture(20.0)
    whole.ingest(paris)
    for at in (1633612900.0, 1633613123.5, 1633613400.0):
        pd.testing.assert_frame_equal(picture.snapshot(at).states, whole.snapshot(at).states)


def test_repeats_and_clashes_across_batches(paris: pd.DataFrame) -> None:
    picture = AirPicture(20.0)
    picture.ingest(paris)
    again = picture.ingest(paris.iloc[:5])
    assert (again.accepted, again.repeats, len(again.rejects)) == (0, 5, 0)
    moved = paris.iloc[[10]].copy()
    moved["lat"] += 0.01
    moved["source"], moved["line"] = "late.csv", 7
    held = picture.n_reports
    with pytest.raises(StatesInputError, match="duplicate report"):
        picture.ingest(moved)
    assert picture.n_reports == held  # an error leaves the picture unchanged
    res = picture.ingest(moved, invalid="skip")
    assert res.accepted == 0 and len(res.rejects) == 2  # both, each naming the other
    first = paris.iloc[10]
    assert set(res.rejects["source"]) == {"late.csv", first["source"]}
    assert f"{first['source']}:{first['line']}" in " ".join(res.rejects["reason"])
    assert picture.n_reports == held - 1


def test_pruning_changes_no_later_snapshot(paris: pd.DataFrame) -> None:
    pruned = AirPicture(20.0)
    pruned.ingest(paris)
    whole = AirPicture(20.0)
    whole.ingest(paris)
    t = 1633612900.0
    total = 0
    while t < 1633613400.0:
        total += pruned.prune(t)
        for at in (t, t + 7.5, t + 60.0):
            pd.testing.assert_frame_equal(pruned.snapshot(at).states, whole.snapshot(at).states)
        t += 50.0
    assert total > len(paris) // 3
    restored = AirPicture(20.0)
    restored.set_state(pruned.get_state())
    pd.testing.assert_frame_equal(restored.snapshot(t).states, whole.snapshot(t).states)


def test_a_batch_in_another_column_set_is_read_by_the_reader(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "time": [1.7e9, 1.7e9 + 1],
            "icao24": ["ABC123", "abc123"],
            "lat": [45.0, 45.001],
            "lon": [1.0, 1.0],
            "velocity": [100.0, 100.0],
            "heading": [0.0, 0.0],
            "vertrate": [0.0, 0.0],
            "baroaltitude": [3000.0, 3000.0],
            "geoaltitude": [3050.0, 3050.0],
        }
    )
    picture = AirPicture(20.0)
    res = picture.ingest(rows)
    assert res.accepted == 2 and len(picture) == 1  # ICAO case folded by the reader
    assert picture.snapshot(1.7e9 + 2).states["id"].tolist() == ["abc123"]


def _fill_missing_twin(reports: pd.DataFrame, max_age_s: float) -> pd.DataFrame:
    """fill_missing by pandas groupby forward fills (the code it replaced; slow, obvious)."""
    frame = reports.sort_values(["id", "t_row"], kind="stable").reset_index(drop=True)
    for name in ("alt_baro_m", "alt_geo_m"):
        frame[f"t_{name}"] = frame["t"].to_numpy(np.float64)
    group = frame["id"]
    callsign = frame["callsign"].where(frame["callsign"].ne(""), None)
    frame["callsign"] = callsign.groupby(group).ffill().fillna("")
    t_row = frame["t_row"].to_numpy(np.float64)
    has_pos = frame["lat"].notna() & frame["lon"].notna()
    for name in ("lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "trk_deg", "vs_mps"):
        present = has_pos if name in ("lat", "lon") else frame[name].notna()
        when = pd.Series(np.where(present, t_row, np.nan)).groupby(group).ffill().to_numpy()
        fresh = ~present.to_numpy() & (t_row - when <= max_age_s)
        filled = frame[name].groupby(group).ffill().to_numpy(np.float64)
        frame[name] = np.where(fresh, filled, frame[name].to_numpy(np.float64))
        if name == "lat":
            pos_t = pd.Series(np.where(present, frame["t"], np.nan)).groupby(group).ffill()
            frame["t"] = np.where(fresh, pos_t.to_numpy(), frame["t"].to_numpy())
        if name in ("alt_baro_m", "alt_geo_m"):
            alt_t = pd.Series(np.where(present, frame["t"], np.nan)).groupby(group).ffill()
            frame[f"t_{name}"] = np.where(fresh, alt_t.to_numpy(), frame[f"t_{name}"].to_numpy())
    return frame


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fill_missing_equals_the_groupby_twin(paris: pd.DataFrame, seed: int) -> None:
    rng = np.random.default_rng(seed)
    holed = paris.copy()
    for name in ("lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "trk_deg", "vs_mps"):
        holed.loc[rng.random(len(holed)) < 0.3, name] = np.nan
    holed.loc[rng.random(len(holed)) < 0.5, "callsign"] = ""
    holed = holed.iloc[rng.permutation(len(holed))]
    for age in (5.0, 20.0):
        got = fill_missing(holed, age)
        want = _fill_missing_twin(holed, age)
        assert got["callsign"].tolist() == want["callsign"].tolist()
        pd.testing.assert_frame_equal(
            got.drop(columns="callsign"), want.drop(columns="callsign"), check_dtype=False
        )
