"""Lon/lat polygon helpers: antimeridian, poles, great-circle densification, repair.

Volumes are held as shapely polygons in lon/lat degrees with longitudes in [-180, 180]: a
polygon that crosses the antimeridian is split there, and a ring that goes round a pole is
closed through the pole. Edges of the held polygons are straight in lon/lat (RFC 7946); edges
that are great circles in the source (OpenAir) are densified first (:func:`densify_great_circle`).
The cut edges along the antimeridian and the poles are not boundaries of the volume:
:func:`boundary_segments` leaves them out, and cuts in [-180, 180] that are not on the
antimeridian (the seam of a ring closed through a pole) are merged away by :func:`wrap_polygons`.

Boundary segments are at most :data:`MAX_EDGE_DEG` long in lon/lat (long edges are split along
their straight lon/lat line before any projection), so that a chord of the boundary in a local
frame, in Mercator or in 3-D (:mod:`wellclear.airspace.nearest`) stays on the boundary to
within metres.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from wellclear.geo import geod

GEOD = geod()
EARTH_RADIUS_M = 6371008.8
# the longest boundary segment, in degrees of lon/lat (about 11 km of latitude)
MAX_EDGE_DEG = 0.1
# a step in longitude longer than this between two vertices of a GeoJSON ring is read as
# crossing the antimeridian (RFC 7946 3.1.9 asks producers to split such rings instead)
ANTIMERIDIAN_STEP_DEG = 270.0

FloatArray = npt.NDArray[np.float64]


class GeometryError(ValueError):
    """A geometry that cannot be used as a volume; the message names the feature."""


def unwrap_lon(lon: FloatArray) -> FloatArray:
    """Longitudes made continuous: each step is taken the short way round (< 180 deg)."""
    lon = np.asarray(lon, dtype=np.float64)
    if lon.size == 0:
        return lon
    steps = np.diff(lon)
    steps = (steps + 180.0) % 360.0 - 180.0
    return _shifted(lon, steps)


def _shifted(lon: FloatArray, steps: FloatArray) -> FloatArray:
    """``lon`` moved by whole turns to follow ``steps``: exact (no sum of rounding errors), so
    that a vertex met again after a turn lands on the same value."""
    walked = np.concatenate([lon[:1], lon[0] + np.cumsum(steps)])
    return lon + 360.0 * np.round((walked - lon) / 360.0)


def ring_to_lonlat(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """A closed ring unwrapped across the antimeridian, closed through a pole if it goes round one.

    Every step is taken the short way round (a great-circle source such as OpenAir). Returns
    longitudes that may lie outside [-180, 180]; :func:`wrap_polygons` brings them back.
    """
    return close_round_pole(unwrap_lon(lon), np.asarray(lat, dtype=np.float64))


def close_round_pole(ulon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """A closed ring with continuous longitudes, closed through the pole it goes round (if any)."""
    turn = ulon[-1] - ulon[0]
    if abs(turn) > 180.0:  # the ring goes once round a pole
        pole = 90.0 if np.mean(lat) > 0 else -90.0
        ulon = np.concatenate([ulon, [ulon[-1], ulon[0], ulon[0]]])
        lat = np.concatenate([lat, [pole, pole, lat[0]]])
    return ulon, lat


def rfc7946_ring(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray, list[str]]:
    """A closed GeoJSON ring (lon in [-180, 180]) with its edges straight in lon/lat (RFC 7946).

    An edge is taken as written, whatever its length: from longitude -100 to 100 it goes through
    0, not across the antimeridian. The one exception is a producer that did not split a ring at
    the antimeridian (RFC 7946 3.1.9): a step of more than :data:`ANTIMERIDIAN_STEP_DEG` in
    longitude (170 to -170) is taken the short way across it, and said so; a step between 180
    and that many degrees is ambiguous, is taken as written, and is said so too. A step from
    -180 to 180 (an edge along the antimeridian, or along a pole) is taken as written, silently.
    Returns unwrapped longitudes (see :func:`wrap_polygons`), latitudes and the notes.
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    steps = np.diff(lon)
    on_cut = (np.abs(lon[:-1]) == 180.0) & (np.abs(lon[1:]) == 180.0)
    across = (np.abs(steps) > ANTIMERIDIAN_STEP_DEG) & ~on_cut
    long = (np.abs(steps) > 180.0) & ~across & ~on_cut
    notes: list[str] = []
    for k in np.flatnonzero(across)[:1]:
        notes.append(
            f"edge {k} from lon {lon[k]:g} to {lon[k + 1]:g} taken across the antimeridian "
            f"({int(across.sum())} such edge(s); RFC 7946 3.1.9 asks for the ring to be split)"
        )
    for k in np.flatnonzero(long)[:1]:
        notes.append(
            f"edge {k} from lon {lon[k]:g} to {lon[k + 1]:g} taken straight in lon/lat through "
            f"lon {0.5 * (lon[k] + lon[k + 1]):g} (RFC 7946); split the ring at the antimeridian "
            "if it should cross it"
        )
    steps = np.where(across, steps - 360.0 * np.sign(steps), steps)
    ulon, ulat = close_round_pole(_shifted(lon, steps), lat)
    return ulon, ulat, notes


