"""Reader of DAIDALUS ``.daa`` encounter files.

Layout (DAIDALUS ``SequenceReader``), text, comma- and/or blank-separated:

- ``#`` starts a comment; empty lines are ignored.
- ``key = value [unit]`` lines (blanks around ``=``) set configuration parameters.
- The first other line names the columns (case-insensitive): ``NAME``, then ``lat lon alt`` (or
  ``sx sy sz``), then ``trk gs vs`` (or ``vx vy vz``), then optional ``time``, ``alerter``,
  ``heading``, ``airspeed`` and the DO-365B sensor standard deviations ``s_EW_std``,
  ``s_NS_std``, ``s_EN_std``, ``sz_std``, ``v_EW_std``, ``v_NS_std``, ``v_EN_std``, ``vz_std``.
- An optional next line gives each column's unit in brackets (``[deg]``, ``[knot]``; ``unitless``
  or ``[none]`` for names and indices). Without it the DAIDALUS defaults apply: deg, nmi, ft,
  knot, fpm, s.
- Then one row per aircraft and time: ``Name, v1, v2, ...``; a name ``"`` repeats the previous
  row's name. The first aircraft in the file is the ownship. Rows may be interleaved or grouped
  per aircraft; the aircraft with a row at one time form the state at that time.

Everything is converted to SI here, once: positions (lat/lon in degrees, or sx/sy in metres),
altitudes (m), velocities as east/north/up components (m/s), standard deviations (m, m/s).
Bad input raises :class:`DaaDecodeError` with the file, the line and the column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wellclear.formats.errors import DecodeError
from wellclear.units import FPM_MPS, FT_M, KT_MPS, NM_M


class DaaDecodeError(DecodeError):
    """A ``.daa`` file that cannot be read: file, line, column and value are attached."""


# unit name -> (dimension, factor to SI)
UNITS: dict[str, tuple[str, float]] = {
    "deg": ("angle", 1.0),
    "rad": ("angle", 180.0 / math.pi),
    "nmi": ("length", NM_M),
    "nm": ("length", NM_M),
    "m": ("length", 1.0),
    "km": ("length", 1000.0),
    "ft": ("length", FT_M),
    "knot": ("speed", KT_MPS),
    "kn": ("speed", KT_MPS),
    "kts": ("speed", KT_MPS),
    "m/s": ("speed", 1.0),
    "fpm": ("speed", FPM_MPS),
    "ft/min": ("speed", FPM_MPS),
    "nmi/s": ("speed", NM_M),
    "kph": ("speed", 1000.0 / 3600.0),
    "s": ("time", 1.0),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "none": ("none", 1.0),
    "unitless": ("none", 1.0),
    "unspecified": ("none", 1.0),
}

# canonical column -> (aliases, dimension, default unit)
COLUMNS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "name": (("name", "aircraft", "id"), "none", "none"),
    "lat": (("lat", "latitude"), "angle", "deg"),
    "lon": (("lon", "long", "longitude"), "angle", "deg"),
    "sx": (("sx",), "length", "nmi"),
    "sy": (("sy",), "length", "nmi"),
    "alt": (("alt", "altitude", "sz"), "length", "ft"),
    "trk": (("trk", "track"), "angle", "deg"),
    "gs": (("gs", "groundspeed", "groundspd"), "speed", "knot"),
    "vs": (("vs", "verticalspeed", "hdot", "vz"), "speed", "fpm"),
    "vx": (("vx",), "speed", "knot"),
    "vy": (("vy",), "speed", "knot"),
    "time": (("time", "tm", "st"), "time", "s"),
    "alerter": (("alerter",), "none", "none"),
    "heading": (("heading",), "angle", "deg"),
    "airspeed": (("airspeed",), "speed", "knot"),
    "s_EW_std": (("s_ew_std",), "length", ""),
    "s_NS_std": (("s_ns_std",), "length", ""),
    "s_EN_std": (("s_en_std",), "length", ""),
    "sz_std": (("sz_std",), "length", ""),
    "v_EW_std": (("v_ew_std",), "speed", ""),
    "v_NS_std": (("v_ns_std",), "speed", ""),
    "v_EN_std": (("v_en_std",), "speed", ""),
    "vz_std": (("vz_std",), "speed", ""),
}
_ALIAS = {alias: canon for canon, (aliases, _, _) in COLUMNS.items() for alias in aliases}
STD_COLUMNS: tuple[str, ...] = (
    "s_EW_std",
    "s_NS_std",
    "s_EN_std",
    "sz_std",
    "v_EW_std",
    "v_NS_std",
    "v_EN_std",
    "vz_std",
)

RECORD_COLUMNS = (
    "name",
    "t",
    "lat",
    "lon",
    "sx_m",
    "sy_m",
    "alt_m",
    "vx_mps",
    "vy_mps",
    "vz_mps",
    "alerter",
    "heading_deg",
    "airspeed_mps",
    *STD_COLUMNS,
    "line",
)
"""Columns of :attr:`DaaScenario.records`: one row per data line, SI units; NaN where absent."""

_SPLIT = re.compile(r"[,\s]+")
_PARAM = re.compile(r"^\s*([A-Za-z_][\w.]*)\s+=\s+(.*?)\s*$")


@dataclass(frozen=True)
class DaaScenario:
    """A decoded ``.daa`` file.

    ``records`` follows :data:`RECORD_COLUMNS`; ``names`` lists the aircraft in order of first
    appearance (``names[0]`` is the ownship); ``latlon`` tells which position columns are used;
    ``parameters`` holds the ``key = value [unit]`` lines as (value text, unit text).
    """

    path: str
    latlon: bool
    names: tuple[str, ...]
    records: pd.DataFrame
    columns: tuple[str, ...]
    parameters: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def ownship(self) -> str:
        """Name of the ownship (the first aircraft in the file)."""
        return self.names[0]

    @property
    def has_sum(self) -> bool:
        """The file carries sensor standard deviations."""
        return any(c in self.columns for c in STD_COLUMNS)

    @property
    def has_alerter(self) -> bool:
        """The file has an ``alerter`` column."""
        return "alerter" in self.columns


def _tokens(line: str) -> list[str]:
    return [t for t in _SPLIT.split(line.strip()) if t]


def _is_units_line(tokens: list[str]) -> bool:
    return bool(tokens) and all(
        (t.startswith("[") and t.endswith("]")) or t.lower() in ("unitless", "unspecified", "none")
        for t in tokens
    )


def _unit(token: str) -> str:
    return token.strip("[]").strip().lower()


def read_daa(path: str | Path) -> DaaScenario:
    """Read a ``.daa`` file (see the module docstring); raise :class:`DaaDecodeError`."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as err:
        raise DaaDecodeError(f"cannot read: {err.strerror}", file=str(p)) from None
    return parse_daa(text.splitlines(), source=str(p))


