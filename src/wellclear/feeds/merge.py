"""Messages merged per aircraft into states, batch after batch, as one decoding of the whole
stream would merge them.

Each batch is decoded by the readers' own decoders (:func:`wellclear.formats.modes.
decode_frames`, rs1090's stateful CPR within a call; :func:`wellclear.formats.sbs.parse_sbs`),
with, in front of it, the messages it may need from before: per aircraft the latest airborne
position of each CPR parity (so that a position pairs with one of the previous batch: global
decoding, then local from it), the latest velocity and the latest identification (Mode S);
the latest message of each transmission type a position takes something from (SBS: 1
identification, 4 velocity, 5/6/7 altitude; positions, whole in themselves, are not carried).
Rows that come from those carried messages are left out of the batch's states (they were
states of an earlier batch).

A merger belongs to one feed task and is not safe for concurrent use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wellclear.formats.feeds import FeedResult
from wellclear.formats.modes import Frames, decode_frames
from wellclear.formats.sbs import parse_sbs

_POSITION_TC = set(range(9, 19)) | {20, 21, 22}
_SBS_CARRIED = {"1", "4", "5", "6", "7"}


def carry_slot(frame: str) -> tuple[str, int] | None:
    """(ICAO address, slot) of an ADS-B frame worth carrying: 0/1 airborne position of even/odd
    CPR format, 2 airborne velocity, 3 identification; None for the others.

    Bits (1-based, of the 112): DF 1-5, AA 9-32, TC 33-37, CPR format F 54 (DO-260B 2.2.3.2.3).
    """
    if len(frame) != 28:
        return None
    df = int(frame[0:2], 16) >> 3
    if df not in (17, 18):
        return None
    tc = int(frame[8:10], 16) >> 3
    icao = frame[2:8].lower()
    if tc in _POSITION_TC:
        return icao, (int(frame[13], 16) >> 2) & 1
    if tc == 19:
        return icao, 2
    if 1 <= tc <= 4:
        return icao, 3
    return None


@dataclass
class ModeSMerger:
    """Mode S frames (hex) of one feed, decoded batch by batch with what each aircraft carried."""

    source: str
    reference: tuple[float, float] | None = None
    max_age_s: float = 10.0
    _carry: dict[tuple[str, int], tuple[float, str]] = field(default_factory=dict)

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
        for when, frame in zip(t.tolist(), hexes, strict=True):
            slot = carry_slot(frame)
            if slot is not None:
                self._carry[slot] = (when, frame.lower())
        return result


@dataclass
class SbsMerger:
    """SBS lines of one feed, decoded batch by batch with what each aircraft carried."""

    source: str
    tz: str = "UTC"
    max_age_s: float = 10.0
    _carry: dict[tuple[str, str], str] = field(default_factory=dict)

    def decode(self, lines: list[str]) -> FeedResult:
        """States of the lines (numbered from 1 in the batch; rejects name those numbers)."""
        carried = list(self._carry.values())
        n0 = len(carried)
        result = parse_sbs(
            carried + lines, source=self.source, tz=self.tz, max_age_s=self.max_age_s
        )
        states = result.frame
        keep = states["line"].to_numpy() > n0
        result.states = states[keep].assign(line=states["line"][keep] - n0).reset_index(drop=True)
        rejects = result.rejects
        if len(rejects):
            lines_no = pd.to_numeric(rejects["line"]).to_numpy()
            rejects = rejects[lines_no > n0].copy()
            rejects["line"] = pd.to_numeric(rejects["line"]) - n0
        result.rejects = rejects.reset_index(drop=True)
        for text in lines:
            cells = text.split(",", 5)
            if len(cells) > 4 and cells[0] == "MSG" and cells[1].strip() in _SBS_CARRIED:
                self._carry[(cells[4].strip().lower(), cells[1].strip())] = text
        if len(self._carry) > 50_000:  # aircraft long gone: keep the newest half
            items = list(self._carry.items())
            self._carry = dict(items[len(items) // 2 :])
        return result
