"""Crossings found on the interpolated (Hermite) path, held against dense sampling of that path.

Turning tracks sampled every 30 s pass a box whose corners they cut, or whose edge they leave
and re-enter, within a few seconds: the samples see nothing of it, the path does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from wellclear.airspace.events import EventsConfig, track_events
from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.path import hermite_intervals, lonlat_of_ecef
from wellclear.airspace.volume import Volume
from wellclear.geo import geod
from wellclear.poly import polyval

BOX = shapely.box(36.0, 36.0, 36.2, 36.2)
GEOD = geod()


def arc_track(id_: str, lon_c: float, lat_c: float, radius_m: float, phase: float) -> pd.DataFrame:
    """A constant-rate turn (200 m/s) about a centre, sampled every 30 s, with its velocities."""
    n, dt, gs = 12, 30.0, 200.0
    omega = gs / radius_m  # rad/s, turning right (clockwise)
    tt = np.arange(n) * dt
    az = np.degrees(phase + omega * tt)  # bearing from the centre
    x, y, back = GEOD.fwd(np.full(n, lon_c), np.full(n, lat_c), az, np.full(n, radius_m))
    trk = (np.asarray(back) + 180.0 + 90.0) % 360.0  # tangent, clockwise round the centre
    return pd.DataFrame(
        {
            "id": id_,
            "party": "x",
            "callsign": id_.upper(),
            "t": 1_448_000_000.0 + tt,
            "lat": np.asarray(y),
            "lon": np.asarray(x),
            "alt_m": 5000.0,
            "alt_baro_m": 5000.0,
            "alt_geo_m": np.nan,
            "alt_src": "baro",
            "gs_mps": gs,
            "trk_deg": trk,
            "vs_mps": 0.0,
            "onground": False,
        }
    )


def twin(track: pd.DataFrame, steps: int = 6000) -> list[tuple[float, float]]:
    """Stays inside BOX of the Hermite path sampled every 30 s / ``steps``: the slow twin."""
    i0 = np.arange(len(track) - 1)
    coef, h, _ = hermite_intervals(track, i0)
    tau = np.linspace(0.0, 1.0, steps + 1)
    pos = polyval(np.repeat(coef, len(tau), axis=0), np.tile(tau, len(i0)))
    lon, lat = lonlat_of_ecef(pos)
    t = (track["t"].to_numpy()[:-1, None] + tau[None, :] * h[:, None]).ravel()
    inside = shapely.contains_xy(BOX, lon, lat)
    edges = np.flatnonzero(np.diff(inside.astype(np.int8)))
    mids = 0.5 * (t[edges] + t[edges + 1])
    if inside[0]:
        mids = np.r_[t[0], mids]
    if inside[-1]:
        mids = np.r_[mids, t[-1]]
    return list(zip(mids[::2], mids[1::2], strict=True))


def tracks(seed: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(40):
        # centres round the box, radii so that the turn passes near its corners and edges
        lon_c = 36.1 + rng.uniform(-0.3, 0.3)
        lat_c = 36.1 + rng.uniform(-0.3, 0.3)
        out.append(arc_track(f"a{k}", lon_c, lat_c, rng.uniform(8e3, 30e3), rng.uniform(0, 6.3)))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_stays_of_the_path_not_of_the_samples(seed: int) -> None:
    index = VolumeIndex([Volume("BOX", "restricted", shapely.MultiPolygon([BOX]))])
    cfg = EventsConfig(max_gap_s=60.0)
    brief = 0
    for tr in tracks(seed):
        want = twin(tr)
        ev = track_events(tr, index, cfg)
        got = list(zip(ev["entry_time"], ev["exit_time"], strict=True))
        # every stay of the path is found, and nothing else, to 0.05 s
        assert len(got) == len(want), (tr["id"].iloc[0], got, want)
        for (a, b), (c, d) in zip(got, want, strict=True):
            assert a == pytest.approx(c, abs=0.05) and b == pytest.approx(d, abs=0.05)
        # stays (or gaps between stays) shorter than the 30 s between samples
        samples_in = shapely.contains_xy(BOX, tr["lon"], tr["lat"])
        runs = int(np.sum(np.diff(np.r_[False, samples_in].astype(np.int8)) == 1))
        brief += len(want) != runs
    assert brief >= 2  # the cases the samples alone get wrong do occur


def test_brief_exit_between_inside_samples_is_reported() -> None:
    # a tight turn that bulges out of the box's north edge between two inside samples
    tr = arc_track("b", 36.1, 36.18, 3e3, -1.0)
    tr = tr.iloc[:3].reset_index(drop=True)
    assert shapely.contains_xy(BOX, tr["lon"], tr["lat"]).all()
    index = VolumeIndex([Volume("BOX", "restricted", shapely.MultiPolygon([BOX]))])
    want = twin(tr)
    ev = track_events(tr, index, EventsConfig(max_gap_s=60.0))
    old = track_events(tr, index, EventsConfig(max_gap_s=60.0, interpolate=False))
    assert len(want) == len(ev) == 2 and len(old) == 1  # the samples see one stay
    np.testing.assert_allclose(ev["entry_time"], [a for a, _ in want], atol=0.05)
    np.testing.assert_allclose(ev["exit_time"], [b for _, b in want], atol=0.05)
