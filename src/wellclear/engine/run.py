"""A run of the engine over recorded reports: ticks ``t0, t0 + dt, ...`` up to ``t1``.

The loop of ``wellclear alert`` and :func:`wellclear.alert`: the reports are ingested once,
then the engine steps through the times as a live service would tick, and the alert levels
(level >= 1) or the alert events of every tick are gathered. :class:`~wellclear.snapshot_steps.
StepRows` accounts for every input row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wellclear.engine.assess import Assessment, EngineSettings, assess
from wellclear.engine.engine import Engine
from wellclear.engine.episodes import empty_alert_events
from wellclear.engine.picture import AirPicture
from wellclear.schemas import ALERT_EVENTS, ALERTS, conform, empty
from wellclear.snapshot import Snapshot, check_time
from wellclear.snapshot_steps import StepRows
from wellclear.timeutil import iso

# the most time steps one run takes (a day at 0.1 s)
MAX_STEPS = 864_000


@dataclass(frozen=True)
class StepRange:
    """The ticks of a run: ``n`` steps of ``dt`` seconds from ``t0``."""

    t0: float
    t1: float
    dt: float

    @property
    def n(self) -> int:
        return int((self.t1 - self.t0) // self.dt) + 1

    def times(self) -> np.ndarray:
        return self.t0 + np.arange(self.n) * self.dt


def step_range(
    reports: pd.DataFrame, start: float | None, end: float | None, dt: float, max_age_s: float
) -> StepRange:
    """The ticks from ``start`` (default: the first report) to ``end`` (default: the last),
    refused with a ValueError when they are outside the data or too many."""
    if reports.empty:
        raise ValueError("no states in the input")
    lo, hi = float(reports["t_row"].min()), float(reports["t_row"].max())
    t0 = lo if start is None else float(start)
    t1 = hi if end is None else float(end)
    if t1 < t0:
        raise ValueError(f"--end {iso(t1)} is before --start {iso(t0)}")
    if t0 > hi + max_age_s or t1 < lo:
        raise ValueError(
            f"--start {iso(t0)} to --end {iso(t1)} is outside the data: reports from {iso(lo)} "
            f"to {iso(hi)} (usable up to --max-age {max_age_s:g} s after)"
        )
    if (t1 - t0) / dt >= MAX_STEPS:
        raise ValueError(
            f"--start {iso(t0)} to --end {iso(t1)} at --step {dt:g} s is more than {MAX_STEPS:,} "
            "steps: shorten the range or lengthen the step"
        )
    return StepRange(t0, t1, dt)


@dataclass
class RunResult:
    """What a run gathered: ``table`` (alerts with level >= 1 by ``t`` then ids, or the alert
    events), ``rows`` (the input rows each step used, for the accounting), and totals."""

    table: pd.DataFrame
    rows: StepRows
    steps: int
    aircraft: int
    pairs: int
    events: int


def run_alerts(
    engine: Engine,
    reports: pd.DataFrame,
    ticks: StepRange,
    *,
    events: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Step ``engine`` through ``ticks``, ingesting before each tick the reports of
    ``reports`` (the reader's frame) that came since the last tick.

    ``aircraft`` counts the distinct aircraft used at one step at least, ``pairs`` the
    distinct ordered pairs assessed (a level, possibly 0, at one step at least).
    """
    seen = StepRows(reports, ticks.t0, ticks.dt, ticks.n)
    # fed as a live service is: before each tick the reports that came since the last one
    # (the picture then holds a window of the file, not all of it)
    order = np.argsort(reports["t_row"].to_numpy(np.float64), kind="stable")
    by_time = reports.take(order)
    t_sorted = by_time["t_row"].to_numpy(np.float64)
    fed = 0
    parts: list[pd.DataFrame] = []
    ids: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    n_events = 0
    for k, now in enumerate(ticks.times()):
        upto = int(np.searchsorted(t_sorted, now, side="right"))
        if upto > fed:
            engine.ingest(by_time.iloc[fed:upto])
            fed = upto
        res = engine.step(float(now))
        states = res.assessment.states
        seen.add(states)
        ids.update(states["id"].astype(str))
        alerts = res.assessment.alerts
        if len(alerts):
            pairs.update(zip(alerts["id_1"], alerts["id_2"], strict=True))
        n_events += len(res.events)
        if events:
            if len(res.events):
                parts.append(res.events)
        else:
            alerting = alerts[alerts["level"].to_numpy(np.int64) >= 1]
            if len(alerting):
                parts.append(alerting)
        if progress is not None:
            progress(k + 1, ticks.n)
    if events:
        table = pd.concat(parts, ignore_index=True) if parts else empty_alert_events()
    else:
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(table):
        table = table.sort_values(["t", "id_1", "id_2"], kind="stable").reset_index(drop=True)
    return RunResult(table, seen, ticks.n, len(ids), len(pairs), n_events)


def assess_at(
    reports: pd.DataFrame, settings: EngineSettings, at: float | None = None
) -> tuple[Snapshot, Assessment]:
    """One snapshot of ``reports`` (the reader's frame) at ``at`` (default: the latest report)
    and its assessment: what ``wellclear airspace check`` and :func:`wellclear.assess` do.
    A time at which no report can be used (before the first, or ``max_age_s`` after the last)
    is a ValueError saying so."""
    if at is not None:
        check_time(reports, at, settings.max_age_s)
    picture = AirPicture(settings.max_age_s)
    picture.ingest(reports)
    snap = picture.snapshot(at)
    return snap, assess(snap.states, settings, at=snap.at)


def alert_table(table: pd.DataFrame, events: bool) -> pd.DataFrame:
    """A run's alerts or events in their published contract (:data:`wellclear.schemas.ALERTS`
    or :data:`~wellclear.schemas.ALERT_EVENTS`): the documented columns, conformed."""
    schema = ALERT_EVENTS if events else ALERTS
    documented = [c for c in table.columns if any(col.matches(str(c)) for col in schema.columns)]
    if not documented:
        return conform(empty(schema), schema)
    return conform(table[documented], schema)
