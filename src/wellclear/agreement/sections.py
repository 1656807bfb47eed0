"""The sections of an agreement: each a frozen pydantic model that refuses unknown keys.

Every value with a dimension carries its unit (:mod:`wellclear.agreement.quantity`); the limits
are the command-line options' (``docs/agreement.md`` lists each field with the option and the
configuration class it replaces).
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from wellclear.agreement.iso3166 import is_alpha3
from wellclear.agreement.quantity import Angle, Duration, Frequency, Length

FloatArray = npt.NDArray[np.float64]

ALERTER_SUFFIXES = (".toml", ".yaml", ".yml")
SOVEREIGN_PREFIX = "sovereign:"
PARTY_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")

# detect.conflicts.Minima.LIMITS and the command options' limits
MAX_HORIZONTAL = "200 NM"
MAX_VERTICAL = "10000 ft"
MAX_LOOKAHEAD = "1 h"
MAX_AGE = "1 h"  # snapshot.MAX_AGE_LIMIT_S


class Section(BaseModel):
    """Frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def base_dir(info: ValidationInfo) -> Path | None:
    """The directory relative paths are read from (the agreement file's), if known."""
    ctx = info.context or {}
    base = ctx.get("base")
    return None if base is None else Path(base)


class Party(Section):
    """A party to the agreement: who sends aircraft states and receives alerts."""

    name: str = Field(description="Lower-case name, as in the states' party column (russia).")
    state: str = Field(description="ISO 3166-1 alpha-3 code of the state it belongs to (RUS).")
    contact: str | None = Field(default=None, description="How to reach its cell (free text).")
    frequency: Frequency | None = Field(
        default=None, description="Its contact frequency, if agreed."
    )
    key: str | None = Field(default=None, description="Ed25519 public key, base64 (32 bytes).")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not PARTY_NAME.match(v):
            raise ValueError(
                f"party name {v!r}: lower-case letters, digits, '_', '-' or '.', "
                "as in the states' party column"
            )
        if v == "unknown":
            raise ValueError("'unknown' is the party of unattributed traffic, not a party name")
        return v

    @field_validator("state")
    @classmethod
    def _state(cls, v: str) -> str:
        if not is_alpha3(v):
            raise ValueError(f"{v!r} is not an ISO 3166-1 alpha-3 code (e.g. TUR, RUS, USA)")
        return v

    @field_validator("key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            raw = base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("key: not base64") from None
        if len(raw) != 32:
            raise ValueError(f"key: an Ed25519 public key is 32 bytes, this one is {len(raw)}")
        return v


class Alerting(Section):
    """The well-clear alerter (``wellclear alert``, the service's alerts)."""

    alerter: str = Field(
        default="do365",
        description="A preset (do365, do365-sum, do365-phase2, do365-noncoop, tcas, cylinder) "
        "or a .toml/.yaml preset file, relative to the agreement file.",
    )
    hysteresis: bool = Field(default=True, description="DAIDALUS hysteresis (M-of-N, persistence).")

    @field_validator("alerter")
    @classmethod
    def _alerter(cls, v: str, info: ValidationInfo) -> str:
        from wellclear.alerting.config import PRESETS, ConfigError, load_config

        if v in PRESETS:
            return v
        if Path(v).suffix.lower() not in ALERTER_SUFFIXES:
            raise ValueError(
                f"unknown alerter preset {v!r}: use one of {', '.join(PRESETS)} "
                "or a .toml/.yaml preset file"
            )
        path = resolve_path(v, base_dir(info))
        if not path.is_file():
            raise ValueError(f"alerter file {v!r} not found{_looked(v, path)}")
        try:
            load_config(path)
        except (ConfigError, OSError) as err:
            raise ValueError(f"alerter file {v!r}: {err}") from None
        return v


class Conflicts(Section):
    """Conflict prediction (``wellclear detect``) and the scan's loss of separation."""

    horizontal: Annotated[Length, Length.at_most(MAX_HORIZONTAL)] = Length.parse("5NM")
    vertical: Annotated[Length, Length.at_most(MAX_VERTICAL)] = Length.parse("1000ft")
    lookahead: Annotated[Duration, Duration.at_most(MAX_LOOKAHEAD)] = Duration.parse("300s")
    between_parties: bool = Field(
        default=False, description="Only pairs of different parties (unknown differs from all)."
    )


class Encounters(Section):
    """Recorded-traffic scans (``wellclear scan``): the close-approach range."""

    proximity_horizontal: Length = Length.parse("10NM")
    proximity_vertical: Length = Length.parse("2000ft")
    merge_gap: Duration = Field(
        default=Duration.parse("10s"), description="Join intervals of one pair closer than this."
    )


class Zone(Section):
    """An airspace volume the parties agree on, and whom it binds."""

    source: str = Field(
        description="sovereign:ISO3 (codes separated by commas, or ALL), or a GeoJSON/OpenAir "
        "file relative to the agreement file."
    )
    binds: tuple[str, ...] | None = Field(
        default=None,
        description="Parties it binds; absent: as the volume says (sovereign airspace binds "
        "every party but the state's own).",
    )
    exempt: tuple[str, ...] = Field(default=(), description="Parties it never binds.")

    @field_validator("source")
    @classmethod
    def _source(cls, v: str, info: ValidationInfo) -> str:
        if v.lower().startswith(SOVEREIGN_PREFIX):
            from wellclear.airspace.sovereign import sovereign_codes, suggest_codes

            codes = [c.strip().upper() for c in v[len(SOVEREIGN_PREFIX) :].split(",")]
            codes = [c for c in codes if c]
            if not codes:
                raise ValueError(f"{v!r}: no state code: write e.g. sovereign:TUR or sovereign:ALL")
            if codes not in (["ALL"], ["*"]):
                known = set(sovereign_codes())
                bad = [c for c in codes if c not in known]
                if bad:
                    hint = suggest_codes(bad[0])
                    tip = f"; did you mean {' or '.join(hint)}?" if hint else ""
                    raise ValueError(
                        f"{v!r}: no built-in sovereign airspace for {', '.join(bad)} "
                        f"(Natural Earth adm0_a3 codes){tip}"
                    )
            return v
        path = resolve_path(v, base_dir(info))
        if not path.is_file():
            raise ValueError(f"zone file {v!r} not found{_looked(v, path)}")
        return v


class Airspace(Section):
    """Airspace checks (``wellclear airspace check``, ``scan --zones``)."""

    zones: tuple[Zone, ...] = ()
    lookahead: Annotated[Duration, Duration.at_most(MAX_LOOKAHEAD)] = Field(
        default=Duration.parse("120s"), description="How far ahead entries are predicted."
    )
    bind_unknown: bool = Field(
        default=False, description="Sovereign airspace binds unknown traffic too."
    )


class Frequencies(Section):
    """Radio frequencies every party's aircraft and cells use."""

    distress: tuple[Frequency, ...] = Field(
        default=(Frequency.parse("121.5MHz"), Frequency.parse("243.0MHz")),
        description="Distress and emergency: VHF 121.5 MHz (ICAO Annex 10) and UHF 243.0 MHz.",
        min_length=1,
    )
    contact: tuple[Frequency, ...] = Field(default=(), description="Agreed air-to-air frequencies.")


class Staleness(Section):
    """How old a report may be."""

    max_age: Annotated[Duration, Duration.at_most(MAX_AGE)] = Field(
        default=Duration.parse("20s"), description="A state older than this is stale, not used."
    )
    max_gap: Duration = Field(
        default=Duration.parse("60s"), description="A longer gap between reports splits a track."
    )


class Quantise(Section):
    """How finely an alert discloses the other aircraft (absent: exactly)."""

    bearing: Literal["clock"] | Angle | None = Field(
        default=None,
        description="clock (twelve 30-degree sectors, as traffic information) or a step.",
    )
    range: Length | None = Field(default=None, description="Step of range_m, e.g. 1NM.")
    altitude: Length | None = Field(default=None, description="Step of dalt_m, e.g. 100ft.")

    def bearing_deg(self, deg: npt.ArrayLike) -> FloatArray:
        """Bearings (deg) to the nearest step, in [0, 360): ``clock`` is 30 degrees."""
        step = 30.0 if self.bearing == "clock" else getattr(self.bearing, "value", None)
        b = np.asarray(deg, dtype=np.float64)
        return np.mod(b if step is None else np.round(b / step) * step, 360.0)

    def range_m(self, m: npt.ArrayLike) -> FloatArray:
        """Ranges (m) to the nearest multiple of the ``range`` step."""
        return _nearest(m, self.range)

    def dalt_m(self, m: npt.ArrayLike) -> FloatArray:
        """Altitude differences (m, signed) to the nearest multiple of the ``altitude`` step."""
        return _nearest(m, self.altitude)


def _nearest(values: npt.ArrayLike, step: Length | None) -> FloatArray:
    v = np.asarray(values, dtype=np.float64)
    return v if step is None else np.round(v / step.m) * step.m


class Sharing(Section):
    """What each party is told about the others' aircraft."""

    level: Literal["conflicts-only", "coarse", "full"] = Field(
        default="conflicts-only",
        description="conflicts-only: nothing but its own alerts; coarse: positions on a grid, "
        "delayed, no identity; full: everything.",
    )
    grid: Angle | None = Field(default=None, description="coarse: positions rounded to this grid.")
    delay: Duration | None = Field(default=None, description="coarse: positions shown this late.")
    quantise: Quantise = Quantise()

    @model_validator(mode="after")
    def _coarse(self) -> Sharing:
        if self.level == "coarse" and (self.grid is None or self.delay is None):
            raise ValueError("the coarse level needs a grid (e.g. 0.1deg) and a delay (e.g. 60s)")
        if self.level != "coarse" and (self.grid is not None or self.delay is not None):
            raise ValueError(f"grid and delay apply to the coarse level, not to {self.level}")
        return self


# scan classes (encounters.classify.PRECEDENCE), least severe first
REPORT_CLASSES = {
    "close-approach": "close_approach",
    "loss-of-separation": "los",
    "intercept": "intercept",
    "nmac": "nmac",
}


class Reporting(Section):
    """Which episodes are recorded as incidents, and how soon they are reported."""

    level: Literal["close-approach", "loss-of-separation", "intercept", "nmac"] = Field(
        default="loss-of-separation", description="Least severe encounter class recorded."
    )
    infringements: bool = Field(
        default=True, description="Airspace infringements are incidents too."
    )
    deadline: Duration | None = Field(
        default=None, description="Time to report an incident, e.g. 72h."
    )

    def classes(self) -> tuple[str, ...]:
        """The scan classes (``los``, ``intercept``, ``nmac``...) at or above the level."""
        names = list(REPORT_CLASSES)
        return tuple(REPORT_CLASSES[n] for n in names[names.index(self.level) :])


def _looked(text: str, path: Path) -> str:
    """`` (looked for PATH)`` when the name was relative to the agreement's directory."""
    return "" if str(path) == text else f" (looked for {path})"


def resolve_path(text: str, base: Path | None) -> Path:
    """``text`` relative to ``base`` (the agreement file's directory) unless absolute."""
    path = Path(text).expanduser()
    if path.is_absolute() or base is None:
        return path
    return base / path
