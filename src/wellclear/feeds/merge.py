"""Mode S messages merged per aircraft into states, batch after batch, as one decoding of the
whole stream would merge them (SBS lines are merged one at a time: :mod:`.sbsstream`).

Each batch is decoded by the readers' own decoder (:func:`wellclear.formats.modes.
decode_frames`, rs1090's stateful CPR within a call), with, in front of it, the messages it
may need from before: per aircraft the latest airborne position of each CPR parity (so that a
position pairs with one of the previous batch: global decoding, then local from it), the
latest velocity and the latest identification. Rows that come from those carried messages are
left out of the batch's states (they were states of an earlier batch).

A merger belongs to one feed task and is not safe for concurrent use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wellclear.feeds.bits import carry_slots
from wellclear.formats.feeds import FeedResult
from wellclear.formats.modes import Frames, decode_frames


@dataclass
class ModeSMerger:
    """Mode S frames (hex) of one feed, decoded batch by batch with what each aircraft carried."""

    source: str
    reference: tuple[float, float] | None = None
    max_age_s: float = 10.0
    _carry: dict[tuple[int, int], tuple[float, str]] = field(default_factory=dict)

    def decode(self, t: np.ndarray, hexes: list[str], line: np.ndarray) -> FeedResult:
        """States of the frames (times ``t`` unix s, message numbers ``line`` > 0)."""
        oldest = (float(t.min()) if len(t) else 0.0) - self.max_age_s
        self._carry = {
            k: v for k, v in self._carry.items() if v[0] >= oldest or k[1] == 3
        }  # identifications are kept: a callsign holds for the whole flight
        carried = list(self._carry.values())
        n0 = len(carried)
        frames = Frames(
            self.source,
            np.concatenate([np.array([c[0] for c in carried], dtype=np.float64), t]),
            np.array([c[1] for c in carried] + [h.lower() for h in hexes], dtype=object),
            np.concatenate([-np.arange(1, n0 + 1, dtype=np.int64), line.astype(np.int64)]),
            np.zeros(n0 + len(hexes), dtype=bool),
        )
        result = decode_frames(frames, reference=self.reference, max_age_s=self.max_age_s)
        states = result.frame
        result.states = states[states["line"].to_numpy() > 0].reset_index(drop=True)
        result.counts = {k: v for k, v in result.counts.items() if k in ("frames", "not_decoded")}
        result.counts["frames"] = len(hexes)
        result.counts["positions"] = len(result.frame)
        lowered = frames.hex[n0:]
        address, slot = carry_slots(list(lowered))
        rows = np.flatnonzero(slot >= 0)
        key = address[rows] * 4 + slot[rows]
        _, last = np.unique(key[::-1], return_index=True)  # the latest frame of each slot
        for i in rows[len(rows) - 1 - last].tolist():
            self._carry[(int(address[i]), int(slot[i]))] = (float(t[i]), str(lowered[i]))
        return result
