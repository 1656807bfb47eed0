"""The nearest point of a volume's boundary to many points: exact, and cheap tick after tick.

The metric is the one :meth:`wellclear.airspace.index.VolumeIndex.boundary_distance` reports
through: the boundary's segments taken as 3-D chords of the unit sphere (each edge is cut to
at most :data:`~wellclear.airspace.geometry.MAX_EDGE_DEG`, so a chord is within metres of its
edge), and the distance from a point ``P`` of the sphere to a chord is the Euclidean distance
in R^3. No map projection is involved, so nothing changes at a pole or at the antimeridian.

A live picture asks for the depth of the same aircraft inside the same volume every second,
and an aircraft moves a few hundred metres between two asks. The sphere is cut into cells of
:data:`CELL_DEG` of latitude and longitude; for each cell touched once, the segments that can
be nearest to any point of the cell are found once and kept, so each later point costs only a
look at its cell's few candidates.

Why a cell's candidates contain the nearest segment of every point of the cell (exactness).
Let ``f(X) = min_S dist(X, S)`` over the segments ``S``, ``C`` the cell's centre (a unit
vector) and ``r`` a bound on ``|P - C|`` for every ``P`` of the cell. ``f`` is 1-Lipschitz,
being a minimum of distances to sets. For a segment ``S*`` nearest to ``P``::

    dist(C, S*) <= dist(P, S*) + |P - C| = f(P) + |P - C| <= f(C) + 2 |P - C| <= f(C) + 2 r,

so ``S*`` is among the segments with ``dist(C, S) <= f(C) + 2 r``: the cell's candidates.
The bound ``r``: from ``C`` go along its meridian to the latitude of ``P`` (at most half the
cell's height ``h``), then along that parallel to ``P`` (at most half the width ``w`` times the
largest cosine of latitude in the cell); the great circle is no longer than that path, and a
chord no longer than its arc: ``r = h / 2 + w / 2 * max cos(lat)`` (radians of the unit
sphere). The boundary's edges are straight in longitude and latitude (RFC 7946), not chords: each
is within ``DELTA`` of its chord (an edge of at most 0.1 deg of latitude and longitude sags
from its chord by under 1e-6 of the radius), so taking the candidates within
``f(C) + 2 r + 2 DELTA`` of ``C`` by the chords keeps the nearest edge (the same argument,
with the distance to an edge and to its chord differing by at most ``DELTA``), and the
nearest point is then found on each candidate edge itself (Newton's method on the
parameter along the edge, from the chord's nearest point, against both ends).
Finding ``f(C)`` and the candidates prunes whole runs of segments by a ball round
each run (its endpoints' mean and largest distance from it): a segment of the run is at least
``|C - m| - rho`` from ``C``, since a segment lies in the convex hull of its endpoints.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from wellclear.airspace.geometry import EARTH_RADIUS_M, lonlat_of_xyz, unit_xyz

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CELL_DEG = 0.05
"""Cell size (degrees of latitude and of longitude): 5.6 km north-south."""

Chords = tuple[FloatArray, FloatArray, FloatArray, FloatArray]
"""A boundary as the kernels take it: chord ends ``a``, ``b`` ``(N, 3)``, and the centres
``(R, 3)`` and radii ``(R,)`` of the balls round runs of :data:`RUN` segments."""

RUN = 16
"""Consecutive segments pruned together (a run along a ring is spatially compact)."""

DELTA = 4e-6
"""A bound on the distance between an edge and its chord, unit sphere (25 m: 4x margin)."""

MAX_CELLS = 2_000_000
"""Cells kept per volume; past this the cache starts again (memory stays bounded)."""

_NLAT = round(180.0 / CELL_DEG)
_NLON = round(360.0 / CELL_DEG)


@numba.njit(cache=True, nogil=True)
def _chord(
    px: float, py: float, pz: float, a: FloatArray, b: FloatArray, i: int
) -> tuple[float, float, float, float]:
    """Distance from P to the chord ``a[i] b[i]`` and the chord's nearest point."""
    ux, uy, uz = b[i, 0] - a[i, 0], b[i, 1] - a[i, 1], b[i, 2] - a[i, 2]
    den = ux * ux + uy * uy + uz * uz
    u = 0.0
    if den > 0.0:
        u = ((px - a[i, 0]) * ux + (py - a[i, 1]) * uy + (pz - a[i, 2]) * uz) / den
        u = min(max(u, 0.0), 1.0)
    qx, qy, qz = a[i, 0] + u * ux, a[i, 1] + u * uy, a[i, 2] + u * uz
    d = np.sqrt((px - qx) ** 2 + (py - qy) ** 2 + (pz - qz) ** 2)
    return d, qx, qy, qz


