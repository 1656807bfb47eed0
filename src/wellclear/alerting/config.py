"""Alert thresholds, alerters and named presets, as data.

An :class:`Alerter` is an ordered list of :class:`AlertThresholds` (level 1 = least severe), each
a detector with an alerting time and an early alerting time, as DAIDALUS ``AlertThresholds`` and
``Alerter``. An :class:`AlertingConfig` is a list of alerters (a pair's ``alerter`` index picks
one, 1-based, as in DAIDALUS) plus the lookahead and the hysteresis parameters.

Presets are plain nested dictionaries with the unit written next to every value, exactly what a
user writes in a TOML or YAML file (:func:`load_config`); :func:`config_from_dict` turns either
into an :class:`AlertingConfig` and rejects unknown keys and units by name.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from wellclear.alerting.detectors import CD3D, TCAS3D, WCV_TAUMOD, Detector
from wellclear.alerting.sum import WCV_TAUMOD_SUM
from wellclear.units import UnitError, parse_duration, parse_length


@dataclass(frozen=True)
class AlertThresholds:
    """One alert level: its volume (detector) and how early it is raised (s)."""

    detector: Detector
    alerting_time_s: float
    early_alerting_time_s: float
    region: str = "NONE"


@dataclass(frozen=True)
class Alerter:
    """Ordered alert levels, least severe first; ``corrective_level`` is 1-based."""

    name: str
    levels: tuple[AlertThresholds, ...]
    corrective_level: int

    @property
    def most_severe_level(self) -> int:
        """Number of levels (the most severe level)."""
        return len(self.levels)


@dataclass(frozen=True)
class AlertingConfig:
    """Alerters, lookahead and hysteresis (DAIDALUS defaults: 2 of 4, 5 s, 4 s)."""

    name: str
    alerters: tuple[Alerter, ...]
    lookahead_s: float = 180.0
    hysteresis_s: float = 5.0
    persistence_s: float = 4.0
    alerting_m: int = 2
    alerting_n: int = 4

    def without_hysteresis(self) -> AlertingConfig:
        """As DAIDALUS ``disableHysteresis``: no M-of-N, persistence or early alerting."""
        return replace(self, hysteresis_s=0.0, persistence_s=0.0, alerting_m=0, alerting_n=0)

    @property
    def max_levels(self) -> int:
        """The largest number of levels of any alerter."""
        return max((a.most_severe_level for a in self.alerters), default=0)


class ConfigError(ValueError):
    """An alerting configuration with an unknown key, a missing value or a bad unit."""


def _length(v: Any, key: str) -> float:
    return parse_length(str(v), key)


def _time(v: Any, key: str) -> float:
    return parse_duration(str(v), key)


def _number(v: Any, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ConfigError(f"{key} must be a plain number, got {v!r}")
    return float(v)


def _integer(v: Any, key: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(f"{key} must be an integer, got {v!r}")
    return v


def _flag(v: Any, key: str) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{key} must be true or false, got {v!r}")
    return v


Parser = Callable[[Any, str], Any]

_DETECTOR_KEYS: dict[str, dict[str, Parser]] = {
    "WCV_TAUMOD": {"DTHR": _length, "ZTHR": _length, "TTHR": _time, "TCOA": _time},
    "WCV_TAUMOD_SUM": {
        "DTHR": _length,
        "ZTHR": _length,
        "TTHR": _time,
        "TCOA": _time,
        "h_pos_z_score": _number,
        "h_vel_z_score_min": _number,
        "h_vel_z_score_max": _number,
        "h_vel_z_distance": _length,
        "v_pos_z_score": _number,
        "v_vel_z_score": _number,
    },
    "CD3D": {"D": _length, "H": _length},
    "TCAS3D": {"ra": _flag},
}
_DETECTOR_CLASSES: dict[str, Callable[..., Detector]] = {
    "WCV_TAUMOD": WCV_TAUMOD,
    "WCV_TAUMOD_SUM": WCV_TAUMOD_SUM,
    "CD3D": CD3D,
    "TCAS3D": TCAS3D,
}
_LEVEL_KEYS: dict[str, Parser] = {"alerting_time": _time, "early_alerting_time": _time}
_CONFIG_KEYS: dict[str, Parser] = {
    "lookahead_time": _time,
    "hysteresis_time": _time,
    "persistence_time": _time,
    "alerting_m": _integer,
    "alerting_n": _integer,
}
_CONFIG_FIELDS = {
    "lookahead_time": "lookahead_s",
    "hysteresis_time": "hysteresis_s",
    "persistence_time": "persistence_s",
    "alerting_m": "alerting_m",
    "alerting_n": "alerting_n",
}


def _unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise ConfigError(
            f"unknown key(s) {', '.join(extra)} in {where}; allowed: {', '.join(sorted(allowed))}"
        )


def _parse(parsers: Mapping[str, Parser], key: str, value: Any, where: str) -> Any:
    try:
        return parsers[key](value, key)
    except UnitError as err:
        raise ConfigError(f"{where}: {err}") from None


def _level(data: Mapping[str, Any], where: str) -> AlertThresholds:
    kind = data.get("detector")
    if kind not in _DETECTOR_KEYS:
        raise ConfigError(f"{where}: detector must be one of {', '.join(_DETECTOR_KEYS)}")
    keys = _DETECTOR_KEYS[kind]
    _unknown(data, {"detector", "region", *keys, *_LEVEL_KEYS}, where)
    args = {k: _parse(keys, k, data[k], where) for k in keys if k in data}
    missing = [k for k in _LEVEL_KEYS if k not in data]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    try:
        detector = _DETECTOR_CLASSES[kind](**args)
    except TypeError as err:
        raise ConfigError(f"{where}: {kind} needs {', '.join(keys)} ({err})") from None
    return AlertThresholds(
        detector,
        _parse(_LEVEL_KEYS, "alerting_time", data["alerting_time"], where),
        _parse(_LEVEL_KEYS, "early_alerting_time", data["early_alerting_time"], where),
        str(data.get("region", "NONE")),
    )


def config_from_dict(data: Mapping[str, Any], name: str = "custom") -> AlertingConfig:
    """Build a configuration from preset data (values with units, as in a preset file)."""
    _unknown(data, {"name", "alerters", *_CONFIG_KEYS}, "configuration")
    alerters = []
    for i, a in enumerate(data.get("alerters", []), start=1):
        where = f"alerter {i}"
        _unknown(a, {"name", "corrective_level", "levels"}, where)
        levels = tuple(
            _level(lv, f"{where} level {k}") for k, lv in enumerate(a.get("levels", []), start=1)
        )
        if not levels:
            raise ConfigError(f"{where} has no levels")
        corrective = a.get("corrective_level", min(2, len(levels)))
        if not (isinstance(corrective, int) and 1 <= corrective <= len(levels)):
            raise ConfigError(f"{where}: corrective_level must be 1..{len(levels)}")
        alerters.append(Alerter(str(a.get("name", f"alerter_{i}")), levels, corrective))
    if not alerters:
        raise ConfigError("configuration has no alerters")
    fields = {
        _CONFIG_FIELDS[k]: _parse(_CONFIG_KEYS, k, v, "configuration")
        for k, v in data.items()
        if k in _CONFIG_KEYS
    }
    return AlertingConfig(name=str(data.get("name", name)), alerters=tuple(alerters), **fields)


def load_config(path: str | Path) -> AlertingConfig:
    """Read a user preset from a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file."""
    p = Path(path)
    text = p.read_text()
    try:
        if p.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif p.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise ConfigError(f"{p}: preset files end in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"{p}: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a table of keys")
    try:
        return config_from_dict(data, name=p.stem)
    except ConfigError as err:
        raise ConfigError(f"{p}: {err}") from None


# ---------------------------------------------------------------------------------------------
# Named presets (data). DO-365 values: DAIDALUS v2.0.4 Configurations/DO_365B_no_SUM.conf and
# DO_365B_SUM.conf; TCAS: TCAS3D.conf; see spec/standards.md sections 1.2 and 1.3.


def _wcv(kind: str, dthr: str, zthr: str, tthr: str, at: str, eat: str, region: str) -> dict:
    return {
        "detector": kind,
        "DTHR": dthr,
        "ZTHR": zthr,
        "TTHR": tthr,
        "TCOA": "0 s",
        "alerting_time": at,
        "early_alerting_time": eat,
        "region": region,
    }


def _dwc(kind: str, name: str, dthr: str, tthr: str, times: list[tuple[str, str]]) -> dict:
    zthrs = ("700 ft", "450 ft", "450 ft") if tthr != "0 s" else ("450 ft",) * 3
    regions = ("NONE", "MID", "NEAR")
    levels = [
        _wcv(kind, dthr, z, tthr, at, eat, r)
        for z, (at, eat), r in zip(zthrs, times, regions, strict=True)
    ]
    return {"name": name, "corrective_level": 2, "levels": levels}


def _do365(kind: str, suffix: str, times: dict[str, list[tuple[str, str]]]) -> list[dict]:
    return [
        _dwc(kind, "DWC_Phase_I" + suffix, "0.66 nmi", "35 s", times["I"]),
        _dwc(kind, "DWC_Phase_II" + suffix, "1500 ft", "0 s", times["II"]),
        _dwc(kind, "DWC_Non_Coop" + suffix, "2200 ft", "0 s", times["NC"]),
    ]


_NO_SUM_TIMES = {
    "I": [("55 s", "75 s"), ("55 s", "75 s"), ("25 s", "55 s")],
    "II": [("45 s", "75 s")] * 3,
    "NC": [("55 s", "110 s"), ("55 s", "110 s"), ("25 s", "90 s")],
}
_SUM_TIMES = {
    "I": [("50 s", "75 s"), ("50 s", "75 s"), ("25 s", "55 s")],
    "II": [("40 s", "75 s")] * 3,
    "NC": [("50 s", "110 s"), ("50 s", "110 s"), ("20 s", "90 s")],
}

PRESETS: dict[str, dict[str, Any]] = {
    "do365": {"alerters": _do365("WCV_TAUMOD", "", _NO_SUM_TIMES)},
    "do365-sum": {"alerters": _do365("WCV_TAUMOD_SUM", "_SUM", _SUM_TIMES)},
    "do365-phase2": {"alerters": _do365("WCV_TAUMOD", "", _NO_SUM_TIMES)[1:2]},
    "do365-noncoop": {"alerters": _do365("WCV_TAUMOD", "", _NO_SUM_TIMES)[2:3]},
    "tcas": {  # TCAS3D.conf: 60 s lookahead, alerts raised inside the volume, no hysteresis
        "lookahead_time": "60 s",
        "hysteresis_time": "0 s",
        "persistence_time": "0 s",
        "alerting_m": 0,
        "alerting_n": 0,
        "alerters": [
            {
                "name": "TCASII",
                "corrective_level": 2,
                "levels": [
                    {
                        "detector": "TCAS3D",
                        "ra": False,
                        "alerting_time": "0 s",
                        "early_alerting_time": "0 s",
                        "region": "MID",
                    },
                    {
                        "detector": "TCAS3D",
                        "ra": True,
                        "alerting_time": "0 s",
                        "early_alerting_time": "0 s",
                        "region": "NEAR",
                    },
                ],
            }
        ],
    },
    "cylinder": {
        "alerters": [
            {
                "name": "CD3D",
                "corrective_level": 1,
                "levels": [
                    {
                        "detector": "CD3D",
                        "D": "5 nmi",
                        "H": "1000 ft",
                        "alerting_time": "180 s",
                        "early_alerting_time": "180 s",
                        "region": "MID",
                    }
                ],
            }
        ]
    },
}
"""Named presets as data: the same keys and units a user's TOML/YAML preset file uses."""


def preset(name: str) -> AlertingConfig:
    """The named preset (``do365``, ``do365-sum``, ``do365-phase2``, ...) or a preset file."""
    if name in PRESETS:
        return config_from_dict(PRESETS[name], name=name)
    if Path(name).suffix.lower() in (".toml", ".yaml", ".yml"):
        return load_config(name)
    raise ConfigError(f"unknown alerter {name!r}: use one of {', '.join(PRESETS)} or a preset file")
