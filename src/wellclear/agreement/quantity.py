"""Quantities of an agreement as they are written: a number and its unit, kept as text.

An agreement says ``horizontal: 5NM``, ``lookahead: 300s``, ``distress: [121.5MHz, 243.0MHz]``,
the unit next to every value as the command-line options take them (:mod:`wellclear.units`).
Each quantity keeps its text (so that a document written back reads as it was written) and its
value in SI units (metres, seconds, degrees, megahertz for frequencies, the unit radio
frequencies are quoted in); a bare number, an unknown unit, a value that is not positive and
finite, or one past the field's limit is refused with the field's name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from wellclear.units import LENGTH_UNITS, TIME_UNITS, UnitError, _parse

# radio frequencies in MHz (ICAO Annex 10 quotes aeronautical frequencies in MHz and kHz)
FREQUENCY_UNITS: dict[str, float] = {"mhz": 1.0, "khz": 1e-3, "ghz": 1e3}
ANGLE_UNITS: dict[str, float] = {"deg": 1.0}


@dataclass(frozen=True)
class Quantity:
    """A positive, finite value with its unit: ``text`` as written, ``value`` in SI units."""

    text: str
    value: float

    UNITS: ClassVar[dict[str, float]] = {}
    WHAT: ClassVar[str] = "quantity"
    MORE: ClassVar[str] = "larger"  # ... than the limit
    EXAMPLES: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def parse(cls, raw: object, what: str | None = None) -> Self:
        """``raw`` (the YAML value) as a quantity; :class:`ValueError` naming what is wrong.

        ``what`` names the value in messages (a command-line option: ``--horizontal '5' has
        no unit``, as :mod:`wellclear.units` says it); by default its kind (``length``).
        """
        if isinstance(raw, cls):
            return raw
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise ValueError(f"expected a {cls.WHAT} with its unit (e.g. {cls.EXAMPLES[0]})")
        text = str(raw).strip()
        try:
            value = _parse(text, cls.UNITS, what or cls.WHAT)
        except UnitError as err:
            raise ValueError(str(err)) from None
        if not (value > 0 and math.isfinite(value)):
            if what:
                raise ValueError(f"{what} must be positive and finite, got {text!r}")
            raise ValueError(f"{cls.WHAT} {text!r} must be positive and finite")
        return cls(text, value)

    @classmethod
    def _validate(cls, raw: object, info: core_schema.ValidationInfo) -> Self:
        return cls.parse(raw, (info.context or {}).get("what"))

    def __str__(self) -> str:
        return self.text

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda q: q.text, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # any case, as the parser (JSON Schema patterns have no flags)
        units = "|".join(
            "".join(f"[{c.lower()}{c.upper()}]" for c in u)
            for u in sorted(cls.UNITS, key=len)[::-1]
        )
        return {
            "type": "string",
            "pattern": rf"^\s*[+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*({units})\s*$",
            "description": f"a {cls.WHAT} with its unit ({', '.join(cls.UNITS)})",
            "examples": list(cls.EXAMPLES),
        }

    @classmethod
    def at_most(cls, limit: str) -> Any:
        """A pydantic validator refusing values above ``limit`` (a quantity text)."""
        from pydantic import AfterValidator

        bound = cls.parse(limit)

        def check(q: Quantity, info: core_schema.ValidationInfo) -> Quantity:
            if q.value > bound.value:
                what = (info.context or {}).get("what") or cls.WHAT
                raise ValueError(f"{what} {q.text!r} is {cls.MORE} than the limit of {limit}")
            return q

        return AfterValidator(check)


class Length(Quantity):
    """A length (``5NM``, ``1000ft``, ``9.26km``); ``value`` in metres."""

    UNITS = LENGTH_UNITS
    WHAT = "length"
    EXAMPLES = ("5NM", "1000ft", "9.26km")

    @property
    def m(self) -> float:
        return self.value


class Duration(Quantity):
    """A duration (``300s``, ``5min``, ``24h``); ``value`` in seconds."""

    UNITS = TIME_UNITS
    WHAT = "duration"
    MORE = "longer"
    EXAMPLES = ("300s", "5min", "24h")

    @property
    def s(self) -> float:
        return self.value


class Frequency(Quantity):
    """A radio frequency (``121.5MHz``, ``3023kHz``); ``value`` in MHz."""

    UNITS = FREQUENCY_UNITS
    WHAT = "frequency"
    EXAMPLES = ("121.5MHz", "243.0MHz", "3023kHz")

    @property
    def mhz(self) -> float:
        return self.value


class Angle(Quantity):
    """An angle (``0.1deg``); ``value`` in degrees."""

    UNITS = ANGLE_UNITS
    WHAT = "angle"
    EXAMPLES = ("0.1deg", "10deg")

    @property
    def deg(self) -> float:
        return self.value