@numba.njit(cache=True, nogil=True)
def _threshold(
    c: FloatArray,
    r: float,
    runs: Chords,
) -> float:
    """``f(C) + 2 r`` (see the module docstring) for the cell centred on ``c``."""
    a, b, run_m, run_r = runs
    n_runs = len(run_r)
    n = len(a)
    lower = np.empty(n_runs)
    best = np.inf
    for k in range(n_runs):
        dc = np.sqrt(
            (c[0] - run_m[k, 0]) ** 2 + (c[1] - run_m[k, 1]) ** 2 + (c[2] - run_m[k, 2]) ** 2
        )
        lower[k] = dc - run_r[k]
        best = min(best, dc + run_r[k])  # every point of the run's segments is that close
    for k in range(n_runs):
        if lower[k] > best:
            continue
        for i in range(k * RUN, min(n, (k + 1) * RUN)):
            d = _chord(c[0], c[1], c[2], a, b, i)[0]
            best = min(best, d)
    return best + 2.0 * r


@numba.njit(cache=True, nogil=True)
def _candidates(
    c: FloatArray,
    limit: float,
    runs: Chords,
    out: IntArray,
) -> int:
    """Write the segments within ``limit`` of ``c`` into ``out`` (if given room); their count."""
    a, b, run_m, run_r = runs
    n = len(a)
    count = 0
    for k in range(len(run_r)):
        dc = np.sqrt(
            (c[0] - run_m[k, 0]) ** 2 + (c[1] - run_m[k, 1]) ** 2 + (c[2] - run_m[k, 2]) ** 2
        )
        if dc - run_r[k] > limit:
            continue
        for i in range(k * RUN, min(n, (k + 1) * RUN)):
            if _chord(c[0], c[1], c[2], a, b, i)[0] <= limit:
                if count < len(out):
                    out[count] = i
                count += 1
    return count


