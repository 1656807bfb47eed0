"""The nearest point of a volume's boundary to many points: exact, and cheap tick after tick.

The metric is the one :meth:`wellclear.airspace.index.VolumeIndex.boundary_distance` reports
through: the boundary's segments taken as 3-D chords of the unit sphere (each edge is cut to
at most :data:`~wellclear.airspace.geometry.MAX_EDGE_DEG`, so a chord is within metres of its
edge), and the distance from a point ``P`` of the sphere to a chord is the Euclidean distance
in R^3. No map projection is involved, so nothing changes at a pole or at the antimeridian.

A live picture asks for the depth of the same aircraft inside the same volume every second,
and an aircraft moves a few hundred metres between two asks. The sphere is cut into the cells
of :mod:`wellclear.airspace.cellgrid`; for each cell touched once, the segments that can
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
``|C - m| - rho`` from ``C``, since a segment lies in the convex hull of its endpoints, and
every point of it at most ``|C - m| + rho``. Runs are pruned in turn by groups of
:data:`GROUP` consecutive runs, each in a ball holding its runs' balls. A part is skipped only
when its lower bound exceeds an upper bound already met by some segment, so the minimum and the
candidates are those of the full scan.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from wellclear.airspace.cellgrid import CellSlots, cell_geometry, cell_keys
from wellclear.airspace.geometry import EARTH_RADIUS_M, lonlat_of_xyz, unit_xyz

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

Chords = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
"""A boundary as the kernels take it: chord ends ``a``, ``b`` ``(N, 3)``, the centres
``(R, 3)`` and radii ``(R,)`` of the balls round runs of :data:`RUN` segments, and those
``(G, 3)``, ``(G,)`` of the balls round groups of :data:`GROUP` runs."""

RUN = 16
"""Segments pruned together: consecutive in the Z-order of :class:`_Runs`, so compact."""

GROUP = 16
"""Consecutive runs pruned together before their runs are looked at."""

DELTA = 4e-6
"""A bound on the distance between an edge and its chord, unit sphere (25 m: 4x margin)."""

MAX_CELLS = 2_000_000
"""Cells kept per volume; past this the cache starts again (memory stays bounded)."""


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
def _ball(c: FloatArray, m: FloatArray, k: int) -> float:
    return np.sqrt((c[0] - m[k, 0]) ** 2 + (c[1] - m[k, 1]) ** 2 + (c[2] - m[k, 2]) ** 2)


@numba.njit(cache=True, nogil=True)
def _threshold(
    c: FloatArray,
    r: float,
    runs: Chords,
) -> float:
    """``f(C) + 2 r`` (see the module docstring) for the cell centred on ``c``."""
    a, b, run_m, run_r, grp_m, grp_r = runs
    n_runs = len(run_r)
    n = len(a)
    lower = np.empty(len(grp_r))
    best = np.inf
    for g in range(len(grp_r)):
        dc = _ball(c, grp_m, g)
        lower[g] = dc - grp_r[g]
        best = min(best, dc + grp_r[g])  # every point of the group's segments is that close
    for g in range(len(grp_r)):
        if lower[g] > best:
            continue
        for k in range(g * GROUP, min(n_runs, (g + 1) * GROUP)):
            dc = _ball(c, run_m, k)
            best = min(best, dc + run_r[k])
            if dc - run_r[k] > best:
                continue
            for i in range(k * RUN, min(n, (k + 1) * RUN)):
                best = min(best, _chord(c[0], c[1], c[2], a, b, i)[0])
    return best + 2.0 * r


@numba.njit(cache=True, nogil=True)
def _candidates(
    c: FloatArray,
    limit: float,
    runs: Chords,
    out: IntArray,
) -> int:
    """Write the segments within ``limit`` of ``c`` into ``out`` (if given room); their count."""
    a, b, run_m, run_r, grp_m, grp_r = runs
    n = len(a)
    n_runs = len(run_r)
    count = 0
    for g in range(len(grp_r)):
        if _ball(c, grp_m, g) - grp_r[g] > limit:
            continue
        for k in range(g * GROUP, min(n_runs, (g + 1) * GROUP)):
            if _ball(c, run_m, k) - run_r[k] > limit:
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
    widest = 0
    for j in range(n):
        if cell[j] >= 0:
            widest = max(widest, offsets[cell[j] + 1] - offsets[cell[j]])
    chord = np.empty(widest)
    for j in range(n):
        k = cell[j]
        if k < 0:
            continue
        # the chords first: an edge whose chord is further than the nearest chord plus
        # 2 DELTA cannot hold the nearest point (each edge is within DELTA of its chord)
        near = np.inf
        first = offsets[k]
        for s in range(first, offsets[k + 1]):
            chord[s - first] = _chord(p[j, 0], p[j, 1], p[j, 2], a, b, cand[s])[0]
            near = min(near, chord[s - first])
        best = np.inf
        for s in range(first, offsets[k + 1]):
            i = cand[s]
            if chord[s - first] > near + 2.0 * DELTA:
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


class NearestBoundary:
    """The boundary segments ``(N, 4)`` (lon/lat pairs) of one volume, with the cell cache.

    Not safe for concurrent calls (the cache grows in place): one per engine, as the
    :class:`~wellclear.airspace.index.VolumeIndex` that holds it.
    """

    def __init__(self, segs: FloatArray) -> None:
        runs = _Runs(segs)
        self.a, self.b, self.chords = runs.a, runs.b, runs.chords
        self.edges = np.ascontiguousarray(np.radians(runs.segs[:, :4]))
        self._slots = CellSlots()
        self._offsets = np.zeros(1, dtype=np.int64)
        self._cand = np.zeros(0, dtype=np.int64)

    @property
    def cells(self) -> int:
        """Cells whose candidates are kept."""
        return self._slots.assigned

    def _ensure(self, keys: IntArray) -> IntArray:
        """The slot of each cell in ``keys`` (``-1`` stays ``-1``), computing new cells."""
        slot = self._slots.get(keys)
        new = np.unique(keys[(slot < 0) & (keys >= 0)])
        if not len(new):
            return slot
        if self._slots.assigned + len(new) > MAX_CELLS:
            self._slots.clear()
            self._offsets = np.zeros(1, dtype=np.int64)
            self._cand = np.zeros(0, dtype=np.int64)
            new = np.unique(keys[keys >= 0])
        centres, radius = cell_geometry(new)
        off, cand = _cells(centres, radius, self.chords)
        first = len(self._offsets) - 1
        self._offsets = np.concatenate([self._offsets, self._offsets[-1] + off[1:]])
        self._cand = np.concatenate([self._cand, cand])
        self._slots.set(new, first + np.arange(len(new)))
        return self._slots.get(keys)

    def nearest(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Nearest boundary point (lon, lat) of each point; NaN where lon or lat is not finite."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        if len(self.a) == 0:
            nan = np.full(len(lon), np.nan)
            return nan, nan.copy()
        slot = self._ensure(cell_keys(lon, lat))
        p = np.ascontiguousarray(unit_xyz(np.nan_to_num(lon), np.nan_to_num(lat)))
        _, q = _nearest(p, slot, self._offsets, self._cand, self.a, self.b, self.edges)
        qlon, qlat = lonlat_of_xyz(q)
        return np.asarray(qlon, dtype=np.float64), np.asarray(qlat, dtype=np.float64)


def _morton(lon: FloatArray, lat: FloatArray) -> IntArray:
    """A Z-order code of each point (16 bits of longitude and of latitude interleaved)."""
    x = np.clip((lon + 180.0) / 360.0 * 65535.0, 0, 65535).astype(np.uint64)
    y = np.clip((lat + 90.0) / 180.0 * 65535.0, 0, 65535).astype(np.uint64)
    out = np.zeros(len(lon), dtype=np.uint64)
    for bit in range(16):
        out |= ((x >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit)
        out |= ((y >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit + 1)
    return out.astype(np.int64)


class _Runs:
    """Segments as chords (unit vectors ``a``, ``b``), the balls round runs of them and the
    balls round groups of runs.

    The segments are put in Z-order of their midpoints (:func:`_morton`), so that runs of
    consecutive segments, and groups of consecutive runs, are compact; ``segs`` is them in that
    order (the last one repeated to fill the last run: a repeated segment changes no
    distance), which the kernels' segment indices refer to.
    """

    def __init__(self, segs: FloatArray) -> None:
        mid_lon, mid_lat = lonlat_of_xyz(
            unit_xyz(segs[:, 0], segs[:, 1]) + unit_xyz(segs[:, 2], segs[:, 3])
        )
        segs = segs[np.argsort(_morton(np.asarray(mid_lon), np.asarray(mid_lat)), kind="stable")]
        pad = -len(segs) % RUN
        if pad:
            segs = np.concatenate([segs, np.repeat(segs[-1:], pad, axis=0)])
        self.segs = np.ascontiguousarray(segs)
        n_runs = len(segs) // RUN
        self.a = np.ascontiguousarray(unit_xyz(segs[:, 0], segs[:, 1]))
        self.b = np.ascontiguousarray(unit_xyz(segs[:, 2], segs[:, 3]))
        ends = np.concatenate([self.a, self.b], axis=1).reshape(n_runs, 2 * RUN, 3)
        run_m = np.ascontiguousarray(ends.mean(axis=1))
        run_r = np.linalg.norm(ends - run_m[:, None, :], axis=2).max(axis=1)
        n_grp = -(-n_runs // GROUP)
        grp = np.repeat(np.arange(n_grp), GROUP)[:n_runs]
        grp_m = np.zeros((n_grp, 3))
        np.add.at(grp_m, grp, run_m)
        grp_m /= np.bincount(grp, minlength=n_grp)[:, None].clip(1)
        grp_r = np.zeros(n_grp)
        np.maximum.at(grp_r, grp, np.linalg.norm(run_m - grp_m[grp], axis=1) + run_r)
        grp_r += 1e-12  # the sum above rounds: a ball a hair larger still holds its runs
        self.chords: Chords = (self.a, self.b, run_m, run_r, np.ascontiguousarray(grp_m), grp_r)


class BoundaryClearance:
    """Lower bounds on the distance from points to the nearest of many boundaries, kept per
    cell (one number a cell: cheap where :class:`NearestBoundary` would keep candidates of
    every volume). Not safe for concurrent calls, as :class:`NearestBoundary`."""

    def __init__(self, segs: FloatArray) -> None:
        self.runs = _Runs(segs)
        self._slots = CellSlots()
        self._floor = np.zeros(0)

    def floors(self, keys: IntArray) -> FloatArray:
        """A lower bound on the chord (unit sphere) from any point of each cell ``keys`` to
        any boundary: ``f(C) - r - DELTA`` (the Lipschitz argument of the module docstring),
        at least 0; ``inf`` with no boundary, NaN for a key ``-1``."""
        keys = np.asarray(keys, dtype=np.int64)
        if len(self.runs.a) == 0:
            return np.where(keys >= 0, np.inf, np.nan)
        slot = self._slots.get(keys)
        new = np.unique(keys[(slot < 0) & (keys >= 0)])
        if len(new):
            if self._slots.assigned + len(new) > MAX_CELLS:
                self._slots.clear()
                self._floor = np.zeros(0)
                new = np.unique(keys[keys >= 0])
            centres, radius = cell_geometry(new)
            floors = _floors(centres, radius, self.runs.chords)
            self._slots.set(new, len(self._floor) + np.arange(len(new)))
            self._floor = np.concatenate([self._floor, floors])
            slot = self._slots.get(keys)
        out = np.full(len(keys), np.nan)
        out[slot >= 0] = self._floor[slot[slot >= 0]]
        return out

    def clearance(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """A lower bound (m) on each point's WGS-84 geodesic distance to every boundary.

        The cell's bound on the chord as an arc of the mean-radius sphere, less 1 % (the
        geodesic differs from the sphere's arc by under 0.6 %) and 100 m; ``inf`` with no
        boundary, NaN where lon or lat is not finite.
        """
        chord = self.floors(cell_keys(np.asarray(lon, np.float64), np.asarray(lat, np.float64)))
        arc = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)) * EARTH_RADIUS_M
        return np.where(np.isfinite(chord), np.maximum(arc * 0.99 - 100.0, 0.0), chord)