def wrap_polygons(geom: BaseGeometry) -> MultiPolygon:
    """Split a polygonal geometry with unwrapped longitudes into pieces within [-180, 180]."""
    pieces: list[Polygon] = []
    xmin, _, xmax, _ = geom.bounds
    k0 = int(np.floor((xmin + 180.0) / 360.0))
    k1 = int(np.floor((xmax + 180.0) / 360.0))
    for k in range(k0, k1 + 1):
        lo = -180.0 + 360.0 * k
        part = shapely.intersection(geom, shapely.box(lo, -90.0, lo + 360.0, 90.0))
        if part.is_empty:
            continue
        part = shapely.transform(part, lambda c, s=360.0 * k: c - np.array([s, 0.0]))
        pieces.extend(_polygons(part))
    pieces = [p for p in pieces if p.area > 0]
    if len(pieces) > 1:  # pieces of two windows that meet inside [-180, 180] are one piece
        pieces = _polygons(shapely.union_all(pieces))
    return MultiPolygon(pieces)


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if hasattr(geom, "geoms"):
        out: list[Polygon] = []
        for g in geom.geoms:
            out.extend(_polygons(g))
        return out
    return []


def polygon_from_ring(lon: FloatArray, lat: FloatArray, what: str) -> Polygon:
    """A polygon from one closed lon/lat ring, unwrapped, unchecked: pass it to :func:`clean`."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if lon.size < 3:
        raise GeometryError(f"{what}: a ring needs at least 3 points, got {lon.size}")
    ulon, ulat = ring_to_lonlat(lon, lat)
    return Polygon(np.column_stack([ulon, ulat]))


def clean(geom: BaseGeometry, what: str) -> tuple[MultiPolygon, list[str]]:
    """Validate a polygonal geometry: repair it (saying so) or reject it, orient it, wrap it.

    Returns the cleaned geometry and the warnings to report.
    """
    warnings: list[str] = []
    if geom.is_empty:
        raise GeometryError(f"{what}: empty geometry")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        fixed = shapely.make_valid(geom)
        polys = _polygons(fixed)
        if not polys:
            raise GeometryError(f"{what}: invalid geometry ({reason}) cannot be repaired")
        geom = MultiPolygon(polys)
        warnings.append(f"{what}: invalid geometry ({reason}) repaired")
    polys = _polygons(geom)
    if not polys:
        raise GeometryError(f"{what}: not a polygon")
    multi = wrap_polygons(MultiPolygon(polys))
    multi = shapely.orient_polygons(multi)
    return multi, warnings


def densify_great_circle(
    lon: FloatArray, lat: FloatArray, max_step_m: float = 5000.0
) -> tuple[FloatArray, FloatArray]:
    """Insert points along each great-circle edge of a ring so no step exceeds ``max_step_m``.

    A straight lon/lat chord over 5 km departs from the great circle by well under 1 m.
    """
    out_lon: list[float] = []
    out_lat: list[float] = []
    n = len(lon)
    for i in range(n - 1):
        out_lon.append(float(lon[i]))
        out_lat.append(float(lat[i]))
        _, _, dist = GEOD.inv(lon[i], lat[i], lon[i + 1], lat[i + 1])
        k = int(dist // max_step_m)
        if k > 0:
            mids = GEOD.npts(lon[i], lat[i], lon[i + 1], lat[i + 1], k)
            out_lon.extend(p[0] for p in mids)
            out_lat.extend(p[1] for p in mids)
    if n:
        out_lon.append(float(lon[-1]))
        out_lat.append(float(lat[-1]))
    return np.array(out_lon), np.array(out_lat)


def boundary_segments(geom: BaseGeometry) -> FloatArray:
    """The boundary of a lon/lat polygon as an ``(N, 4)`` array of segments (x1, y1, x2, y2).

    Edges longer than :data:`MAX_EDGE_DEG` are split along their straight lon/lat line.
    Cut edges on the antimeridian and along the poles are left out; segments within 10 deg of
    the antimeridian are repeated shifted by 360 deg so that searches across it find them.
    """
    rings = shapely.segmentize(shapely.get_rings(shapely.get_parts(geom)), MAX_EDGE_DEG)
    segs: list[FloatArray] = []
    for ring in rings:
        c = shapely.get_coordinates(ring)
        if len(c) < 2:
            continue
        segs.append(np.column_stack([c[:-1], c[1:]]))
    if not segs:
        return np.zeros((0, 4))
    s = np.concatenate(segs)
    cut = ((np.abs(s[:, 0]) == 180.0) & (s[:, 0] == s[:, 2])) | (
        (np.abs(s[:, 1]) == 90.0) & (s[:, 1] == s[:, 3])
    )
    s = s[~cut & ~((s[:, 0] == s[:, 2]) & (s[:, 1] == s[:, 3]))]
    east = (s[:, 0] > 170.0) | (s[:, 2] > 170.0)
    west = (s[:, 0] < -170.0) | (s[:, 2] < -170.0)
    shift_e = s[east] - np.array([360.0, 0.0, 360.0, 0.0])
    shift_w = s[west] + np.array([360.0, 0.0, 360.0, 0.0])
    return np.concatenate([s, shift_e, shift_w])


def local_xy(
    lon: FloatArray, lat: FloatArray, lon0: FloatArray, lat0: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Equirectangular metres of (lon, lat) about (lon0, lat0); lon differences wrapped."""
    dlon = (np.asarray(lon) - lon0 + 180.0) % 360.0 - 180.0
    k = np.pi / 180.0 * EARTH_RADIUS_M
    return dlon * k * np.cos(np.radians(lat0)), (np.asarray(lat) - lat0) * k


