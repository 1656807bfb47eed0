"""The Python API: read a snapshot of states, detect conflicts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from wellclear.detect.conflicts import detect_conflicts
from wellclear.formats.states import InvalidPolicy
from wellclear.snapshot import read_snapshot
from wellclear.timeutil import parse_time

__all__ = ["detect_conflicts", "read_states"]


def read_states(
    source: str | Path | pd.DataFrame | list[str | Path | pd.DataFrame],
    *,
    at: str | float | datetime | pd.Timestamp | None = None,
    max_age_s: float = 20.0,
    invalid: InvalidPolicy = "error",
) -> pd.DataFrame:
    """The usable states at ``at`` (default: the latest time in the input), extrapolated there.

    ``source`` is a path (CSV, Parquet, JSON), a DataFrame with any recognised column set, or a
    list of them. The table follows the states contract of :mod:`wellclear.states` plus
    ``age_s``; ``attrs["counts"]`` says how many aircraft were used, stale, incomplete, on the
    ground and how many rows were rejected.
    """
    snap = read_snapshot(
        source, at=None if at is None else parse_time(at), max_age_s=max_age_s, invalid=invalid
    )
    states = snap.states
    states.attrs["counts"] = dict(snap.counts)
    states.attrs["at"] = snap.at
    return states
