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


@dataclass(frozen=True)
class NowConfig:
    """What :func:`check_now` looks for."""

    lookahead_s: float = 120.0
    predict: bool = True
    proximity: bool = True
    party_state: Mapping[str, str] | None = None
    bind_unknown: bool = False  # sovereign airspace binds ``unknown`` traffic too


def bound_matrix(
    volumes: list[Volume],
    parties: npt.ArrayLike | pd.Series,
    party_state: Mapping[str, str],
    bind_unknown: bool = False,
) -> npt.NDArray[np.bool_]:
    """``(n_volumes, n_rows)``: whether each volume binds each row's party."""
    codes, labels = pd.factorize(pd.Series(parties), use_na_sentinel=False)
    inv = np.asarray(codes)
    uniq = [str(u) for u in labels]
    table = np.array(
        [[v.binds_party(p, party_state, bind_unknown) for p in uniq] for v in volumes], dtype=bool
    )
    return table.reshape(len(volumes), len(uniq))[:, inv]


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
    bound = bound_matrix(vols, states["party"], party_state, cfg.bind_unknown)
    active_now = np.array([bool(v.active(np.array([at]))[0]) for v in vols], dtype=bool)
    vert = [vertical_inside(v, baro, geo) for v in vols]

    hp, hv = index.inside_pairs(lon, lat)
    ok = bound[hv, hp] & active_now[hv]
    vin = np.stack([x[0] for x in vert])[hv, hp] if vols else np.zeros(0, dtype=bool)
    inside = ok & vin
    ip, iv = hp[inside], hv[inside]
    blocks: list[dict[str, npt.NDArray[np.generic]]] = []
    for v in np.unique(iv):
        sel = iv == v
        depth, _, _ = index.boundary_distance(int(v), lon[ip[sel]], lat[ip[sel]])
        blocks.append(
            _block(ip[sel], int(v), "inside", distance_m=depth, no_qnh=vert[v][1][ip[sel]])
        )

    inside_set = set(zip(ip.tolist(), iv.tolist(), strict=True))
    h_set = set(zip(hp.tolist(), hv.tolist(), strict=True))
    predict = cfg.predict and cfg.lookahead_s > 0
    if predict or cfg.proximity:
        # a lower bound on each aircraft's distance to every boundary: one further from all
        # of them than it flies in the lookahead (or than the largest margin) can cross none
        clear = index.clearance(lon, lat)
        if predict:
            blocks.extend(
                _predict(
                    states, index, at, cfg.lookahead_s, bound, inside_set, h_set, baro, geo, clear
                )
            )
        if cfg.proximity:
            blocks.extend(_proximity(states, index, bound, active_now, h_set, gs, trk, clear))
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
    out = pd.DataFrame(
        {
            "id": states["id"].to_numpy(object)[p],
            "callsign": states["callsign"].to_numpy(object)[p],
            "party": states["party"].to_numpy(object)[p],
            "volume": names[v],
            "kind": kinds[v],
            "status": cat["status"],
            "event": events[v],
            "t": states["t"].to_numpy(np.float64)[p],
            "lat": states["lat"].to_numpy(np.float64)[p],
            "lon": states["lon"].to_numpy(np.float64)[p],
            "alt_m": states["alt_m"].to_numpy(np.float64)[p],
        }
    )
    for c in _BLOCK_FLOATS:
        out[c] = cat[c].astype(np.float64)
    out["no_qnh"] = cat["no_qnh"].astype(bool)
    return out[NOW_COLUMNS]


def _predict(
    states: pd.DataFrame,
    index: VolumeIndex,
    at: float,
    lookahead: float,
    bound: npt.NDArray[np.bool_],
    inside_set: set[tuple[int, int]],
    h_set: set[tuple[int, int]],
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
    ti, tv, f = index.crossings_all(
        px[seg_m, seg_k], py[seg_m, seg_k], px[seg_m, seg_k + 1], py[seg_m, seg_k + 1]
    )
    seg_ac = moving[seg_m]
    t_cross = (seg_k[ti] + f) / steps * lookahead
    candidates: dict[tuple[int, int], list[float]] = {}
    for a, v, tt in zip(seg_ac[ti].tolist(), tv.tolist(), t_cross.tolist(), strict=True):
        candidates.setdefault((a, v), []).append(tt)
    for key in h_set:
        candidates.setdefault(key, [])
    found: list[tuple[int, int, float, bool]] = []
    vols = index.volumes
    for (a, v), times in candidates.items():
        if (a, v) in inside_set or not bound[v, a]:
            continue
        vol = vols[v]
        horiz = _intervals_from_toggles((a, v) in h_set, sorted(times), lookahead)
        band = band_interval(vol, float(baro[a]), float(geo[a]), float(vs[a]), lookahead)
        if vol.windows is None:
            wins = [(0.0, lookahead)]
        else:
            wins = [(s - at, e - at) for s, e in vol.windows if e > at and s < at + lookahead]
        t_in = _first_entry(horiz, band, wins)
        if t_in is None:
            continue
        _, no_qnh = vertical_inside(vol, baro[a : a + 1], geo[a : a + 1])
        found.append((a, v, t_in, bool(no_qnh[0])))
    if not found:
        return []
    fa = np.array([f[0] for f in found], dtype=np.intp)
    fv = np.array([f[1] for f in found], dtype=np.intp)
    ft = np.array([f[2] for f in found])
    fq = np.array([f[3] for f in found], dtype=bool)
    ex, ey, _ = GEOD.fwd(lon[fa], lat[fa], trk[fa], gs[fa] * ft)
    alt = states["alt_m"].to_numpy(np.float64)[fa] + vs[fa] * ft
    blocks = []
    for v in np.unique(fv):
        s = fv == v
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
    bound: npt.NDArray[np.bool_],
    active_now: npt.NDArray[np.bool_],
    h_set: set[tuple[int, int]],
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
    nv = len(margins)
    h_keys = np.array(sorted(p * nv + v for p, v in h_set), dtype=np.int64)
    keep = (d <= margins[vi]) & ~np.isin(pi.astype(np.int64) * nv + vi, h_keys)
    keep &= bound[vi, pi] & active_now[vi]
    pi, vi, d, qlon, qlat = pi[keep], vi[keep], d[keep], qlon[keep], qlat[keep]
    az, _, _ = GEOD.inv(lon[pi], lat[pi], qlon, qlat)
    closing = gs[pi] * np.cos(np.radians(trk[pi] - np.asarray(az)))
    near = closing > 0
    pi, vi, d, closing = pi[near], vi[near], d[near], closing[near]
    blocks = []
    for v in np.unique(vi):
        s = vi == v
        blocks.append(_block(pi[s], int(v), "proximity", distance_m=d[s], closing_mps=closing[s]))
    return blocks
