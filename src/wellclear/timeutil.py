"""Times: unix seconds inside; ISO 8601 (UTC when no zone is given) or unix seconds at the edges."""

from __future__ import annotations

from datetime import datetime

import pandas as pd


def parse_time(value: str | float | int | datetime | pd.Timestamp) -> float:
    """Unix seconds from unix seconds (number or text) or an ISO 8601 time (naive = UTC)."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        try:
            stamp = pd.Timestamp(text)
        except ValueError:
            raise ValueError(f"not a time: {value!r} (use unix seconds or ISO 8601)") from None
    else:
        stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return float(stamp.timestamp())


def iso(t: float) -> str:
    """ISO 8601 UTC text of unix seconds, e.g. ``2021-10-07T13:30:00Z``."""
    stamp = pd.Timestamp(t, unit="s", tz="UTC")
    text = stamp.isoformat().replace("+00:00", "Z")
    return text
