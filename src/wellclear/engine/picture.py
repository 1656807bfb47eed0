"""The live air picture: reports as they arrive, the latest state of each aircraft, snapshots.

:class:`AirPicture` keeps the reports of every aircraft that a later snapshot can still need
(its latest report and the earlier ones that can fill its empty fields, see
:func:`wellclear.snapshot.fill_missing`) and brings every usable state to a common time with
:meth:`AirPicture.snapshot`, by the same code as ``wellclear detect`` (:mod:`wellclear.snapshot`).

Reports are the reader's (:func:`wellclear.formats.states.read_reports`): a batch given in any
recognised column set is read by it first, so that a batch is validated as a file is. Across
batches the reader's rule for duplicates holds as well: a report of an aircraft at the time of
one already held (``id`` and ``t``) is an exact repeat (same position: left out and counted) or a
clash (another position: both rejected, each naming the other, since the order of arrival does
not say which is right). A report older than an aircraft's latest is kept and used only where
the snapshot rule uses it (it never supersedes a later report).

Concurrency: one writer. :meth:`AirPicture.ingest`, :meth:`AirPicture.prune` and
:meth:`AirPicture.set_state` change the picture and must be called by one owner (the engine's
loop, or the service's single ingest task); :meth:`AirPicture.snapshot` returns new frames that
share nothing with the picture, so readers may keep and read them from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wellclear.formats.errors import StatesInputError
from wellclear.formats.result import REJECT_COLUMNS, concat_rejects, empty_rejects, raise_first
from wellclear.formats.states import InvalidPolicy, read_reports
from wellclear.snapshot import Snapshot, fill_missing, snapshot_filled

# the columns of a report as the reader gives them (``t_row``: time of the row; ``t``: of its
# position); optional quality columns (nacp, nic, ...) are not kept
REPORT_COLUMNS: dict[str, str] = {
    "id": "object",
    "party": "object",
    "callsign": "object",
    "t": "float64",
    "t_row": "float64",
    "lat": "float64",
    "lon": "float64",
    "alt_baro_m": "float64",
    "alt_geo_m": "float64",
    "gs_mps": "float64",
    "trk_deg": "float64",
    "vs_mps": "float64",
    "onground": "bool",
    "source": "object",
    "line": "int64",
}
# what makes two reports of one aircraft at one time the same report (as the reader)
_SAME_POSITION = ("lat", "lon", "alt_baro_m")

Source = str | Path | pd.DataFrame | list[str | Path | pd.DataFrame]


def empty_reports() -> pd.DataFrame:
    """An empty frame of :data:`REPORT_COLUMNS`."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in REPORT_COLUMNS.items()})