def parse_daa(lines: Iterable[str], source: str = "<input>") -> DaaScenario:
    """Decode the lines of a ``.daa`` file."""
    params: dict[str, tuple[str, str]] = {}
    columns: list[str] | None = None
    factors: list[float] = []
    units_allowed = False
    rows: list[list[float | str | int]] = []
    last_name = ""
    names: list[str] = []
    last_time: dict[str, float] = {}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        param = _PARAM.match(line)
        if param and "," not in line:
            value, _, unit = param.group(2).partition("[")
            params[param.group(1).lower()] = (value.strip(), unit.rstrip("]").strip())
            continue
        tokens = _tokens(line)
        if columns is None:
            columns = _header(tokens, source, lineno)
            factors = [_default_factor(c, source, lineno) for c in columns]
            units_allowed = True
            continue
        if units_allowed and _is_units_line(tokens):
            factors = _units(tokens, columns, source, lineno)
            units_allowed = False
            continue
        units_allowed = False
        if any(math.isnan(f) for f in factors):
            bad = columns[[math.isnan(f) for f in factors].index(True)]
            raise DaaDecodeError(
                "missing unit (add a units line)", file=source, line=lineno, field=bad
            )
        if len(tokens) != len(columns):
            raise DaaDecodeError(
                f"expected {len(columns)} fields, found {len(tokens)}", file=source, line=lineno
            )
        name = tokens[0]
        if name == '"':
            if not last_name:
                raise DaaDecodeError('" before any aircraft name', file=source, line=lineno)
            name = last_name
        last_name = name
        if name not in last_time:
            names.append(name)
        values: dict[str, float] = {}
        for col, tok, fac in zip(columns[1:], tokens[1:], factors[1:], strict=True):
            try:
                x = float(tok)
            except ValueError:
                raise DaaDecodeError(
                    "not a number", file=source, line=lineno, field=col, value=tok
                ) from None
            if not math.isfinite(x):
                raise DaaDecodeError("not finite", file=source, line=lineno, field=col, value=tok)
            values[col] = x * fac
        t = values.get("time", 0.0)
        if name in last_time and t < last_time[name]:
            raise DaaDecodeError(
                f"time goes backwards for {name} ({t} s after {last_time[name]} s)",
                file=source,
                line=lineno,
                field="time",
                value=t,
            )
        last_time[name] = t
        rows.append(_record(name, t, values, lineno))
    if columns is None:
        raise DaaDecodeError("no header line", file=source)
    if not rows:
        raise DaaDecodeError("no aircraft states", file=source)
    records = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    records["alerter"] = records["alerter"].astype("Int64")
    return DaaScenario(
        source, "lat" in columns, tuple(names), records, tuple(columns), params
    )  # fmt: skip


