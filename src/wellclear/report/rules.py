"""Rule texts and times as a person reads them.

The scan writes the rules that fired as compact text (``t=1443863261``, citations of the
project's spec sheet by section). The report shows each rule on its own, times in UTC ISO 8601
(and in a local time zone where one is given), and cites the standards themselves.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

# the sections of the scan's citations and the standards they stand for
STANDARDS = {
    "1.1": "ICAO Doc 4444 PANS-ATM separation minima; NMAC 500 ft / 100 ft as in RTCA DO-185B "
    "(TCAS II MOPS) and RTCA DO-365",
    "1.2": "RTCA DO-365 detect-and-avoid well clear, as NASA DAIDALUS computes it",
    "1.3": "TCAS II version 7.1 RA sensitivity levels, RTCA DO-185B",
    "3": "ICAO Annex 2 Rules of the Air, Appendix 2 and Attachment A (interception)",
    "7": "ICAO Doc 4444 PANS-ATM AIRPROX categories A-D, as EUROCONTROL and national boards use "
    "them",
}
_CITE = re.compile(r"\(?standards\.md (?:section |§)?([0-9.]+?)(?:,[^)]*)?\)?(?=[\s;,)]|$)")
_TIME = re.compile(r"\bt=(-?\d+(?:\.\d+)?)")


def _unix(ts: pd.Timestamp) -> float:
    return float((ts if ts.tzinfo is not None else ts.tz_localize("UTC")).timestamp())


def utc(t: pd.Timestamp | float, tz: str | None = None) -> str:
    """A time (timestamp or unix seconds) as ``YYYY-MM-DD HH:MM:SS UTC``, with the local time
    of ``tz`` (an IANA name) beside it; empty for a missing time."""
    if t is None or pd.isna(t):
        return ""
    seconds = float(t) if isinstance(t, (int, float)) else _unix(pd.Timestamp(t))
    when = datetime.fromtimestamp(seconds, UTC)
    text = when.strftime("%Y-%m-%d %H:%M:%S UTC")
    if tz:
        local = when.astimezone(ZoneInfo(tz))
        text += f" (local {local.strftime('%H:%M:%S')} UTC{local.strftime('%z')[:3]})"
    return text


def _cite(match: re.Match[str]) -> str:
    section = match.group(1).rstrip(".")
    name = STANDARDS.get(section) or STANDARDS.get(section.split(".")[0])
    return f"({name})" if name else "(proposed criterion, see the wellclear documentation)"


def in_words(rules: str, tz: str | None = None) -> list[str]:
    """The rules of a finding, one text each: times in UTC, the standards named."""
    out = []
    for part in str(rules or "").split("; "):
        part = _TIME.sub(lambda m: utc(float(m.group(1)), tz), part.strip())
        part = _CITE.sub(_cite, part)
        if part:
            out.append(part)
    return out
