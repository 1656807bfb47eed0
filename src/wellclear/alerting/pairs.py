"""All-pairs alerting over a states table, step after step.

Every ordered pair (ownship i, intruder j) of the aircraft in a states snapshot (the contract of
:mod:`wellclear.states`) is put in i's tangent frame, as DAIDALUS would with i as ownship, and
given an alert level by the intruder's alerter (column ``alerter`` if present, else alerter 1).
Pairs are pruned first with the candidate search of ``wellclear detect`` (see
:func:`candidate_ordered_pairs` for the cylinder that holds every volume). A pair that has a
hysteresis state but is pruned at this step still feeds a raw level 0 into its history (as
DAIDALUS, which never prunes, would compute 0 for it), so that hysteresis agrees when it comes
back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wellclear.alerting.config import AlertingConfig
from wellclear.alerting.detectors import CD3D, TCAS3D, WCV_TAUMOD, PairGeometry
from wellclear.alerting.geometry import (
    project,
    project_velocity,
    velocity_from_track,
)
from wellclear.alerting.hysteresis import HysteresisTable, State
from wellclear.alerting.logic import pair_metrics, raw_levels, taumod_threshold
from wellclear.detect.candidates import candidate_pairs
from wellclear.detect.conflicts import Traffic
from wellclear.states import common_altitudes
from wellclear.units import FT_M, NM_M


def _reach(config: AlertingConfig) -> tuple[float, float, float, float]:
    """Largest horizontal and vertical thresholds of any level (m), and the largest horizontal
    and vertical time thresholds (TTHR or TAU, TCOA; s)."""
    h, v, th, tv = 0.0, 0.0, 0.0, 0.0
    for alerter in config.alerters:
        for thr in alerter.levels:
            d = thr.detector
            if isinstance(d, WCV_TAUMOD):
                h, v = max(h, d.DTHR), max(v, d.ZTHR)
                th, tv = max(th, d.TTHR), max(tv, d.TCOA)
            elif isinstance(d, CD3D):
                h, v = max(h, d.D), max(v, d.H)
            elif isinstance(d, TCAS3D):
                h, v = max(h, 1.3 * NM_M), max(v, 1200 * FT_M)
                th, tv = max(th, 48.0), max(tv, 48.0)
    return h, v, th, tv


def candidate_ordered_pairs(
    states: pd.DataFrame, config: AlertingConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Ordered pairs (i, j), i != j, that may alert within the lookahead (conservative).

    The candidate search of ``wellclear detect`` with a cylinder that holds every volume: a pair
    violates a modified-tau volume at time t only if its range then is at most
    ``DTHR + TTHR |v|`` (``(r^2 - DTHR^2) <= TTHR r |r'|`` and ``|r'| <= |v|``), with ``|v|``
    at most the sum of the two ground speeds, and its vertical distance at most
    ``ZTHR + TCOA |vz|``. Doubled and padded, so that sensor-uncertainty mitigation (which grows
    the volumes by a few standard deviations) stays inside.
    """
    n = len(states)
    if n < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    h, v, th, tv = _reach(config)
    gs = states["gs_mps"].to_numpy(float)
    vs = np.abs(states["vs_mps"].to_numpy(float))
    top2 = np.sort(gs)[-2:].sum()
    top2_vs = np.sort(vs)[-2:].sum()
    horizontal = 2.0 * (h + th * top2) + 1000.0
    vertical = 2.0 * (v + tv * top2_vs) + 100.0
    traffic = Traffic.from_states(states)
    alt_lo, alt_hi = traffic.altitude_band(config.lookahead_s)
    alt_m = states["alt_m"].to_numpy(float)
    alt_lo = np.where(np.isnan(alt_lo), alt_m, alt_lo)
    alt_hi = np.where(np.isnan(alt_hi), alt_m, alt_hi)
    i, j, _ = candidate_pairs(
        traffic.pos,
        traffic.vel,
        alt_lo,
        alt_hi,
        horizontal_m=horizontal,
        vertical_m=vertical,
        lookahead_s=config.lookahead_s,
        baro=traffic.baro,
        geo=traffic.geo,
        vs=traffic.vs,
    )
    return np.concatenate([i, j]), np.concatenate([j, i])


