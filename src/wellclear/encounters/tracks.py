"""Tracks: the states of each aircraft, time-ordered, cleaned, as arrays for the kernels.

Cleaning, in order, each step local in time so that a time window with :attr:`ScanConfig.overlap_s`
of context gives the same flags as the whole data:

1. rows sorted by (``id``, ``t``) (stable), repeated (``id``, ``t``) removed (first kept);
2. rows without altitude flagged ``no_altitude``, rows reported on the ground ``onground``
   (encounters are between airborne aircraft);
3. a sample is an impossible jump when every leg to its neighbours (within ``max_gap``) needs a
   horizontal speed above ``max_speed_mps`` or a climb above ``max_climb_mps``; it is flagged
   ``jump``, kept in the evidence and not used for minima;
4. the remaining (clean) samples form segments; consecutive clean samples further apart than
   ``max_gap`` are not bridged.

Velocities: ground speed and track give an ECEF velocity at each sample; where they are missing
the chord to the neighbouring sample of the segment is used, so the path falls back to the great
circle (a straight line in the local frame). The same for altitude and vertical rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.encounters.config import ScanConfig
from wellclear.geo import ecef, velocity_ecef
from wellclear.states import check_states

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

QUALITY_COLUMNS = ("nacp", "nic", "nucp", "source_type")
SOURCE_COLUMNS = ("source", "line")


@dataclass(frozen=True)
class Tracks:
    """Clean samples of every aircraft, sorted by (aircraft, time).

    ``frame`` is the whole (deduplicated) input with a ``flag`` column (``""``, ``jump``,
    ``no_altitude`` or ``onground``); the arrays hold its clean rows only, ``row`` pointing
    back into ``frame``.
    ``seg_next[k]`` is true when sample ``k`` and ``k + 1`` belong to one segment.
    """

    frame: pd.DataFrame
    ids: npt.NDArray[np.object_]  # aircraft names by code
    code: IntArray
    t: FloatArray
    pos: FloatArray  # (N, 3) ECEF on the ellipsoid surface
    vel_out: FloatArray  # (N, 3) velocity leaving the sample (m/s)
    vel_in: FloatArray  # (N, 3) velocity arriving at the sample
    alt: FloatArray
    alt_baro: FloatArray
    vz_out: FloatArray
    vz_in: FloatArray
    seg_next: BoolArray
    row: IntArray

    @property
    def size(self) -> int:
        return int(self.t.size)


def _legs_impossible(frame: pd.DataFrame, cfg: ScanConfig) -> tuple[BoolArray, BoolArray]:
    """For each row: whether the leg from the previous row is impossible, and whether it exists."""
    t = frame["t"].to_numpy(np.float64)
    same = np.zeros(len(frame), dtype=bool)
    ids = frame["id"].to_numpy()
    same[1:] = ids[1:] == ids[:-1]
    dt = np.diff(t, prepend=np.nan)
    near = same & (dt <= cfg.max_gap_s)
    p = ecef(frame["lat"].to_numpy(np.float64), frame["lon"].to_numpy(np.float64))
    dist = np.zeros(len(frame))
    dist[1:] = np.linalg.norm(p[1:] - p[:-1], axis=1)
    alt = frame["alt_m"].to_numpy(np.float64)
    dz = np.abs(np.diff(alt, prepend=np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        fast = dist / np.maximum(dt, 1e-3) > cfg.max_speed_mps
        steep = np.nan_to_num(dz / np.maximum(dt, 1e-3)) > cfg.max_climb_mps
    return near & (fast | steep), near


def clean(states: pd.DataFrame, cfg: ScanConfig) -> pd.DataFrame:
    """Sort, deduplicate and flag a states table (steps 1-3 of the module docstring)."""
    check_states(states)
    frame = states.dropna(subset=["t", "lat", "lon"])
    frame = frame.assign(id=frame["id"].astype(str))
    # stable sort by (id, t) on integer codes of the ids (sorted codes: the order of the strings)
    code = pd.factorize(frame["id"], sort=True)[0]
    t = frame["t"].to_numpy(np.float64)
    order = np.lexsort((t, code))
    code, t = code[order], t[order]
    dup = np.zeros(order.size, dtype=bool)
    dup[1:] = (code[1:] == code[:-1]) & (t[1:] == t[:-1])
    frame = frame.iloc[order[~dup]].reset_index(drop=True)
    flag = np.full(len(frame), "", dtype=object)
    has_alt = frame["alt_m"].notna().to_numpy().copy()
    flag[~has_alt] = "no_altitude"
    ground = frame["onground"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    flag[ground] = "onground"
    has_alt &= ~ground
    sub = frame[has_alt]
    bad_in, near_in = _legs_impossible(sub, cfg)
    bad_out = np.append(bad_in[1:], False)
    near_out = np.append(near_in[1:], False)
    legs = near_in.astype(int) + near_out.astype(int)
    bad = (bad_in | ~near_in) & (bad_out | ~near_out) & (legs > 0)
    idx = np.flatnonzero(has_alt)
    flag[idx[bad]] = "jump"
    frame["flag"] = flag
    return frame


def build_tracks(states: pd.DataFrame, cfg: ScanConfig) -> Tracks:
    """Clean ``states`` and build the arrays of the Hermite paths (see the module docstring)."""
    frame = clean(states, cfg)
    good = (frame["flag"] == "").to_numpy()
    sub = frame[good]
    # sorted by id: each aircraft is one run, codes in the order of the names
    names = sub["id"].to_numpy(object)
    new = np.r_[True, names[1:] != names[:-1]] if names.size else np.zeros(0, dtype=bool)
    ids = names[new]
    code = np.cumsum(new) - 1
    t = sub["t"].to_numpy(np.float64)
    lat = sub["lat"].to_numpy(np.float64)
    lon = sub["lon"].to_numpy(np.float64)
    pos = ecef(lat, lon)
    n = t.size
    seg_next = np.zeros(n, dtype=bool)
    if n > 1:
        seg_next[:-1] = (code[1:] == code[:-1]) & (np.diff(t) <= cfg.max_gap_s)
    gs = sub["gs_mps"].to_numpy(np.float64)
    trk = sub["trk_deg"].to_numpy(np.float64)
    vel = velocity_ecef(lat, lon, np.nan_to_num(gs), np.nan_to_num(trk))
    has_v = ~(np.isnan(gs) | np.isnan(trk))
    alt = sub["alt_m"].to_numpy(np.float64)
    vs = sub["vs_mps"].to_numpy(np.float64)
    # chords of each segment leg (k -> k+1), used where a velocity is missing
    chord = np.zeros((n, 3))
    chord_z = np.zeros(n)
    if n > 1:
        dt = np.where(seg_next[:-1], np.diff(t), 1.0)
        chord[:-1] = (pos[1:] - pos[:-1]) / dt[:, None]
        chord_z[:-1] = np.diff(alt) / dt
    prev_ok = np.concatenate([[False], seg_next[:-1]])
    chord_in = np.concatenate([np.zeros((1, 3)), chord[:-1]])[:n]
    chord_z_in = np.concatenate([[0.0], chord_z[:-1]])[:n]
    vel_out = np.where(has_v[:, None], vel, chord)
    vel_in = np.where(has_v[:, None], vel, np.where(prev_ok[:, None], chord_in, chord))
    has_vs = ~np.isnan(vs)
    vz_out = np.where(has_vs, vs, chord_z)
    vz_in = np.where(has_vs, vs, np.where(prev_ok, chord_z_in, chord_z))
    return Tracks(
        frame=frame,
        ids=ids.astype(object),
        code=code.astype(np.int64),
        t=t,
        pos=pos,
        vel_out=vel_out,
        vel_in=vel_in,
        alt=alt,
        alt_baro=sub["alt_baro_m"].to_numpy(np.float64),
        vz_out=vz_out,
        vz_in=vz_in,
        seg_next=seg_next,
        row=np.flatnonzero(good).astype(np.int64),
    )
