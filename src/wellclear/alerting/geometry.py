"""The local frame DAIDALUS works in, vectorised.

Positions and velocities of both aircraft of a pair are projected onto the plane tangent to the
sphere at the ownship's position (DAIDALUS ``ENUProjection``): the sphere has radius
R = 6,366,707.02 m (one nautical mile per arc-minute), points are rotated so that the ownship lies
on the x axis and then dropped orthographically onto the tangent plane (x east, y north);
altitude is not transformed. A velocity is projected as DAIDALUS does it: the aircraft is moved
10 s along its initial great-circle course and the difference of the two projected positions is
divided by 10 s.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wellclear.units import NM_M

FloatArray = npt.NDArray[np.float64]

EARTH_RADIUS_M = NM_M * 180.0 * 60.0 / np.pi
"""Radius of DAIDALUS's spherical Earth: one nautical mile per minute of arc (6366707.0195 m)."""

VELOCITY_STEP_S = 10.0
"""The time step (s) over which a velocity is projected."""


def _xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    theta = np.pi / 2 - lat
    phi = np.pi - lon
    r_sin = EARTH_RADIUS_M * np.sin(theta)
    return np.stack([r_sin * np.cos(phi), r_sin * np.sin(phi), EARTH_RADIUS_M * np.cos(theta)], -1)


def _hat(v: FloatArray) -> FloatArray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _frame(ref_lat: FloatArray, ref_lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Unit vectors that map a point onto the tangent plane at the reference (y and z rows)."""
    ref = _xyz(ref_lat, ref_lon)
    near_pole = (np.abs(ref[..., 0]) < 1e-10) & (np.abs(ref[..., 1]) < 1e-10)
    orth = np.stack([ref[..., 1], -ref[..., 0], np.zeros_like(ref[..., 0])], -1)
    orth = np.where(near_pole[..., None], np.array([1.0, 0.0, 0.0]), orth)
    return _hat(orth), _hat(np.cross(ref, orth))


def sphere_xyz(lat_rad: FloatArray, lon_rad: FloatArray) -> FloatArray:
    """Points on DAIDALUS's sphere as the 3-vectors its projection rotates, ``(..., 3)``."""
    return _xyz(lat_rad, lon_rad)


def tangent_frames(lat_rad: FloatArray, lon_rad: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per reference point, the two unit vectors that map a sphere point onto its tangent
    plane (east = ``ymult . p``, north = ``-zmult . p``), ``(..., 3)`` each: computed once per
    aircraft, then used for every pair it is the ownship of (:func:`project_points`)."""
    return _frame(lat_rad, lon_rad)


def project_points(ymult: FloatArray, zmult: FloatArray, p: FloatArray) -> FloatArray:
    """Sphere points ``p`` (from :func:`sphere_xyz`) on the tangent planes of the frames from
    :func:`tangent_frames` (all broadcast): east and north metres, ``(..., 2)``."""
    return np.stack([np.sum(ymult * p, -1), -np.sum(zmult * p, -1)], -1)


def project(
    ref_lat_rad: npt.ArrayLike,
    ref_lon_rad: npt.ArrayLike,
    lat_rad: npt.ArrayLike,
    lon_rad: npt.ArrayLike,
) -> FloatArray:
    """Horizontal (east, north) metres of points on the plane tangent at the reference point.

    All arguments broadcast; angles in radians. Returns shape ``(..., 2)``.
    """
    rl, ro, la, lo = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (ref_lat_rad, ref_lon_rad, lat_rad, lon_rad))
    )
    ymult, zmult = _frame(rl, ro)
    return project_points(ymult, zmult, _xyz(la, lo))


def great_circle_step(
    lat_rad: FloatArray, lon_rad: FloatArray, trk_rad: FloatArray, dist_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Point reached from (lat, lon) after ``dist_m`` along the great circle of initial course."""
    d = dist_m / EARTH_RADIUS_M
    cosd, sind = np.cos(d), np.sin(d)
    slat, clat = np.sin(lat_rad), np.cos(lat_rad)
    lat2 = np.arcsin(np.clip(slat * cosd + clat * sind * np.cos(trk_rad), -1.0, 1.0))
    dlon = np.arctan2(np.sin(trk_rad) * sind * clat, cosd - slat * np.sin(lat2))
    lon2 = np.mod(lon_rad + dlon + np.pi, 2 * np.pi) - np.pi
    return lat2, lon2


def project_velocity(
    ref_lat_rad: FloatArray,
    ref_lon_rad: FloatArray,
    lat_rad: FloatArray,
    lon_rad: FloatArray,
    vx_mps: FloatArray,
    vy_mps: FloatArray,
) -> FloatArray:
    """Horizontal velocity (east, north, m/s) in the tangent frame, by a 10 s great-circle step."""
    lat2, lon2 = velocity_step(lat_rad, lon_rad, vx_mps, vy_mps)
    p1 = project(ref_lat_rad, ref_lon_rad, lat_rad, lon_rad)
    p2 = project(ref_lat_rad, ref_lon_rad, lat2, lon2)
    return (p2 - p1) * (1.0 / VELOCITY_STEP_S)  # DAIDALUS multiplies by 1/10: one ulp matters


def velocity_step(
    lat_rad: FloatArray, lon_rad: FloatArray, vx_mps: FloatArray, vy_mps: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Where an aircraft is after the 10 s great-circle step a velocity is projected by."""
    trk = np.arctan2(vx_mps, vy_mps)
    gs = np.hypot(vx_mps, vy_mps)
    return great_circle_step(lat_rad, lon_rad, trk, gs * VELOCITY_STEP_S)


def vertical_rate(alt_m: FloatArray, vs_mps: FloatArray) -> FloatArray:
    """Vertical rate as DAIDALUS projects it (difference of altitudes 10 s apart, over 10 s)."""
    return ((alt_m + vs_mps * VELOCITY_STEP_S) - alt_m) * (1.0 / VELOCITY_STEP_S)


def velocity_from_track(trk_deg: FloatArray, gs_mps: FloatArray) -> tuple[FloatArray, FloatArray]:
    """East and north components of a ground velocity given as true track and speed."""
    trk = np.radians(trk_deg)
    return gs_mps * np.sin(trk), gs_mps * np.cos(trk)
