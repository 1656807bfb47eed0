"""Which aircraft of a feed belong to which party (``--party-map FILE``).

The file is CSV, one rule a line, ``party,kind,value``; ``#`` starts a comment line::

    russia,icao-range,150000-157fff
    turkey,callsign-prefix,THY
    usa,icao,ae0001

``icao-range`` is an inclusive range of 24-bit addresses (hex), ``callsign-prefix`` a prefix
of the callsign (case-insensitive), ``icao`` one address. Rules are tried in file order, the
first that matches decides; an aircraft that none matches belongs to ``unknown``
(:data:`wellclear.states.UNKNOWN_PARTY`), which the agreement may treat as a party of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wellclear.formats.errors import DecodeError
from wellclear.states import UNKNOWN_PARTY

KINDS = ("icao-range", "callsign-prefix", "icao")


class PartyMapError(DecodeError):
    """A party map line that cannot be read."""


@dataclass(frozen=True)
class Rule:
    party: str
    kind: str
    low: int = 0
    high: int = -1
    prefix: str = ""


def _address(text: str, path: str, line: int) -> int:
    try:
        value = int(text.strip(), 16)
    except ValueError:
        raise PartyMapError(
            f"not a hex ICAO address: {text!r}", file=path, line=line, field="value"
        ) from None
    if not 0 <= value <= 0xFFFFFF:
        raise PartyMapError(
            f"ICAO address out of 24 bits: {text!r}", file=path, line=line, field="value"
        )
    return value


def load_party_map(path: str | Path) -> list[Rule]:
    """The rules of a party map file (see the module docstring)."""
    rules: list[Rule] = []
    name = str(path)
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        cells = [c.strip() for c in text.split(",")]
        if len(cells) != 3 or not cells[0]:
            raise PartyMapError(
                f"expected party,kind,value; got {raw!r}", file=name, line=number, field="line"
            )
        party, kind, value = cells
        if kind == "icao-range":
            low, sep, high = value.partition("-")
            if not sep:
                raise PartyMapError(
                    f"expected LOW-HIGH, got {value!r}", file=name, line=number, field="value"
                )
            rules.append(
                Rule(party, kind, _address(low, name, number), _address(high, name, number))
            )
        elif kind == "icao":
            a = _address(value, name, number)
            rules.append(Rule(party, kind, a, a))
        elif kind == "callsign-prefix":
            rules.append(Rule(party, kind, prefix=value.upper()))
        else:
            raise PartyMapError(
                f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}",
                file=name,
                line=number,
                field="kind",
            )
    return rules


def assign_parties(rules: list[Rule], ids: pd.Series, callsigns: pd.Series) -> np.ndarray:
    """The party of each aircraft (``unknown`` where no rule matches)."""
    out = np.full(len(ids), UNKNOWN_PARTY, dtype=object)
    free = np.ones(len(ids), dtype=bool)
    address = pd.to_numeric(
        ids.astype(str).str.lstrip("~").apply(lambda s: int(s, 16) if _is_hex(s) else -1)
    ).to_numpy()
    calls = callsigns.fillna("").astype(str).str.upper()
    for rule in rules:
        if rule.kind == "callsign-prefix":
            hit = calls.str.startswith(rule.prefix).to_numpy() & (calls != "").to_numpy()
        else:
            hit = (address >= rule.low) & (address <= rule.high)
        hit &= free
        out[hit] = rule.party
        free &= ~hit
    return out


def _is_hex(text: str) -> bool:
    return 0 < len(text) <= 6 and all(c in "0123456789abcdefABCDEF" for c in text)
