"""The agreement's rules for planned operations (``plans:``; ``docs/plans.md``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wellclear.agreement.quantity import Duration, Length
from wellclear.agreement.sections import Section


class Plans(Section):
    """Filing, priorities and conformance of planned operations (ASTM F3548-21 SCD0015-0050:
    a conflict with a higher-priority operation blocks; equal priorities where permitted)."""

    notice: Duration | None = Field(
        default=None, description="Least time between filing and start (none: no notice)."
    )
    lower_priority: Literal["refuse", "accept"] = Field(
        default="refuse",
        description="An operation in conflict with a higher-priority one: refused, or "
        "accepted with the conflict recorded (it must give way).",
    )
    equal_priority: Literal["refuse", "accept"] = Field(
        default="accept", description="An operation in conflict with one of equal priority."
    )
    margin_horizontal: Length = Field(
        default=Length.parse("100 m"),
        description="Conformance: how far outside its volumes a track may be.",
    )
    margin_vertical: Length = Field(
        default=Length.parse("50 ft"), description="Conformance: the same, vertically."
    )