def pair_geometry(states: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> PairGeometry:
    """Geometry of ordered pairs in each ownship's tangent frame (common altitude reference)."""
    lat = np.radians(states["lat"].to_numpy(float))
    lon = np.radians(states["lon"].to_numpy(float))
    vx, vy = velocity_from_track(
        states["trk_deg"].to_numpy(float), states["gs_mps"].to_numpy(float)
    )
    vs = states["vs_mps"].to_numpy(float)
    baro = states["alt_baro_m"].to_numpy(float) if "alt_baro_m" in states else None
    geo_alt = states["alt_geo_m"].to_numpy(float) if "alt_geo_m" in states else None
    if baro is not None and geo_alt is not None:
        alt_i, alt_j, _ = common_altitudes(baro[i], geo_alt[i], baro[j], geo_alt[j])
        alt_all = states["alt_m"].to_numpy(float)
        alt_i = np.where(np.isnan(alt_i), alt_all[i], alt_i)
        alt_j = np.where(np.isnan(alt_j), alt_all[j], alt_j)
    else:
        alt_all = states["alt_m"].to_numpy(float)
        alt_i, alt_j = alt_all[i], alt_all[j]
    so_xy = project(lat[i], lon[i], lat[i], lon[i])
    si_xy = project(lat[i], lon[i], lat[j], lon[j])
    vo_xy = project_velocity(lat[i], lon[i], lat[i], lon[i], vx[i], vy[i])
    vi_xy = project_velocity(lat[i], lon[i], lat[j], lon[j], vx[j], vy[j])
    return PairGeometry(
        np.column_stack([so_xy, alt_i]),
        np.column_stack([vo_xy, vs[i]]),
        np.column_stack([si_xy, alt_j]),
        np.column_stack([vi_xy, vs[j]]),
    )


@dataclass
class PairAlerter:
    """Alert levels of every pair over time; owns the per-pair hysteresis.

    Not thread-safe: one caller steps it forward in time with :meth:`step`.
    """

    config: AlertingConfig

    def __post_init__(self) -> None:
        c = self.config
        self.table = HysteresisTable(c.hysteresis_s, c.persistence_s, c.alerting_m, c.alerting_n)

    def get_state(self) -> State:
        """The whole hysteresis state as plain arrays, lists and numbers (no pickle):
        ``b = PairAlerter(config); b.set_state(a.get_state())`` continues exactly as ``a``."""
        return self.table.get_state()

    def set_state(self, state: Mapping[str, object]) -> None:
        """Replace the state by one from :meth:`get_state` of an alerter with the same config."""
        self.table.set_state(state)

    def step(self, states: pd.DataFrame, now: float) -> pd.DataFrame:
        """Levels of all pairs at ``now`` (states already extrapolated to ``now``).

        Returns one row per ordered pair with a hysteresis state or a candidate: ``t``,
        ``ownship``, ``intruder``, ``level``, ``ttv_1``.. (s), ``hmd_m``, ``taumod_s``.
        """
        ids = states["id"].astype(str).to_numpy()
        i, j = candidate_ordered_pairs(states, self.config)
        keys = list(zip(ids[i], ids[j], strict=True))
        geo = pair_geometry(states, i, j)
        if "alerter" in states:
            alerter = states["alerter"].fillna(1).to_numpy(np.int64)[j]
        else:
            alerter = np.ones(len(i), dtype=np.int64)
        early = self.table.early_alerting_level(keys, now)
        levels = raw_levels(self.config, geo, alerter, early)
        valid = levels.raw >= 0
        keys_v = [k for k, ok in zip(keys, valid, strict=True) if ok]
        out = self.table.update(keys_v, levels.raw[valid], now)
        metrics = pair_metrics(geo, self.config.lookahead_s, taumod_threshold(self.config))
        frame = pd.DataFrame(
            {
                "t": now,
                "ownship": ids[i][valid],
                "intruder": ids[j][valid],
                "level": out,
            }
        )
        for k in range(self.config.max_levels):
            frame[f"ttv_{k + 1}"] = levels.time_to_violation[valid, k]
        frame["hmd_m"] = metrics.hmd[valid]
        frame["taumod_s"] = metrics.taumod[valid]
        # pruned pairs with a live history: raw level 0
        present = set(ids)
        seen = set(keys_v)
        pruned = [
            k
            for k in self.table.pair_keys()
            if k not in seen and isinstance(k, tuple) and k[0] in present and k[1] in present
        ]
        if pruned:
            lv = self.table.update(pruned, np.zeros(len(pruned), dtype=np.int64), now)
            extra = pd.DataFrame(
                {
                    "t": now,
                    "ownship": [k[0] for k in pruned],
                    "intruder": [k[1] for k in pruned],
                    "level": lv,
                }
            )
            frame = pd.concat([frame, extra], ignore_index=True)
        self.table.forget_before(now - max(self.config.hysteresis_s, 0.0) - 1e-9)
        return frame


def level_events(previous: dict[tuple[str, str], int], frame: pd.DataFrame) -> list[dict]:
    """Lifecycle events between the last levels (updated in place) and a new step's levels."""
    events = []
    now_levels = {
        (o, i): int(lv)
        for o, i, lv in zip(frame["ownship"], frame["intruder"], frame["level"], strict=True)
    }
    t = float(frame["t"].iloc[0]) if len(frame) else float("nan")
    for key in set(previous) | set(now_levels):
        old, new = previous.get(key, 0), now_levels.get(key, 0)
        if old == new:
            continue
        kind = (
            "raised"
            if old == 0
            else "cleared"
            if new == 0
            else "upgraded"
            if new > old
            else "downgraded"
        )
        events.append(
            {"t": t, "ownship": key[0], "intruder": key[1], "event": kind, "from": old, "to": new}
        )
        if new == 0:
            previous.pop(key, None)
        else:
            previous[key] = new
    events.sort(key=lambda e: (e["ownship"], e["intruder"]))
    return events