def as_reports(frame: pd.DataFrame) -> pd.DataFrame:
    """The reader's frame reduced to :data:`REPORT_COLUMNS`, in (``id``, ``t_row``) order."""
    missing = [c for c in REPORT_COLUMNS if c not in frame]
    if missing:
        raise ValueError(f"reports lack the reader's columns {', '.join(missing)}")
    out = frame[list(REPORT_COLUMNS)]
    wrong = {c: d for c, d in REPORT_COLUMNS.items() if d != "object" and out[c].dtype != d}
    text = [c for c, d in REPORT_COLUMNS.items() if d == "object" and out[c].dtype != "str"]
    if wrong or text:
        out = out.astype({**wrong, **dict.fromkeys(text, "str")})
    return out.sort_values(["id", "t_row"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Ingested:
    """What one :meth:`AirPicture.ingest` did: reports kept, exact repeats left out, and the
    rejects (the reader's, and clashes with reports already held; REJECT_COLUMNS)."""

    accepted: int
    repeats: int
    rejects: pd.DataFrame = field(default_factory=empty_rejects)
    notes: tuple[str, ...] = ()


class AirPicture:
    """The latest reports of every aircraft; snapshots at any time (see the module docstring).

    ``max_age_s`` is the oldest usable report (and the longest a missing field is filled
    from an earlier one); an aircraft silent for ``forget_after_s`` (default ``max_age_s``)
    past a pruning time is forgotten by :meth:`prune`.
    """

    def __init__(self, max_age_s: float = 20.0, forget_after_s: float | None = None) -> None:
        if not max_age_s > 0:
            raise ValueError(f"max_age_s must be positive, got {max_age_s}")
        self.max_age_s = float(max_age_s)
        self.forget_after_s = float(max_age_s if forget_after_s is None else forget_after_s)
        self._reports = empty_reports()
        self._filled: pd.DataFrame | None = None

    def __len__(self) -> int:
        """Aircraft held."""
        return int(self._reports["id"].nunique())

    @property
    def n_reports(self) -> int:
        return len(self._reports)

    def time_span(self) -> tuple[float, float]:
        """Earliest and latest ``t_row`` held (NaN, NaN when empty)."""
        if self._reports.empty:
            return float("nan"), float("nan")
        t = self._reports["t_row"].to_numpy(np.float64)
        return float(t.min()), float(t.max())

    def ingest(self, reports: Source, *, invalid: InvalidPolicy = "error") -> Ingested:
        """Add a batch: the reader's frame (with ``t_row``, ``source``, ``line``) as it is,
        anything else (paths, tables in any recognised column set) through the reader.

        With ``invalid="error"`` the first rejected report raises
        :class:`~wellclear.formats.errors.StatesInputError` (file, line, field) and the
        picture is left unchanged.
        """
        notes: tuple[str, ...] = ()
        rejects: list[pd.DataFrame] = []
        if isinstance(reports, pd.DataFrame) and {"t_row", "source", "line"} <= set(reports):
            frame = as_reports(reports)
        else:
            read = read_reports(reports, invalid=invalid)
            frame = as_reports(read.frame) if len(read.frame.columns) else empty_reports()
            if len(read.rejects):
                rejects.append(read.rejects)
            notes = tuple(read.notes)
        frame, repeats, clash, held_out = self._against_held(frame)
        if clash is not None:
            rejects.append(clash)
        rejected = concat_rejects(rejects) if rejects else empty_rejects()
        if invalid == "error":
            raise_first(rejected, StatesInputError)
        if held_out:
            self._reports = self._reports.drop(index=held_out).reset_index(drop=True)
            self._filled = None
        if len(frame):
            merged = pd.concat([self._reports, frame], ignore_index=True)
            self._reports = merged.sort_values(["id", "t_row"], kind="stable").reset_index(
                drop=True
            )
            self._filled = None
        return Ingested(len(frame), repeats, rejected, notes)

    def _against_held(
        self, new: pd.DataFrame
    ) -> tuple[pd.DataFrame, int, pd.DataFrame | None, list[int]]:
        """``new`` less the exact repeats of held reports and the clashes with them. Returns
        (kept, repeats, rejects or None, rows of the held reports that clash)."""
        held = self._reports
        if held.empty or new.empty:
            return new, 0, None, []
        keys = ["id", "t"]
        cols = [*keys, *_SAME_POSITION, "source", "line"]
        t_new = new["t"].to_numpy(np.float64)
        t_held = held["t"].to_numpy(np.float64)
        if np.isnan(t_new).all():
            return new, 0, None, []
        near = (t_held >= np.nanmin(t_new)) & (t_held <= np.nanmax(t_new))  # the only matches
        if not near.any():
            return new, 0, None, []
        a = held.loc[near, cols].reset_index(names="row_h").dropna(subset=["t"])
        b = new[cols].reset_index(names="row_n").dropna(subset=["t"])
        both = a.merge(b, on=keys, suffixes=("_h", "_n"))
        if both.empty:
            return new, 0, None, []
        same = np.ones(len(both), dtype=bool)
        for name in _SAME_POSITION:
            x = both[f"{name}_h"].to_numpy(np.float64)
            y = both[f"{name}_n"].to_numpy(np.float64)
            same &= (x == y) | (np.isnan(x) & np.isnan(y))
        clash_n = set(both.loc[~same, "row_n"])
        clash_h = set(both.loc[~same, "row_h"])
        repeat_n = set(both.loc[same, "row_n"]) - clash_n
        rejects = None
        if clash_n:
            pairs = both.loc[~same]
            rows = []
            for who, other in (("n", "h"), ("h", "n")):
                rows.append(
                    pd.DataFrame(
                        {
                            "source": pairs[f"source_{who}"].to_numpy(object),
                            "line": pairs[f"line_{who}"].to_numpy(np.int64),
                            "column": "t",
                            "reason": [
                                f"duplicate report: aircraft {i} at time {t:.3f} also at "
                                f"{s}:{n} with another position"
                                for i, t, s, n in zip(
                                    pairs["id"],
                                    pairs["t"],
                                    pairs[f"source_{other}"],
                                    pairs[f"line_{other}"],
                                    strict=True,
                                )
                            ],
                            "raw": "",
                        }
                    )
                )
            rejects = pd.concat(rows, ignore_index=True)[REJECT_COLUMNS].drop_duplicates(
                ["source", "line"]
            )
        drop = sorted(clash_n | repeat_n)
        kept = new.drop(index=drop).reset_index(drop=True)
        return kept, len(repeat_n), rejects, sorted(clash_h)

    def _fill(self) -> pd.DataFrame:
        if self._filled is None:
            self._filled = fill_missing(self._reports, self.max_age_s)
        return self._filled

    def snapshot(self, now: float | None = None) -> Snapshot:
        """Every usable state brought to ``now`` (default: the latest report held), with the
        aircraft set aside counted (:class:`wellclear.snapshot.Snapshot`); new frames."""
        snap = snapshot_filled(self._fill(), now, self.max_age_s)
        return snap

    def prune(self, now: float, *, at_least: int = 0) -> int:
        """Drop the reports no snapshot at or after ``now`` can use, and the aircraft silent
        for longer than ``forget_after_s`` at ``now``; returns the number dropped.

        Kept per aircraft: its latest report at or before ``now`` and every later one, and the
        earlier ones within ``max_age_s`` of that latest (they may still fill its fields). A
        callsign is filled from any earlier report, so it is carried into the reports kept.
        Nothing is dropped when fewer than ``at_least`` reports would be (pruning a large
        picture costs a copy).
        """
        rep = self._reports
        if rep.empty:
            return 0
        t_row = rep["t_row"].to_numpy(np.float64)
        ids = rep["id"].to_numpy(object)
        start = np.flatnonzero(np.append(True, ids[1:] != ids[:-1]))
        group = np.repeat(np.arange(len(start)), np.diff(np.append(start, len(ids))))
        # the latest row at or before now per aircraft (-inf: none yet)
        t_now = np.where(t_row <= now, t_row, -np.inf)
        latest = np.maximum.reduceat(t_now, start)
        future = np.maximum.reduceat(t_row, start) > now
        forget = ~future & (latest < now - self.forget_after_s)
        keep = (t_row >= (latest - self.max_age_s)[group]) & ~forget[group]
        dropped = int((~keep).sum())
        if dropped == 0 or dropped < at_least:
            return 0
        filled = self._fill()
        kept = rep.loc[keep].reset_index(drop=True)
        kept["callsign"] = filled["callsign"].to_numpy(object)[keep]
        self._reports = kept
        self._filled = filled.loc[keep].reset_index(drop=True)
        return dropped

    def get_state(self) -> pd.DataFrame:
        """The reports held (:data:`REPORT_COLUMNS`, a copy): the whole state of the picture."""
        return self._reports.copy()

    def set_state(self, reports: pd.DataFrame) -> None:
        """Replace the picture by reports from :meth:`get_state`."""
        self._reports = as_reports(reports)
        self._filled = None
