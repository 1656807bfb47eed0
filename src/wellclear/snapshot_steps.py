"""The input rows of a run of snapshots at ``t0, t0 + dt, ...`` (``wellclear alert``), accounted.

At each step :func:`wellclear.snapshot.snapshot` takes each aircraft's latest report at or
before the step. A row is *used* when it was an aircraft's usable state at one step at least
(:meth:`StepRows.add` is given the states of every step). The rows never used are counted
by reason:

``before_the_start``
    superseded by a later report of the same aircraft at or before the first step;
``between_steps``
    superseded before any step came (reports more frequent than the steps);
``after_the_end``
    later than the last step;
``unusable_at_every_step``
    the latest report at some steps, but stale, incomplete or on the ground at each of them.

The reasons come from the reports' times alone, the used rows from the snapshots: a row
counted twice (used, and said never to be the latest) shows as a gap in
:func:`wellclear.formats.result.accounting`, so the sum is a check.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

BoolArray = npt.NDArray[np.bool_]


class StepRows:
    """Which rows of ``reports`` (``id``, ``t_row``, ``source``, ``line``) the steps
    ``t0 + k * dt`` (``k < n_steps``) used; one per run, not shared between threads."""

    def __init__(self, reports: pd.DataFrame, t0: float, dt: float, n_steps: int) -> None:
        self._key = pd.MultiIndex.from_frame(reports[["source", "line"]].astype({"line": "int64"}))
        self._used = np.zeros(len(reports), dtype=bool)
        self._latest, self._before, self._after = _latest_at_a_step(reports, t0, dt, n_steps)

    def add(self, states: pd.DataFrame) -> None:
        """The usable states of one step (with their ``source`` and ``line``)."""
        if len(states):
            at = self._key.get_indexer(pd.MultiIndex.from_frame(states[["source", "line"]]))
            self._used[at[at >= 0]] = True

    @property
    def used(self) -> int:
        return int(self._used.sum())

    def counted(self) -> dict[str, int]:
        """The rows not used, by reason (see the module docstring)."""
        never = ~self._latest
        return {
            "before_the_start": int((never & self._before).sum()),
            "between_steps": int((never & ~self._before & ~self._after).sum()),
            "after_the_end": int(self._after.sum()),
            "unusable_at_every_step": int((self._latest & ~self._used).sum()),
        }


def _latest_at_a_step(
    reports: pd.DataFrame, t0: float, dt: float, n_steps: int
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """``(latest, before, after)`` per row of ``reports`` (in its order): whether the row is
    its aircraft's latest report (``t_row`` at or before the step, the last of equal times
    in the order of ``reports``) at one step at least; superseded at or before ``t0``; later
    than the last step."""
    n = len(reports)
    order = np.lexsort((np.arange(n), reports["t_row"].to_numpy(np.float64), _codes(reports)))
    t = reports["t_row"].to_numpy(np.float64)[order]
    ids = _codes(reports)[order]
    nxt = np.append(t[1:], np.inf)
    nxt[np.append(ids[1:] != ids[:-1], True)] = np.inf  # an aircraft's last report
    # the first step at or after the report
    k = np.maximum(np.ceil((t - t0) / dt), 0.0)
    k[t0 + k * dt < t] += 1.0
    back = (k > 0) & (t0 + (k - 1.0) * dt >= t)
    k[back] -= 1.0
    step = t0 + k * dt
    latest = (k < n_steps) & (step < nxt)
    last_step = t0 + (n_steps - 1) * dt
    out = np.zeros((3, n), dtype=bool)
    out[0, order] = latest
    out[1, order] = nxt <= t0
    out[2, order] = t > last_step
    return out[0], out[1], out[2]


def _codes(reports: pd.DataFrame) -> npt.NDArray[np.int64]:
    return np.asarray(pd.factorize(reports["id"], sort=True)[0], dtype=np.int64)
