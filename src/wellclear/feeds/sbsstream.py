"""SBS lines parsed and merged one at a time, as they arrive (the live feed's SBS path).

The wire layout and the merging rules are those of :mod:`wellclear.formats.sbs` (its module
docstring): a MSG,2/3 line with a position is a state; a MSG,3 state takes ground speed, track
and vertical rate from the aircraft's latest MSG,4 no older than ``max_age_s``; a state without
an altitude the latest MSG,5/6/7 altitude as old at most; the callsign is the latest the
aircraft sent, or for states before any its first one. Here "latest" is the latest at or
before the state's time received before its line, or after it at the same time while the state
is still in the batch being made (a live stream arrives in time order; on such a stream the
states are those of :func:`~wellclear.formats.sbs.parse_sbs` over the whole stream, which the
tests hold, but for a state whose batch was taken before an update of the same time arrived:
the file reader, seeing the whole stream, puts that update in the state; a name that comes
later is put in the states of its batch only). The aircraft's state lives in the parser
between batches, so that a batch is taken (:meth:`SbsStream.take`) with no work left but
building its table.

A line is read in one regular-expression match (the form dump1090 and readsb write, numbers as
decimals); the lines that do not match, or whose values are out of range, are judged by
:func:`~wellclear.formats.sbs.parse_sbs` (all of a batch's in one call, when it is taken), so
that their rejects name the same field and reason as the file reader's; a line that reader
accepts but this one cannot read (an exponent too large, for instance) is rejected with the
reason ``not in the form dump1090 writes``. Times are read as UTC (the feed's SBS is read as
UTC: ``wellclear feed`` has no zone option).

A stream belongs to one feed task and is not safe for concurrent use.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wellclear.formats.feeds import FeedResult, finish_states, make_rejects
from wellclear.formats.sbs import OTHER_TYPES, parse_sbs
from wellclear.units import FPM_MPS, FT_M, KT_MPS

_NUMBER = r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)?\s*"
_LINE = re.compile(
    r"\s*MSG\s*,\s*([1-8])\s*,[^,]*,[^,]*,\s*(~?[0-9a-fA-F]{6})\s*,[^,]*,"
    r"\s*(\d{4})/(\d{2})/(\d{2})\s*,\s*(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?\s*,"
    r"[^,]*,[^,]*,([^,]*),"
    + ",".join([_NUMBER] * 6)
    + r",[^,]*,[^,]*,[^,]*,[^,]*,\s*(-1|0|1|)\s*\r?"
)
"""MSG lines of 22 fields: groups type, address, date (3), time (4), callsign, altitude,
ground speed, track, lat, lon, vertical rate, on-ground flag."""

ROW_COLUMNS = (
    "id", "t", "line", "lat", "lon", "alt_baro_m", "gs_mps", "trk_deg", "vs_mps", "onground",
    "callsign",
)  # fmt: skip
"""The slots of a state row as :meth:`SbsStream.take` builds its table from them."""

Velocity = tuple[float, float, float, float]  # t, gs m/s, track deg, vs m/s


@dataclass
class _Aircraft:
    velocity: Velocity | None = None
    altitude: tuple[float, float] | None = None  # t, m (MSG 5/6/7)
    callsign: str = ""
    unnamed: list[int] = field(default_factory=list)  # this batch's states before any name
    seen_s: float = 0.0
    last_t: float = math.nan  # the time of its latest state in this batch, and those states:
    last_rows: list[tuple[int, bool, bool]] = field(default_factory=list)
    """(row, airborne, without an altitude of its own): an update at the same time that
    arrives after them is theirs too (the file reader takes the latest at or before the
    state's time)."""


@dataclass
class SbsStream:
    """Lines of one SBS feed (:meth:`feed`), states batch by batch (:meth:`take`)."""

    source: str
    max_age_s: float = 10.0
    keep_s: float = 600.0
    """Aircraft silent this long are forgotten (their name included)."""
    _aircraft: dict[str, _Aircraft] = field(default_factory=dict)
    _rows: list[list[object]] = field(default_factory=list)
    _unread: list[tuple[int, str]] = field(default_factory=list)
    _counts: dict[str, int] = field(default_factory=dict)
    _line: int = 0
    _batch_start: int = 0  # the last line of the previous batch
    _days: dict[tuple[str, str, str], float | None] = field(default_factory=dict)

    def feed(self, lines: list[str]) -> None:
        """Parse and merge ``lines`` (without their line ends), numbered on from the last."""
        counts = self._counts
        for text in lines:
            self._line += 1
            m = _LINE.fullmatch(text)
            if m is None or not self._row(m):
                if not text.strip():
                    counts["blank"] = counts.get("blank", 0) + 1
                elif text.split(",", 1)[0].strip() in OTHER_TYPES:
                    counts["other_messages"] = counts.get("other_messages", 0) + 1
                else:
                    self._unread.append((self._line, text))

    def _day(self, y: str, mo: str, d: str) -> float | None:
        key = (y, mo, d)
        if key not in self._days:
            try:
                self._days[key] = float(calendar.timegm((int(y), int(mo), int(d), 0, 0, 0)))
                last = calendar.monthrange(int(y), int(mo))[1] if 1 <= int(mo) <= 12 else 0
                if not 1 <= int(d) <= last:
                    self._days[key] = None
            except (ValueError, OverflowError):
                self._days[key] = None
        return self._days[key]

    def _row(self, m: re.Match[str]) -> bool:
        """Merge one matched line; False when a value is out of range (judged elsewhere)."""
        (tt_s, hex_s, y, mo, d, hh, mi, ss, frac, name, a, g, k, la, lo, v, ground) = m.groups()
        day = self._day(y, mo, d)
        h, mn, s = int(hh), int(mi), int(ss)
        if day is None or h > 23 or mn > 59 or s > 59:
            return False
        t = day + h * 3600 + mn * 60 + s + (int(frac) / 10 ** len(frac) if frac else 0.0)
        nan = math.nan
        alt, gs, trk = float(a) if a else nan, float(g) if g else nan, float(k) if k else nan
        lat, lon, vs = float(la) if la else nan, float(lo) if lo else nan, float(v) if v else nan
        if math.inf in (abs(alt), abs(gs), abs(trk), abs(lat), abs(lon), abs(vs)):
            return False  # an exponent too large
        if abs(lat) > 90.0 or abs(lon) > 180.0 or gs < 0.0:
            return False
        tt = int(tt_s)
        key = hex_s.lower()
        plane = self._aircraft.get(key)
        if plane is None:
            plane = self._aircraft[key] = _Aircraft()
        plane.seen_s = t
        counts = self._counts
        counts[f"msg{tt}"] = counts.get(f"msg{tt}", 0) + 1
        alt_m, name = alt * FT_M, name.strip()
        if tt in (2, 3):
            if lat != lat or lon != lon:
                counts["no_position"] = counts.get("no_position", 0) + 1
            else:
                self._state(plane, key, t, tt, alt_m, gs, trk, lat, lon, vs, ground)
        same = plane.last_rows if t == plane.last_t else []
        rows = self._rows
        if tt == 4:
            plane.velocity = (t, gs * KT_MPS, trk % 360.0, vs * FPM_MPS)
            for i, airborne, _ in same:
                if airborne:
                    rows[i][6:9] = plane.velocity[1:]
        elif tt in (5, 6, 7) and alt_m == alt_m:
            plane.altitude = (t, alt_m)
            for i, _, no_altitude in same:
                if no_altitude:
                    rows[i][5] = alt_m
        if name:
            plane.callsign = name
            for i in plane.unnamed:
                rows[i][10] = name
            for i, _, _ in same:
                rows[i][10] = name
            plane.unnamed = []
        return True

    def _state(
        self,
        plane: _Aircraft,
        key: str,
        t: float,
        tt: int,
        alt_m: float,
        gs: float,
        trk: float,
        lat: float,
        lon: float,
        vs: float,
        ground: str,
    ) -> None:
        """One state row: the position line with what the aircraft sent before it."""
        old = self.max_age_s
        gs_mps, trk_deg, vs_mps = gs * KT_MPS, trk % 360.0, vs * FPM_MPS
        if tt == 3:
            v = plane.velocity
            fresh = v is not None and v[0] <= t and t - v[0] <= old
            gs_mps, trk_deg, vs_mps = v[1:] if fresh and v is not None else (math.nan,) * 3
        a = plane.altitude
        no_altitude = alt_m != alt_m
        if no_altitude and a is not None and a[0] <= t and t - a[0] <= old:
            alt_m = a[1]
        onground = tt == 2 or ground in ("-1", "1")
        row = len(self._rows)
        if not plane.callsign:
            plane.unnamed.append(row)
        if t != plane.last_t:
            plane.last_t, plane.last_rows = t, []
        plane.last_rows.append((row, tt == 3, no_altitude))
        self._rows.append(
            [key, t, self._line, lat, lon, alt_m, gs_mps, trk_deg, vs_mps, onground, plane.callsign]
        )

    def _judge(self) -> list[tuple[int, str, str, str]]:
        """The file reader's verdicts on the lines this parser could not read, in one call."""
        lines, self._unread = self._unread, []
        if not lines:
            return []
        verdict = parse_sbs([text for _, text in lines], source=self.source)
        table = verdict.rejects
        found = {
            int(k): (str(c), str(r))
            for k, c, r in zip(table["line"], table["column"], table["reason"], strict=True)
        }
        out = []
        for k, (line, text) in enumerate(lines, 1):
            column, reason = found.get(k, ("fields", "not in the form dump1090 writes"))
            out.append((line, column, reason, text))
        return out

    def take(self) -> FeedResult:
        """The states and rejects of the lines fed since the last take (lines numbered from 1
        in the batch), and their counts."""
        base = self._batch_start
        rows, self._rows = self._rows, []
        rejects = self._judge()
        counts, self._counts = self._counts, {}
        for plane in self._aircraft.values():
            plane.unnamed, plane.last_rows, plane.last_t = [], [], math.nan
        frame = pd.DataFrame.from_records(rows, columns=ROW_COLUMNS) if rows else _empty()
        frame["line"] = frame["line"].astype(np.int64) - base
        frame["alt_geo_m"] = np.nan
        frame["source"] = self.source
        frame["source_type"] = "sbs"
        lines = np.array([r[0] - base for r in rejects], dtype=np.int64)
        table = make_rejects(
            self.source,
            lines,
            [r[1] for r in rejects],
            [r[2] for r in rejects],
            [r[3] for r in rejects],
        )
        counts.update(
            lines=self._line - base,
            rejected=len(rejects),
            positions=len(frame),
        )
        self._batch_start = self._line
        self._forget()
        return FeedResult(finish_states(frame), table, [], counts)

    def _forget(self) -> None:
        """Aircraft silent for ``keep_s`` (of the stream's own time) are dropped."""
        if not self._aircraft:
            return
        newest = max(p.seen_s for p in self._aircraft.values())
        gone = [k for k, p in self._aircraft.items() if p.seen_s < newest - self.keep_s]
        for key in gone:
            del self._aircraft[key]


def _empty() -> pd.DataFrame:
    kinds = {"id": object, "callsign": object, "line": np.int64, "onground": bool}
    return pd.DataFrame({c: pd.Series(dtype=kinds.get(c, np.float64)) for c in ROW_COLUMNS})
