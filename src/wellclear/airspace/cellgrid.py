"""The grid of cells that the boundary caches key on, and a vectorised table of cell slots.

The sphere is cut into cells of :data:`CELL_DEG` of latitude and longitude (the key of a cell:
``ilat * NLON + ilon``). The caches of :mod:`wellclear.airspace.nearest` keep something per
cell touched (its candidate segments, a bound on its distance to every boundary, the volumes
that hold it); :class:`CellSlots` maps cell keys to the slots where a cache keeps them, in
tiles of :data:`TILE` x :data:`TILE` cells made on first touch, so that a look-up of many
points is a few array operations and never a Python loop over cells.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wellclear.airspace.geometry import unit_xyz

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CELL_DEG = 0.05
"""Cell size (degrees of latitude and of longitude): 5.6 km north-south."""

NLAT = round(180.0 / CELL_DEG)
NLON = round(360.0 / CELL_DEG)

TILE = 32
"""Cells per side of a tile of :class:`CellSlots` (a tile: 1.6 deg square, 4 KiB)."""

_TLAT = -(-NLAT // TILE)
_TLON = -(-NLON // TILE)


def cell_keys(lon: FloatArray, lat: FloatArray) -> IntArray:
    """Cell of each point (``-1`` where lon or lat is not finite)."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    ilat = np.clip(np.floor((np.where(ok, lat, 0.0) + 90.0) / CELL_DEG), 0, NLAT - 1)
    ilon = np.floor(((np.where(ok, lon, 0.0) + 180.0) % 360.0) / CELL_DEG) % NLON
    return np.where(ok, ilat.astype(np.int64) * NLON + ilon.astype(np.int64), -1)


def cell_centres(keys: IntArray) -> tuple[FloatArray, FloatArray]:
    """Longitude and latitude (deg) of the centre of each cell in ``keys``."""
    ilat, ilon = keys // NLON, keys % NLON
    lat0 = -90.0 + ilat * CELL_DEG
    lat1 = np.minimum(lat0 + CELL_DEG, 90.0).astype(np.float64)
    return (-180.0 + (ilon + 0.5) * CELL_DEG).astype(np.float64), (lat0 + lat1) / 2.0


def cell_geometry(keys: IntArray) -> tuple[FloatArray, FloatArray]:
    """Centres (unit vectors) and radius bounds ``r`` (unit sphere) of the cells ``keys``.

    ``r`` bounds the chord from the centre to any point of the closed cell: along the centre's
    meridian to the point's latitude (at most half the cell's height ``h``), then along that
    parallel (at most half its width ``w`` times the largest cosine of latitude in the cell);
    the great circle is no longer than that path, and the chord no longer than its arc.
    """
    ilat = keys // NLON
    lat0 = -90.0 + ilat * CELL_DEG
    lat1 = np.minimum(lat0 + CELL_DEG, 90.0).astype(np.float64)
    clon, clat = cell_centres(keys)
    centre = unit_xyz(clon, clat)
    nearest_equator = np.where((lat0 <= 0.0) & (lat1 >= 0.0), 0.0, np.minimum(abs(lat0), abs(lat1)))
    h = np.radians(lat1 - lat0)
    w = np.radians(CELL_DEG)
    radius = h / 2.0 + w / 2.0 * np.cos(np.radians(nearest_equator)) + 1e-12
    return centre, radius


class CellSlots:
    """Cell key -> slot (an integer the owner indexes its own arrays with; ``-1``: none yet).

    Tiles of :data:`TILE` x :data:`TILE` slots are made when a cell of theirs is first
    assigned; :meth:`clear` forgets everything (the owner's bound on memory). Not safe for
    concurrent calls.
    """

    def __init__(self) -> None:
        self._tile = np.full(_TLAT * _TLON, -1, dtype=np.int32)
        self._slots = np.zeros((0, TILE * TILE), dtype=np.int32)
        self.assigned = 0

    def clear(self) -> None:
        """Forget every cell."""
        self._tile[:] = -1
        self._slots = np.zeros((0, TILE * TILE), dtype=np.int32)
        self.assigned = 0

    @staticmethod
    def _where(keys: IntArray) -> tuple[IntArray, IntArray]:
        ilat, ilon = keys // NLON, keys % NLON
        return (ilat // TILE) * _TLON + ilon // TILE, (ilat % TILE) * TILE + ilon % TILE

    def get(self, keys: IntArray) -> IntArray:
        """The slot of each key (``-1`` for a cell not assigned and for a key ``-1``)."""
        keys = np.asarray(keys, dtype=np.int64)
        ok = keys >= 0
        tile, within = self._where(np.where(ok, keys, 0))
        t = self._tile[tile]
        out = np.full(len(keys), -1, dtype=np.int64)
        has = ok & (t >= 0)
        out[has] = self._slots[t[has], within[has]]
        return out

    def set(self, keys: IntArray, slots: IntArray) -> None:
        """Assign ``slots`` to the cells ``keys`` (keys >= 0, each once)."""
        keys = np.asarray(keys, dtype=np.int64)
        tile, within = self._where(keys)
        fresh = np.unique(tile[self._tile[tile] < 0])
        if len(fresh):
            self._tile[fresh] = len(self._slots) + np.arange(len(fresh), dtype=np.int32)
            grown = np.full((len(fresh), TILE * TILE), -1, dtype=np.int32)
            self._slots = np.concatenate([self._slots, grown])
        self._slots[self._tile[tile], within] = slots
        self.assigned += len(keys)
