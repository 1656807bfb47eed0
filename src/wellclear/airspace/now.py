"""The air picture against volumes at one instant: inside, predicted entry, proximity warning.

:func:`check_now` takes one state per aircraft (the states contract, all at one time) and
returns one row per (aircraft, volume) finding, with these columns:

============== =============================================================================
id, callsign,  the aircraft
party
volume, kind   the volume's name and kind
status         ``inside``: bound by the active volume and inside it now; ``entry``: will enter
               within the lookahead along its great circle and vertical rate (through a side,
               the floor or the ceiling, or when a window opens); ``proximity``: outside,
               within the volume's margin of its boundary and closing
event          ``infringement`` or ``crossing`` (FIR, ADIZ, controlled)
t, lat, lon,   the state now
alt_m
distance_m     metres to the boundary (geodesic): depth when inside, else gap (NaN for entry
               findings further than the margin)
entry_time     unix s of the predicted entry (NaN unless status is entry)
time_to_entry_s, entry_lat, entry_lon, entry_alt_m
closing_mps    rate at which the gap to the boundary closes (proximity)
no_qnh         an AMSL limit was compared with barometric altitude (no QNH)
============== =============================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.airspace.geometry import GEOD
from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.vertical import altitudes, band_interval, vertical_inside
from wellclear.airspace.volume import Volume
from wellclear.schemas import AIRSPACE_NOW
from wellclear.states import check_states

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

NOW_COLUMNS = [c for c in AIRSPACE_NOW.names if c != "t_unix"]
"""The columns this module makes: the contract :data:`wellclear.schemas.AIRSPACE_NOW` less
``t_unix``, which :func:`wellclear.schemas.conform` adds (times here in unix seconds)."""

PATH_STEP_M = 10_000.0
_PRUNE_LAT = 80.0


@dataclass(frozen=True)
class NowConfig:
    """What :func:`check_now` looks for."""

    lookahead_s: float = 120.0
    predict: bool = True
    proximity: bool = True
    party_state: Mapping[str, str] | None = None
    bind_unknown: bool = False  # sovereign airspace binds ``unknown`` traffic too


def bound_matrix(
    index: VolumeIndex,
    parties: npt.ArrayLike | pd.Series,
    party_state: Mapping[str, str],
    bind_unknown: bool = False,
) -> npt.NDArray[np.bool_]:
    """``(n_volumes, n_rows)``: whether each volume of ``index`` binds each row's party
    (:meth:`VolumeIndex.binding` spread over the rows)."""
    table, party = index.binding(parties, party_state, bind_unknown)
    return table[:, party]


class _Bound:
    """Whether volume ``v`` binds row ``p``, as ``bound[v, p]``: a table of volumes by
    parties and each row's party (:meth:`VolumeIndex.binding`), not a volumes x rows matrix."""

    def __init__(self, table: npt.NDArray[np.bool_], party: IntArray) -> None:
        self.table, self.party = table, party

    def __getitem__(self, at: tuple[IntArray | int, IntArray | int]) -> npt.NDArray[np.bool_]:
        v, p = at
        return np.asarray(self.table[v, self.party[p]])


def _by_volume(vol: IntArray) -> list[tuple[int, IntArray]]:
    """The positions of each volume's rows in ``vol``, volume by volume in order."""
    order = np.argsort(vol, kind="stable")
    cuts = np.flatnonzero(np.diff(vol[order])) + 1
    return [(int(vol[g[0]]), g) for g in np.split(order, cuts) if len(g)]


def _path(
    lon: FloatArray, lat: FloatArray, trk: FloatArray, dist: FloatArray, steps: int
) -> tuple[FloatArray, FloatArray]:
    """Points along each great circle at fractions 0, 1/steps, ..., 1 of ``dist``: (n, steps+1)."""
    frac = np.linspace(0.0, 1.0, steps + 1)
    n = len(lon)
    d = dist[:, None] * frac[None, :]
    x, y, _ = GEOD.fwd(
        np.repeat(lon, steps + 1), np.repeat(lat, steps + 1), np.repeat(trk, steps + 1), d.ravel()
    )
    return np.asarray(x).reshape(n, steps + 1), np.asarray(y).reshape(n, steps + 1)


