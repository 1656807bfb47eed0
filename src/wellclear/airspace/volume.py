"""An airspace volume: a lon/lat (multi)polygon, a floor and a ceiling, time windows, binding.

Limits are held in metres with their reference:

- ``FL``: a flight level, compared with barometric (pressure) altitude (1013.25 hPa);
- ``AMSL``: above mean sea level, compared with geometric altitude when the aircraft has it,
  else with barometric altitude (no QNH correction: the output says so);
- ``SFC``: the surface, taken as 0 m above sea level (no terrain model);
- ``AGL``: above ground, treated as above sea level, with a warning;
- ``UNL``: unlimited.

Kinds: ``sovereign``, ``restricted``, ``prohibited``, ``danger``, ``agreed``, ``controlled``,
``fir``, ``adiz``. FIR, ADIZ and controlled airspace give crossings, the others infringements.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from shapely.geometry import MultiPolygon

from wellclear.states import UNKNOWN_PARTY
from wellclear.units import FT_M, NM_M

KINDS = ("sovereign", "restricted", "prohibited", "danger", "agreed", "controlled", "fir", "adiz")
CROSSING_KINDS = frozenset({"fir", "adiz", "controlled"})
DEFAULT_MARGIN_M = 2.0 * NM_M


class LimitError(ValueError):
    """An altitude limit that cannot be read (unknown unit or reference)."""


@dataclass(frozen=True)
class Limit:
    """A floor or ceiling: ``value_m`` metres on the reference ``ref``."""

    value_m: float
    ref: str  # FL, AMSL, SFC, AGL, UNL
    text: str

    def __str__(self) -> str:
        return self.text


SFC = Limit(0.0, "SFC", "SFC")
UNL = Limit(math.inf, "UNL", "UNL")

_FL = re.compile(r"^FL\s*(\d+(?:\.\d+)?)$")
_ALT = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(FT|F|M)?\s*(AMSL|MSL|ASL|AGL|AGND|SFC|GND|STD|ALT)?$")


def parse_limit(text: str | float | int) -> Limit:
    """Read a limit: ``SFC``, ``GND``, ``UNL``, ``FL95``, ``1500 ft AMSL``, ``500 m``, ``50ft AGL``.

    A number without a unit, or an unknown unit or reference, raises :class:`LimitError`.
    """
    if isinstance(text, int | float):
        raise LimitError(f"limit {text!r} has no unit: write e.g. '1500 ft AMSL' or 'FL95'")
    raw = str(text).strip()
    s = raw.upper()
    if s in ("SFC", "GND", "SURFACE", "GROUND", "0"):
        return Limit(0.0, "SFC", raw)
    if s in ("UNL", "UNLTD", "UNLIM", "UNLIMITED", "NOTAM"):
        return Limit(math.inf, "UNL", raw)
    m = _FL.match(s)
    if m:
        return Limit(float(m.group(1)) * 100.0 * FT_M, "FL", raw)
    m = _ALT.match(s)
    if m and (m.group(2) or m.group(3)):
        value = float(m.group(1))
        unit, ref = m.group(2), m.group(3) or "AMSL"
        metres = value if unit == "M" else value * FT_M
        if ref in ("AGL", "AGND", "SFC", "GND"):
            return Limit(metres, "AGL", raw)
        if ref == "STD":  # a standard-pressure altitude is a flight level in feet
            return Limit(metres, "FL", raw)
        if metres == 0.0:  # 0 ft AMSL is the surface here (no terrain model)
            return Limit(0.0, "SFC", raw)
        return Limit(metres, "AMSL", raw)
    raise LimitError(f"cannot read altitude limit {raw!r}")


def check_limits(floor: Limit, ceiling: Limit) -> None:
    """Raise :class:`LimitError` unless ``floor`` is below ``ceiling`` (an empty band is an error).

    Limits on different references (a flight level and an altitude) are compared in metres, as
    they are compared with altitudes (see :mod:`wellclear.airspace.vertical`).
    """
    if floor.ref == "UNL":
        raise LimitError(f"floor {floor.text!r} is unlimited")
    if ceiling.ref == "SFC":
        raise LimitError(f"ceiling {ceiling.text!r} is the surface")
    if floor.value_m >= ceiling.value_m:
        raise LimitError(f"floor {floor.text!r} is not below ceiling {ceiling.text!r}")


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def _instant(text: str) -> float:
    t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone: write it in UTC with Z")
    return t.timestamp()


def parse_window(text: str) -> tuple[float, float]:
    """An ISO 8601 interval ``start/end`` or ``start/duration`` (UTC) as unix seconds."""
    try:
        a, b = text.split("/")
        start = _instant(a)
        m = _DURATION.match(b.strip())
        if m and b.strip() != "P":
            d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
            end = start + timedelta(days=d, hours=h, minutes=mi, seconds=s).total_seconds()
        else:
            end = _instant(b)
    except ValueError as e:
        raise ValueError(f"cannot read time window {text!r}: {e}") from None
    if end <= start:
        raise ValueError(f"time window {text!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class Volume:
    """A volume of airspace. ``geometry`` is in lon/lat degrees, split at the antimeridian."""

    name: str
    kind: str
    geometry: MultiPolygon
    floor: Limit = SFC
    ceiling: Limit = UNL
    windows: tuple[tuple[float, float], ...] | None = None
    binds: frozenset[str] | None = None
    exempt: frozenset[str] = frozenset()
    owner: str | None = None
    margin_m: float = DEFAULT_MARGIN_M
    source: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def event(self) -> str:
        """``crossing`` for FIR, ADIZ and controlled airspace, else ``infringement``."""
        return "crossing" if self.kind in CROSSING_KINDS else "infringement"

    def binds_party(
        self, party: str, party_state: Mapping[str, str], bind_unknown: bool = False
    ) -> bool:
        """Whether this volume binds aircraft of ``party``.

        A sovereign volume binds every party except the owner's and ``unknown`` (unless
        ``bind_unknown``); a party is mapped to a state by ``party_state`` (keys lower case),
        else taken as a state code. Other volumes bind the listed parties, or everyone not
        exempt.
        """
        p = party.strip().lower()
        if p in {e.lower() for e in self.exempt}:
            return False
        if self.binds is not None:
            return p in {b.lower() for b in self.binds}
        if self.kind == "sovereign" and self.owner is not None:
            if p in ("", UNKNOWN_PARTY):
                return bind_unknown
            return party_state.get(p, p).upper() != self.owner.upper()
        return True

    def active(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Whether the volume is active at each time (unix s)."""
        t = np.asarray(t, dtype=np.float64)
        if self.windows is None:
            return np.ones(t.shape, dtype=bool)
        out = np.zeros(t.shape, dtype=bool)
        for a, b in self.windows:
            out |= (t >= a) & (t < b)
        return out


def parse_party_state(text: str | None) -> dict[str, str]:
    """``russia=RUS,turkey=TUR`` -> ``{'russia': 'RUS', 'turkey': 'TUR'}``."""
    out: dict[str, str] = {}
    if not text:
        return out
    for item in text.split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise ValueError(f"--party-state item {item!r}: expected party=ISO3")
        k, v = item.split("=", 1)
        out[k.strip().lower()] = v.strip().upper()
    return out
