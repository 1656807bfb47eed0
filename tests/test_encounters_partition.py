"""A flight-ordered Parquet archive copied window by window scans as the file itself does."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from test_encounters_scale import same, traffic  # noqa: F401  (the module's fixture)
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.partition import WindowedCopy, partition_by_window
from wellclear.encounters.scan import FrameSource, scan, scan_source, window_bounds
from wellclear.encounters.sourcecheck import check_source
from wellclear.encounters.sources import DatasetSource


def _by_flight(frame: pd.DataFrame, path: Path, rows: int = 3000) -> Path:
    frame.sort_values(["id", "t"], kind="stable").to_parquet(path, index=False, row_group_size=rows)
    return path


def test_copy_scans_as_memory(traffic: pd.DataFrame, tmp_path: Path) -> None:  # noqa: F811
    """Every row group of a flight-ordered file spans all windows; the copy holds each
    window's rows in batches of their own (in the file's order), and the scan of the copy
    equals the scan in memory, with every row's file and record."""
    cfg = ScanConfig()
    path = _by_flight(traffic, tmp_path / "flights.parquet")
    copy = partition_by_window(DatasetSource((str(path),)), tmp_path / "copy", 600.0)
    assert copy.count() == len(traffic)
    windows = [w for w, _, _ in copy.batches]
    assert windows == sorted(windows) and len(set(windows)) > 3
    assert len(copy.files) == -(-len(traffic) // 3000)  # one scratch file per row group
    got = scan_source(copy, cfg, window_s=600.0)
    same(scan(traffic, cfg), got, extra=("source", "line"))
    raw = pd.read_parquet(path)
    rec = raw.iloc[got.evidence["line"].to_numpy(np.int64) - 1]
    assert list(rec["id"]) == list(got.evidence["id"].astype(str))
    np.testing.assert_array_equal(rec["t"].to_numpy(), got.evidence["t_unix"].to_numpy())
    # a copy travels to Dask workers
    again = pickle.loads(pickle.dumps(copy))
    assert isinstance(again, WindowedCopy)
    pd.testing.assert_frame_equal(again.read(*copy.time_range()), copy.read(*copy.time_range()))


def test_copy_reads_as_the_file(traffic: pd.DataFrame, tmp_path: Path) -> None:  # noqa: F811
    """Any time range, aligned on the windows or not, narrower or wider than one, holds the
    rows the file's filtered read gives; the rows the check left out stay out."""
    bad = traffic.copy()
    bad.loc[bad.index[::97], "lat"] = 95.0  # rejected with --invalid skip
    path = _by_flight(bad, tmp_path / "flights.parquet")
    source, rejects = check_source(DatasetSource((str(path),)), "skip")
    assert len(rejects) >= len(bad.index[::97])
    copy = partition_by_window(source, tmp_path / "copy", 900.0)
    t0, t1 = source.time_range()
    assert copy.time_range() == (t0, t1)
    key = ["source", "line"]
    for lo, hi in ((t0, t1 + 1.0), (t0 + 123.0, t0 + 456.0), (t0 + 850.0, t0 + 2800.0)):
        want = source.read(lo, hi).sort_values(key).reset_index(drop=True)
        got = copy.read(lo, hi).sort_values(key).reset_index(drop=True)
        assert len(got) > 0
        assert not (got["lat"] > 90.0).any()
        text = {c: "str" for c in ("id", "party", "callsign", "source")}
        columns = [c for c in want.columns if c in got.columns]
        assert set(want.columns) - set(columns) == {"alt_src"}  # made again where it is read
        pd.testing.assert_frame_equal(got[columns].astype(text), want[columns].astype(text))
    cfg = ScanConfig()
    same(scan_source(source, cfg, 900.0), scan_source(copy, cfg, 900.0))


def test_copy_refuses_what_it_cannot_partition(traffic: pd.DataFrame, tmp_path: Path) -> None:  # noqa: F811
    text = tmp_path / "states.csv"
    traffic.to_csv(text, index=False)
    with pytest.raises(ValueError, match="only Parquet"):
        partition_by_window(DatasetSource((str(text),)), tmp_path / "copy", 600.0)
    path = _by_flight(traffic, tmp_path / "flights.parquet")
    for window in (0.0, -5.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive finite"):
            partition_by_window(DatasetSource((str(path),)), tmp_path / "copy", window)


def test_frame_windows_read_as_the_frame(traffic: pd.DataFrame) -> None:  # noqa: F811
    """A frame in flight order (with a missing time) streamed window by window from one sort
    of its times: each window holds what a filtered read gives, rows in the frame's order."""
    frame = traffic.sort_values(["id", "t"], kind="stable").reset_index(drop=True)
    frame.loc[7, "t"] = np.nan
    source = FrameSource(frame)
    t0, t1 = source.time_range()
    bounds = window_bounds(t0, t1, 500.0)
    got = list(source.windows(bounds, 45.0))
    assert len(got) == len(bounds) > 3
    for (lo, hi), window in zip(bounds, got, strict=True):
        pd.testing.assert_frame_equal(window, source.read(lo - 45.0, hi + 45.0))
    assert sum(len(w) for w in got) > len(frame) - 1  # the context overlaps
    cfg = ScanConfig()
    same(scan_source(source, cfg, 500.0), scan(frame, cfg))
