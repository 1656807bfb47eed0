"""Prepared volumes: who is horizontally inside, distance to the boundary, boundary crossings.

:class:`VolumeIndex` holds each polygon part of each volume, prepared, in an STRtree (the
"inside" test is shapely 2 ``contains_xy`` on the candidates of a bounding-box query), and each
volume's boundary segments in a second tree in Mercator coordinates (conformal, so the nearest
segment there is the nearest on the ground up to the change of scale over the search radius,
which the search widens for; near the poles a polar stereographic tree stands in). Candidate
segments are measured as chords in 3-D, which no frame distorts, and the final distance
geodesically (WGS-84) to the nearest boundary point.

Its boundary trees are built on first use (idempotently: a race builds one twice); the trees
may be shared by threads for reading. The caches kept cell by cell for a live picture
(``inside_pairs(by_cell=True)``, :meth:`VolumeIndex.boundary_distance`,
:meth:`VolumeIndex.clearance`) grow in place and are not safe for concurrent calls: one index
per engine, whose loop owns it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely import STRtree

from wellclear.airspace.cellgrid import CellSlots, cell_centres, cell_keys
from wellclear.airspace.geometry import (
    EARTH_RADIUS_M,
    GEOD,
    boundary_segments,
    local_xy,
    point_segment_xy,
    segment_params,
)
from wellclear.airspace.nearest import MAX_CELLS, BoundaryClearance, NearestBoundary
from wellclear.airspace.volume import Volume

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_MAX_MERC_LAT = 89.5
_FEW_PARTS = 64
CHUNK = 16


def mercator(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Spherical Mercator in radians (no clipping of lon, latitude clipped at 89.5 deg)."""
    la = np.radians(np.clip(lat, -_MAX_MERC_LAT, _MAX_MERC_LAT))
    return np.radians(lon), np.arcsinh(np.tan(la))


_SPLIT = 100_000


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    """Two worker threads, made on first use (GEOS releases the GIL in contains_xy)."""
    return ThreadPoolExecutor(max_workers=2)


def contains_xy(geom: shapely.Geometry, x: FloatArray, y: FloatArray) -> npt.NDArray[np.bool_]:
    """shapely ``contains_xy`` on a prepared geometry, on two threads for large inputs.

    GEOS releases the GIL here, so the halves run in parallel.
    """
    if len(x) < _SPLIT:
        return shapely.contains_xy(geom, x, y)
    h = len(x) // 2
    parts = _pool().map(
        lambda s: shapely.contains_xy(geom, x[s], y[s]), (slice(0, h), slice(h, None))
    )
    return np.concatenate(list(parts))


