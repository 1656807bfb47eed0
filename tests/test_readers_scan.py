"""``scan`` reads every input by the one road: streamed states-contract Parquet is validated
as every reader validates (row-group statistics, then the flagged row groups row by row), and
``--invalid skip`` keeps the rejects of every kind of input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)
from wellclear.encounters.sourcecheck import check_source
from wellclear.encounters.sources import DatasetSource
from wellclear.simulate.flights import Leg, Plan, fly, sample

T0 = 1_633_600_000.0
runner = CliRunner()

# (row, column, value, reason) of the absurd rows put into a clean file
BAD = [
    (10, "lat", 95.0, "latitude outside"),
    (20, "lon", 540.0, "longitude outside"),
    (30, "gs_mps", -3.0, "negative speed"),
    (40, "alt_baro_m", np.inf, "infinite"),
    (50, "alt_geo_m", 1e9, "altitude outside"),  # alt_m is made from these, as the reader does
    (60, "vs_mps", 1e5, "vertical rate beyond"),
    (70, "t", 4_102_444_800.0, "more than 366 days"),  # 2100-01-01 among 2021 data
    (80, "t", np.nan, "missing time"),
]


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    plans = [
        Plan("a", "red", T0, 36.0, 38.0, 6000.0, 200.0, 90.0, (Leg(600.0),)),
        Plan("b", "blue", T0, 36.0, 38.1, 6000.0, 200.0, 270.0, (Leg(600.0),)),
    ]
    return sample(fly(plans, dt=1.0), seed=1).sort_values("t").reset_index(drop=True)


def dirty(clean: pd.DataFrame, tmp_path: Path, row_group_size: int = 64) -> Path:
    frame = clean.copy()
    for row, column, value, _ in BAD:
        frame.loc[row, column] = value
    path = tmp_path / "dirty.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=64)
    return path


def test_streamed_contract_rows_are_validated(clean: pd.DataFrame, tmp_path: Path) -> None:
    path = dirty(clean, tmp_path)
    source, rejects = check_source(DatasetSource((str(path),)), "skip")
    assert rejects["line"].tolist() == [row + 1 for row, *_ in BAD]  # records counted from 1
    for (_, column, _, reason), got in zip(BAD, rejects.itertuples(), strict=True):
        assert got.column == column and reason in got.reason and got.source == str(path)
    assert source.checked is not None and source.checked.dirty
    # the 2100 row does not stretch the range the windows walk
    lo, hi = source.time_range()
    assert (lo, hi) == (float(clean["t"].min()), float(clean["t"].max()))
    seen = pd.concat(list(source.windows([(lo, hi + 1)], 0.0)))
    assert len(seen) == len(clean) - len(BAD)
    assert seen["lat"].abs().max() <= 90 and seen["vs_mps"].abs().max() <= 300
    with pytest.raises(Exception, match=rf"{path}:11: field lat: latitude outside"):
        check_source(DatasetSource((str(path),)), "error")


def test_clean_streamed_file_reads_only_the_times(clean: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "clean.parquet"
    clean.to_parquet(path, index=False)
    source, rejects = check_source(DatasetSource((str(path),)))
    assert rejects.empty and source.checked is not None and not source.checked.dirty


def test_scan_cli_exit_2_or_rejects_for_streamed_files(clean: pd.DataFrame, tmp_path: Path) -> None:
    path = dirty(clean, tmp_path)
    res = runner.invoke(app, ["scan", str(path), "--output", str(tmp_path / "e")])
    assert res.exit_code == 2 and f"{path}:11: field lat: latitude outside +-90" in res.output
    res = runner.invoke(
        app, ["scan", str(path), "--output", str(tmp_path / "s"), "--invalid", "skip"]
    )
    assert res.exit_code == 0, res.output
    rejects = pd.read_csv(tmp_path / "s/rejects.csv")
    assert rejects["line"].tolist() == [row + 1 for row, *_ in BAD]
    assert f"{len(clean) - len(BAD)} rows" in res.output
    used = len(clean) - len(BAD)
    assert f"input rows {len(clean)} = {used} used + 0 counted + {len(BAD)} rejected" in res.output


def test_scan_skip_keeps_the_rejects_of_every_input_kind(tmp_path: Path) -> None:
    sbs = tmp_path / "feed.sbs"
    ok = "MSG,3,1,1,4CA2D6,1,2021/10/07,13:20:00.000,2021/10/07,13:20:00.000,,35000,,,48.9,2.5"
    sbs.write_text(
        f"{ok},,,0,,0,0\n"
        + ok.replace("48.9", "north").replace(":00.000", ":05.000")
        + ",,,0,,0,0\n"
    )
    traffic = tmp_path / "traffic.csv"
    traffic.write_text(
        "timestamp,icao24,latitude,longitude,altitude,groundspeed,track,vertical_rate\n"
        "2021-10-07T13:20:00Z,3c6586,48.5,2.0,30000,400,90,0\n"
        "2021-10-07T13:20:01Z,3c6586,48.5,2.0,30000,400,90,0,ragged\n"
        "2021-10-07T13:20:02Z,3c6587,48.5,2.0,1e9,400,90,0\n"
    )
    res = runner.invoke(
        app,
        ["scan", str(sbs), str(traffic), "--output", str(tmp_path / "o"), "--invalid", "skip"],
    )
    assert res.exit_code == 0, res.output
    rejects = pd.read_csv(tmp_path / "o/rejects.csv")
    got = list(zip(rejects["source"], rejects["line"], strict=True))
    assert got == [(str(sbs), 2), (str(traffic), 3), (str(traffic), 4)]


def test_detect_refuses_absurd_rows_instead_of_crashing(tmp_path: Path) -> None:
    """Before the reader's limits, one altitude of 1e9 m ended ``detect`` with a traceback
    (candidate grid too fine for 64-bit keys) and a vertical rate of 1e5 m/s kept it busy."""
    head = "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude\n"
    rows = [f"{T0:.0f},{k:06x},{36 + k / 100},38.0,200,90,0,6000,6050" for k in range(50)]
    rows.append(f"{T0:.0f},ffff01,36.9,38.0,200,90,0,1e9,6050")
    rows.append(f"{T0:.0f},ffff02,36.95,38.0,200,90,1e5,6000,6050")
    path = tmp_path / "absurd.csv"
    path.write_text(head + "\n".join(rows) + "\n")
    res = runner.invoke(app, ["detect", str(path)])
    assert res.exit_code == 2
    assert f"{path}:52: field baroaltitude: altitude outside" in res.output
    res = runner.invoke(app, ["detect", str(path), "--invalid", "skip"])
    assert res.exit_code == 0, res.output
    assert "input rows 52 = 50 used + 0 counted + 2 rejected" in res.output
