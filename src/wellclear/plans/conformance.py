"""Conformance monitoring (ASTM F3548-21 ACM0005-0015): a live track of an activated
operation's aircraft outside every volume of it that is active at the time, by more than the
agreement's margins, makes the operation Nonconforming; back inside, Activated again."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from shapely.geometry.base import BaseGeometry

from wellclear.plans.operations import Operation

M_PER_DEG = 111_320.0


@functools.lru_cache(maxsize=1 << 17)
def _grown(footprint: BaseGeometry, margin_h_m: float) -> BaseGeometry:
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
    (footprints grown by ``margin_h_m``, :func:`_grown`; bands by ``margin_v_m``)."""
    inside = np.zeros(len(lat), dtype=bool)
    for v in op.volumes:
        if not v.t_start <= t <= v.t_end:
            continue
        band = (alt_m >= v.alt_lo_m - margin_v_m) & (alt_m <= v.alt_hi_m + margin_v_m)
        inside |= band & shapely.contains_xy(_grown(v.footprint, margin_h_m), lon, lat)
    return ~inside


def monitor(
    ops: Iterable[Operation],
    states: pd.DataFrame,
    t: float,
    margin_h_m: float,
    margin_v_m: float,
) -> list[tuple[Operation, str]]:
    """The operations whose state changes at ``t``: (operation, new state), Activated <->
    Nonconforming, from the picture ``states`` (``id``, ``lat``, ``lon``, ``alt_m``)."""
    changes: list[tuple[Operation, str]] = []
    if states.empty:
        return changes
    rows: dict[str, list[int]] = {}
    for i, ident in enumerate(states["id"].astype(str).tolist()):
        rows.setdefault(ident, []).append(i)
    lat, lon = states["lat"].to_numpy(float), states["lon"].to_numpy(float)
    alt = states["alt_m"].to_numpy(float)
    for op in ops:
        if op.state not in ("Activated", "Nonconforming"):
            continue
        mine = [i for a in op.aircraft for i in rows.get(a, ())]
        if not mine:
            continue
        off = outside(op, lat[mine], lon[mine], alt[mine], t, margin_h_m, margin_v_m).any()
        if off and op.state == "Activated":
            changes.append((op, "Nonconforming"))
        elif not off and op.state == "Nonconforming":
            changes.append((op, "Activated"))
    return changes
