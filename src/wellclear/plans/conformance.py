"""Conformance monitoring (ASTM F3548-21 ACM0005-0015): a live track of an activated
operation's aircraft outside every volume of it that is active at the time, by more than the
agreement's margins, makes the operation Nonconforming; back inside, Activated again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from shapely.geometry.base import BaseGeometry

from wellclear.plans.operations import Operation

M_PER_DEG = 111_320.0


@dataclass(eq=False)
class Grown:
    """Footprints grown by a margin (:func:`grow`), cached by footprint object, so that each
    tick grows only new ones. One per owner (the service keeps one on its operations desk);
    not shared between threads without the owner's lock."""

    limit: int = 1 << 18
    _cache: dict[tuple[int, float], tuple[BaseGeometry, BaseGeometry]] = field(default_factory=dict)

    def __call__(self, footprint: BaseGeometry, margin_h_m: float) -> BaseGeometry:
        """``footprint`` grown by ``margin_h_m``."""
        key = (id(footprint), margin_h_m)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is footprint:
            return hit[1]
        if len(self._cache) > self.limit:
            self._cache.clear()
        grown = grow(footprint, margin_h_m)
        self._cache[key] = (footprint, grown)
        return grown

    def __len__(self) -> int:
        return len(self._cache)


def grow(footprint: BaseGeometry, margin_h_m: float) -> BaseGeometry:
    """``footprint`` grown by ``margin_h_m``: buffered in a frame where a degree of longitude
    is scaled to its length at the footprint's middle latitude (equirectangular), so that the
    margin is metres in both directions there."""
    _, y0, _, y1 = footprint.bounds
    cos = max(float(np.cos(np.radians((y0 + y1) / 2))), 1e-3)
    flat = shapely.affinity.scale(footprint, xfact=cos, yfact=1.0, origin=(0.0, 0.0))
    grown = shapely.affinity.scale(
        shapely.buffer(flat, margin_h_m / M_PER_DEG), xfact=1.0 / cos, yfact=1.0, origin=(0, 0)
    )
    shapely.prepare(grown)
    return grown


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
    test, one operation and one volume at a time, that :class:`Monitor` is held against."""
    inside = np.zeros(len(lat), dtype=bool)
    for v in op.volumes:
        if not v.t_start <= t <= v.t_end:
            continue
        band = (alt_m >= v.alt_lo_m - margin_v_m) & (alt_m <= v.alt_hi_m + margin_v_m)
        inside |= band & shapely.contains_xy(grow(v.footprint, margin_h_m), lon, lat)
    return ~inside


WATCHED = ("Activated", "Nonconforming")


@dataclass(frozen=True)
class _Table:
    """The volumes of the watched operations, flattened (volume ``j`` of operation
    ``op_of[j]``; grown footprints, bands widened by the margins), and their aircraft
    (entry ``m``: aircraft ``aircraft[m]`` of operation ``ac_op[m]``)."""

    key: tuple[object, ...]
    ops: list[Operation]
    op_of: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    geoms: np.ndarray
    aircraft: pd.Index
    ac_op: np.ndarray


@dataclass(eq=False)
class Monitor:
    """Conformance at each tick over every watched (Activated or Nonconforming) operation.

    The flattened volumes of the watched operations are kept while the set of watched
    operations, their volumes and the margins stay the same (a change of state between
    Activated and Nonconforming keeps them); a tick is then a few numpy passes and one
    ``shapely.contains_xy`` over the (aircraft, active volume) pairs, on prepared grown
    footprints. One per owner (the service keeps one on its operations desk), used under its
    lock."""

    grown: Grown = field(default_factory=Grown)
    _table: _Table | None = None

    def changes(
        self,
        ops: Iterable[Operation],
        states: pd.DataFrame,
        t: float,
        margin_h_m: float,
        margin_v_m: float,
    ) -> list[tuple[Operation, str]]:
        """The operations whose state changes at ``t``: (operation, new state), Activated <->
        Nonconforming, from the picture ``states`` (``id``, ``lat``, ``lon``, ``alt_m``; an
        aircraft in several rows: its last). An operation is off when one of its aircraft in
        the picture is inside none of its volumes active at ``t`` (:func:`outside`)."""
        if states.empty:
            return []
        table = self._watch([op for op in ops if op.state in WATCHED], margin_h_m, margin_v_m)
        if not table.ops:
            return []
        picture = states.drop_duplicates("id", keep="last")
        rows = pd.Index(picture["id"].astype(str)).get_indexer(table.aircraft)
        present = rows >= 0
        ac_op, rows = table.ac_op[present], rows[present]
        lat, lon = picture["lat"].to_numpy(float), picture["lon"].to_numpy(float)
        alt = picture["alt_m"].to_numpy(float)
        # the pairs: each present aircraft with each active volume of its operation
        active = np.flatnonzero((table.t0 <= t) & (t <= table.t1))  # grouped by operation
        per_op = np.bincount(table.op_of[active], minlength=len(table.ops))
        first = np.concatenate(([0], np.cumsum(per_op)[:-1]))
        n = per_op[ac_op]
        entry = np.repeat(np.arange(len(ac_op)), n)
        within = np.arange(len(entry)) - np.repeat(np.cumsum(n) - n, n)
        vol = active[first[ac_op][entry] + within]
        r = rows[entry]
        hit = (alt[r] >= table.lo[vol]) & (alt[r] <= table.hi[vol])
        hit[hit] = shapely.contains_xy(table.geoms[vol[hit]], lon[r[hit]], lat[r[hit]])
        inside = np.bincount(entry[hit], minlength=len(ac_op)) > 0
        watched = np.bincount(ac_op, minlength=len(table.ops)) > 0
        off = np.bincount(ac_op[~inside], minlength=len(table.ops)) > 0
        changes: list[tuple[Operation, str]] = []
        for k in np.flatnonzero(watched):
            op = table.ops[k]
            if off[k] and op.state == "Activated":
                changes.append((op, "Nonconforming"))
            elif not off[k] and op.state == "Nonconforming":
                changes.append((op, "Activated"))
        return changes

    def _watch(self, ops: list[Operation], margin_h_m: float, margin_v_m: float) -> _Table:
        key = (margin_h_m, margin_v_m, *((op.id, id(op.volumes), op.aircraft) for op in ops))
        if self._table is not None and self._table.key == key:
            return self._table
        vols = [(k, v) for k, op in enumerate(ops) for v in op.volumes]
        entries = [(k, a) for k, op in enumerate(ops) for a in op.aircraft]
        self._table = _Table(
            key,
            ops,
            np.array([k for k, _ in vols], dtype=np.int64),
            np.array([v.t_start for _, v in vols], dtype=float),
            np.array([v.t_end for _, v in vols], dtype=float),
            np.array([v.alt_lo_m - margin_v_m for _, v in vols], dtype=float),
            np.array([v.alt_hi_m + margin_v_m for _, v in vols], dtype=float),
            np.array([self.grown(v.footprint, margin_h_m) for _, v in vols], dtype=object),
            pd.Index([a for _, a in entries], dtype=object),
            np.array([k for k, _ in entries], dtype=np.int64),
        )
        return self._table
