"""The air picture at one instant: fill missing fields, pick each aircraft's latest state at or
before the snapshot time, and bring it to that time along its great circle and vertical rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.formats.result import counted_reasons
from wellclear.formats.states import InvalidPolicy, Reports, read_reports
from wellclear.states import STATES_COLUMNS, bring_to_common_time
from wellclear.timeutil import iso

_POSITION = ("lat", "lon")
_ALTITUDES = ("alt_baro_m", "alt_geo_m")
_FILLED = ("lat", "lon", *_ALTITUDES, "gs_mps", "trk_deg", "vs_mps")


def fill_missing(reports: pd.DataFrame, max_age_s: float) -> pd.DataFrame:
    """Fill each empty field from the same aircraft's latest earlier value within ``max_age_s``.

    Reports are sorted by (``id``, ``t_row``). A filled position keeps the time of the report it
    came from in ``t`` (it is extrapolated from there); a filled altitude keeps its own time in
    ``t_alt_baro_m`` or ``t_alt_geo_m``.
    """
    frame = reports.sort_values(["id", "t_row"], kind="stable").reset_index(drop=True)
    for name in _ALTITUDES:
        frame[f"t_{name}"] = frame["t"].to_numpy(np.float64)
    if frame.empty:
        return frame
    ids = frame["id"].to_numpy(object)
    first = _group_starts(ids)
    text = frame["callsign"].to_numpy(object)
    named = pd.notna(text) & (text != "")
    named_at = _last_valid(named, first)
    frame["callsign"] = np.where(named_at >= 0, text[np.maximum(named_at, 0)], "").astype(object)
    t_row = frame["t_row"].to_numpy(np.float64)
    has_pos = (frame["lat"].notna() & frame["lon"].notna()).to_numpy()
    for name in _FILLED:
        values = frame[name].to_numpy(np.float64)
        present = has_pos if name in _POSITION else ~np.isnan(values)
        at = _last_valid(present, first)
        when = np.where(at >= 0, t_row[at], np.nan)
        fresh = ~present & (t_row - when <= max_age_s)
        if not fresh.any():
            continue
        last = _last_valid(~np.isnan(values), first)
        filled = np.where(last >= 0, values[last], np.nan)
        frame[name] = np.where(fresh, filled, values)
        if name == "lat" or name in _ALTITUDES:
            t = frame["t"].to_numpy(np.float64)
            since = np.where(at >= 0, t[at], np.nan)  # the time of that position or altitude
            column = "t" if name == "lat" else f"t_{name}"
            frame[column] = np.where(fresh, since, frame[column].to_numpy(np.float64))
    return frame


def _group_starts(ids: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    """For rows grouped by aircraft (sorted), the index of the first row of each row's group."""
    n = len(ids)
    new = np.ones(n, dtype=bool)
    new[1:] = ids[1:] != ids[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))