def point_segment_xy(
    px: FloatArray,
    py: FloatArray,
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distance from points P to segments AB (planar), and the nearest point on each segment."""
    dx = bx - ax
    dy = by - ay
    den = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(den > 0, ((px - ax) * dx + (py - ay) * dy) / den, 0.0)
    u = np.clip(u, 0.0, 1.0)
    qx = ax + u * dx
    qy = ay + u * dy
    return np.hypot(px - qx, py - qy), qx, qy


def segment_params(
    p0x: FloatArray,
    p0y: FloatArray,
    p1x: FloatArray,
    p1y: FloatArray,
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
) -> FloatArray:
    """Fraction along P0->P1 where it crosses segment AB; NaN where they do not cross."""
    rx = p1x - p0x
    ry = p1y - p0y
    sx = bx - ax
    sy = by - ay
    den = rx * sy - ry * sx
    qx = ax - p0x
    qy = ay - p0y
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (qx * sy - qy * sx) / den
        u = (qx * ry - qy * rx) / den
    ok = (den != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    return np.where(ok, t, np.nan)


def geodesic_circle(
    lon: float, lat: float, radius_m: float, n: int = 180
) -> tuple[FloatArray, FloatArray]:
    """A closed ring of ``n`` points at geodesic distance ``radius_m`` round (lon, lat)."""
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    x, y, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_m))
    x = np.append(x, x[0])
    y = np.append(y, y[0])
    return np.asarray(x), np.asarray(y)


def unit_xyz(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Points as unit vectors of the sphere, ``(N, 3)``: no frame, so no pole or antimeridian."""
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    c = np.cos(la)
    return np.stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)], axis=-1)


def lonlat_of_xyz(xyz: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Longitude and latitude (deg) of vectors (any length), the inverse of :func:`unit_xyz`."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    return np.degrees(np.arctan2(y, x)), np.degrees(np.arctan2(z, np.hypot(x, y)))
