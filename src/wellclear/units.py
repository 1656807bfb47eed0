"""Units: SI inside, units visible at the edges.

Every quantity inside wellclear is in metres, seconds and metres per second. Values given by a
user (command line, configuration) carry their unit, and are converted here, once.
"""

from __future__ import annotations

import re
from typing import Annotated

Metres = Annotated[float, "m"]
Seconds = Annotated[float, "s"]
MetresPerSecond = Annotated[float, "m/s"]

NM_M = 1852.0
FT_M = 0.3048
KT_MPS = NM_M / 3600.0
FPM_MPS = FT_M / 60.0

LENGTH_UNITS: dict[str, float] = {
    "nm": NM_M,
    "nmi": NM_M,
    "km": 1000.0,
    "m": 1.0,
    "ft": FT_M,
}
TIME_UNITS: dict[str, float] = {"s": 1.0, "min": 60.0, "h": 3600.0}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]+)\s*$")


class UnitError(ValueError):
    """A value given without a unit, with an unknown unit, or out of range."""


def _parse(text: str, table: dict[str, float], what: str) -> float:
    match = _QUANTITY.match(text)
    if match is None:
        try:
            float(text)
        except ValueError:
            raise UnitError(f"cannot read {what} {text!r}: expected a number and a unit") from None
        units = ", ".join(table)
        raise UnitError(f"{what} {text!r} has no unit: write it with one of {units}")
    number, unit = match.groups()
    factor = table.get(unit.lower())
    if factor is None:
        units = ", ".join(table)
        raise UnitError(f"unknown unit {unit!r} in {what} {text!r}: expected one of {units}")
    return float(number) * factor


def parse_length(text: str, what: str = "length") -> Metres:
    """Parse a length with its unit (nm, NM, nmi, km, m, ft) into metres."""
    return _parse(text, LENGTH_UNITS, what)


def parse_duration(text: str, what: str = "duration", *, bare_seconds: bool = False) -> Seconds:
    """Parse a duration with its unit (s, min, h) into seconds.

    With ``bare_seconds`` a plain number is read as seconds.
    """
    if bare_seconds:
        try:
            return float(text)
        except ValueError:
            pass
    return _parse(text, TIME_UNITS, what)


def positive_duration(text: str, what: str, *, at_most_s: float | None = None) -> Seconds:
    """A duration option: with its unit, finite, > 0 and (when given) at most ``at_most_s``."""
    value = positive(parse_duration(text, what), what)
    if at_most_s is not None and value > at_most_s:
        raise UnitError(f"{what} {text!r} is longer than the limit of {at_most_s:g} s")
    return value


def positive(value: float, what: str) -> float:
    """Return ``value`` if it is finite and > 0, else raise :class:`UnitError`."""
    if not (value > 0 and value < float("inf")):
        raise UnitError(f"{what} must be positive, got {value}")
    return value
