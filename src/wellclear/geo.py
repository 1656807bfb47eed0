"""Geodesy on the WGS-84 ellipsoid: Earth-centred coordinates, local frames, great circles.

Pure, vectorised functions: arrays of degrees and metres in, arrays out. Horizontal geometry is
done on the ellipsoid surface (height 0); altitudes are handled apart, on one reference per pair.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from pyproj import Geod

FloatArray = npt.NDArray[np.float64]

WGS84_A = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
MEAN_RADIUS_M = 6371008.8


@cache
def geod() -> Geod:
    """The WGS-84 ellipsoid of PROJ, made on first use: the compiled scan needs the constants
    above only, and importing pyproj took ~0.03 s of every command's start."""
    from pyproj import Geod

    return Geod(ellps="WGS84")


def ecef(lat_deg: FloatArray, lon_deg: FloatArray, h_m: FloatArray | float = 0.0) -> FloatArray:
    """Earth-centred, Earth-fixed coordinates (m) of geodetic points, shape ``(N, 3)``."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
    out = np.empty((*lat.shape, 3), dtype=np.float64)
    out[..., 0] = (n + h_m) * cos_lat * np.cos(lon)
    out[..., 1] = (n + h_m) * cos_lat * np.sin(lon)
    out[..., 2] = (n * (1.0 - WGS84_E2) + h_m) * sin_lat
    return out


def enu_basis(
    lat_deg: FloatArray, lon_deg: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Unit east, north and up vectors (ellipsoid normal) at each point, each ``(N, 3)``."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(lat)
    east = np.stack([-so, co, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return east, north, up


def velocity_ecef(
    lat_deg: FloatArray, lon_deg: FloatArray, gs_mps: FloatArray, trk_deg: FloatArray
) -> FloatArray:
    """Horizontal velocity (m/s) built in each aircraft's own east-north-up frame, as ECEF."""
    east, north, _ = enu_basis(lat_deg, lon_deg)
    trk = np.radians(np.asarray(trk_deg, dtype=np.float64))
    gs = np.asarray(gs_mps, dtype=np.float64)[..., None]
    return gs * (np.sin(trk)[..., None] * east + np.cos(trk)[..., None] * north)


def extrapolate(
    lat_deg: FloatArray, lon_deg: FloatArray, trk_deg: FloatArray, distance_m: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Move each point ``distance_m`` along its geodesic (great circle) of initial track.

    Returns the new latitude, longitude and the track there (degrees, in [0, 360)).
    """
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    trk = np.asarray(trk_deg, dtype=np.float64)
    dist = np.asarray(distance_m, dtype=np.float64)
    if lat.size == 0:
        return lat.copy(), lon.copy(), trk.copy()
    lon2, lat2, back = geod().fwd(lon, lat, trk, dist)
    lon2 = np.asarray(lon2, dtype=np.float64)
    lat2 = np.asarray(lat2, dtype=np.float64)
    trk2 = np.mod(np.asarray(back, dtype=np.float64) + 180.0, 360.0)
    still = dist == 0.0
    trk2 = np.where(still, np.mod(trk, 360.0), trk2)
    return lat2, lon2, trk2


def geodesic_distance(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Geodesic distance (m) on the WGS-84 ellipsoid (Karney's algorithm via PROJ)."""
    _, _, dist = geod().inv(
        np.asarray(lon1, dtype=np.float64),
        np.asarray(lat1, dtype=np.float64),
        np.asarray(lon2, dtype=np.float64),
        np.asarray(lat2, dtype=np.float64),
    )
    return np.asarray(dist, dtype=np.float64)
