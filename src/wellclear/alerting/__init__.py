"""DO-365 well-clear volumes, alert levels and hysteresis, agreeing with NASA DAIDALUS.

Layers (habit 5): :mod:`~wellclear.alerting.detectors` (volumes: when is a pair inside),
:mod:`~wellclear.alerting.config` (alert thresholds, alerters, named presets as data),
:mod:`~wellclear.alerting.logic` (raw levels of arrays of pairs),
:mod:`~wellclear.alerting.hysteresis` (per-pair M-of-N, persistence, across steps),
:mod:`~wellclear.alerting.scenario` (a DAIDALUS ``.daa`` scenario, step by step) and
:mod:`~wellclear.alerting.pairs` (every pair of a states table over time).
"""

from __future__ import annotations

from wellclear.alerting.config import (
    PRESETS,
    Alerter,
    AlertingConfig,
    AlertThresholds,
    ConfigError,
    config_from_dict,
    load_config,
    preset,
)
from wellclear.alerting.detectors import CD3D, TCAS3D, WCV_TAUMOD, Detector, Intervals, PairGeometry
from wellclear.alerting.hysteresis import HysteresisTable
from wellclear.alerting.logic import LevelResult, PairMetrics, pair_metrics, raw_levels
from wellclear.alerting.scenario import run_scenario
from wellclear.alerting.sum import WCV_TAUMOD_SUM

__all__ = [
    "CD3D",
    "PRESETS",
    "TCAS3D",
    "WCV_TAUMOD",
    "WCV_TAUMOD_SUM",
    "AlertThresholds",
    "Alerter",
    "AlertingConfig",
    "ConfigError",
    "Detector",
    "HysteresisTable",
    "Intervals",
    "LevelResult",
    "PairGeometry",
    "PairMetrics",
    "config_from_dict",
    "load_config",
    "pair_metrics",
    "preset",
    "raw_levels",
    "run_scenario",
]
