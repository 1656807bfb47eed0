"""Parquet tables read with their text as dictionaries give what the text path gives.

The fast path (text columns categorical, one pass over each distinct value; the duplicate
check skipped for files written by flight) is held against the same rows read as plain text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellclear.formats.errors import StatesInputError
from wellclear.formats.states import read_reports


def _traffic(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.array(["4ca1b2", "4CA1B3", " Drone-7 ", "drone-7", "abc"])[rng.integers(0, 5, n)]
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(1_633_613_400 + np.arange(n) * 1.5, unit="s", utc=True),
            "icao24": ids,
            "callsign": np.where(rng.random(n) < 0.3, None, "AFR12 "),
            "latitude": 48 + rng.random(n),
            "longitude": 2 + rng.random(n),
            "altitude": 30_000 + rng.random(n),
            "groundspeed": 400 + rng.random(n),
            "track": 360 * rng.random(n),
            "vertical_rate": rng.random(n),
        }
    )
    return frame


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("str")
    return out


@pytest.mark.parametrize("order", ["time", "flight"])
def test_dictionary_text_reads_as_plain_text(tmp_path: Path, order: str) -> None:
    frame = _traffic()
    if order == "flight":
        frame = frame.sort_values(["icao24", "timestamp"], kind="stable")
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, index=False)
    fast = read_reports([str(path)], categorical=True).states
    text = read_reports([str(path)]).states
    assert isinstance(fast["id"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(_plain(fast), text)
    # ICAO addresses in lower case, other ids as written but stripped; callsigns stripped
    assert set(text["id"]) == {"4ca1b2", "4ca1b3", "Drone-7", "drone-7", "abc"}
    assert set(text["callsign"]) == {"", "AFR12"}
    # the same rows as from a CSV, where nothing is a dictionary
    csv = tmp_path / "t.csv"
    frame.assign(timestamp=frame["timestamp"].map(lambda t: t.isoformat())).to_csv(csv, index=False)
    from_csv = read_reports([str(csv)]).states
    cols = ["id", "callsign", "t", "lat", "lon", "alt_baro_m", "gs_mps", "trk_deg", "vs_mps"]
    pd.testing.assert_frame_equal(
        text[cols].reset_index(drop=True), from_csv[cols].reset_index(drop=True), rtol=1e-12
    )


def test_several_files_join_their_dictionaries(tmp_path: Path) -> None:
    a, b = _traffic(40, seed=1), _traffic(40, seed=2)
    b["timestamp"] = b["timestamp"] + pd.Timedelta(hours=1)
    b["icao24"] = b["icao24"].replace({"abc": "xyz"})
    files = []
    for k, f in enumerate((a, b)):
        files.append(str(tmp_path / f"{k}.parquet"))
        f.to_parquet(files[-1], index=False)
    fast = read_reports(files, categorical=True).states
    text = read_reports(files).states
    pd.testing.assert_frame_equal(_plain(fast), text)
    assert set(fast["source"].astype(str)) == set(files)
    assert "xyz" in set(text["id"]) and "abc" in set(text["id"])


@pytest.mark.parametrize("where", ["inside a run", "in another run"])
def test_duplicates_are_found_in_files_written_by_flight(tmp_path: Path, where: str) -> None:
    frame = _traffic().sort_values(["icao24", "timestamp"], kind="stable").reset_index(drop=True)
    ids = frame["icao24"].to_numpy()
    first = int(np.flatnonzero(ids == "abc")[0])
    clash = frame.iloc[[first]].copy()
    clash["latitude"] += 0.5  # the same aircraft and time, another position
    if where == "inside a run":
        frame = pd.concat([frame.iloc[: first + 1], clash, frame.iloc[first + 1 :]])
    else:
        frame = pd.concat([frame, clash])
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(StatesInputError, match="duplicate report: aircraft abc"):
        read_reports([str(path)], categorical=True)
    skipped = read_reports([str(path)], categorical=True, invalid="skip")
    assert len(skipped.rejects) == 2 and len(skipped.states) == len(frame) - 2


def test_times_of_any_datetime_unit_and_zone(tmp_path: Path) -> None:
    frame = _traffic(3)
    base = frame["timestamp"]
    for stamps in (
        base.dt.tz_convert("Europe/Paris"),
        base.dt.tz_localize(None),
        base.astype("datetime64[ms, UTC]"),
        base.astype("datetime64[ns, UTC]"),
    ):
        frame["timestamp"] = stamps
        frame.to_parquet(tmp_path / "z.parquet", index=False)
        t = read_reports([str(tmp_path / "z.parquet")]).states["t"].to_numpy()
        assert t == pytest.approx(1_633_613_400 + np.arange(3) * 1.5, abs=1e-6)