def _intervals_from_toggles(
    inside0: bool, times: list[float], horizon: float
) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    state, start = inside0, 0.0
    for t in times:
        if state:
            out.append((start, t))
        state, start = not state, t
    if state:
        out.append((start, horizon))
    return out


def _first_entry(
    horiz: list[tuple[float, float]],
    band: tuple[float, float] | None,
    windows: list[tuple[float, float]],
) -> float | None:
    if band is None:
        return None
    best: float | None = None
    for a, b in horiz:
        for c, d in windows:
            lo = max(a, band[0], c)
            hi = min(b, band[1], d)
            if lo <= hi and lo > 0.0 and (best is None or lo < best):
                best = lo
    return best


def check_now(
    states: pd.DataFrame, index: VolumeIndex, at: float, config: NowConfig | None = None
) -> pd.DataFrame:
    """Inside, predicted entries and proximity warnings of ``states`` (one row per aircraft)."""
    cfg = config or NowConfig()
    check_states(states)
    party_state = dict(cfg.party_state or {})
    lon = states["lon"].to_numpy(np.float64)
    lat = states["lat"].to_numpy(np.float64)
    gs = np.nan_to_num(states["gs_mps"].to_numpy(np.float64))
    trk = np.nan_to_num(states["trk_deg"].to_numpy(np.float64))
    baro, geo = altitudes(states)
    vols = index.volumes
    bound = _Bound(*index.binding(states["party"], party_state, cfg.bind_unknown))
    active_now = np.array([bool(v.active(np.array([at]))[0]) for v in vols], dtype=bool)

    hp, hv = index.inside_pairs(lon, lat, by_cell=True)
    ok = bound[hv, hp] & active_now[hv]
    vin = np.zeros(len(hp), dtype=bool)
    vq = np.zeros(len(hp), dtype=bool)
    for v, sel in _by_volume(hv):
        vin[sel], vq[sel] = vertical_inside(vols[v], baro[hp[sel]], geo[hp[sel]])
    inside = ok & vin
    ip, iv, iq = hp[inside], hv[inside], vq[inside]
    blocks: list[dict[str, npt.NDArray[np.generic]]] = []
    for v, sel in _by_volume(iv):
        depth, _, _ = index.boundary_distance(v, lon[ip[sel]], lat[ip[sel]])
        blocks.append(_block(ip[sel], v, "inside", distance_m=depth, no_qnh=iq[sel]))

    nv = max(1, len(vols))
    inside_keys = ip.astype(np.int64) * nv + iv  # (aircraft, volume) as one sorted integer
    h_keys = hp.astype(np.int64) * nv + hv
    predict = cfg.predict and cfg.lookahead_s > 0
    if predict or cfg.proximity:
        # a lower bound on each aircraft's distance to every boundary: one further from all
        # of them than it flies in the lookahead (or than the largest margin) can cross none
        clear = index.clearance(lon, lat)
        if predict:
            blocks.extend(
                _predict(
                    states, index, at, cfg.lookahead_s, bound, inside_keys, h_keys, baro, geo, clear
                )
            )
        if cfg.proximity:
            blocks.extend(_proximity(states, index, bound, active_now, h_keys, gs, trk, clear))
    return _assemble(states, vols, blocks)


_BLOCK_FLOATS = (
    "distance_m",
    "entry_time",
    "time_to_entry_s",
    "entry_lat",
    "entry_lon",
    "entry_alt_m",
    "closing_mps",
)


def _block(
    p: IntArray, v: int, status: str, **cols: npt.NDArray[np.generic]
) -> dict[str, npt.NDArray[np.generic]]:
    n = len(p)
    out: dict[str, npt.NDArray[np.generic]] = {
        "p": np.asarray(p, dtype=np.intp),
        "v": np.full(n, v, dtype=np.intp),
        "status": np.full(n, status, dtype=object),
        "no_qnh": np.zeros(n, dtype=bool),
    }
    for c in _BLOCK_FLOATS:
        out[c] = np.full(n, np.nan)
    out.update({k: np.asarray(a) for k, a in cols.items()})
    return out


