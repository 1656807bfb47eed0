"""Synthetic kinematic traffic with known truth, for tests and demos.

A :class:`Plan` flies legs (straight, turning, climbing, accelerating) from a start state; a
:class:`Follow` flies relative to another aircraft (approach, station keeping, orbit, weave),
given by key frames of (relative bearing from the target's track, distance, height difference).
All aircraft are integrated together on one dense time grid (``dt``, default 0.5 s) along
geodesics (:func:`wellclear.geo.extrapolate`), so the truth minimum of any pair can be taken from
the dense paths; the states are then sampled at irregular intervals (1-15 s by default) with the
velocities they report (ground speed, track, vertical rate). Output: the states contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.geo import WGS84_E2, ecef, extrapolate, geod
from wellclear.states import STATES_COLUMNS

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Leg:
    """A part of a flight: for ``duration_s``, turn at ``turn_dps`` (positive right), climb at
    ``vs_mps``, change speed at ``accel_mps2``."""

    duration_s: float
    turn_dps: float = 0.0
    vs_mps: float = 0.0
    accel_mps2: float = 0.0


@dataclass(frozen=True)
class Plan:
    """A flight from a start state through its legs; it ends after the last leg."""

    id: str
    party: str
    t0: float
    lat: float
    lon: float
    alt_m: float
    gs_mps: float
    trk_deg: float
    legs: tuple[Leg, ...]
    callsign: str = ""


@dataclass(frozen=True)
class Follow:
    """A flight placed relative to ``target``: key frames ``(t, rel_bearing_deg, dist_m, dz_m)``,
    linearly interpolated (the bearing is taken from the target's track, clockwise)."""

    id: str
    party: str
    target: str
    keys: tuple[tuple[float, float, float, float], ...]
    callsign: str = ""


@dataclass
class Dense:
    """Dense truth: one row per aircraft and grid time."""

    frame: pd.DataFrame
    meta: dict[str, tuple[str, str]] = field(default_factory=dict)


def fly(plans: Sequence[Plan | Follow], dt: float = 0.5) -> Dense:
    """Integrate every plan on one grid of step ``dt``; follows after their targets."""
    base = [p for p in plans if isinstance(p, Plan)]
    t_lo = min(p.t0 for p in base)
    t_hi = max(p.t0 + sum(leg.duration_s for leg in p.legs) for p in base)
    grid = t_lo + dt * np.arange(int(np.ceil((t_hi - t_lo) / dt)) + 1)
    n, m = len(base), grid.size
    lat = np.full((n, m), np.nan)
    lon = np.full((n, m), np.nan)
    alt = np.full((n, m), np.nan)
    trk_a = np.full((n, m), np.nan)
    gs_a = np.full((n, m), np.nan)
    vs_a = np.full((n, m), np.nan)
    turn = np.zeros((n, m))
    vs = np.zeros((n, m))
    acc = np.zeros((n, m))
    active = np.zeros((n, m), dtype=bool)
    for k, p in enumerate(base):
        t = p.t0
        for leg in p.legs:
            sel = (grid >= t) & (grid < t + leg.duration_s)
            turn[k, sel], vs[k, sel], acc[k, sel] = leg.turn_dps, leg.vs_mps, leg.accel_mps2
            t += leg.duration_s
        active[k] = (grid >= p.t0 - 1e-9) & (grid <= t + 1e-9)
    cur_lat = np.array([p.lat for p in base])
    cur_lon = np.array([p.lon for p in base])
    cur_alt = np.array([p.alt_m for p in base])
    cur_trk = np.array([p.trk_deg for p in base])
    cur_gs = np.array([p.gs_mps for p in base])
    for s in range(m):
        on = active[:, s]
        lat[on, s], lon[on, s], alt[on, s] = cur_lat[on], cur_lon[on], cur_alt[on]
        trk_a[on, s], gs_a[on, s], vs_a[on, s] = cur_trk[on], cur_gs[on], vs[on, s]
        # midpoint rule for the turn: the chord of a turning step leaves at half the turn
        go = on & (grid[s] >= np.array([p.t0 for p in base]) - 1e-9)
        half = cur_trk + 0.5 * turn[:, s] * dt
        gs_mid = cur_gs + 0.5 * acc[:, s] * dt
        nlat, nlon, ntrk = extrapolate(cur_lat, cur_lon, half, gs_mid * dt)
        cur_lat = np.where(go, nlat, cur_lat)
        cur_lon = np.where(go, nlon, cur_lon)
        cur_trk = np.where(go, np.mod(ntrk + 0.5 * turn[:, s] * dt, 360.0), cur_trk)
        cur_gs = np.where(go, cur_gs + acc[:, s] * dt, cur_gs)
        cur_alt = np.where(go, cur_alt + vs[:, s] * dt, cur_alt)
    frames = []
    meta: dict[str, tuple[str, str]] = {}
    for k, p in enumerate(base):
        on = active[k]
        frames.append(
            pd.DataFrame(
                {
                    "id": p.id,
                    "t": grid[on],
                    "lat": lat[k, on],
                    "lon": lon[k, on],
                    "alt_m": alt[k, on],
                    "gs_mps": gs_a[k, on],
                    "trk_deg": trk_a[k, on],
                    "vs_mps": vs_a[k, on],
                }
            )
        )
        meta[p.id] = (p.party, p.callsign or p.id.upper())
    by_id = {f["id"].iloc[0]: f for f in frames}
    for f in plans:
        if isinstance(f, Follow):
            tgt = by_id[f.target]
            keys = np.array(f.keys, dtype=float)
            on = (tgt["t"] >= keys[0, 0]) & (tgt["t"] <= keys[-1, 0])
            g = tgt[on]
            tt = g["t"].to_numpy()
            bearing = np.interp(tt, keys[:, 0], keys[:, 1])
            dist = np.interp(tt, keys[:, 0], keys[:, 2])
            dz = np.interp(tt, keys[:, 0], keys[:, 3])
            flat, flon, _ = extrapolate(
                g["lat"].to_numpy(), g["lon"].to_numpy(), g["trk_deg"].to_numpy() + bearing, dist
            )
            falt = g["alt_m"].to_numpy() + dz
            fw, _, d = geod().inv(flon[:-1], flat[:-1], flon[1:], flat[1:])
            step = np.diff(tt)
            trk = np.mod(np.append(fw, fw[-1]), 360.0)
            gs = np.append(np.asarray(d) / step, d[-1] / step[-1])
            vsr = np.append(np.diff(falt) / step, 0.0)
            fr = pd.DataFrame(
                {
                    "id": f.id,
                    "t": tt,
                    "lat": flat,
                    "lon": flon,
                    "alt_m": falt,
                    "gs_mps": gs,
                    "trk_deg": trk,
                    "vs_mps": vsr,
                }
            )
            by_id[f.id] = fr
            frames.append(fr)
            meta[f.id] = (f.party, f.callsign or f.id.upper())
    return Dense(pd.concat(frames, ignore_index=True), meta)


def sample(dense: Dense, seed: int = 0, min_dt: float = 1.0, max_dt: float = 15.0) -> pd.DataFrame:
    """States at irregular times (uniform in ``[min_dt, max_dt]``) drawn from the dense truth.

    Positions and velocities are interpolated linearly between grid points; altitudes are
    barometric (``alt_src = baro``) and not quantised.
    """
    rng = np.random.default_rng(seed)
    out = []
    for ident, g in dense.frame.groupby("id", sort=True):
        t = g["t"].to_numpy()
        n = int((t[-1] - t[0]) / min_dt) + 2
        times = t[0] + np.concatenate([[0.0], np.cumsum(rng.uniform(min_dt, max_dt, n))])
        times = times[times <= t[-1]]
        row = {c: np.interp(times, t, g[c].to_numpy()) for c in ("alt_m", "gs_mps", "vs_mps")}
        # positions interpolated in ECEF: good over the poles and the antimeridian
        p = ecef(g["lat"].to_numpy(), g["lon"].to_numpy())
        q = np.stack([np.interp(times, t, p[:, k]) for k in range(3)], axis=1)
        row["lon"] = np.degrees(np.arctan2(q[:, 1], q[:, 0]))
        row["lat"] = np.degrees(np.arctan2(q[:, 2], (1.0 - WGS84_E2) * np.hypot(q[:, 0], q[:, 1])))
        trk_u = np.unwrap(np.radians(g["trk_deg"].to_numpy()))
        row["trk_deg"] = np.degrees(np.interp(times, t, trk_u)) % 360.0
        party, callsign = dense.meta[str(ident)]
        out.append(
            pd.DataFrame(
                {
                    "id": ident,
                    "party": party,
                    "callsign": callsign,
                    "t": times,
                    "lat": row["lat"],
                    "lon": row["lon"],
                    "alt_m": row["alt_m"],
                    "alt_baro_m": row["alt_m"],
                    "alt_geo_m": np.nan,
                    "alt_src": "baro",
                    "gs_mps": row["gs_mps"],
                    "trk_deg": row["trk_deg"],
                    "vs_mps": row["vs_mps"],
                    "onground": False,
                }
            )
        )
    frame = pd.concat(out, ignore_index=True).sort_values(["t", "id"], kind="stable")
    return frame[list(STATES_COLUMNS)].reset_index(drop=True)


def truth_minimum(dense: Dense, id_i: str, id_j: str) -> tuple[float, float, float]:
    """Minimum geodesic (horizontal) distance of a pair on the dense grid: ``(t, h_m, dz_m)``,
    refined by a parabola through the three grid points around it."""
    a = dense.frame[dense.frame["id"] == id_i].set_index("t")
    b = dense.frame[dense.frame["id"] == id_j].set_index("t")
    common = a.index.intersection(b.index)
    a, b = a.loc[common], b.loc[common]
    _, _, d = geod().inv(
        a["lon"].to_numpy(), a["lat"].to_numpy(), b["lon"].to_numpy(), b["lat"].to_numpy()
    )
    d = np.asarray(d)
    k = int(np.argmin(d))
    t = common.to_numpy()
    tk, dk = float(t[k]), float(d[k])
    if 0 < k < d.size - 1:
        y0, y1, y2 = d[k - 1] ** 2, d[k] ** 2, d[k + 1] ** 2
        den = y0 - 2 * y1 + y2
        if den > 0:
            off = 0.5 * (y0 - y2) / den
            tk = float(t[k] + off * (t[1] - t[0]))
            dk = float(np.sqrt(max(y1 - 0.25 * (y0 - y2) * off, 0.0)))
    dz = float(b["alt_m"].iloc[k] - a["alt_m"].iloc[k])
    return tk, dk, dz
