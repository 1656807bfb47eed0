"""4D volumes of planned operations (ASTM F3548-21 ``Volume4D``): a footprint (polygon or
circle), an altitude band and a time window.

Footprints are shapely geometries in (lon, lat) degrees, WGS-84, always within
[-180, 180]: a footprint that crosses the antimeridian is cut there into parts on either side
(:func:`wrap`), so that planar intersection in (lon, lat) holds across it. Polygon edges are
straight in (lon, lat), as in GeoJSON; a circle is a geodesic circle (pyproj ``Geod.fwd``),
drawn as a circumscribed polygon so that it never lies inside the true circle; a circle that
holds a pole becomes the cap from its lowest latitude to that pole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

GEOD = Geod(ellps="WGS84")
CIRCLE_SIDES = 64
WORLD = shapely.box(-180.0, -90.0, 180.0, 90.0)


class PlanError(ValueError):
    """A volume or operation that cannot be read: names the operation, volume and field."""


@dataclass(frozen=True)
class Volume4D:
    """One volume: ``footprint`` (lon/lat degrees, cut at the antimeridian), altitudes (m,
    WGS-84 geometric, ``alt_lo_m <= alt_hi_m``), ``t_start <= t_end`` (unix s), and the
    ``shape`` as filed (for the owner's view)."""

    footprint: BaseGeometry
    alt_lo_m: float
    alt_hi_m: float
    t_start: float
    t_end: float
    shape: Mapping[str, Any]


def wrap(lonlat: np.ndarray) -> BaseGeometry:
    """The polygon of the (N, 2) ``lonlat`` ring, its longitudes unwrapped edge by edge (no
    edge spans more than 180 degrees) and the result cut into [-180, 180]."""
    step = (np.diff(lonlat[:, 0]) + 180.0) % 360.0 - 180.0
    lon = lonlat[0, 0] + np.concatenate([[0.0], np.cumsum(step)])
    poly = shapely.Polygon(np.column_stack([lon, lonlat[:, 1]]))
    if not poly.is_valid:
        poly = shapely.make_valid(poly)
    if lon.min() >= -180.0 and lon.max() <= 180.0:
        return poly
    parts = [
        shapely.intersection(shapely.affinity.translate(poly, xoff=shift), WORLD)
        for shift in (-360.0, 0.0, 360.0)
    ]
    out = shapely.union_all([p for p in parts if not p.is_empty])
    return shapely.make_valid(out)


def circle(lat: float, lon: float, radius_m: float, sides: int = CIRCLE_SIDES) -> BaseGeometry:
    """A geodesic circle as a polygon that contains it (its vertices at ``radius /
    cos(pi / sides)``), cut at the antimeridian; a polar cap if it holds a pole."""
    r = radius_m / math.cos(math.pi / sides)
    az = np.linspace(0.0, 360.0, sides, endpoint=False)
    lons, lats, _ = GEOD.fwd(np.full(sides, lon), np.full(sides, lat), az, np.full(sides, r))
    lons, lats = np.asarray(lons), np.asarray(lats)
    for pole in (90.0, -90.0):
        _, _, to_pole = GEOD.inv(lon, lat, lon, pole)
        if to_pole <= r:
            edge = float(lats.min()) if pole > 0 else float(lats.max())
            return shapely.box(-180.0, min(edge, pole), 180.0, max(edge, pole))
    return wrap(np.column_stack([lons, lats]))


def _number(data: Mapping[str, Any], name: str, where: str) -> float:
    v = data.get(name)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise PlanError(f"{where}: {name}: expected a number, got {v!r}")
    return float(v)


def _time(data: Mapping[str, Any], name: str, where: str) -> float:
    v = data.get(name)
    if isinstance(v, str):
        try:
            t = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise PlanError(f"{where}: {name}: {v!r} is not an ISO 8601 time") from None
        if t.tzinfo is None:
            raise PlanError(f"{where}: {name}: {v!r} has no time zone (write Z for UTC)")
        return t.timestamp()
    return _number(data, name, where)


def parse_volume(data: Any, where: str) -> Volume4D:
    """A volume from JSON: ``{"polygon": [[lat, lon], ...]}`` or ``{"circle": {"lat", "lon",
    "radius_m"}}``, with ``alt_lo_m``, ``alt_hi_m``, ``start``, ``end`` (ISO 8601 UTC or unix s)."""
    if not isinstance(data, Mapping):
        raise PlanError(f"{where}: a volume is an object")
    known = {"polygon", "circle", "alt_lo_m", "alt_hi_m", "start", "end"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise PlanError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(known))}")
    if ("polygon" in data) == ("circle" in data):
        raise PlanError(f"{where}: give either polygon or circle")
    if "polygon" in data:
        ring = data["polygon"]
        try:
            latlon = np.asarray(ring, dtype=float)
        except (TypeError, ValueError):
            raise PlanError(f"{where}: polygon: expected [[lat, lon], ...]") from None
        if latlon.ndim != 2 or latlon.shape[1] != 2 or len(latlon) < 3:
            raise PlanError(f"{where}: polygon: expected at least 3 [lat, lon] pairs")
        if not np.isfinite(latlon).all() or (np.abs(latlon[:, 0]) > 90).any():
            raise PlanError(f"{where}: polygon: latitudes within [-90, 90], finite numbers")
        footprint = wrap(latlon[:, ::-1])
        shape: dict[str, Any] = {"polygon": latlon.tolist()}
    else:
        c = data["circle"]
        if not isinstance(c, Mapping):
            raise PlanError(f"{where}: circle: expected {{lat, lon, radius_m}}")
        lat, lon = _number(c, "lat", f"{where}: circle"), _number(c, "lon", f"{where}: circle")
        radius = _number(c, "radius_m", f"{where}: circle")
        if abs(lat) > 90 or not 0 < radius <= 2_000_000:
            raise PlanError(f"{where}: circle: lat within [-90, 90], radius_m in (0, 2000 km]")
        footprint = circle(lat, lon, radius)
        shape = {"circle": {"lat": lat, "lon": lon, "radius_m": radius}}
    lo, hi = _number(data, "alt_lo_m", where), _number(data, "alt_hi_m", where)
    start, end = _time(data, "start", where), _time(data, "end", where)
    if lo > hi:
        raise PlanError(f"{where}: alt_lo_m {lo} is above alt_hi_m {hi}")
    if start >= end:
        raise PlanError(f"{where}: start is not before end")
    if footprint.is_empty or footprint.area == 0:
        raise PlanError(f"{where}: the footprint has no area")
    return Volume4D(footprint, lo, hi, start, end, shape)


def parse_volumes(data: Any, where: str) -> list[Volume4D]:
    """Every volume of an operation (``volumes``: a list of 1 or more)."""
    if not isinstance(data, Sequence) or isinstance(data, str) or not data:
        raise PlanError(f"{where}: volumes: expected a list of one or more volumes")
    return [parse_volume(v, f"{where}: volumes[{i}]") for i, v in enumerate(data)]


def overlap(a: Volume4D, b: Volume4D) -> tuple[BaseGeometry, float, float, float, float] | None:
    """Where and when ``a`` and ``b`` meet: (footprint, alt lo, alt hi, t start, t end), or
    None. Touching boundaries (no common area, no common time) do not meet."""
    lo, hi = max(a.alt_lo_m, b.alt_lo_m), min(a.alt_hi_m, b.alt_hi_m)
    t0, t1 = max(a.t_start, b.t_start), min(a.t_end, b.t_end)
    if lo > hi or t0 >= t1:
        return None
    common = shapely.intersection(a.footprint, b.footprint)
    if common.is_empty or common.area <= 0:
        return None
    return common, lo, hi, t0, t1