def _assemble(
    states: pd.DataFrame, vols: list[Volume], blocks: list[dict[str, npt.NDArray[np.generic]]]
) -> pd.DataFrame:
    if not blocks:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in NOW_COLUMNS})
    cat = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    p = cat["p"].astype(np.intp)
    v = cat["v"].astype(np.intp)
    names = np.array([x.name for x in vols], dtype=object)
    kinds = np.array([x.kind for x in vols], dtype=object)
    events = np.array([x.event for x in vols], dtype=object)
    texts = {
        "id": states["id"].to_numpy(object)[p],
        "callsign": states["callsign"].to_numpy(object)[p],
        "party": states["party"].to_numpy(object)[p],
        "volume": names[v],
        "kind": kinds[v],
        "status": cat["status"],
        "event": events[v],
    }
    numbers = {c: states[c].to_numpy(np.float64)[p] for c in ("t", "lat", "lon", "alt_m")}
    numbers |= {c: cat[c].astype(np.float64) for c in _BLOCK_FLOATS}
    # texts as objects: a findings table is read back by the episodes at once, and a column
    # of Python texts costs nothing to read there (pandas would make it Arrow text first)
    out = pd.DataFrame(
        {c: pd.Series(a, dtype=object, copy=False) for c, a in texts.items()} | numbers
    )
    out["no_qnh"] = cat["no_qnh"].astype(bool)
    return out[NOW_COLUMNS]