def _header(tokens: list[str], source: str, lineno: int) -> list[str]:
    columns: list[str] = []
    for tok in tokens:
        canon = _ALIAS.get(tok.lower())
        if canon is None:
            raise DaaDecodeError("unknown column", file=source, line=lineno, field=tok)
        if canon in columns:
            raise DaaDecodeError("duplicate column", file=source, line=lineno, field=tok)
        columns.append(canon)
    if not columns or columns[0] != "name":
        raise DaaDecodeError("the first column must be NAME", file=source, line=lineno)
    latlon = "lat" in columns or "lon" in columns
    position = ("lat", "lon", "alt") if latlon else ("sx", "sy", "alt")
    velocity = ("trk", "gs", "vs") if "trk" in columns or "gs" in columns else ("vx", "vy", "vs")
    for need in (*position, *velocity):
        if need not in columns:
            raise DaaDecodeError("missing column", file=source, line=lineno, field=need)
    if any(c in columns for c in ("sx", "sy")) and latlon:
        raise DaaDecodeError("both lat/lon and sx/sy columns", file=source, line=lineno)
    return columns


def _default_factor(column: str, source: str, lineno: int) -> float:
    unit = COLUMNS[column][2]
    return UNITS[unit][1] if unit else math.nan


def _units(tokens: list[str], columns: list[str], source: str, lineno: int) -> list[float]:
    if len(tokens) != len(columns):
        raise DaaDecodeError(
            f"units line has {len(tokens)} units for {len(columns)} columns",
            file=source,
            line=lineno,
        )
    factors = []
    for col, tok in zip(columns, tokens, strict=True):
        unit = _unit(tok)
        if not unit:
            raise DaaDecodeError("missing unit", file=source, line=lineno, field=col, value=tok)
        known = UNITS.get(unit)
        if known is None:
            raise DaaDecodeError(
                f"unknown unit {tok!r}; known: {', '.join(UNITS)}",
                file=source,
                line=lineno,
                field=col,
                value=tok,
            )
        dim = COLUMNS[col][1]
        if known[0] != dim and not (dim == "none" and known[0] == "none"):
            raise DaaDecodeError(
                f"unit {tok} is not a {dim}", file=source, line=lineno, field=col, value=tok
            )
        factors.append(known[1])
    return factors


def _record(name: str, t: float, v: dict[str, float], lineno: int) -> list[float | str | int]:
    if "trk" in v:
        trk = math.radians(v["trk"])
        vx, vy = v["gs"] * math.sin(trk), v["gs"] * math.cos(trk)
    else:
        vx, vy = v["vx"], v["vy"]
    nan = float("nan")
    alerter = v.get("alerter")
    return [
        name,
        t,
        v.get("lat", nan),
        v.get("lon", nan),
        v.get("sx", nan),
        v.get("sy", nan),
        v["alt"],
        vx,
        vy,
        v["vs"],
        pd.NA if alerter is None else int(alerter),  # type: ignore[list-item]
        v.get("heading", nan),
        v.get("airspeed", nan),
        *(v.get(c, nan) for c in STD_COLUMNS),
        lineno,
    ]


def time_steps(scenario: DaaScenario) -> np.ndarray:
    """The distinct times of the file, ascending."""
    return np.unique(scenario.records["t"].to_numpy())
