"""State-based conflict geometry for arrays of pairs: CPA and intervals of loss of separation.

Each pair is solved in the plane tangent to the Earth at the pair's midpoint: the normal is the
mean of the two ellipsoid normals; positions (ECEF, on the ellipsoid) and velocities (built in
each aircraft's own east-north-up frame, as ECEF vectors) are projected orthogonally onto that
plane. No basis of the plane is needed (only dot products), so the geometry holds at the poles
and across the antimeridian. Both aircraft then move straight, as in BlueSky and DAIDALUS.

Pitfalls of ``standards.md`` section 2.5 handled here: zero relative velocity (``tcpa = 0``,
in loss of separation forever or never), level co-altitude flight (vertical band forever or
never), diverging pairs (``tcpa`` clamped at 0), cancellation in ``d_cpa`` (computed as
``|s + t v|``, never as ``r^2 - t^2 v^2``), pairs already in loss of separation (``t_in = 0``).
A pair exactly at a minimum is separated: every test is strict, and separations within
``AT_MINIMUM_H_M`` (horizontal) or ``AT_MINIMUM_V_M`` (vertical) of a minimum count as at it,
so that a pair built at exactly 5 NM or 1000 ft is not put inside by rounding. Horizontal
distances in the plane are chords; they are compared with the chord of the minimum and reported
as arcs (:func:`chord_to_arc`), which agree with geodesic distances to micrometres at these
ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Separations this close to a minimum count as at the minimum (m).
AT_MINIMUM_H_M = 1e-4
AT_MINIMUM_V_M = 1e-6
#: Radius of the sphere used to turn arcs into chords and back (m).
CHORD_RADIUS_M = 6371008.8

#: Relative horizontal speeds below this (m/s) count as zero (parallel, equal speed).
MIN_REL_SPEED_MPS = 1e-6
#: Relative vertical speeds below this (m/s) count as zero (co-altitude, level).
MIN_REL_VS_MPS = 1e-9


def arc_to_chord(arc_m: float) -> float:
    """Chord of a surface arc (m)."""
    return float(2.0 * CHORD_RADIUS_M * np.sin(arc_m / (2.0 * CHORD_RADIUS_M)))


def chord_to_arc(chord_m: FloatArray) -> FloatArray:
    """Surface arc of chords (m)."""
    return 2.0 * CHORD_RADIUS_M * np.arcsin(np.minimum(chord_m / (2.0 * CHORD_RADIUS_M), 1.0))


def inner_radius(horizontal_m: float) -> float:
    """The planar radius a pair must be strictly inside to be closer than ``horizontal_m``."""
    return arc_to_chord(horizontal_m) - AT_MINIMUM_H_M


def inner_band(vertical_m: float) -> float:
    """The vertical distance a pair must be strictly inside to be closer than ``vertical_m``."""
    return vertical_m - AT_MINIMUM_V_M


@dataclass(frozen=True)
class PairGeometry:
    """Relative horizontal position and velocity of each pair in its tangent plane."""

    s: FloatArray  # (M, 3) relative position j - i, projected, m
    v: FloatArray  # (M, 3) relative velocity j - i, projected, m/s

    @property
    def a(self) -> FloatArray:
        return np.einsum("ij,ij->i", self.v, self.v)

    @property
    def b(self) -> FloatArray:
        return np.einsum("ij,ij->i", self.s, self.v)

    @property
    def range_sq(self) -> FloatArray:
        return np.einsum("ij,ij->i", self.s, self.s)


def project_pairs(
    pos: FloatArray,
    vel: FloatArray,
    up: FloatArray,
    i: npt.NDArray[np.intp],
    j: npt.NDArray[np.intp],
) -> PairGeometry:
    """Project relative position and velocity of pairs ``(i, j)`` on their midpoint plane.

    ``pos`` (ECEF on the ellipsoid, m), ``vel`` (ECEF, m/s) and ``up`` (unit normals) are
    ``(N, 3)`` per aircraft; ``i`` and ``j`` index them.
    """
    normal = up[i] + up[j]
    normal /= np.linalg.norm(normal, axis=1)[:, None]
    s = pos[j] - pos[i]
    v = vel[j] - vel[i]
    s -= np.einsum("ij,ij->i", s, normal)[:, None] * normal
    v -= np.einsum("ij,ij->i", v, normal)[:, None] * normal
    return PairGeometry(s, v)


def horizontal_cpa(geom: PairGeometry) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Unclamped time to horizontal CPA, and ``(tcpa, dcpa)`` with tcpa clamped at 0 (s, m).

    With zero relative velocity, the unclamped time is 0 and ``dcpa`` is the current range.
    """
    a = geom.a
    moving = a > MIN_REL_SPEED_MPS**2
    t_raw = np.where(moving, -geom.b / np.where(moving, a, 1.0), 0.0)
    tcpa = np.maximum(t_raw, 0.0)
    dcpa = np.linalg.norm(geom.s + tcpa[:, None] * geom.v, axis=1)
    return t_raw, tcpa, dcpa


def horizontal_interval(geom: PairGeometry, radius_m: float) -> tuple[FloatArray, FloatArray]:
    """Open interval ``(t_in, t_out)`` in which the horizontal distance is below ``radius_m``.

    ``(+inf, -inf)`` when never; ``(-inf, +inf)`` when always (zero relative velocity inside).
    """
    a = geom.a
    moving = a > MIN_REL_SPEED_MPS**2
    safe_a = np.where(moving, a, 1.0)
    t_raw = np.where(moving, -geom.b / safe_a, 0.0)
    d_sq = np.einsum("ij,ij->i", q := geom.s + t_raw[:, None] * geom.v, q)
    inside = d_sq < radius_m * radius_m
    half = np.sqrt(np.maximum(radius_m * radius_m - d_sq, 0.0) / safe_a)
    t_in = np.where(inside, np.where(moving, t_raw - half, -np.inf), np.inf)
    t_out = np.where(inside, np.where(moving, t_raw + half, np.inf), -np.inf)
    return t_in, t_out


def vertical_interval(
    dz_m: FloatArray, dvz_mps: FloatArray, band_m: float
) -> tuple[FloatArray, FloatArray]:
    """Open interval in which ``|dz + dvz t| < band_m``; ``(+inf, -inf)`` when never."""
    level = np.abs(dvz_mps) < MIN_REL_VS_MPS
    safe = np.where(level, 1.0, dvz_mps)
    t1 = (-band_m - dz_m) / safe
    t2 = (band_m - dz_m) / safe
    inside_now = np.abs(dz_m) < band_m
    t_in = np.where(level, np.where(inside_now, -np.inf, np.inf), np.minimum(t1, t2))
    t_out = np.where(level, np.where(inside_now, np.inf, -np.inf), np.maximum(t1, t2))
    return t_in, t_out


def conflict_interval(
    h_in: FloatArray, h_out: FloatArray, v_in: FloatArray, v_out: FloatArray, lookahead_s: float
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Whether both intervals overlap somewhere in ``[0, lookahead]``; ``(conflict, t_in, t_out)``.

    ``t_in`` is clamped at 0 (already in loss of separation); ``t_out`` may exceed the lookahead
    and is ``inf`` when the loss never ends.
    """
    lo = np.maximum(h_in, v_in)
    hi = np.minimum(h_out, v_out)
    conflict = (lo < hi) & (hi > 0.0) & (lo < lookahead_s)
    return conflict, np.maximum(lo, 0.0), hi
