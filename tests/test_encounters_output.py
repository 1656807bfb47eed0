"""Result tables written batch by batch, in order, from the caller's thread or a thread of
their own."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from wellclear.encounters.output import QueuedWriter, TableWriter


def batches() -> list[pd.DataFrame]:
    return [
        pd.DataFrame({"k": range(i * 100, (i + 1) * 100), "s": [f"b{i}"] * 100}) for i in range(7)
    ]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_queued_batches_are_written_in_order(tmp_path: Path, fmt: str) -> None:
    with QueuedWriter(TableWriter(tmp_path / "q", fmt), ahead=2) as out:
        for b in batches():
            out.write(b)
    with TableWriter(tmp_path / "d", fmt) as direct:
        for b in batches():
            direct.write(b)
    assert out.path.read_bytes() == direct.path.read_bytes()
    if fmt == "parquet":
        got = pd.read_parquet(out.path)
        assert got["k"].tolist() == list(range(700))


def test_a_failed_write_is_raised(tmp_path: Path) -> None:
    out = QueuedWriter(TableWriter(tmp_path / "e", "parquet"))
    with pytest.raises((TypeError, ValueError, OSError)), out:
        out.write(pd.DataFrame({"k": [1, 2]}))
        out.write(pd.DataFrame({"k": ["not", "a number"]}))  # the first batch fixed int64
        for _ in range(3):
            out.write(pd.DataFrame({"k": [3]}))
