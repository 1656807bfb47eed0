"""Altitudes against volume limits: which altitude each reference is compared with.

Flight levels are compared with barometric altitude (geometric when there is none); limits
above mean sea level (and SFC, and AGL taken as AMSL) with geometric altitude when the aircraft
has it, else barometric altitude: no QNH correction is made, and ``no_qnh`` says where.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.airspace.volume import Limit, Volume

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def altitudes(frame: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """(barometric, geometric) altitude in m from a states frame, filled from ``alt_m``."""
    alt = frame["alt_m"].to_numpy(dtype=np.float64)
    is_baro = frame["alt_src"].eq("baro").to_numpy(dtype=bool)
    is_geo = frame["alt_src"].eq("geo").to_numpy(dtype=bool)
    baro = frame["alt_baro_m"].to_numpy(dtype=np.float64).copy()
    geo = frame["alt_geo_m"].to_numpy(dtype=np.float64).copy()
    fill_b = np.isnan(baro) & is_baro
    baro[fill_b] = alt[fill_b]
    fill_g = np.isnan(geo) & is_geo
    geo[fill_g] = alt[fill_g]
    return baro, geo


def limit_altitude(limit: Limit, baro: FloatArray, geo: FloatArray) -> tuple[FloatArray, BoolArray]:
    """The altitude to compare with ``limit``, and where barometric stood in for AMSL."""
    if limit.ref == "FL":
        return np.where(np.isnan(baro), geo, baro), np.zeros(baro.shape, dtype=bool)
    no_qnh = np.isnan(geo) & ~np.isnan(baro)
    return np.where(np.isnan(geo), baro, geo), no_qnh


def vertical_inside(
    volume: Volume, baro: FloatArray, geo: FloatArray
) -> tuple[BoolArray, BoolArray]:
    """Whether each altitude is within [floor, ceiling], and where no QNH was applied.

    A volume from the surface to unlimited contains every aircraft, even one without
    altitude; otherwise an unknown altitude is not inside.
    """
    n = baro.shape
    if volume.floor.ref == "SFC" and volume.ceiling.ref == "UNL":
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    inside = np.ones(n, dtype=bool)
    flag = np.zeros(n, dtype=bool)
    if volume.floor.ref != "SFC":
        a, f = limit_altitude(volume.floor, baro, geo)
        inside &= a >= volume.floor.value_m
        flag |= f
    if volume.ceiling.ref != "UNL":
        a, f = limit_altitude(volume.ceiling, baro, geo)
        inside &= a <= volume.ceiling.value_m
        flag |= f
    return inside, flag


def band_interval(
    volume: Volume, baro: float, geo: float, vs_mps: float, horizon_s: float
) -> tuple[float, float] | None:
    """The time interval in [0, horizon] when a straight climb or descent is within the band."""
    lo, hi = 0.0, horizon_s
    vs = 0.0 if not np.isfinite(vs_mps) else vs_mps
    for limit, below in ((volume.floor, True), (volume.ceiling, False)):
        if (below and limit.ref == "SFC") or (not below and limit.ref == "UNL"):
            continue
        a, _ = limit_altitude(limit, np.array([baro]), np.array([geo]))
        alt = float(a[0])
        if not np.isfinite(alt):
            return None
        # need alt + vs t >= floor (below) or <= ceiling
        gap = (limit.value_m - alt) if below else (alt - limit.value_m)
        rate = vs if below else -vs
        if gap <= 0:
            if rate < 0:
                hi = min(hi, gap / rate)
        elif rate > 0:
            lo = max(lo, gap / rate)
        else:
            return None
    return (lo, hi) if lo <= hi else None
