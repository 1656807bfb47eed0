"""Alert levels of arrays of pairs: raw levels, their violation times, and pair metrics.

The raw level of a pair is the most severe level of its alerter whose volume is violated now or
within that level's alerting time; where the pair's last output was that very level (and the
history is still alive), the early alerting time applies instead (DAIDALUS
``DaidalusCore.check_alerting_thresholds``). Hysteresis is applied on top by
:class:`~wellclear.alerting.hysteresis.HysteresisTable`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wellclear.alerting._num import FloatArray, almost_equals
from wellclear.alerting.config import AlertingConfig
from wellclear.alerting.detectors import (
    WCV_TAUMOD,
    PairGeometry,
    dcpa,
    hmd,
    tcpa,
    time_coalt,
    vmd,
)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LevelResult:
    """Per pair: raw level (-1 where the alerter index is invalid) and, per level k (1-based),
    the time to violation of level k's volume (inf: none within the lookahead; NaN: the pair's
    alerter has no level k)."""

    raw: IntArray
    time_to_violation: FloatArray  # (N, max_levels)


def raw_levels(
    config: AlertingConfig,
    geo: PairGeometry,
    alerter_index: IntArray,
    early_level: IntArray,
) -> LevelResult:
    """Raw alert levels of N pairs; ``alerter_index`` is 1-based into ``config.alerters``."""
    n = len(geo)
    raw = np.full(n, -1, dtype=np.int64)
    ttv = np.full((n, config.max_levels), np.nan)
    T = config.lookahead_s
    for a, alerter in enumerate(config.alerters, start=1):
        mask = alerter_index == a
        if not mask.any():
            continue
        sub = geo.subset(mask)
        level_of = np.zeros(int(mask.sum()), dtype=np.int64)
        early = early_level[mask]
        for k in range(alerter.most_severe_level, 0, -1):
            thr = alerter.levels[k - 1]
            with np.errstate(all="ignore"):  # extreme inputs: inf/NaN resolve as DAIDALUS's
                iv = thr.detector.intervals(sub, 0.0, T)
            at = np.where(early == k, thr.early_alerting_time_s, thr.alerting_time_s)
            hit = iv.conflict_before(at) & (level_of == 0)
            level_of = np.where(hit, k, level_of)
            col = ttv[:, k - 1]
            col[mask] = iv.time_to_violation()
        raw[mask] = level_of
    return LevelResult(raw, ttv)


@dataclass(frozen=True)
class PairMetrics:
    """Performance metrics of N pairs now, as DAIDALUS prints them (SI, straight lines)."""

    horizontal_separation: FloatArray
    vertical_separation: FloatArray
    horizontal_closure_rate: FloatArray
    vertical_closure_rate: FloatArray
    hmd: FloatArray
    vmd: FloatArray
    tcpa: FloatArray
    dcpa: FloatArray
    tcoa: FloatArray
    taumod: FloatArray


def pair_metrics(geo: PairGeometry, lookahead_s: float, dthr_m: float | None) -> PairMetrics:
    """Separation, closure rates, HMD/VMD within the lookahead, TCPA/DCPA, TCOA and tau_mod.

    TCPA is clipped at 0 (diverging pairs) and DCPA is then the current range; TCOA is NaN where
    the pair is diverging vertically or level (DAIDALUS prints nothing); tau_mod is taken for
    ``dthr_m`` and is NaN where not closing or already inside DTHR.
    """
    s, v = geo.s, geo.v
    s2, v2 = s[:, :2], v[:, :2]
    t_cpa = tcpa(s2, v2)
    rng = np.hypot(s2[:, 0], s2[:, 1])
    d_cpa = np.where(t_cpa <= 0, rng, dcpa(s2, v2))
    sz, vz = s[:, 2], v[:, 2]
    tco = np.where(almost_equals(vz, 0), -np.inf, time_coalt(sz, vz))
    tco = np.where(tco >= 0, tco, np.nan)
    if dthr_m is None:
        tau = np.full(len(geo), np.nan)
    else:
        sdotv = s2[:, 0] * v2[:, 0] + s2[:, 1] * v2[:, 1]
        dmod2 = dthr_m**2 - (s2[:, 0] ** 2 + s2[:, 1] ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = np.where((dmod2 < 0) & (sdotv < 0), dmod2 / sdotv, np.nan)
    return PairMetrics(
        horizontal_separation=rng,
        vertical_separation=np.abs(sz),
        horizontal_closure_rate=np.hypot(v2[:, 0], v2[:, 1]),
        vertical_closure_rate=np.abs(vz),
        hmd=hmd(s2, v2, lookahead_s),
        vmd=vmd(sz, vz, lookahead_s),
        tcpa=np.maximum(0.0, t_cpa),
        dcpa=d_cpa,
        tcoa=tco,
        taumod=tau,
    )


def taumod_threshold(config: AlertingConfig) -> float | None:
    """DTHR of the corrective volume of alerter 1 if it is a WCV detector (DAIDALUS's choice
    for the ``Projected TAUMOD`` column), else None."""
    if not config.alerters:
        return None
    first = config.alerters[0]
    det = first.levels[first.corrective_level - 1].detector
    return det.DTHR if isinstance(det, WCV_TAUMOD) else None
