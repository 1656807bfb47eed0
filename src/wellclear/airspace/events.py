"""Recorded tracks against volumes: every infringement or crossing, with entry and exit.

:func:`track_events` walks time-ordered states (the tracks contract) and returns one row per
stay of a bound aircraft inside an active volume, with the columns of :data:`EVENT_COLUMNS`:

============ ==================================================================================
id, callsign the aircraft (callsign: the last one seen during the stay)
party
volume, kind the volume
event        ``infringement``, or ``crossing`` for FIR, ADIZ and controlled airspace
entry_time   unix s; the boundary crossing on the path between the samples either side: the
             scan's cubic Hermite path (:mod:`~wellclear.airspace.path`: a stay, or an exit,
             shorter than the time between samples is found there), linearly in altitude
             between its points for the floor or ceiling, at the opening of a time window
exit_time    likewise
dwell_s      exit_time - entry_time
max_depth_m  greatest horizontal distance from the boundary inside (geodesic, m), refined
             between samples around the deepest one
entry_lat, entry_lon, exit_lat, exit_lon
max_alt_m    highest altitude inside (``alt_m``, samples and interpolated entry/exit)
open         the track starts or ends inside (no crossing seen), or is inside when a window opens
============ ==================================================================================

A track is split where the time between two samples exceeds ``max_gap_s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.airspace.depth import along_track, max_depth
from wellclear.airspace.geometry import GEOD
from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.now import bound_matrix
from wellclear.airspace.path import refine
from wellclear.airspace.vertical import altitudes, limit_altitude, vertical_inside
from wellclear.airspace.volume import Volume
from wellclear.schemas import INFRINGEMENTS
from wellclear.states import check_states

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

EVENT_COLUMNS = [c for c in INFRINGEMENTS.names if c != "t_unix"]
"""The columns this module makes: the contract :data:`wellclear.schemas.INFRINGEMENTS` less
``t_unix``, which :func:`wellclear.schemas.conform` adds (times here in unix seconds)."""


@dataclass(frozen=True)
class EventsConfig:
    """How :func:`track_events` walks the tracks."""

    max_gap_s: float = 60.0
    party_state: Mapping[str, str] | None = None
    bind_unknown: bool = False  # sovereign airspace binds ``unknown`` traffic too
    coarse_samples: int = 8
    # follow the Hermite path between samples (see wellclear.airspace.path), not the samples
    interpolate: bool = True


def geodesic_interp(
    lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray, f: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Points at fraction ``f`` along the great circles P0->P1."""
    az, _, dist = GEOD.inv(lon0, lat0, lon1, lat1)
    x, y, _ = GEOD.fwd(lon0, lat0, az, np.asarray(dist) * f)
    return np.asarray(x), np.asarray(y)


def as_tracks(reports: pd.DataFrame) -> pd.DataFrame:
    """Reports (states columns, perhaps without ``alt_m``/``alt_src``) sorted by (id, t).

    ``alt_m`` is made barometric where known, else geometric, as the states contract says.
    """
    frame = reports.copy()
    if "alt_m" not in frame.columns or "alt_src" not in frame.columns:
        baro = frame["alt_baro_m"].to_numpy(np.float64)
        frame["alt_m"] = np.where(np.isnan(baro), frame["alt_geo_m"].to_numpy(np.float64), baro)
        frame["alt_src"] = np.where(np.isnan(baro), "geo", "baro").astype(object)
    return frame.sort_values(["id", "t"], kind="stable").reset_index(drop=True)


