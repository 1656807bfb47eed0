"""The record types of a result contract: :class:`Column` and :class:`Schema`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DTYPES = ("str", "float64", "int64", "bool", "timestamp")
"""Column dtypes: text (pandas object, missing as None), 64-bit float (missing as NaN), 64-bit
integer (never missing), boolean (never missing), UTC timestamp (missing as NaT)."""

TIMESTAMP = "datetime64[ns, UTC]"

# decimals written in CSV and JSON by unit: positions to 1 cm, metres to 1 cm, seconds to 1 ms
DECIMALS = {"deg": 7, "m": 2, "s": 3, "m/s": 3, "1": 6}


class SchemaError(ValueError):
    """A frame that does not match its result contract: the column and what is wrong."""


@dataclass(frozen=True)
class Column:
    """One column of a result contract.

    ``name`` may end in ``{k}`` for a numbered family (``ttv_{k}``: ``ttv_1``, ``ttv_2``, ...,
    as many as the alerter has levels). ``unit`` is an SI unit (``m``, ``s``, ``m/s``, ``deg``),
    ``1`` for a dimensionless number, ``UTC`` for a timestamp, or empty for text and flags.
    An ``optional`` column is written empty when the algorithm has no value for it (so that
    every column of the contract is always there). ``decimals`` overrides the CSV precision
    of the unit (:data:`DECIMALS`).
    """

    name: str
    dtype: str
    unit: str
    meaning: str
    optional: bool = False
    decimals: int | None = None

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name}: dtype {self.dtype!r} is not one of {DTYPES}")

    @property
    def family(self) -> bool:
        """Whether this is a numbered family of columns (``name`` ends in ``{k}``)."""
        return self.name.endswith("{k}")

    def matches(self, name: str) -> bool:
        """Whether the column ``name`` belongs to this record."""
        if self.family:
            return re.fullmatch(re.escape(self.name[:-3]) + r"[1-9][0-9]*", name) is not None
        return name == self.name

    @property
    def precision(self) -> int | None:
        """Decimals of this column in CSV and JSON (None: written as is)."""
        if self.dtype != "float64":
            return None
        return self.decimals if self.decimals is not None else DECIMALS.get(self.unit)


@dataclass(frozen=True)
class Schema:
    """A result contract: a name, a description, ordered columns, and the main time column
    (kept as unix seconds in ``t_unix``; empty when the table has no time)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    main_time: str = ""

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name}: a column is listed twice: {names}")
        if self.main_time and "t_unix" not in names:
            raise ValueError(f"schema {self.name}: main time {self.main_time} without t_unix")

    @property
    def names(self) -> list[str]:
        """The column names (families as ``name{k}``)."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The record of the output column ``name`` (a family member finds its family)."""
        for c in self.columns:
            if c.matches(name):
                return c
        raise KeyError(f"{self.name}: no column {name!r}")

    def order(self, present: Iterable[str]) -> list[str]:
        """The output columns for the columns ``present``: the contract's order, each family
        expanded to the members present, by number."""
        present = list(present)
        out: list[str] = []
        for c in self.columns:
            if c.family:
                members = [n for n in present if c.matches(n)]
                out.extend(sorted(members, key=lambda n: int(n[len(c.name) - 3 :])))
            else:
                out.append(c.name)
        return out


def pair(role_1: str, role_2: str) -> tuple[Column, ...]:
    """The six columns naming a pair: id, callsign and party of aircraft 1, then of 2."""
    cols = []
    for k, role in (("1", role_1), ("2", role_2)):
        cols += [
            Column(f"id_{k}", "str", "", f"aircraft {k}: {role} (ICAO 24-bit address or id)"),
            Column(f"callsign_{k}", "str", "", f"callsign of aircraft {k} (empty if unknown)"),
            Column(f"party_{k}", "str", "", f"party of aircraft {k} (``unknown`` if none)"),
        ]
    return tuple(cols)


def t_columns(meaning: str) -> tuple[Column, ...]:
    """The main time ``t`` (a timestamp) and ``t_unix`` (the same in unix seconds)."""
    return (
        Column("t", "timestamp", "UTC", meaning),
        Column("t_unix", "float64", "s", "``t`` in unix seconds (UTC)", decimals=6),
    )
