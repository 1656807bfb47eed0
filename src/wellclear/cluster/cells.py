"""Earth-centred cells, the halo of a report and the owner of a pair.

**Cells.** A point is placed in the cube of side ``C`` of Earth-centred, Earth-fixed coordinates
that holds its surface position (the WGS-84 point at its latitude and longitude, height 0, as the
candidate search places it, :mod:`wellclear.detect.candidates`): ``floor(x / C)`` on each axis.
ECEF cubes have no seam at +-180 degrees and no singularity at the poles; the cube of a point is
its **home** cell. A cell is a subject of the log (:func:`cell_subject`) and is owned by one
worker (:func:`assign`).

**Halo.** A report is published to every cell whose cube is within ``R`` of its surface point
(its home and the cubes at most ``R`` away, :meth:`CellGrid.halo`), ``R`` the distance between
the latest reports of any pair the engine may report (:func:`wellclear.cluster.reach.pair_reach_m`),
and to the halo of the same aircraft's previous report (:func:`route`: the cells it leaves learn
that it left). With ``C >= R`` these cubes are among the 27 around the home (a cube two steps
away on an axis is more than ``C`` away), so a halo is at most 27 cells, found by testing those.
Ticks are marks in the same log, so a worker steps over exactly the reports published before
the tick to its cells.

**Owner rule.** The unordered pair {a, b} (both ordered pairs, a as ownship and as intruder) is
reported only by the worker of the home cell of the latest report of the aircraft with the
smaller id (:func:`owner_cells`).

*Invariant.* The worker of a cell ``c`` holds, for each aircraft, either its latest report or a
report more than ``R`` from ``c`` (or none). Each report goes to the halo of itself and of its
predecessor; so if the last report of the aircraft that ``c`` holds is not its latest, the next
report was not sent to ``c``, so the one held is not within ``R`` of ``c`` (else the next would
have been sent as its successor).

*Every pair once, none missing.* Let the engine over all the traffic report {a, b} at a tick,
``a < b``, latest reports ``p_a``, ``p_b``. By the definition of ``R``, ``|p_a - p_b| <= R``. The
home ``c`` of ``p_a`` contains ``p_a``, so its cube is within ``R`` of ``p_b``: both latest
reports were sent to ``c`` and the worker of ``c`` holds them, names ``c`` by the owner rule and
computes the pair's level from the same two states (a pair's level depends on the pair alone,
and the search's pruning only drops pairs whose level is 0). Conversely let a worker report {a,
b} for its cell ``c``, holding ``q_a``, ``q_b``: ``q_a`` lies in ``c`` (its home is ``c``), so by
the invariant it is a's latest report; the engine reported the pair from ``q_a`` and ``q_b``, so
``|q_a - q_b| <= R`` (``R`` bounds any states, stale or not), so ``q_b`` is within ``R`` of ``c``
and is b's latest too: the pair is the engine's pair, from the engine's states, and ``c`` is the
home of a's latest report, the one cell the rule names. So the union over cells of the pairs each
owns is exactly the engine's pairs, each once. This assumes what the single engine assumes too:
ids unique in a snapshot, reports of one aircraft in time order, and complete reports (the
picture fills a missing field from earlier reports, which a worker may not all hold). Alert
*histories* (hysteresis, episodes) follow a pair from owner to owner through the alert state
store (``docs/cluster.md``); the rule above is about which worker reports a pair at a tick.

**Shards.** The log has a fixed number of shards (subjects ``<prefix>.<shard>``, as a topic
has partitions): a cell's shard is a hash of its key (:func:`shard_of`), and a report goes once
to each shard of its cells. Shards are assigned to workers (:func:`assign`, rendezvous
hashing): when a worker joins or leaves, only the shards it gains or had move. A worker is fed
every report of its shards, a superset of those of its cells; the invariant below still holds,
since it only needs each report to reach (at least) the cells of its and its predecessor's
halo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wellclear.geo import ecef

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# cell coordinates are packed in 21 bits each, offset so that they are >= 0
_AXIS_BITS = 21
_OFFSET = 1 << (_AXIS_BITS - 1)
_MASK = (1 << _AXIS_BITS) - 1
#: Smallest cell side (m): the coordinates of every cell must fit 21 bits.
MIN_CELL_M = 100.0
# the 27 steps from a home cell to its neighbours (and itself, first)
_STEPS = np.array(
    sorted(
        ((dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)),
        key=lambda s: (s != (0, 0, 0), s),
    ),
    dtype=np.int64,
)


@dataclass(frozen=True)
class CellGrid:
    """Cubes of side ``cell_m`` and the halo radius ``reach_m`` (m); ``cell_m >= reach_m``."""

    cell_m: float
    reach_m: float

    def __post_init__(self) -> None:
        if not (self.reach_m >= 0.0 and np.isfinite(self.reach_m)):
            raise ValueError(f"reach_m must be finite and >= 0, got {self.reach_m}")
        if not (self.cell_m >= max(self.reach_m, MIN_CELL_M) and np.isfinite(self.cell_m)):
            raise ValueError(
                f"cell_m must be finite, at least reach_m ({self.reach_m:.0f} m) and "
                f"{MIN_CELL_M:.0f} m, got {self.cell_m}"
            )

    def points(self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> FloatArray:
        """The surface points (ECEF, m) of positions; refused where one is not finite."""
        lat = np.asarray(lat_deg, dtype=np.float64)
        lon = np.asarray(lon_deg, dtype=np.float64)
        bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"report {k}: position ({lat[k]}, {lon[k]}) is not a valid lat/lon")
        return ecef(lat, lon)

    def home(self, pos: FloatArray) -> IntArray:
        """The home cell key of each ECEF point ``(N, 3)``."""
        return pack(np.floor(pos / self.cell_m).astype(np.int64))

    def halo(self, pos: FloatArray) -> tuple[IntArray, IntArray]:
        """``(row, key)``: every cell whose cube is within ``reach_m`` of point ``row``, the
        home first for each point (rows ascending)."""
        row, cells = self.halo_cells(pos)
        return row, pack(cells)

    def halo_cells(self, pos: FloatArray) -> tuple[IntArray, IntArray]:
        """:meth:`halo` with each cell's integer coordinates ``(M, 3)`` instead of its key."""
        n = len(pos)
        base = np.floor(pos / self.cell_m)
        frac = pos / self.cell_m - base  # in [0, 1): where the point lies in its home cube
        # distance to the neighbour on each axis: below (-1), none (0), above (+1)
        gap = np.stack([frac, np.zeros_like(frac), 1.0 - frac], axis=-1) * self.cell_m
        d2 = np.zeros((n, len(_STEPS)))
        for axis in range(3):
            d2 += gap[:, axis, _STEPS[:, axis] + 1] ** 2
        near = d2 <= self.reach_m * self.reach_m
        near[:, 0] = True
        row, step = np.nonzero(near)
        return row.astype(np.int64), base.astype(np.int64)[row] + _STEPS[step]


