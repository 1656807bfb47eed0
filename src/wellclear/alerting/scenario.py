"""Alerting over a DAIDALUS ``.daa`` scenario, step by step, as ``DaidalusAlerting`` does.

At each time of the file, the first aircraft is the ownship and every other aircraft with a row
at that time is traffic, in order of first appearance. Positions and velocities are projected
onto the plane tangent at the ownship (:mod:`wellclear.alerting.geometry`); where the ownship row
gives heading and airspeed, the wind it implies is removed from every aircraft's velocity, as
DAIDALUS does. One :class:`~wellclear.alerting.hysteresis.HysteresisTable` carries the per-pair
history across steps. Steps without the ownship are skipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.alerting.config import AlertingConfig
from wellclear.alerting.detectors import PairGeometry
from wellclear.alerting.geometry import project, project_velocity, vertical_rate
from wellclear.alerting.hysteresis import HysteresisTable
from wellclear.alerting.logic import pair_metrics, raw_levels, taumod_threshold
from wellclear.alerting.sum import horizontal_uncertainty
from wellclear.formats.daa import DaaScenario

ALERT_TABLE_METRICS = (
    "horizontal_separation_m",
    "vertical_separation_m",
    "horizontal_closure_rate_mps",
    "vertical_closure_rate_mps",
    "hmd_m",
    "vmd_m",
    "tcpa_s",
    "dcpa_m",
    "tcoa_s",
    "taumod_s",
)


def _errors(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    def col(name: str) -> np.ndarray:
        return np.nan_to_num(rows[name].to_numpy(dtype=float))

    s_err = np.array(
        [
            horizontal_uncertainty(a, b, c)
            for a, b, c in zip(col("s_EW_std"), col("s_NS_std"), col("s_EN_std"), strict=True)
        ]
    )
    v_err = np.array(
        [
            horizontal_uncertainty(a, b, c)
            for a, b, c in zip(col("v_EW_std"), col("v_NS_std"), col("v_EN_std"), strict=True)
        ]
    )
    return s_err, col("sz_std"), v_err, col("vz_std")


def _frame(own: pd.Series, traffic: pd.DataFrame, latlon: bool, sum_data: bool) -> PairGeometry:
    """Ownship/intruder geometry of one step in the ownship's tangent frame."""
    n = len(traffic)
    both = pd.concat([own.to_frame().T, traffic], ignore_index=True)
    vx = both["vx_mps"].to_numpy(dtype=float)
    vy = both["vy_mps"].to_numpy(dtype=float)
    heading, airspeed = float(own["heading_deg"]), float(own["airspeed_mps"])
    if np.isfinite(heading) and np.isfinite(airspeed):
        wind_x = float(own["vx_mps"]) - airspeed * np.sin(np.radians(heading))
        wind_y = float(own["vy_mps"]) - airspeed * np.cos(np.radians(heading))
        vx, vy = vx - wind_x, vy - wind_y
    alt = both["alt_m"].to_numpy(dtype=float)
    vz = vertical_rate(alt, both["vz_mps"].to_numpy(dtype=float))
    if latlon:
        lat = np.radians(both["lat"].to_numpy(dtype=float))
        lon = np.radians(both["lon"].to_numpy(dtype=float))
        xy = project(lat[0], lon[0], lat, lon)
        vxy = project_velocity(lat[0], lon[0], lat, lon, vx, vy)
    else:
        xy = both[["sx_m", "sy_m"]].to_numpy(dtype=float)
        vxy = np.stack([vx, vy], -1)
    pos = np.column_stack([xy, alt])
    vel = np.column_stack([vxy, vz])
    so, vo = np.repeat(pos[:1], n, 0), np.repeat(vel[:1], n, 0)
    if not sum_data:
        return PairGeometry(so, vo, pos[1:], vel[1:])
    s_err, sz, v_err, vzs = _errors(both)
    return PairGeometry(
        so,
        vo,
        pos[1:],
        vel[1:],
        np.repeat(s_err[:1], n),
        s_err[1:],
        np.repeat(sz[:1], n),
        sz[1:],
        np.repeat(v_err[:1], n),
        v_err[1:],
        np.repeat(vzs[:1], n),
        vzs[1:],
    )


def run_scenario(scenario: DaaScenario, config: AlertingConfig) -> pd.DataFrame:
    """Alert table of a scenario: one row per step and traffic aircraft, in DAIDALUS order.

    Columns: ``time_s``, ``ownship``, ``traffic``, ``alerter``, ``level``, ``ttv_1`` ..
    ``ttv_K`` (time to violation of each level's volume, s; inf: none; NaN: no such level),
    then the metrics of :data:`ALERT_TABLE_METRICS` (SI; NaN where DAIDALUS prints nothing).
    Pass ``config.without_hysteresis()`` for DAIDALUS's ``--nohysteresis``.
    """
    table = HysteresisTable(
        config.hysteresis_s, config.persistence_s, config.alerting_m, config.alerting_n
    )
    dthr = taumod_threshold(config)
    records = scenario.records
    order = {name: k for k, name in enumerate(scenario.names)}
    out: list[pd.DataFrame] = []
    for t, step in records.groupby("t", sort=True):
        step = step.drop_duplicates("name", keep="last")
        step = step.iloc[np.argsort([order[nm] for nm in step["name"]], kind="stable")]
        if step.iloc[0]["name"] != scenario.ownship or len(step) < 2:
            continue
        own, traffic = step.iloc[0], step.iloc[1:]
        geo = _frame(own, traffic, scenario.latlon, scenario.has_sum)
        alerter = traffic["alerter"].fillna(1).to_numpy(dtype=np.int64)
        valid = (alerter >= 1) & (alerter <= len(config.alerters))
        keys = [(scenario.ownship, name) for name in traffic["name"]]
        now = float(t)  # type: ignore[arg-type]
        early = table.early_alerting_level(keys, now)
        levels = raw_levels(config, geo, alerter, early)
        valid_keys = [k for k, ok in zip(keys, valid, strict=True) if ok]
        level = np.full(len(keys), -1, dtype=np.int64)
        level[valid] = table.update(valid_keys, levels.raw[valid], now)
        m = pair_metrics(geo, config.lookahead_s, dthr)
        frame = pd.DataFrame(
            {
                "time_s": now,
                "ownship": scenario.ownship,
                "traffic": traffic["name"].to_numpy(),
                "alerter": alerter,
                "level": level,
            }
        )
        for k in range(config.max_levels):
            frame[f"ttv_{k + 1}"] = levels.time_to_violation[:, k]
        for name, values in zip(ALERT_TABLE_METRICS, vars(m).values(), strict=True):
            frame[name] = values
        out.append(frame[valid])
    if not out:
        return pd.DataFrame()
    return pd.concat(out, ignore_index=True)
