"""Random traffic in the states contract, for tests and benchmarks (seeded, reproducible)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.geo import MEAN_RADIUS_M, geod
from wellclear.units import FT_M


def _states(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, *, level: bool
) -> pd.DataFrame:
    n = len(lat)
    alt = rng.uniform(10000 * FT_M, 40000 * FT_M, n)
    vs = np.zeros(n) if level else rng.normal(0.0, 5.0, n)
    return pd.DataFrame(
        {
            "id": [f"{k:06x}" for k in range(n)],
            "party": rng.choice(["blue", "red", "unknown"], n).astype(object),
            "callsign": [f"T{k}" for k in range(n)],
            "t": np.zeros(n),
            "lat": lat,
            "lon": lon,
            "alt_m": alt,
            "alt_baro_m": alt,
            "alt_geo_m": np.full(n, np.nan),
            "alt_src": np.full(n, "baro", dtype=object),
            "gs_mps": rng.uniform(100.0, 250.0, n),
            "trk_deg": rng.uniform(0.0, 360.0, n),
            "vs_mps": vs,
            "onground": np.zeros(n, dtype=bool),
            "age_s": np.zeros(n),
        }
    )


def box_traffic(
    n: int,
    *,
    center: tuple[float, float] = (52.0, 5.0),
    side_m: float = 1_000_000.0,
    seed: int = 0,
    level: bool = True,
) -> pd.DataFrame:
    """``n`` aircraft uniform in a square of ``side_m`` around ``center`` (lat, lon), tracks
    uniform, 100-250 m/s, FL100-FL400 uniform, level unless ``level=False``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-side_m / 2, side_m / 2, n)
    y = rng.uniform(-side_m / 2, side_m / 2, n)
    az = np.degrees(np.arctan2(x, y))
    lon, lat, _ = geod().fwd(np.full(n, center[1]), np.full(n, center[0]), az, np.hypot(x, y))
    return _states(rng, np.asarray(lat), np.asarray(lon), level=level)


def cap_traffic(
    n: int,
    *,
    area_per_aircraft_m2: float = 500e6,
    center: tuple[float, float] = (52.0, 5.0),
    seed: int = 0,
    level: bool = True,
) -> pd.DataFrame:
    """``n`` aircraft uniform by area over a spherical cap of ``n * area_per_aircraft_m2``
    centred at ``center`` (the whole globe when that exceeds the Earth's area)."""
    rng = np.random.default_rng(seed)
    area = n * area_per_aircraft_m2
    cos_max = max(-1.0, 1.0 - area / (2.0 * np.pi * MEAN_RADIUS_M**2))
    z = rng.uniform(cos_max, 1.0, n)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    # Point at polar angle acos(z), azimuth phi around the pole, then rotated to ``center``.
    dist = np.arccos(np.clip(z, -1.0, 1.0)) * MEAN_RADIUS_M
    lon, lat, _ = geod().fwd(np.full(n, center[1]), np.full(n, center[0]), np.degrees(phi), dist)
    return _states(rng, np.asarray(lat), np.asarray(lon), level=level)
