"""Conformance monitoring of every watched (Activated or Nonconforming) operation at each tick,
vectorised: the test of :func:`~wellclear.plans.conformance.outside` for all of them at once.

The volumes of the watched operations are flattened into one table (per volume: its window,
its band widened by the vertical margin, its footprint grown by the horizontal margin and
prepared, an ellipse and a box inside that footprint, its bounding box), built again from
per-operation pieces only when the watched operations change. A tick then pairs each aircraft
in the picture with the active volumes of its operation (numpy), settles most pairs by the
band, the inner ellipse and box and the bounding box, and hands only the rest to one
``shapely.contains_xy``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from wellclear.plans.conformance import Grown
from wellclear.plans.operations import Operation
from wellclear.plans.volumes import Volume4D

WATCHED = ("Activated", "Nonconforming")
# the rows of a table's numbers (one column per volume): window, band, inner ellipse (x, y,
# squared radius, x factor), inner box, bounding box (conformance.core)
T0, T1, LO, HI, CX, CY, R2, K, BX0, BY0, BX1, BY1, X0, Y0, X1, Y1 = range(16)


@dataclass(frozen=True)
class _Piece:
    """One operation's rows of the table (for the volumes and margins it was made of)."""

    volumes: list[Volume4D]
    margins: tuple[float, float]
    numbers: np.ndarray  # (16, volumes)
    geoms: np.ndarray  # grown, prepared footprints


@dataclass
class _Table:
    """The watched operations' volumes (row ``j``: a volume of operation ``op_of[j]``) and
    aircraft (entry ``m``: ``aircraft[m]`` of operation ``ac_op[m]``); ``activated``: whether
    each operation is Activated (else Nonconforming), kept up to date with the changes told."""

    key: tuple[object, ...]
    revision: int | None
    ops: list[Operation]
    op_of: np.ndarray
    numbers: np.ndarray
    geoms: np.ndarray
    aircraft: pa.Array
    ac_op: np.ndarray
    activated: np.ndarray


