"""Parquet files of one schema (an archive's ``hour=`` partitions) converted as one table give
what converting each file alone gives: the same reports, rejects (file, line, field, reason,
raw), counts and first error.

The slow twin is the reader with every file in a group of its own (each loaded and converted
alone, as before the grouping).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellclear.formats import states
from wellclear.formats.errors import StatesInputError
from wellclear.formats.states import read_reports

T0 = 1_633_611_600


def _hour(h: int, n: int = 400, dirty: bool = False, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed + h)
    ids = [f"{x:06x}" for x in range(0x3C0000, 0x3C0010)] + ["AbCdEf", "ABCDEF", "zz-1"]
    t = T0 + 3600 * h + rng.integers(0, 3600, n)
    frame = pd.DataFrame(
        {
            "time": t.astype(np.int64),
            "icao24": rng.choice(ids, n),
            "lat": rng.uniform(48, 50, n),
            "lon": rng.uniform(1, 3, n),
            "velocity": rng.uniform(0, 250, n),
            "heading": rng.uniform(0, 360, n),
            "vertrate": rng.uniform(-10, 10, n),
            "callsign": rng.choice(["AFR1 ", None, "EZY2"], n),
            "onground": rng.random(n) < 0.1,
            "baroaltitude": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 12e3, n)),
            "geoaltitude": rng.uniform(0, 12_000, n),
            "lastposupdate": t - rng.uniform(0, 1, n),
        }
    )
    if dirty:
        frame.loc[5, "lat"] = 95.0
        frame.loc[7, "velocity"] = -3.0
        frame.loc[9, "baroaltitude"] = 1e9
        frame.loc[11, ["time", "lastposupdate"]] = [5, 5.0]  # far from the data's median time
        frame.loc[20] = frame.loc[21]  # an exact repeat: counted
        frame.loc[22] = frame.loc[23]
        frame.loc[22, "lat"] = 49.0  # the same aircraft and time elsewhere: both rejected
        frame.loc[30, "icao24"] = ""
        frame.loc[31, "lon"] = np.inf
    return frame


def _archive(root: Path, dirty_hours: tuple[int, ...] = (1, 2)) -> list[str]:
    files = []
    for h in range(4):
        frame = _hour(h, dirty=h in dirty_hours)
        if h != 3:  # by flight, as OpenSky extracts are; the last hour in no order
            frame = frame.sort_values(["icao24", "time"], kind="stable")
        part = root / f"hour={T0 + 3600 * h}" / "part.parquet"
        part.parent.mkdir(parents=True)
        frame.to_parquet(part, index=False)
        files.append(str(part))
    return files


def _alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The slow twin: every input in a group of its own."""
    monkeypatch.setattr(states, "_parquet_groups", lambda s: [[k] for k in range(len(s))])


@pytest.mark.parametrize("categorical", [False, True])
def test_files_of_one_schema_read_as_each_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, categorical: bool
) -> None:
    files = _archive(tmp_path)
    files = [*files, files[0]]  # a file given twice is read twice, as before
    assert states._parquet_groups(files) == [[0, 1, 2, 3, 4]]
    grouped = read_reports(files, invalid="skip", categorical=categorical)
    with monkeypatch.context() as m:
        _alone(m)
        alone = read_reports(files, invalid="skip", categorical=categorical)
    pd.testing.assert_frame_equal(grouped.states, alone.states)
    pd.testing.assert_frame_equal(grouped.rejects, alone.rejects)
    assert grouped.counts == alone.counts
    assert grouped.notes == alone.notes
    # each dirty hour's rows, under its own file and line
    assert grouped.counts["rejected"] == 2 * 8  # eight bad rows in each of hours 1 and 2
    assert grouped.counts["repeats"] == 2
    first = grouped.rejects.iloc[0]
    assert first["source"] == files[1] and first["reason"] == "missing aircraft id"
    assert list(pd.unique(grouped.rejects["source"])) == [files[1], files[2]]


def test_first_error_is_the_first_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _archive(tmp_path)
    with pytest.raises(StatesInputError) as grouped:
        read_reports(files)
    with monkeypatch.context() as m:
        _alone(m)
        with pytest.raises(StatesInputError) as alone:
            read_reports(files)
    assert str(grouped.value) == str(alone.value)
    assert str(grouped.value).startswith(f"{files[1]}:")


def test_an_unreadable_file_is_named_in_its_order(tmp_path: Path) -> None:
    files = _archive(tmp_path, dirty_hours=(2,))
    Path(files[1]).write_bytes(Path(files[1]).read_bytes()[:3000])  # truncated
    with pytest.raises(StatesInputError, match="cannot read Parquet") as e:
        read_reports(files, invalid="skip")
    assert e.value.file == files[1]
    # the first error in the files' order: the truncated file comes before the dirty one
    with pytest.raises(StatesInputError, match="cannot read Parquet"):
        read_reports(files)


def test_repeats_are_looked_for_within_each_file(tmp_path: Path) -> None:
    """The same aircraft at the same time in two files is not a duplicate of one file: each
    file is checked on its own, as when it is read alone."""
    frame = _hour(0, n=50)
    moved = frame.assign(lat=frame["lat"] + 0.5)
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    frame.to_parquet(paths[0], index=False)
    moved.to_parquet(paths[1], index=False)
    read = read_reports([str(p) for p in paths])
    assert read.counts["rejected"] == 0 and len(read.states) == 100
    lines = read.states["line"].to_numpy()
    assert list(lines[:3]) == [1, 2, 3] and list(lines[50:53]) == [1, 2, 3]
    assert set(read.states["source"].astype(str)) == {str(p) for p in paths}


def test_schemas_that_differ_are_not_grouped(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{k}.parquet" for k in "abc")
    _hour(0).to_parquet(a, index=False)
    _hour(1).to_parquet(b, index=False)
    _hour(2).drop(columns="callsign").to_parquet(c, index=False)
    assert states._parquet_groups([str(a), str(b), str(c), str(a)]) == [[0, 1], [2], [3]]
    read = read_reports([str(a), str(b), str(c)])
    assert read.counts["rows"] == 1200 and len(read.states) == 1200
