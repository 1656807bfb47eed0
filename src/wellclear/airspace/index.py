"""Prepared volumes: who is horizontally inside, distance to the boundary, boundary crossings.

:class:`VolumeIndex` holds each polygon part of each volume, prepared, in an STRtree (the
"inside" test is shapely 2 ``contains_xy`` on the candidates of a bounding-box query), and each
volume's boundary segments in a second tree in Mercator coordinates (conformal, so the nearest
segment there is the nearest on the ground up to the change of scale over the search radius,
which the search widens for). Distances are then measured in a local frame about each point and
the final one geodesically (WGS-84) to the nearest boundary point.

It holds no mutable state after construction and may be shared by threads for reading.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree

from wellclear.airspace.geometry import (
    EARTH_RADIUS_M,
    GEOD,
    boundary_segments,
    local_xy,
    point_segment_xy,
    segment_params,
)
from wellclear.airspace.volume import Volume

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_MAX_MERC_LAT = 89.5


def mercator(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Spherical Mercator in radians (no clipping of lon, latitude clipped at 89.5 deg)."""
    la = np.radians(np.clip(lat, -_MAX_MERC_LAT, _MAX_MERC_LAT))
    return np.radians(lon), np.arcsinh(np.tan(la))


class VolumeIndex:
    """A set of volumes prepared for vectorised queries."""

    def __init__(self, volumes: Sequence[Volume]) -> None:
        self.volumes: list[Volume] = list(volumes)
        parts: list[shapely.Geometry] = []
        owner: list[int] = []
        for i, v in enumerate(self.volumes):
            ps = shapely.get_parts(v.geometry)
            parts.extend(ps)
            owner.extend([i] * len(ps))
        self.parts = np.array(parts, dtype=object)
        self.part_volume: IntArray = np.array(owner, dtype=np.intp)
        shapely.prepare(self.parts)
        self.tree = STRtree(self.parts)
        self._segs: dict[int, tuple[FloatArray, STRtree]] = {}

    def prepare_all(self) -> None:
        """Build every volume's boundary tree now (else built on first use)."""
        for i in range(len(self.volumes)):
            self.segments(i)

    def segments(self, vol: int) -> tuple[FloatArray, STRtree]:
        """Boundary segments ``(N, 4)`` lon/lat of volume ``vol`` and their Mercator tree."""
        hit = self._segs.get(vol)
        if hit is None:
            s = boundary_segments(self.volumes[vol].geometry)
            x1, y1 = mercator(s[:, 0], s[:, 1])
            x2, y2 = mercator(s[:, 2], s[:, 3])
            lines = shapely.linestrings(
                np.stack([np.column_stack([x1, y1]), np.column_stack([x2, y2])], axis=1)
            )
            hit = (s, STRtree(lines))
            self._segs[vol] = hit
        return hit

    # -- inside ---------------------------------------------------------------------------
    def inside_pairs(self, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, IntArray]:
        """Pairs (point, volume) with the point horizontally inside the volume."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        idx = np.flatnonzero(ok)
        boxes = shapely.points(lon[idx], lat[idx])
        pi, parts = self.tree.query(boxes)
        pi = idx[pi]
        order = np.argsort(parts, kind="stable")
        pi, parts = pi[order], parts[order]
        keep = np.zeros(len(pi), dtype=bool)
        bounds = np.flatnonzero(np.diff(parts)) + 1
        for a, b in zip(
            np.concatenate([[0], bounds]), np.concatenate([bounds, [len(parts)]]), strict=True
        ):
            if a == b:
                continue
            sel = pi[a:b]
            keep[a:b] = shapely.contains_xy(self.parts[parts[a]], lon[sel], lat[sel])
        pts, vols = pi[keep], self.part_volume[parts[keep]]
        # a point on the shared edge of two parts of one volume counts once
        key = np.unique(np.column_stack([pts, vols]), axis=0)
        return key[:, 0].astype(np.intp), key[:, 1].astype(np.intp)

    def near_pairs(
        self, lon: FloatArray, lat: FloatArray, radius_m: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """Pairs (point, volume) whose polygon may lie within ``radius_m`` of the point."""
        lat_c = np.clip(np.abs(lat), 0.0, 89.0)
        deg = np.asarray(radius_m) / (EARTH_RADIUS_M * np.pi / 180.0) / np.cos(np.radians(lat_c))
        pi, parts = self.tree.query(shapely.points(lon, lat), predicate="dwithin", distance=deg)
        key = np.unique(np.column_stack([pi, self.part_volume[parts]]), axis=0)
        return key[:, 0].astype(np.intp), key[:, 1].astype(np.intp)

    # -- distance -------------------------------------------------------------------------
    def boundary_distance(
        self, vol: int, lon: FloatArray, lat: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Geodesic distance (m) from each point to the boundary of ``vol``, and that point."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        n = len(lon)
        segs, tree = self.segments(vol)
        if n == 0 or len(segs) == 0:
            nan = np.full(n, np.nan)
            return nan, nan.copy(), nan.copy()
        mx, my = mercator(lon, lat)
        pts = shapely.points(mx, my)
        _, nearest = tree.query_nearest(pts, all_matches=False)
        d_merc = shapely.distance(pts, tree.geometries[nearest])
        # widen for the change of scale over the search radius
        lat_r = np.radians(np.clip(np.abs(lat), 0.0, _MAX_MERC_LAT))
        dlat = d_merc * np.cos(lat_r)
        grow = np.cos(lat_r) / np.cos(np.clip(lat_r + dlat, 0.0, np.radians(_MAX_MERC_LAT)))
        radius = d_merc * grow * 1.01 + 1e-9
        pi, si = tree.query(pts, predicate="dwithin", distance=radius)
        s = segs[si]
        ax, ay = local_xy(s[:, 0], s[:, 1], lon[pi], lat[pi])
        bx, by = local_xy(s[:, 2], s[:, 3], lon[pi], lat[pi])
        d, qx, qy = point_segment_xy(np.zeros(len(pi)), np.zeros(len(pi)), ax, ay, bx, by)
        order = np.lexsort((d, pi))
        pi, qx, qy = pi[order], qx[order], qy[order]
        first = np.flatnonzero(np.r_[True, np.diff(pi) != 0])
        k = np.pi / 180.0 * EARTH_RADIUS_M
        p = pi[first]
        qlat = lat[p] + qy[first] / k
        qlon = lon[p] + qx[first] / (k * np.cos(np.radians(lat[p])))
        qlon = (qlon + 180.0) % 360.0 - 180.0
        out = np.full(n, np.nan)
        out_lon = np.full(n, np.nan)
        out_lat = np.full(n, np.nan)
        _, _, dist = GEOD.inv(lon[p], lat[p], qlon, qlat)
        out[p] = dist
        out_lon[p] = qlon
        out_lat[p] = qlat
        return out, out_lon, out_lat

    # -- crossings ------------------------------------------------------------------------
    def crossings(
        self, vol: int, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> tuple[IntArray, FloatArray]:
        """Every crossing of the boundary of ``vol`` by the short segments P0->P1.

        Returns (segment index, fraction along it), sorted by segment then fraction. The
        fraction is found in a local equirectangular frame about P0 (exact for straight
        lon/lat edges to well under a metre over a few kilometres).
        """
        segs, tree = self.segments(vol)
        lon0 = np.asarray(lon0, dtype=np.float64)
        lat0 = np.asarray(lat0, dtype=np.float64)
        lon1 = lon0 + ((np.asarray(lon1) - lon0 + 180.0) % 360.0 - 180.0)
        lat1 = np.asarray(lat1, dtype=np.float64)
        if len(lon0) == 0 or len(segs) == 0:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        x0, y0 = mercator(lon0, lat0)
        x1, y1 = mercator(lon1, lat1)
        pad = 1e-7
        boxes = shapely.box(
            np.minimum(x0, x1) - pad,
            np.minimum(y0, y1) - pad,
            np.maximum(x0, x1) + pad,
            np.maximum(y0, y1) + pad,
        )
        ti, si = tree.query(boxes)
        if len(ti) == 0:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        s = segs[si]
        la, pa = lon0[ti], lat0[ti]
        ax, ay = local_xy(s[:, 0], s[:, 1], la, pa)
        bx, by = local_xy(s[:, 2], s[:, 3], la, pa)
        ex, ey = local_xy(lon1[ti], lat1[ti], la, pa)
        zero = np.zeros(len(ti))
        f = segment_params(zero, zero, ex, ey, ax, ay, bx, by)
        ok = np.isfinite(f)
        ti, f = ti[ok], f[ok]
        order = np.lexsort((f, ti))
        return ti[order].astype(np.intp), f[order]