@dataclass(eq=False)
class Monitor:
    """See the module docstring. One per owner (the service keeps one on its operations
    desk), used under its lock; the caller applies the changes it is told."""

    grown: Grown = field(default_factory=Grown)
    _pieces: dict[str, _Piece] = field(default_factory=dict)
    _table: _Table | None = None

    def changes(
        self,
        ops: Iterable[Operation],
        states: pd.DataFrame,
        t: float,
        margin_h_m: float,
        margin_v_m: float,
        revision: int | None = None,
    ) -> list[tuple[Operation, str]]:
        """The operations whose state changes at ``t``: (operation, new state), Activated <->
        Nonconforming, from the picture ``states`` (``id``, ``lat``, ``lon``, ``alt_m``; one
        row per aircraft, as the engine's picture has: of several, the first is taken). An
        operation is off when one of its aircraft in the picture is inside none of its volumes
        active at ``t``.

        ``revision``: a number the caller changes whenever an operation is added, leaves or
        enters the watched states otherwise than by these changes, or gets other volumes or
        aircraft (:attr:`Plans.revision <wellclear.plans.operations.Plans.revision>`); while
        it stays, the table is kept without looking at every operation. None: the operations
        are compared one by one at each call."""
        if states.empty:
            return []
        table = self._watch(ops, (margin_h_m, margin_v_m), revision)
        if not table.ops:
            return []
        found = pc.index_in(table.aircraft, value_set=_ids(states))
        present = found.is_valid().to_numpy(zero_copy_only=False)
        rows = found.fill_null(0).to_numpy().astype(np.int64)[present]
        ac_op = table.ac_op[present]
        lat, lon = states["lat"].to_numpy(float), states["lon"].to_numpy(float)
        alt = states["alt_m"].to_numpy(float)
        # the pairs: each present aircraft with each active volume of its operation
        q = table.numbers
        active = np.flatnonzero((q[T0] <= t) & (t <= q[T1]))  # grouped by operation
        per_op = np.bincount(table.op_of[active], minlength=len(table.ops))
        first = np.concatenate(([0], np.cumsum(per_op)[:-1]))
        n = per_op[ac_op]
        entry = np.repeat(np.arange(len(ac_op)), n)
        vol = active[first[ac_op][entry] + np.arange(len(entry)) - np.repeat(np.cumsum(n) - n, n)]
        row = rows[entry]
        x, y, z = lon[row], lat[row], alt[row]
        near = (z >= q[LO, vol]) & (z <= q[HI, vol])
        sure = ((x - q[CX, vol]) * q[K, vol]) ** 2 + (y - q[CY, vol]) ** 2 < q[R2, vol]
        sure |= (x > q[BX0, vol]) & (x < q[BX1, vol]) & (y > q[BY0, vol]) & (y < q[BY1, vol])
        sure &= near
        inside = np.bincount(entry[sure], minlength=len(ac_op)) > 0
        near &= ~sure & ~inside[entry]
        near &= (x >= q[X0, vol]) & (x <= q[X1, vol]) & (y >= q[Y0, vol]) & (y <= q[Y1, vol])
        hit = shapely.contains_xy(table.geoms[vol[near]], x[near], y[near])
        inside[entry[near][hit]] = True
        watched = np.bincount(ac_op, minlength=len(table.ops)) > 0
        off = np.bincount(ac_op[~inside], minlength=len(table.ops)) > 0
        changed = np.flatnonzero(watched & (off == table.activated))
        table.activated[changed] = ~off[changed]
        new = ("Activated", "Nonconforming")
        return [(table.ops[k], new[int(off[k])]) for k in changed.tolist()]

    def _watch(
        self, ops: Iterable[Operation], margins: tuple[float, float], revision: int | None
    ) -> _Table:
        held = self._table
        kept = held is not None and revision is not None and held.revision == revision
        if held is not None and kept and held.key[0] == margins:
            return held
        watched = [op for op in ops if op.state in WATCHED]
        key = (margins, *((op.id, id(op.volumes), op.aircraft) for op in watched))
        activated = np.array([op.state == "Activated" for op in watched], dtype=bool)
        if held is not None and held.key == key:
            held.revision, held.activated = revision, activated
            return held
        new = [op for op in watched if self._held(op, margins) is None]
        self.grown.fill([v.footprint for op in new for v in op.volumes], margins[0])
        pieces = [self._piece(op, margins) for op in watched]
        self._pieces = {op.id: p for op, p in zip(watched, pieces, strict=True)}
        counts = [len(p.geoms) for p in pieces]
        self._table = _Table(
            key,
            revision,
            watched,
            np.repeat(np.arange(len(watched)), counts),
            np.concatenate([p.numbers for p in pieces], axis=1) if pieces else np.empty((16, 0)),
            np.concatenate([p.geoms for p in pieces]) if pieces else np.empty(0, object),
            pa.array([a for op in watched for a in op.aircraft], pa.string()),
            np.repeat(np.arange(len(watched)), [len(op.aircraft) for op in watched]),
            activated,
        )
        return self._table

    def _held(self, op: Operation, margins: tuple[float, float]) -> _Piece | None:
        held = self._pieces.get(op.id)
        if held is not None and held.volumes is op.volumes and held.margins == margins:
            return held
        return None

    def _piece(self, op: Operation, margins: tuple[float, float]) -> _Piece:
        held = self._held(op, margins)
        if held is not None:
            return held
        margin_h_m, margin_v_m = margins
        geoms = np.array([self.grown(v.footprint, margin_h_m) for v in op.volumes], dtype=object)
        numbers = np.empty((16, len(geoms)))
        numbers[T0] = [v.t_start for v in op.volumes]
        numbers[T1] = [v.t_end for v in op.volumes]
        numbers[LO] = [v.alt_lo_m - margin_v_m for v in op.volumes]
        numbers[HI] = [v.alt_hi_m + margin_v_m for v in op.volumes]
        numbers[CX : BY1 + 1] = np.array(
            [self.grown.core(v.footprint, margin_h_m) for v in op.volumes]
        ).T
        numbers[X0 : Y1 + 1] = shapely.bounds(geoms).T
        return _Piece(op.volumes, margins, numbers, geoms)


def _ids(states: pd.DataFrame) -> pa.Array:
    ids = pa.array(states["id"], from_pandas=True)
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    return ids if pa.types.is_string(ids.type) else ids.cast(pa.string())