@numba.njit(cache=True, nogil=True)
def _cells(
    centres: FloatArray,
    radius: FloatArray,
    runs: Chords,
) -> tuple[IntArray, IntArray]:
    """Candidates of each cell: CSR offsets ``(m + 1,)`` and segment indices."""
    m = len(radius)
    limit = np.empty(m)
    counts = np.zeros(m, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    for j in range(m):
        limit[j] = _threshold(centres[j], radius[j], runs) + 2.0 * DELTA
        counts[j] = _candidates(centres[j], limit[j], runs, none)
    offsets = np.zeros(m + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    out = np.empty(offsets[m], dtype=np.int64)
    for j in range(m):
        _candidates(centres[j], limit[j], runs, out[offsets[j] : offsets[j + 1]])
    return offsets, out


@numba.njit(cache=True, nogil=True)
def _floors(
    centres: FloatArray,
    radius: FloatArray,
    runs: Chords,
) -> FloatArray:
    """For each cell, a lower bound on the chord distance from any of its points to any edge:
    ``f(C) - r - DELTA`` (the Lipschitz argument of the module docstring), at least 0."""
    m = len(radius)
    out = np.empty(m)
    for j in range(m):
        out[j] = max(_threshold(centres[j], 0.0, runs) - radius[j] - DELTA, 0.0)
    return out


@numba.njit(cache=True, nogil=True)
def _on_edge(p: FloatArray, e: FloatArray, u: float) -> tuple[float, float, float, float]:
    """Chord distance from P to the point at ``u`` along the lon/lat-straight edge ``e``
    (radians: lon0, lat0, lon1, lat1), and that point."""
    lo = e[0] + u * (e[2] - e[0])
    la = e[1] + u * (e[3] - e[1])
    x, y, z = np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)
    return np.sqrt((p[0] - x) ** 2 + (p[1] - y) ** 2 + (p[2] - z) ** 2), x, y, z


@numba.njit(cache=True, nogil=True)
def _edge_nearest(p: FloatArray, e: FloatArray, u: float) -> tuple[float, float, float, float]:
    """The point of edge ``e`` nearest to P: Newton's method on ``P . X(u)`` from ``u``, kept
    only if it beats both ends."""
    dlo, dla = e[2] - e[0], e[3] - e[1]
    for _ in range(4):
        lo = e[0] + u * dlo
        la = e[1] + u * dla
        cl, sl, co, so = np.cos(la), np.sin(la), np.cos(lo), np.sin(lo)
        d1 = (
            p[0] * (-dla * sl * co - dlo * cl * so)
            + p[1] * (-dla * sl * so + dlo * cl * co)
            + p[2] * (dla * cl)
        )
        d2 = (
            p[0] * (-(dla * dla + dlo * dlo) * cl * co + 2.0 * dla * dlo * sl * so)
            + p[1] * (-(dla * dla + dlo * dlo) * cl * so - 2.0 * dla * dlo * sl * co)
            + p[2] * (-dla * dla * sl)
        )
        if d2 >= 0.0:
            break
        u = min(max(u - d1 / d2, 0.0), 1.0)
    best = _on_edge(p, e, u)
    for end in (0.0, 1.0):
        c = _on_edge(p, e, end)
        if c[0] < best[0]:
            best = c
    return best


@numba.njit(cache=True, nogil=True)
def _nearest(
    p: FloatArray,
    cell: IntArray,
    offsets: IntArray,
    cand: IntArray,
    a: FloatArray,
    b: FloatArray,
    edges: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Chord distance from each point to the nearest point of its candidate edges, and that
    point (a unit vector)."""
    n = len(cell)
    dist = np.full(n, np.nan)
    q = np.full((n, 3), np.nan)
    for j in range(n):
        k = cell[j]
        if k < 0:
            continue
        # the chords first: an edge whose chord is further than the nearest chord plus
        # 2 DELTA cannot hold the nearest point (each edge is within DELTA of its chord)
        near = np.inf
        for s in range(offsets[k], offsets[k + 1]):
            near = min(near, _chord(p[j, 0], p[j, 1], p[j, 2], a, b, cand[s])[0])
        best = np.inf
        for s in range(offsets[k], offsets[k + 1]):
            i = cand[s]
            if _chord(p[j, 0], p[j, 1], p[j, 2], a, b, i)[0] > near + 2.0 * DELTA:
                continue
            ux, uy, uz = b[i, 0] - a[i, 0], b[i, 1] - a[i, 1], b[i, 2] - a[i, 2]
            den = ux * ux + uy * uy + uz * uz
            u = 0.0
            if den > 0.0:
                u = ((p[j, 0] - a[i, 0]) * ux + (p[j, 1] - a[i, 1]) * uy) / den
                u = min(max(u + (p[j, 2] - a[i, 2]) * uz / den, 0.0), 1.0)
            d, qx, qy, qz = _edge_nearest(p[j], edges[i], u)
            if d < best:
                best = d
                q[j, 0], q[j, 1], q[j, 2] = qx, qy, qz
        dist[j] = best
    return dist, q


def _cell_keys(lon: FloatArray, lat: FloatArray) -> IntArray:
    """Cell of each point (``-1`` where lon or lat is not finite)."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    ilat = np.clip(np.floor((np.where(ok, lat, 0.0) + 90.0) / CELL_DEG), 0, _NLAT - 1)
    ilon = np.floor(((np.where(ok, lon, 0.0) + 180.0) % 360.0) / CELL_DEG) % _NLON
    return np.where(ok, ilat.astype(np.int64) * _NLON + ilon.astype(np.int64), -1)


def _cell_geometry(keys: IntArray) -> tuple[FloatArray, FloatArray]:
    """Centres (unit vectors) and radius bounds ``r`` of the cells ``keys``."""
    ilat, ilon = keys // _NLON, keys % _NLON
    lat0 = -90.0 + ilat * CELL_DEG
    lat1 = np.minimum(lat0 + CELL_DEG, 90.0).astype(np.float64)
    centre = unit_xyz((-180.0 + (ilon + 0.5) * CELL_DEG).astype(np.float64), (lat0 + lat1) / 2.0)
    nearest_equator = np.where((lat0 <= 0.0) & (lat1 >= 0.0), 0.0, np.minimum(abs(lat0), abs(lat1)))
    h = np.radians(lat1 - lat0)
    w = np.radians(CELL_DEG)
    radius = h / 2.0 + w / 2.0 * np.cos(np.radians(nearest_equator)) + 1e-12
    return centre, radius


class NearestBoundary:
    """The boundary segments ``(N, 4)`` (lon/lat pairs) of one volume, with the cell cache.

    Not safe for concurrent calls (the cache grows in place): one per engine, as the
    :class:`~wellclear.airspace.index.VolumeIndex` that holds it.
    """

    def __init__(self, segs: FloatArray) -> None:
        runs = _Runs(segs)
        self.a, self.b, self.chords = runs.a, runs.b, runs.chords
        self.edges = np.ascontiguousarray(np.radians(segs[:, :4]))
        self._slot: dict[int, int] = {}
        self._offsets = np.zeros(1, dtype=np.int64)
        self._cand = np.zeros(0, dtype=np.int64)

    @property
    def cells(self) -> int:
        """Cells whose candidates are kept."""
        return len(self._slot)

    def _ensure(self, keys: IntArray) -> IntArray:
        """The slot of each cell in ``keys`` (``-1`` stays ``-1``), computing new cells."""
        uniq, inverse = np.unique(keys, return_inverse=True)
        if len(self._slot) + len(uniq) > MAX_CELLS:
            self._slot.clear()
            self._offsets = np.zeros(1, dtype=np.int64)
            self._cand = np.zeros(0, dtype=np.int64)
        slot = np.array([self._slot.get(int(k), -1) for k in uniq], dtype=np.int64)
        new = np.flatnonzero((slot < 0) & (uniq >= 0))
        if len(new):
            centres, radius = _cell_geometry(uniq[new])
            off, cand = _cells(centres, radius, self.chords)
            first = len(self._offsets) - 1
            self._offsets = np.concatenate([self._offsets, self._offsets[-1] + off[1:]])
            self._cand = np.concatenate([self._cand, cand])
            slot[new] = first + np.arange(len(new))
            self._slot.update(zip(uniq[new].tolist(), slot[new].tolist(), strict=True))
        return slot[inverse]

    def nearest(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Nearest boundary point (lon, lat) of each point; NaN where lon or lat is not finite."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        if len(self.a) == 0:
            nan = np.full(len(lon), np.nan)
            return nan, nan.copy()
        slot = self._ensure(_cell_keys(lon, lat))
        p = np.ascontiguousarray(unit_xyz(np.nan_to_num(lon), np.nan_to_num(lat)))
        _, q = _nearest(p, slot, self._offsets, self._cand, self.a, self.b, self.edges)
        qlon, qlat = lonlat_of_xyz(q)
        return np.asarray(qlon, dtype=np.float64), np.asarray(qlat, dtype=np.float64)


class _Runs:
    """Segments as chords (unit vectors ``a``, ``b``) and the balls round runs of them."""

    def __init__(self, segs: FloatArray) -> None:
        self.a = np.ascontiguousarray(unit_xyz(segs[:, 0], segs[:, 1]))
        self.b = np.ascontiguousarray(unit_xyz(segs[:, 2], segs[:, 3]))
        n_runs = -(-len(segs) // RUN)
        ends = np.concatenate([self.a, self.b]).reshape(2, len(segs), 3).transpose(1, 0, 2)
        pad = n_runs * RUN - len(segs)
        ends = np.concatenate([ends, np.repeat(ends[-1:], pad, axis=0)]) if pad else ends
        runs = ends.reshape(n_runs, 2 * RUN, 3)
        self.run_m = np.ascontiguousarray(runs.mean(axis=1))
        self.run_r = np.linalg.norm(runs - self.run_m[:, None, :], axis=2).max(axis=1)
        self.chords: Chords = (self.a, self.b, self.run_m, self.run_r)


class BoundaryClearance:
    """Lower bounds on the distance from points to the nearest of many boundaries, kept per
    cell (one number a cell: cheap where :class:`NearestBoundary` would keep candidates of
    every volume). Not safe for concurrent calls, as :class:`NearestBoundary`."""

    def __init__(self, segs: FloatArray) -> None:
        self.runs = _Runs(segs)
        self._floor: dict[int, float] = {}

    def clearance(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """A lower bound (m) on each point's WGS-84 geodesic distance to every boundary.

        The cell's bound on the chord as an arc of the mean-radius sphere, less 1 % (the
        geodesic differs from the sphere's arc by under 0.6 %) and 100 m; ``inf`` with no
        boundary, NaN where lon or lat is not finite.
        """
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        finite = np.isfinite(lon) & np.isfinite(lat)
        if len(self.runs.a) == 0:
            return np.where(finite, np.inf, np.nan)
        keys = _cell_keys(lon, lat)
        uniq, inverse = np.unique(keys, return_inverse=True)
        if len(self._floor) + len(uniq) > MAX_CELLS:
            self._floor.clear()
        new = np.array([k >= 0 and int(k) not in self._floor for k in uniq], dtype=bool)
        if new.any():
            centres, radius = _cell_geometry(uniq[new])
            floors = _floors(centres, radius, self.runs.chords)
            self._floor.update(zip(uniq[new].tolist(), floors.tolist(), strict=True))
        chord = np.array([self._floor.get(int(k), np.nan) for k in uniq])[inverse]
        arc = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)) * EARTH_RADIUS_M
        return np.where(finite, np.maximum(arc * 0.99 - 100.0, 0.0), np.nan)
