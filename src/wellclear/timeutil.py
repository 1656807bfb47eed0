"""Times: unix seconds inside; ISO 8601 (UTC when no zone is given) or unix seconds at the edges."""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd

# times a surveillance record can carry: from 1970 (unix 0) to the end of 2199
LATEST_S = 7_258_118_400.0


def parse_time(value: str | float | int | datetime | pd.Timestamp) -> float:
    """Unix seconds from unix seconds (number or text) or an ISO 8601 time (naive = UTC).

    NaN, infinities and times outside 1970-2199 are refused (:class:`ValueError`).
    """
    if isinstance(value, (int, float)):
        return _plausible(float(value), value)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None:
            return _plausible(number, value)
        try:
            stamp = pd.Timestamp(text)
        except (ValueError, OverflowError):
            raise ValueError(f"not a time: {value!r} (use unix seconds or ISO 8601)") from None
        if stamp is pd.NaT:
            raise ValueError(f"not a time: {value!r} (use unix seconds or ISO 8601)")
    else:
        stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return _plausible(float(stamp.timestamp()), value)


def _plausible(seconds: float, given: object) -> float:
    if not math.isfinite(seconds):
        raise ValueError(f"not a time: {given!r} (use unix seconds or ISO 8601)")
    if not 0.0 <= seconds < LATEST_S:
        raise ValueError(f"time {given!r} is outside 1970-2199 (unix seconds or ISO 8601)")
    return seconds


def iso(t: float) -> str:
    """ISO 8601 UTC text of unix seconds, e.g. ``2021-10-07T13:30:00Z``."""
    stamp = pd.Timestamp(t, unit="s", tz="UTC")
    text = stamp.isoformat().replace("+00:00", "Z")
    return text
