"""A large scan made of a small one, for the report's size test and benchmarks/report.py."""

from __future__ import annotations

import pandas as pd


def many(enc: pd.DataFrame, ev: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` encounters: copies of the scan's, each with its own id and a start an hour later
    per copy; the evidence of the copies renamed alike."""
    copies, evs = [], []
    for k in range(-(-n // len(enc))):
        shift = pd.Timedelta(hours=k)
        c = enc.copy()
        c["encounter_id"] = c["encounter_id"] + f"-{k}"
        for col in ("start", "end", "t_min", "los_start", "los_end"):
            c[col] = c[col] + shift
        copies.append(c)
        e = ev.copy()
        e["encounter_id"] = e["encounter_id"] + f"-{k}"
        evs.append(e)
    return pd.concat(copies, ignore_index=True).iloc[:n], pd.concat(evs, ignore_index=True)
