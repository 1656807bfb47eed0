"""Conformance monitoring (ASTM F3548-21 ACM0005-0015): a live track of an activated
operation's aircraft outside every volume of it that is active at the time, by more than the
agreement's margins, makes the operation Nonconforming; back inside, Activated again."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from shapely.geometry.base import BaseGeometry

from wellclear.plans.operations import Operation

M_PER_DEG = 111_320.0


_GROWN: dict[tuple[int, float], tuple[BaseGeometry, BaseGeometry]] = {}


def _grown(footprint: BaseGeometry, margin_h_m: float) -> BaseGeometry:
    """``footprint`` grown by ``margin_h_m`` (cached by the footprint object)."""
    key = (id(footprint), margin_h_m)
    hit = _GROWN.get(key)
    if hit is not None and hit[0] is footprint:
        return hit[1]
    if len(_GROWN) > 1 << 18:
        _GROWN.clear()
    grown = _grow(footprint, margin_h_m)
    _GROWN[key] = (footprint, grown)
    return grown


def _grow(footprint: BaseGeometry, margin_h_m: float) -> BaseGeometry:
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
    Nonconforming, from the picture ``states`` (``id``, ``lat``, ``lon``, ``alt_m``). One
    vectorised containment test over every (aircraft, active volume) pair; an operation is
    off when one of its aircraft is inside none of its active volumes (:func:`outside` is the
    same test, one operation at a time)."""
    if states.empty:
        return []
    rows: dict[str, list[int]] = {}
    for i, ident in enumerate(states["id"].astype(str).tolist()):
        rows.setdefault(ident, []).append(i)
    lat, lon = states["lat"].to_numpy(float), states["lon"].to_numpy(float)
    alt = states["alt_m"].to_numpy(float)
    watched: list[tuple[Operation, list[int]]] = []
    geoms: list[BaseGeometry] = []
    pair_row: list[int] = []
    pair_op: list[int] = []
    bands: list[tuple[float, float]] = []
    for op in ops:
        if op.state not in ("Activated", "Nonconforming"):
            continue
        mine = [i for a in op.aircraft for i in rows.get(a, ())]
        if not mine:
            continue
        k = len(watched)
        watched.append((op, mine))
        for v in op.volumes:
            if v.t_start <= t <= v.t_end:
                g = _grown(v.footprint, margin_h_m)
                for i in mine:
                    geoms.append(g)
                    pair_row.append(i)
                    pair_op.append(k)
                    bands.append((v.alt_lo_m - margin_v_m, v.alt_hi_m + margin_v_m))
    inside_pairs: set[tuple[int, int]] = set()
    if geoms:
        r = np.array(pair_row)
        b = np.array(bands)
        hit = (alt[r] >= b[:, 0]) & (alt[r] <= b[:, 1])
        hit &= shapely.contains_xy(np.array(geoms, dtype=object), lon[r], lat[r])
        inside_pairs = set(zip(np.array(pair_op)[hit].tolist(), r[hit].tolist(), strict=True))
    changes: list[tuple[Operation, str]] = []
    for k, (op, mine) in enumerate(watched):
        off = any((k, i) not in inside_pairs for i in mine)
        if off and op.state == "Activated":
            changes.append((op, "Nonconforming"))
        elif not off and op.state == "Nonconforming":
            changes.append((op, "Activated"))
    return changes