def _predict(
    states: pd.DataFrame,
    index: VolumeIndex,
    at: float,
    lookahead: float,
    bound: _Bound,
    inside_keys: npt.NDArray[np.int64],
    h_keys: npt.NDArray[np.int64],
    baro: FloatArray,
    geo: FloatArray,
    clear: FloatArray,
) -> list[dict[str, npt.NDArray[np.generic]]]:
    lon = states["lon"].to_numpy(np.float64)
    lat = states["lat"].to_numpy(np.float64)
    gs = np.nan_to_num(states["gs_mps"].to_numpy(np.float64))
    trk = np.nan_to_num(states["trk_deg"].to_numpy(np.float64))
    vs = np.nan_to_num(states["vs_mps"].to_numpy(np.float64))
    dist = gs * lookahead
    steps = max(1, int(np.ceil(float(dist.max(initial=0.0)) / PATH_STEP_M)))
    # horizontal crossings of every boundary by each step of each path that can reach one
    reach = (dist > 0) & ~(clear > dist)
    moving = np.flatnonzero(reach)
    px, py = _path(lon[moving], lat[moving], trk[moving], dist[moving], steps)
    seg_m = np.repeat(np.arange(len(moving)), steps)
    seg_k = np.tile(np.arange(steps), len(moving))
    # a step further from every boundary than its own length (with room for a straight
    # lon/lat step being a little longer than the great circle, away from the poles) can
    # cross none
    start_lon, start_lat = px[seg_m, seg_k], py[seg_m, seg_k]
    step_m = dist[moving][seg_m] / steps
    low = (np.abs(start_lat) <= _PRUNE_LAT) & (np.abs(py[seg_m, seg_k + 1]) <= _PRUNE_LAT)
    far = low & (index.clearance(start_lon, start_lat) > 1.05 * step_m + 500.0)
    seg_m, seg_k = seg_m[~far], seg_k[~far]
    ti, tv, f = index.crossings_all(
        px[seg_m, seg_k], py[seg_m, seg_k], px[seg_m, seg_k + 1], py[seg_m, seg_k + 1]
    )
    seg_ac = moving[seg_m]
    t_cross = (seg_k[ti] + f) / steps * lookahead
    vols = index.volumes
    nv = max(1, len(vols))
    c_keys = seg_ac[ti].astype(np.int64) * nv + tv
    order = np.lexsort((t_cross, c_keys))  # each pair's crossings in time order
    c_keys, t_cross = c_keys[order], t_cross[order]
    # the pairs to look at: crossing a side, or horizontally inside but not inside (above,
    # below, not yet active), never one inside now nor one the volume does not bind
    keys = np.union1d(c_keys, h_keys)
    keys = keys[~np.isin(keys, inside_keys) & bound[keys % nv, keys // nv]]
    lo = np.searchsorted(c_keys, keys, "left")
    hi = np.searchsorted(c_keys, keys, "right")
    h_in = np.isin(keys, h_keys)
    found: list[tuple[int, int, float]] = []
    for key, a_, b_, h in zip(keys.tolist(), lo.tolist(), hi.tolist(), h_in.tolist(), strict=True):
        a, v = divmod(key, nv)
        vol = vols[v]
        horiz = _intervals_from_toggles(h, t_cross[a_:b_].tolist(), lookahead)
        band = band_interval(vol, float(baro[a]), float(geo[a]), float(vs[a]), lookahead)
        if vol.windows is None:
            wins = [(0.0, lookahead)]
        else:
            wins = [(s - at, e - at) for s, e in vol.windows if e > at and s < at + lookahead]
        t_in = _first_entry(horiz, band, wins)
        if t_in is None:
            continue
        found.append((a, v, t_in))
    if not found:
        return []
    fa = np.array([f[0] for f in found], dtype=np.intp)
    fv = np.array([f[1] for f in found], dtype=np.intp)
    ft = np.array([f[2] for f in found])
    fq = np.zeros(len(found), dtype=bool)
    for v, sel in _by_volume(fv):
        fq[sel] = vertical_inside(vols[v], baro[fa[sel]], geo[fa[sel]])[1]
    ex, ey, _ = GEOD.fwd(lon[fa], lat[fa], trk[fa], gs[fa] * ft)
    alt = states["alt_m"].to_numpy(np.float64)[fa] + vs[fa] * ft
    blocks = []
    for v, s in _by_volume(fv):
        blocks.append(
            _block(
                fa[s],
                int(v),
                "entry",
                entry_time=at + ft[s],
                time_to_entry_s=ft[s],
                entry_lat=np.asarray(ey)[s],
                entry_lon=np.asarray(ex)[s],
                entry_alt_m=alt[s],
                no_qnh=fq[s],
            )
        )
    return blocks


def _proximity(
    states: pd.DataFrame,
    index: VolumeIndex,
    bound: _Bound,
    active_now: npt.NDArray[np.bool_],
    h_keys: npt.NDArray[np.int64],
    gs: FloatArray,
    trk: FloatArray,
    clear: FloatArray,
) -> list[dict[str, npt.NDArray[np.generic]]]:
    lon = states["lon"].to_numpy(np.float64)
    lat = states["lat"].to_numpy(np.float64)
    margins = np.array([v.margin_m for v in index.volumes])
    if len(margins) == 0:
        return []
    radius = float(margins.max())
    sub = np.flatnonzero(~(clear > radius))
    pi, vi, d, qlon, qlat = index.near_boundary(lon[sub], lat[sub], radius)
    pi = sub[pi]
    keep = (d <= margins[vi]) & ~np.isin(pi.astype(np.int64) * len(margins) + vi, h_keys)
    keep &= bound[vi, pi] & active_now[vi]
    pi, vi, d, qlon, qlat = pi[keep], vi[keep], d[keep], qlon[keep], qlat[keep]
    az, _, _ = GEOD.inv(lon[pi], lat[pi], qlon, qlat)
    closing = gs[pi] * np.cos(np.radians(trk[pi] - np.asarray(az)))
    near = closing > 0
    pi, vi, d, closing = pi[near], vi[near], d[near], closing[near]
    blocks = []
    for v, s in _by_volume(vi):
        blocks.append(_block(pi[s], v, "proximity", distance_m=d[s], closing_mps=closing[s]))
    return blocks