def empty_events() -> pd.DataFrame:
    """An empty events table with the documented columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in EVENT_COLUMNS})


def track_events(
    tracks: pd.DataFrame, index: VolumeIndex, config: EventsConfig | None = None
) -> pd.DataFrame:
    """Every infringement or crossing of the volumes of ``index`` in ``tracks``.

    Rows without a position are left out; rows are taken in (id, t) order (sorted here if
    they are not).
    """
    cfg = config or EventsConfig()
    check_states(tracks)
    ok = np.isfinite(tracks["lon"].to_numpy(np.float64)) & np.isfinite(
        tracks["lat"].to_numpy(np.float64)
    )
    df = tracks if ok.all() else tracks.loc[ok].reset_index(drop=True)
    ids = pd.factorize(df["id"])[0]
    t = df["t"].to_numpy(np.float64)
    # factorize numbers ids by first appearance: grouped and time-ordered means non-decreasing
    grouped = (ids[1:] > ids[:-1]) | ((ids[1:] == ids[:-1]) & (t[1:] >= t[:-1]))
    if not grouped.all():
        order = np.lexsort((t, ids))
        df = df.iloc[order].reset_index(drop=True)
        ids, t = ids[order], t[order]
    if len(df) == 0:
        return empty_events()
    if cfg.interpolate:
        split = (ids[1:] != ids[:-1]) | ((t[1:] - t[:-1]) > cfg.max_gap_s)
        dense = refine(df, index, np.r_[split, True])
        if len(dense) > len(df):
            df = dense
            ids = pd.factorize(df["id"])[0]
            t = df["t"].to_numpy(np.float64)
    n = len(df)
    lon = df["lon"].to_numpy(np.float64)
    lat = df["lat"].to_numpy(np.float64)
    alt = df["alt_m"].to_numpy(np.float64)
    baro, geo = altitudes(df)
    brk = np.ones(n, dtype=bool)
    brk[1:] = (ids[1:] != ids[:-1]) | ((t[1:] - t[:-1]) > cfg.max_gap_s)
    seg_start = brk
    seg_end = np.r_[brk[1:], True]
    vols = index.volumes
    bound = bound_matrix(index, df["party"], dict(cfg.party_state or {}), cfg.bind_unknown)
    hp, hv = index.inside_pairs(lon, lat)
    cum = along_track(lon, lat)
    order = np.argsort(hv, kind="stable")
    hp, hv = hp[order], hv[order]
    cuts = np.searchsorted(hv, np.arange(len(vols) + 1))
    frames: list[pd.DataFrame] = []
    for v, vol in enumerate(vols):
        rows = hp[cuts[v] : cuts[v + 1]]
        if len(rows) == 0 or not bound[v].any():
            continue
        h = np.zeros(n, dtype=bool)
        h[rows] = True
        vin, _ = vertical_inside(vol, baro, geo)
        act = vol.active(t)
        ins = h & vin & act & bound[v]
        if not ins.any():
            continue
        starts = np.flatnonzero(ins & (seg_start | ~np.r_[False, ins[:-1]]))
        ends = np.flatnonzero(ins & (seg_end | ~np.r_[ins[1:], False]))
        frames.append(
            _volume_events(
                df,
                index,
                v,
                vol,
                starts,
                ends,
                (lon, lat, t, alt, baro, geo, cum),
                (h, vin, act),
                (seg_start, seg_end),
                cfg,
            )
        )
    if not frames:
        return empty_events()
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["id", "entry_time"], kind="stable").reset_index(drop=True)


def _crossing_fraction(
    index: VolumeIndex, v: int, i0: IntArray, lon: FloatArray, lat: FloatArray, last: bool
) -> FloatArray:
    """Fraction of the first (or last) boundary crossing between samples i0 and i0+1."""
    out = np.full(len(i0), np.nan)
    if len(i0) == 0:
        return out
    ti, f = index.crossings(v, lon[i0], lat[i0], lon[i0 + 1], lat[i0 + 1])
    if len(ti):
        pick = np.r_[ti[1:] != ti[:-1], True] if last else np.r_[True, ti[1:] != ti[:-1]]
        out[ti[pick]] = f[pick]
    return np.where(np.isnan(out), 0.5, out)


def _vertical_fraction(vol: Volume, i0: IntArray, baro: FloatArray, geo: FloatArray) -> FloatArray:
    """Fraction between samples i0 and i0+1 where the altitude crosses the floor or ceiling."""
    f = np.full(len(i0), np.nan)
    for limit in (vol.floor, vol.ceiling):
        if limit.ref in ("SFC", "UNL"):
            continue
        a, _ = limit_altitude(limit, baro, geo)
        a0, a1 = a[i0], a[i0 + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            g = (limit.value_m - a0) / (a1 - a0)
        ok = (g >= 0) & (g <= 1)
        f = np.where(ok & np.isnan(f), g, f)
    return np.where(np.isnan(f), 0.5, f)


def _window_time(vol: Volume, t0: FloatArray, t1: FloatArray, opening: bool) -> FloatArray:
    out = np.full(len(t0), np.nan)
    for a, b in vol.windows or ():
        edge = a if opening else b
        hit = (edge > t0) & (edge <= t1) & np.isnan(out)
        out[hit] = edge
    return np.where(np.isnan(out), t1 if opening else t0, out)


def _volume_events(
    df: pd.DataFrame,
    index: VolumeIndex,
    v: int,
    vol: Volume,
    starts: IntArray,
    ends: IntArray,
    arrays: tuple[FloatArray, ...],
    flags: tuple[BoolArray, BoolArray, BoolArray],
    segs: tuple[BoolArray, BoolArray],
    cfg: EventsConfig,
) -> pd.DataFrame:
    lon, lat, t, alt, baro, geo, cum = arrays
    h, vin, act = flags
    seg_start, seg_end = segs
    m = len(starts)
    # entry
    open_ = seg_start[starts] | seg_end[ends]
    f_in = np.zeros(m)
    has_prev = ~seg_start[starts]
    i0 = starts[has_prev] - 1
    fi = np.zeros(len(i0))
    hx = ~h[i0]
    fi[hx] = np.maximum(fi[hx], _crossing_fraction(index, v, i0[hx], lon, lat, last=False))
    vx = ~vin[i0]
    fi[vx] = np.maximum(fi[vx], _vertical_fraction(vol, i0[vx], baro, geo))
    wx = ~act[i0]
    dt = t[i0 + 1] - t[i0]
    tw = _window_time(vol, t[i0], t[i0 + 1], opening=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        fw = np.where(dt > 0, (tw - t[i0]) / dt, 1.0)
    fi[wx] = np.maximum(fi[wx], fw[wx])
    window_open = np.zeros(m, dtype=bool)
    window_open[has_prev] = wx & h[i0] & vin[i0]
    open_ |= window_open
    f_in[has_prev] = fi
    # exit
    f_out = np.zeros(m)
    has_next = ~seg_end[ends]
    j0 = ends[has_next]
    fo = np.ones(len(j0))
    hx = ~h[j0 + 1]
    fo[hx] = np.minimum(fo[hx], _crossing_fraction(index, v, j0[hx], lon, lat, last=True))
    vx = ~vin[j0 + 1]
    fo[vx] = np.minimum(fo[vx], _vertical_fraction(vol, j0[vx], baro, geo))
    wx = ~act[j0 + 1]
    dt = t[j0 + 1] - t[j0]
    tw = _window_time(vol, t[j0], t[j0 + 1], opening=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        fw = np.where(dt > 0, (tw - t[j0]) / dt, 0.0)
    fo[wx] = np.minimum(fo[wx], fw[wx])
    f_out[has_next] = fo
    # entry and exit points and times
    a_idx = np.where(has_prev, starts - 1, starts)
    b_idx = np.where(has_next, ends + 1, ends)
    fin = np.where(has_prev, f_in, 0.0)
    fout = np.where(has_next, f_out, 0.0)
    ent_t = t[a_idx] + fin * (t[starts] - t[a_idx])
    ext_t = t[ends] + fout * (t[b_idx] - t[ends])
    ent_lon, ent_lat = geodesic_interp(lon[a_idx], lat[a_idx], lon[starts], lat[starts], fin)
    ext_lon, ext_lat = geodesic_interp(lon[ends], lat[ends], lon[b_idx], lat[b_idx], fout)
    ent_alt = alt[a_idx] + fin * (alt[starts] - alt[a_idx])
    ext_alt = alt[ends] + fout * (alt[b_idx] - alt[ends])
    # rows between one stay's end and the next one's start are outside: mask them
    alt_in = np.where(h & vin & act & ~np.isnan(alt), alt, -np.inf)
    run_max = np.maximum.reduceat(alt_in, starts)
    max_alt = np.fmax(run_max, np.fmax(ent_alt, ext_alt))
    max_alt = np.where(np.isinf(max_alt), np.nan, max_alt)
    depth = max_depth(
        index,
        v,
        starts,
        ends,
        a_idx + fin,
        (ends + fout).astype(np.float64),
        lon,
        lat,
        cum,
        cfg.coarse_samples,
    )
    return pd.DataFrame(
        {
            "id": df["id"].iloc[starts].to_numpy(object),
            "callsign": df["callsign"].iloc[ends].to_numpy(object),
            "party": df["party"].iloc[ends].to_numpy(object),
            "volume": vol.name,
            "kind": vol.kind,
            "event": vol.event,
            "entry_time": ent_t,
            "exit_time": ext_t,
            "dwell_s": ext_t - ent_t,
            "max_depth_m": depth,
            "entry_lat": ent_lat,
            "entry_lon": ent_lon,
            "exit_lat": ext_lat,
            "exit_lon": ext_lon,
            "max_alt_m": max_alt,
            "open": open_,
        }
    )