def _last_valid(
    valid: npt.NDArray[np.bool_], first: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Per row, the index of the latest valid row at or before it in its group (-1: none): a
    forward fill within groups (``groupby(...).ffill()``) as indices."""
    at = np.maximum.accumulate(np.where(valid, np.arange(len(valid)), -1))
    return np.where(at >= first, at, -1)


@dataclass
class Snapshot:
    """Usable states at ``at`` and how many aircraft or rows were set aside, and why."""

    states: pd.DataFrame
    at: float
    counts: dict[str, int] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    # the rows the readers set aside, by reason (blank lines, repeats, frames without position)
    read_counts: dict[str, int] = field(default_factory=dict)

    def accounted(self) -> dict[str, int]:
        """The input rows not used in the snapshot, by reason: the readers' reasons, the
        earlier and later reports of each aircraft, and the latest reports of aircraft that
        are stale, incomplete or on the ground."""
        c = self.counts
        return {
            **self.read_counts,
            "earlier_reports": c.get("earlier", 0),
            "after_the_snapshot": c.get("later", 0),
            **{k: c.get(k, 0) for k in ("stale", "incomplete", "on_ground")},
        }


def snapshot(reports: pd.DataFrame, at: float | None, max_age_s: float) -> Snapshot:
    """Each aircraft's latest report at or before ``at``, extrapolated to ``at``.

    ``reports`` are SI reports as :func:`~wellclear.formats.states.read_reports` returns them.
    Aircraft whose latest report is on the ground, older than ``max_age_s``, or still lacks a
    position, altitude or velocity after filling are counted, not used. The returned states
    follow the states contract plus ``age_s`` (age of the position at ``at``), ``source`` and
    ``line``.
    """
    return snapshot_filled(fill_missing(reports, max_age_s), at, max_age_s)


def snapshot_filled(filled: pd.DataFrame, at: float | None, max_age_s: float) -> Snapshot:
    """:func:`snapshot` of reports already given by :func:`fill_missing` (with the same
    ``max_age_s``): a run of snapshots fills once. Filling takes earlier values only, so the
    rows at or before ``at`` are filled the same whatever later rows the frame holds."""
    if at is None:
        at = float(filled["t_row"].max()) if len(filled) else 0.0
    t_row = filled["t_row"].to_numpy(np.float64)
    ids = filled["id"].to_numpy(object)
    # rows are in (id, t_row) order: an aircraft's latest row at or before ``at`` is a kept
    # row whose next kept row is another aircraft's (as ``groupby("id").tail(1)``)
    kept = np.flatnonzero(t_row <= at)
    kept_ids = ids[kept]
    last = np.append(kept_ids[1:] != kept_ids[:-1], True) if len(kept) else np.empty(0, bool)
    latest = filled.take(kept[last]).reset_index(drop=True)
    n_before = len(kept)
    ground = latest["onground"].to_numpy(bool)
    stale_row = (at - latest["t_row"].to_numpy(np.float64)) > max_age_s
    alt_ok = latest["alt_baro_m"].notna() | latest["alt_geo_m"].notna()
    complete = (
        latest[["lat", "lon", "gs_mps", "trk_deg", "vs_mps"]].notna().all(axis=1) & alt_ok
    ).to_numpy()
    age = at - latest["t"].to_numpy(np.float64)
    stale = ~ground & (stale_row | (complete & (age > max_age_s)))
    incomplete = ~ground & ~stale & ~complete
    usable = ~ground & ~stale & ~incomplete
    states = latest.loc[usable].reset_index(drop=True)
    counts = {
        "earlier": int(n_before - latest.shape[0]),  # reports before an aircraft's latest
        "later": int(len(filled) - n_before),  # reports after ``at``
        "aircraft": int(latest.shape[0]),
        "used": int(usable.sum()),
        "stale": int(stale.sum()),
        "incomplete": int(incomplete.sum()),
        "on_ground": int(ground.sum()),
    }
    return Snapshot(_extrapolate_to(states, at), float(at), counts)


def _extrapolate_to(states: pd.DataFrame, at: float) -> pd.DataFrame:
    """Latest reports as contract states at ``at``: each altitude first brought to the time of
    the position, then everything moved to ``at`` by :func:`bring_to_common_time`."""
    t = states["t"].to_numpy(np.float64)
    vs = states["vs_mps"].to_numpy(np.float64)
    baro, geo = (
        states[name].to_numpy(np.float64) + vs * (t - states[f"t_{name}"].to_numpy(np.float64))
        for name in _ALTITUDES
    )
    has_baro = ~np.isnan(baro)
    out = pd.DataFrame(
        {
            "id": states["id"].to_numpy(object),
            "party": states["party"].to_numpy(object),
            "callsign": states["callsign"].to_numpy(object),
            "t": t,
            "lat": states["lat"].to_numpy(np.float64),
            "lon": states["lon"].to_numpy(np.float64),
            "alt_m": np.where(has_baro, baro, geo),
            "alt_baro_m": baro,
            "alt_geo_m": geo,
            "alt_src": np.where(has_baro, "baro", "geo").astype(object),
            "gs_mps": states["gs_mps"].to_numpy(np.float64),
            "trk_deg": states["trk_deg"].to_numpy(np.float64),
            "vs_mps": vs,
            "onground": np.zeros(len(states), dtype=bool),
            "age_s": np.zeros(len(states)),
            "source": states["source"].to_numpy(object),
            "line": states["line"].to_numpy(np.int64),
        }
    )
    assert list(out.columns[: len(STATES_COLUMNS)]) == list(STATES_COLUMNS)
    return bring_to_common_time(out, at)


# the longest usable age of a report: one an hour old says nothing of where an aircraft is now
MAX_AGE_LIMIT_S = 3600.0


def check_time(
    reports: pd.DataFrame, at: float, max_age_s: float, what: str = "snapshot time"
) -> None:
    """Refuse a snapshot time at which no report can be used: before the first report, or
    more than ``max_age_s`` after the last (every aircraft would be stale)."""
    if reports.empty:
        raise ValueError("no states in the input")
    first, last = float(reports["t_row"].min()), float(reports["t_row"].max())
    if at < first or at > last + max_age_s:
        raise ValueError(
            f"{what} {iso(at)} is outside the data: reports from {iso(first)} to {iso(last)} "
            f"(a snapshot uses reports at most {max_age_s:g} s old)"
        )


def read_snapshot(
    source: str | Path | pd.DataFrame | list[str | Path | pd.DataFrame],
    *,
    at: float | None = None,
    max_age_s: float = 20.0,
    invalid: InvalidPolicy = "error",
) -> Snapshot:
    """Read inputs and take the snapshot at ``at`` (default: the latest time in the input)."""
    reports: Reports = read_reports(source, invalid=invalid)
    if at is not None:
        check_time(reports.frame, at, max_age_s)
    snap = snapshot(reports.frame, at, max_age_s)
    snap.rejects = reports.rejects
    snap.warnings = reports.warnings
    snap.counts["rejected"] = len(reports.rejects)
    snap.counts["rows"] = reports.counts.get("rows", len(reports.frame) + len(reports.rejects))
    snap.read_counts = counted_reasons(reports.counts)
    return snap