def pack(cells: IntArray) -> IntArray:
    """One int64 key per cell ``(N, 3)`` of integer coordinates."""
    c = np.asarray(cells, dtype=np.int64) + _OFFSET
    if len(c) and (c.min() < 0 or c.max() > _MASK):
        raise ValueError("cell coordinates do not fit 21 bits: choose a larger cell")
    return (c[:, 0] << (2 * _AXIS_BITS)) | (c[:, 1] << _AXIS_BITS) | c[:, 2]


def unpack(keys: npt.ArrayLike) -> IntArray:
    """The integer coordinates ``(N, 3)`` of cell keys."""
    k = np.asarray(keys, dtype=np.int64)
    return np.stack([(k >> (2 * _AXIS_BITS)) & _MASK, (k >> _AXIS_BITS) & _MASK, k & _MASK], -1) - (
        _OFFSET
    )


def cell_subject(key: int, prefix: str = "wc.reports") -> str:
    """The subject of a cell: ``<prefix>.<x>.<y>.<z>`` (coordinates may be negative)."""
    x, y, z = (int(v) for v in unpack([key])[0])
    return f"{prefix}.{x}.{y}.{z}"


def subject_cell(subject: str, prefix: str = "wc.reports") -> int:
    """The cell key of a subject written by :func:`cell_subject`."""
    parts = subject[len(prefix) + 1 :].split(".")
    if not subject.startswith(prefix + ".") or len(parts) != 3:
        raise ValueError(f"subject {subject!r} is not a cell subject under {prefix!r}")
    try:
        coords = np.array([[int(p) for p in parts]], dtype=np.int64)
    except ValueError:
        raise ValueError(f"subject {subject!r}: cell coordinates are not integers") from None
    return int(pack(coords)[0])


