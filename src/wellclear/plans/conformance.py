"""Conformance monitoring (ASTM F3548-21 ACM0005-0015): a live track of an activated
operation's aircraft outside every volume of it that is active at the time, by more than the
agreement's margins, makes the operation Nonconforming; back inside, Activated again.

Here the geometry and the plain test, one operation at a time (:func:`outside`); the
vectorised monitor of every operation at each tick is :class:`wellclear.plans.monitor.Monitor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from wellclear.plans.operations import Operation

M_PER_DEG = 111_320.0


Core = tuple[float, ...]  # see :func:`core`


@dataclass(eq=False)
class Grown:
    """Footprints grown by a margin (:func:`grow`), each with an ellipse and a box inside it
    (:func:`core`), cached by footprint object, so that each tick grows only new ones. One per
    owner (the service keeps one on its operations desk); not shared between threads without
    the owner's lock."""

    limit: int = 1 << 18
    _cache: dict[tuple[int, float], tuple[BaseGeometry, BaseGeometry, Core]] = field(
        default_factory=dict
    )

    def __call__(self, footprint: BaseGeometry, margin_h_m: float) -> BaseGeometry:
        """``footprint`` grown by ``margin_h_m``."""
        return self._get(footprint, margin_h_m)[1]

    def core(self, footprint: BaseGeometry, margin_h_m: float) -> Core:
        """:func:`core` of ``footprint`` grown by ``margin_h_m``."""
        return self._get(footprint, margin_h_m)[2]

    def fill(self, footprints: Sequence[BaseGeometry], margin_h_m: float) -> None:
        """Grow those of ``footprints`` not held yet, all at once."""
        new = {id(f): f for f in footprints if not self._held(f, margin_h_m)}
        if not new:
            return
        if len(self._cache) + len(new) > self.limit:
            self._cache.clear()
        todo = list(new.values())
        grown = grow(np.array(todo, dtype=object), margin_h_m)
        cores = core(grown)
        for f, g, c in zip(todo, grown, cores.tolist(), strict=True):
            self._cache[(id(f), margin_h_m)] = (f, g, tuple(c))

    def _held(self, footprint: BaseGeometry, margin_h_m: float) -> bool:
        hit = self._cache.get((id(footprint), margin_h_m))
        return hit is not None and hit[0] is footprint

    def _get(
        self, footprint: BaseGeometry, margin_h_m: float
    ) -> tuple[BaseGeometry, BaseGeometry, Core]:
        key = (id(footprint), margin_h_m)
        hit = self._cache.get(key)
        if hit is None or hit[0] is not footprint:
            self.fill([footprint], margin_h_m)
            hit = self._cache[key]
        return hit

    def __len__(self) -> int:
        return len(self._cache)


def grow(footprints: np.ndarray, margin_h_m: float) -> np.ndarray:
    """``footprints`` (an array of them) each grown by ``margin_h_m`` and prepared: buffered
    in a frame where a degree of longitude is scaled to its length at the footprint's middle
    latitude (equirectangular), so that the margin is metres in both directions there."""
    bounds = shapely.bounds(footprints)
    cos = np.maximum(np.cos(np.radians((bounds[:, 1] + bounds[:, 3]) / 2)), 1e-3)
    flat = _scaled(footprints, cos)
    grown = _scaled(shapely.buffer(flat, margin_h_m / M_PER_DEG), 1.0 / cos)
    shapely.prepare(grown)
    return grown


def _scaled(geometries: np.ndarray, xfact: np.ndarray) -> np.ndarray:
    """Copies of ``geometries`` with each one's x (longitude) scaled by its ``xfact``."""
    xy, which = shapely.get_coordinates(geometries, return_index=True)
    xy[:, 0] *= xfact[which]
    return shapely.set_coordinates(np.array(geometries, dtype=object), xy)


def core(geometries: np.ndarray) -> np.ndarray:
    """An ellipse and a box inside each of ``geometries``, in its own (lon, lat) plane: rows
    of (x, y, squared radius, xfact, box x0, y0, x1, y1). The ellipse is a circle about the
    centroid where longitudes are scaled by ``xfact`` (the cosine of the middle latitude, as in
    :func:`grow`), its radius a little under the distance to the boundary there (0 where the
    centroid is not inside); the box is the geometry's bounding box shrunk about the centroid
    by the largest of a few factors whose box the geometry contains (an empty box, x0 > x1,
    where none). A point within either is inside the geometry for ``shapely.contains_xy``
    too: the cheap test that spares most positions of conforming aircraft the polygon test."""
    x0, y0, x1, y1 = shapely.bounds(geometries).T
    k = np.maximum(np.cos(np.radians((y0 + y1) / 2)), 1e-3)
    flat = _scaled(geometries, k)
    c = shapely.centroid(flat)
    within = shapely.contains(flat, c)
    r = np.where(within, shapely.distance(c, shapely.boundary(flat)) * (1 - 1e-6), 0.0)
    cx, cy = shapely.get_x(c) / k, shapely.get_y(c)
    box = np.tile([np.inf, np.inf, -np.inf, -np.inf], (len(geometries), 1))
    todo = within.copy()
    for f in (0.98, 0.9, 0.75, 0.5):  # the largest first; a box kept is never replaced
        b = np.column_stack(
            [cx - f * (cx - x0), cy - f * (cy - y0), cx + f * (x1 - cx), cy + f * (y1 - cy)]
        )
        fits = todo & shapely.contains(geometries, shapely.box(*b.T))
        box[fits] = b[fits]
        todo &= ~fits
    return np.column_stack([cx, cy, r * r, k, box])


def outside(
    op: Operation,
    lat: np.ndarray,
    lon: np.ndarray,
    alt_m: np.ndarray,
    t: float,
    margin_h_m: float,
    margin_v_m: float,
) -> np.ndarray:
    """For each position, whether it is outside every volume of ``op`` active at ``t``
    (footprints grown by ``margin_h_m``, :func:`grow`; bands by ``margin_v_m``): the plain
    test, one operation and one volume at a time, that the monitor is held against."""
    inside = np.zeros(len(lat), dtype=bool)
    for v in op.volumes:
        if not v.t_start <= t <= v.t_end:
            continue
        band = (alt_m >= v.alt_lo_m - margin_v_m) & (alt_m <= v.alt_hi_m + margin_v_m)
        grown = grow(np.array([v.footprint], dtype=object), margin_h_m)[0]
        inside |= band & shapely.contains_xy(grown, lon, lat)
    return ~inside
