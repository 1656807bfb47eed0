"""A recording replayed into the service in time order at a chosen speed.

The reports (from :func:`wellclear.formats.states.read_reports`: every format the readers know)
are cut into batches of ``batch_s`` seconds of their own time; batch ``k`` is sent when
``k * batch_s / speed`` seconds have passed since the start (later, never earlier, when the
service is slower). Times are shifted so that the first report is at the start (now), or kept
(``keep_time``). Each batch is retried until acknowledged (:class:`~wellclear.feeds.sender.
Sender`), so a replay into a restarting service is complete and stored once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wellclear.feeds.sender import Sender

REPLAY_COLUMNS = (
    "id", "callsign", "t", "lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "trk_deg",
    "vs_mps", "onground",
)  # fmt: skip


def parse_speed(text: str) -> float:
    """``10x``, ``10`` or ``0.5x`` as a positive factor; ``ValueError`` otherwise."""
    try:
        value = float(text.strip().lower().removesuffix("x"))
    except ValueError:
        raise ValueError(f"--speed {text!r}: expected a factor such as 10x") from None
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"--speed {text!r}: expected a positive factor")
    return value


@dataclass
class Replayed:
    batches: int = 0
    reports: int = 0
    late_s: float = 0.0


def batches_of(
    reports: pd.DataFrame, batch_s: float, shift_s: float, with_party: bool
) -> list[tuple[float, list[dict[str, object]]]]:
    """(seconds after the first report, records) per batch, in time order, times shifted."""
    if reports.empty:
        return []
    frame = reports.sort_values(["t"], kind="stable")
    t = frame["t"].to_numpy(np.float64)
    slot = np.floor((t - t[0]) / batch_s).astype(np.int64)
    columns = [c for c in REPLAY_COLUMNS if c in frame] + (["party"] if with_party else [])
    out = frame[columns].assign(t=t + shift_s).astype(object)
    out = out.where(pd.notna(out), None)
    records = out.to_dict(orient="records")
    starts = np.flatnonzero(np.r_[True, np.diff(slot) > 0])
    ends = np.r_[starts[1:], len(slot)]
    return [(float(slot[a]) * batch_s, records[a:b]) for a, b in zip(starts, ends, strict=True)]  # type: ignore[misc]


async def replay(
    reports: pd.DataFrame,
    sender: Sender,
    *,
    speed: float,
    batch_s: float = 1.0,
    keep_time: bool = False,
    progress: Callable[[Replayed, int], None] | None = None,
) -> Replayed:
    """Send ``reports`` in time order at ``speed`` (see the module docstring)."""
    start = time.time()
    shift = 0.0 if keep_time or reports.empty else start - float(reports["t"].min())
    with_party = "party" in reports and bool((reports["party"] != "unknown").any())
    done = Replayed()
    plan = batches_of(reports, batch_s, shift, with_party)
    for offset_s, records in plan:
        due = start + offset_s / speed
        wait = due - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            done.late_s = max(done.late_s, -wait)
        await sender.send(records)
        done.batches += 1
        done.reports += len(records)
        if progress is not None:
            progress(done, len(plan))
    return done