def route(grid: CellGrid, pos: FloatArray, previous: FloatArray) -> tuple[IntArray, IntArray]:
    """``(row, key)``: the cells each report goes to, without repeats: the halo of its point
    ``pos[row]`` and of the same aircraft's previous point ``previous[row]`` (NaN: none)."""
    row, key = grid.halo(pos)
    had = np.isfinite(previous).all(axis=1)
    if had.any():
        back = np.flatnonzero(had)
        r2, k2 = grid.halo(previous[had])
        row, key = np.concatenate([row, back[r2]]), np.concatenate([key, k2])
    order = np.lexsort((key, row))
    row, key = row[order], key[order]
    first = np.ones(len(row), dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (key[1:] != key[:-1])
    return row[first], key[first]


def owner_cells(
    ids_i: npt.ArrayLike, ids_j: npt.ArrayLike, home_i: IntArray, home_j: IntArray
) -> IntArray:
    """The cell that owns each pair (i, j): the home of the aircraft with the smaller id (the
    owner rule of the module docstring; the same for (i, j) and (j, i))."""
    a = np.asarray(ids_i, dtype=object)
    b = np.asarray(ids_j, dtype=object)
    first = np.fromiter((x < y for x, y in zip(a, b, strict=True)), dtype=bool, count=len(a))
    return np.where(first, np.asarray(home_i), np.asarray(home_j)).astype(np.int64)


def check_speeds(gs_mps: npt.ArrayLike, max_speed_mps: float) -> None:
    """Refuse reports faster than the top speed the halo was sized for (naming the first)."""
    gs = np.asarray(gs_mps, dtype=np.float64)
    bad = ~(gs <= max_speed_mps)  # NaN too: an unknown speed has no bound
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"report {k}: gs_mps {gs[k]} is above the cluster's top speed {max_speed_mps} m/s "
            "(or unknown); the halo would not hold its conflicts"
        )


def _seed(worker: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.blake2b(worker.encode(), digest_size=8).digest()))


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: a well-spread 64-bit hash."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def shard_of(keys: npt.ArrayLike, shards: int, block: int = 1) -> IntArray:
    """The shard (0 .. shards - 1) of each cell key: a hash of the block of ``block`` cells
    a side that holds it (larger blocks keep neighbours on one worker: less halo)."""
    keys = np.asarray(keys, dtype=np.int64)
    if block > 1:
        return shard_of_cells(unpack(keys), shards, block)
    return _shard(keys, shards, block)


def shard_of_cells(cells: IntArray, shards: int, block: int = 1) -> IntArray:
    """:func:`shard_of` from the cells' integer coordinates ``(N, 3)``."""
    cells = np.asarray(cells, dtype=np.int64)
    return _shard(pack(np.floor_divide(cells, block) if block > 1 else cells), shards, block)


def _shard(keys: IntArray, shards: int, block: int) -> IntArray:
    if shards < 1 or block < 1:
        raise ValueError(f"shards and block must be >= 1, got {shards} and {block}")
    return (_mix(keys.astype(np.uint64)) % np.uint64(shards)).astype(np.int64)


def assign(keys: npt.ArrayLike, workers: Sequence[str]) -> npt.NDArray[np.int64]:
    """The index in ``workers`` of the worker that owns each shard (or cell): rendezvous
    hashing (the worker with the highest hash of (key, worker)), so that when a worker joins or
    leaves only the keys it gains or had move."""
    if not workers:
        raise ValueError("assign: no workers")
    if len(set(workers)) != len(workers):
        raise ValueError("assign: worker names must be unique")
    k = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    weights = np.stack([_mix(k ^ _seed(w)) for w in workers])
    return np.argmax(weights, axis=0).astype(np.int64)