def ranges(start: npt.ArrayLike, counts: npt.ArrayLike) -> IntArray:
    """The indices ``start[i], ..., start[i] + counts[i] - 1`` of every ``i``, one after the
    other (the positions a CSR table's rows cover)."""
    start = np.asarray(start, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    off = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return (np.repeat(start, counts) + off).astype(np.intp)


@dataclass(frozen=True)
class SegTree:
    """Boundary segments ``(N, 4)`` lon/lat and an STRtree over runs of connected segments.

    Each tree item is a MultiLineString (Mercator) of up to CHUNK consecutive, connected
    segments: fewer, tighter items than one per segment.
    """

    segs: FloatArray
    start: IntArray
    length: IntArray
    tree: STRtree
    merged: shapely.Geometry  # all segments as one prepared MultiLineString (Mercator)

    @classmethod
    def build(cls, s: FloatArray) -> SegTree:
        n = len(s)
        x1, y1 = mercator(s[:, 0], s[:, 1])
        x2, y2 = mercator(s[:, 2], s[:, 3])
        lines = shapely.linestrings(
            np.stack([np.column_stack([x1, y1]), np.column_stack([x2, y2])], axis=1)
        )
        joined = np.r_[False, (s[1:, 0] == s[:-1, 2]) & (s[1:, 1] == s[:-1, 3])] if n else []
        run = np.cumsum(~np.asarray(joined, dtype=bool)) - 1 if n else np.zeros(0, np.intp)
        # position within its run, to cut runs into chunks of CHUNK
        first = np.r_[0, np.flatnonzero(np.diff(run)) + 1] if n else np.zeros(0, np.intp)
        pos = np.arange(n) - np.repeat(first, np.diff(np.r_[first, n])) if n else run
        new = (pos % CHUNK) == 0
        chunk = np.cumsum(new) - 1
        start = np.flatnonzero(new).astype(np.intp)
        length = np.diff(np.r_[start, n]).astype(np.intp)
        geoms = shapely.multilinestrings(lines, indices=chunk) if n else np.zeros(0, object)
        merged = shapely.multilinestrings(lines) if n else shapely.MultiLineString()
        shapely.prepare(merged)
        return cls(s, start, length, STRtree(geoms), merged)

    def expand(self, hits: IntArray, chunks: IntArray) -> tuple[IntArray, IntArray]:
        """(hit, chunk) pairs to (hit, segment) pairs over the segments of each chunk."""
        counts = self.length[chunks]
        return np.repeat(hits, counts).astype(np.intp), ranges(self.start[chunks], counts)


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
        self._segs: dict[int, SegTree] = {}
        self._global: tuple[SegTree, IntArray] | None = None
        self._nearest: dict[int, NearestBoundary] = {}
        self._nearest_all: BoundaryClearance | None = None
        self._binding: dict[tuple[object, ...], npt.NDArray[np.bool_]] = {}
        self._cell_slots = CellSlots()  # cells wholly off every boundary: their volumes
        self._cell_off = np.zeros(1, dtype=np.int64)
        self._cell_vol = np.zeros(0, dtype=np.intp)

    def binding(
        self, parties: npt.ArrayLike, party_state: Mapping[str, str], bind_unknown: bool = False
    ) -> tuple[npt.NDArray[np.bool_], IntArray]:
        """Whether each volume binds each party, ``(n_volumes, n_parties)``, and the party of
        each row (its column there); the table is kept for the next call with these parties."""
        codes, labels = pd.factorize(pd.Series(parties), use_na_sentinel=False)
        uniq = tuple(str(u) for u in labels)
        key = (uniq, tuple(sorted(party_state.items())), bind_unknown)
        table = self._binding.get(key)
        if table is None:
            table = np.array(
                [[v.binds_party(p, party_state, bind_unknown) for p in uniq] for v in self.volumes],
                dtype=bool,
            ).reshape(len(self.volumes), len(uniq))
            if len(self._binding) >= 64:
                self._binding.clear()
            self._binding[key] = table
        return table, np.asarray(codes, dtype=np.intp)

    def prepare_all(self) -> None:
        """Build every boundary tree now (else built on first use)."""
        for i in range(len(self.volumes)):
            self.segments(i)
        self.all_segments()

    def all_segments(self) -> tuple[SegTree, IntArray]:
        """Every volume's boundary segments in one tree, and the volume of each segment."""
        if self._global is None:
            segs = [self.segments(i).segs for i in range(len(self.volumes))]
            s = np.concatenate(segs) if segs else np.zeros((0, 4))
            vol = np.repeat(np.arange(len(segs)), [len(x) for x in segs]).astype(np.intp)
            self._global = (SegTree.build(s), vol)
        return self._global

    def _boundaries(self) -> BoundaryClearance:
        if self._nearest_all is None:
            self._nearest_all = BoundaryClearance(self.all_segments()[0].segs)
        return self._nearest_all

    def clearance(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """A lower bound (m) on each point's distance to the nearest boundary of any volume
        (:meth:`wellclear.airspace.nearest.BoundaryClearance.clearance`): a point further than
        it can travel from every boundary cannot cross one."""
        return self._boundaries().clearance(lon, lat)

    def segments(self, vol: int) -> SegTree:
        """Boundary segments of volume ``vol`` and their tree."""
        hit = self._segs.get(vol)
        if hit is None:
            hit = SegTree.build(boundary_segments(self.volumes[vol].geometry))
            self._segs[vol] = hit
        return hit

    # -- inside ---------------------------------------------------------------------------
    def inside_pairs(
        self, lon: FloatArray, lat: FloatArray, *, by_cell: bool = False
    ) -> tuple[IntArray, IntArray]:
        """Pairs (point, volume) with the point horizontally inside the volume, sorted.

        Candidates come from the STRtree (or, for a few parts, from each part's bounding box),
        and each part tests its candidates with ``contains_xy`` on the prepared polygon.

        ``by_cell`` (for a picture asked again and again over the same places): a point in a
        cell of :mod:`wellclear.airspace.cellgrid` that no boundary of any volume meets (the
        cell's lower bound on its distance to every boundary,
        :meth:`~wellclear.airspace.nearest.BoundaryClearance.floors`, is above 0) is inside
        exactly the volumes that hold the cell's centre: the cell is connected and meets no
        boundary, so no polygon's inside changes across it. Those volumes are found once per
        cell; only points in cells that a boundary may meet are tested one by one.
        """
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        if not by_cell or not len(self.volumes):
            return self._inside_exact(lon, lat)
        keys = cell_keys(lon, lat)
        interior = (self._boundaries().floors(keys) > 0) & (lon >= -180.0) & (lon < 180.0)
        slot = self._cell_slots.get(keys)
        new = np.unique(keys[interior & (slot < 0)])
        if len(new):
            if self._cell_slots.assigned + len(new) > MAX_CELLS:
                self._cell_slots.clear()
                self._cell_off = np.zeros(1, dtype=np.int64)
                self._cell_vol = np.zeros(0, dtype=np.intp)
                new = np.unique(keys[interior])
            cp, cv = self._inside_exact(*cell_centres(new))
            counts = np.bincount(cp, minlength=len(new))
            self._cell_slots.set(new, len(self._cell_off) - 1 + np.arange(len(new)))
            ends = self._cell_off[-1] + np.cumsum(counts)
            self._cell_off = np.concatenate([self._cell_off, ends])
            self._cell_vol = np.concatenate([self._cell_vol, cv])
            slot = self._cell_slots.get(keys)
        ip = np.flatnonzero(interior)
        start, stop = self._cell_off[slot[ip]], self._cell_off[slot[ip] + 1]
        pts = np.repeat(ip, stop - start)
        at = ranges(start, stop - start)
        rest = np.flatnonzero(~interior)
        ep, ev = self._inside_exact(lon[rest], lat[rest])
        nv = len(self.volumes)
        key = np.sort(np.concatenate([pts * nv + self._cell_vol[at], rest[ep] * nv + ev]))
        return (key // nv).astype(np.intp), (key % nv).astype(np.intp)

    def _inside_exact(self, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, IntArray]:
        """:meth:`inside_pairs` point by point."""
        pts_out: list[IntArray] = []
        parts_out: list[IntArray] = []
        if len(self.parts) <= _FEW_PARTS:
            bounds = shapely.bounds(self.parts)
            for k, (x0, y0, x1, y1) in enumerate(bounds):
                sel = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
                hit = sel[contains_xy(self.parts[k], lon[sel], lat[sel])]
                pts_out.append(hit)
                parts_out.append(np.full(len(hit), k, dtype=np.intp))
        else:
            idx = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
            pi, parts = self.tree.query(shapely.points(lon[idx], lat[idx]))
            pi = idx[pi]
            order = np.argsort(parts, kind="stable")
            pi, parts = pi[order], parts[order]
            cuts = np.flatnonzero(np.diff(parts)) + 1
            for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(parts)], strict=True):
                if a == b:
                    continue
                sel = pi[a:b]
                hit = sel[contains_xy(self.parts[parts[a]], lon[sel], lat[sel])]
                pts_out.append(hit)
                parts_out.append(np.full(len(hit), parts[a], dtype=np.intp))
        if not pts_out:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        pts = np.concatenate(pts_out).astype(np.int64)
        vols = self.part_volume[np.concatenate(parts_out)].astype(np.int64)
        # a point on the shared edge of two parts of one volume counts once
        key = np.sort(pts * max(1, len(self.volumes)) + vols)
        key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
        return (key // max(1, len(self.volumes))).astype(np.intp), (
            key % max(1, len(self.volumes))
        ).astype(np.intp)

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
        """Geodesic distance (m) from each point to the boundary of ``vol``, and that point.

        The nearest point is found among the boundary's segments as 3-D chords of the sphere,
        through a cache of candidates per cell (:class:`wellclear.airspace.nearest.NearestBoundary`:
        exact, with its proof), so no frame fails at a pole or the antimeridian; the distance
        to it is then geodesic on the WGS-84 ellipsoid. NaN where lon or lat is not finite.
        """
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        nb = self._nearest.get(vol)
        if nb is None:
            nb = NearestBoundary(self.segments(vol).segs)
            self._nearest[vol] = nb
        qlon, qlat = nb.nearest(lon, lat)
        if len(lon) == 0:
            return np.zeros(0), qlon, qlat
        ok = np.isfinite(qlon) & np.isfinite(lon) & np.isfinite(lat)
        dist = np.full(len(lon), np.nan)
        if ok.any():
            _, _, d = GEOD.inv(lon[ok], lat[ok], qlon[ok], qlat[ok])
            dist[ok] = d
        return dist, np.where(ok, qlon, np.nan), np.where(ok, qlat, np.nan)

    # -- crossings ------------------------------------------------------------------------
    def crossings(
        self, vol: int, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> tuple[IntArray, FloatArray]:
        """Every crossing of the boundary of ``vol`` by the short segments P0->P1.

        Returns (segment index, fraction along it), sorted by segment then fraction. The
        fraction is found in a local equirectangular frame about P0 (exact for straight
        lon/lat edges to well under a metre over a few kilometres).
        """
        ti, _, f = _crossings(self.segments(vol), lon0, lat0, lon1, lat1, None)
        return ti, f

    def near_boundary(
        self, lon: FloatArray, lat: FloatArray, radius_m: float
    ) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
        """(point, volume, distance m, nearest lon, nearest lat) for boundaries within radius."""
        st, svol = self.all_segments()
        segs, tree = st.segs, st.tree
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        mx, my = mercator(lon, lat)
        cosl = np.cos(np.radians(np.clip(lat, -_MAX_MERC_LAT, _MAX_MERC_LAT)))
        r = radius_m / (EARTH_RADIUS_M * cosl) * 1.02
        pi, ci = tree.query(shapely.points(mx, my), predicate="dwithin", distance=r)
        pi, si = st.expand(pi, ci)
        if len(pi) == 0:
            e = np.zeros(0)
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), e, e, e
        s = segs[si]
        ax, ay = local_xy(s[:, 0], s[:, 1], lon[pi], lat[pi])
        bx, by = local_xy(s[:, 2], s[:, 3], lon[pi], lat[pi])
        zero = np.zeros(len(pi))
        d, qx, qy = point_segment_xy(zero, zero, ax, ay, bx, by)
        vol = svol[si]
        order = np.lexsort((d, vol, pi))
        pi, vol, d, qx, qy = pi[order], vol[order], d[order], qx[order], qy[order]
        first = np.flatnonzero(np.r_[True, (np.diff(pi) != 0) | (np.diff(vol) != 0)])
        pi, vol, d, qx, qy = pi[first], vol[first], d[first], qx[first], qy[first]
        keep = d <= radius_m * 1.01
        pi, vol, qx, qy = pi[keep], vol[keep], qx[keep], qy[keep]
        k = np.pi / 180.0 * EARTH_RADIUS_M
        qlat = lat[pi] + qy / k
        qlon = (lon[pi] + qx / (k * np.cos(np.radians(lat[pi]))) + 180.0) % 360.0 - 180.0
        _, _, dist = GEOD.inv(lon[pi], lat[pi], qlon, qlat)
        dist = np.asarray(dist)
        ok = dist <= radius_m
        return pi[ok], vol[ok], dist[ok], qlon[ok], qlat[ok]

    def crossings_all(
        self, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Crossings of any volume's boundary by segments P0->P1: (segment, volume, fraction)."""
        st, svol = self.all_segments()
        return _crossings(st, lon0, lat0, lon1, lat1, svol)


def _crossings(
    st: SegTree,
    lon0: FloatArray,
    lat0: FloatArray,
    lon1: FloatArray,
    lat1: FloatArray,
    svol: IntArray | None,
) -> tuple[IntArray, IntArray, FloatArray]:
    segs, tree = st.segs, st.tree
    lon0 = np.asarray(lon0, dtype=np.float64)
    lat0 = np.asarray(lat0, dtype=np.float64)
    lon1 = lon0 + ((np.asarray(lon1) - lon0 + 180.0) % 360.0 - 180.0)
    lat1 = np.asarray(lat1, dtype=np.float64)
    none = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0))
    if len(lon0) == 0 or len(segs) == 0:
        return none
    x0, y0 = mercator(lon0, lat0)
    x1, y1 = mercator(lon1, lat1)
    pad = 1e-7
    boxes = shapely.box(
        np.minimum(x0, x1) - pad,
        np.minimum(y0, y1) - pad,
        np.maximum(x0, x1) + pad,
        np.maximum(y0, y1) + pad,
    )
    ti, ci = tree.query(boxes)
    ti, si = st.expand(ti, ci)
    if len(ti) == 0:
        return none
    s = segs[si]
    la, pa = lon0[ti], lat0[ti]
    ax, ay = local_xy(s[:, 0], s[:, 1], la, pa)
    bx, by = local_xy(s[:, 2], s[:, 3], la, pa)
    ex, ey = local_xy(lon1[ti], lat1[ti], la, pa)
    zero = np.zeros(len(ti))
    f = segment_params(zero, zero, ex, ey, ax, ay, bx, by)
    ok = np.isfinite(f)
    ti, si, f = ti[ok], si[ok], f[ok]
    order = np.lexsort((f, ti))
    vol = svol[si[order]] if svol is not None else np.zeros(len(order), dtype=np.intp)
    return ti[order].astype(np.intp), vol.astype(np.intp), f[order]
