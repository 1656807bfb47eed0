"""The compiled candidate search gives exactly the pairs of the pandas implementation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from wellclear.encounters.candidates import _boxes, candidate_pairs
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.tracks import Tracks, build_tracks
from wellclear.simulate.flights import fly, sample
from wellclear.simulate.scenarios import random_plans

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_BULGE = 4.0 / 27.0


Boxes = tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray]


def _reference_boxes(tracks: Tracks, cfg: ScanConfig) -> Boxes:
    """The boxes of the pandas implementation (``groupby``), in (bucket, code) order:
    ``(bucket, code, box_lo, box_hi, alt_lo, alt_hi)``; ``tracks`` not empty."""
    n = tracks.size
    tb = cfg.bucket_s
    t = tracks.t
    dt = np.zeros(n)
    dt[:-1] = np.where(tracks.seg_next[:-1], np.diff(t), 0.0)
    speed = np.linalg.norm(tracks.vel_out, axis=1)
    speed_in = np.zeros(n)
    speed_in[:-1] = np.linalg.norm(tracks.vel_in[1:], axis=1)
    bulge = _BULGE * dt * (speed + speed_in)
    vz_in = np.zeros(n)
    vz_in[:-1] = np.abs(tracks.vz_in[1:])
    bulge_z = _BULGE * dt * (np.abs(tracks.vz_out) + vz_in)
    own = np.floor(t / tb).astype(np.int64)
    b_lo = own.copy()
    b_hi = own.copy()
    if n > 1:
        nxt = tracks.seg_next[:-1]
        b_hi[:-1] = np.where(nxt, own[1:], own[:-1])
        b_lo[1:] = np.where(nxt, own[:-1], own[1:])
    reps = b_hi - b_lo + 1
    src = np.repeat(np.arange(n), reps)
    bucket = np.repeat(b_lo, reps) + (np.arange(src.size) - np.repeat(np.cumsum(reps) - reps, reps))
    frame = pd.DataFrame(
        {
            "bucket": bucket,
            "code": tracks.code[src],
            "x": tracks.pos[src, 0],
            "y": tracks.pos[src, 1],
            "z": tracks.pos[src, 2],
            "alt": tracks.alt[src],
            "m": bulge[src],
            "mz": bulge_z[src],
        }
    )
    g = frame.groupby(["bucket", "code"], sort=True)
    lo = g[["x", "y", "z", "alt"]].min()
    hi = g[["x", "y", "z", "alt"]].max()
    marg = g[["m", "mz"]].max()
    half = 0.5 * cfg.proximity_horizontal_m
    grow = (half + marg["m"]).to_numpy()
    keys = lo.index.to_frame(index=False)
    box_lo = lo[["x", "y", "z"]].to_numpy() - grow[:, None]
    box_hi = hi[["x", "y", "z"]].to_numpy() + grow[:, None]
    alt_lo = lo["alt"].to_numpy() - marg["mz"].to_numpy()
    alt_hi = hi["alt"].to_numpy() + marg["mz"].to_numpy()
    return (
        keys["bucket"].to_numpy(),
        keys["code"].to_numpy(),
        box_lo,
        box_hi,
        alt_lo,
        alt_hi,
    )


def _reference_candidate_pairs(
    tracks: Tracks, cfg: ScanConfig
) -> tuple[IntArray, IntArray, IntArray]:
    """The pandas implementation (groupby boxes, merge on cells) it replaced, as the twin."""
    empty = np.zeros(0, dtype=np.int64)
    if tracks.size == 0:
        return empty, empty, empty
    bk, code, box_lo, box_hi, alt_lo, alt_hi = _reference_boxes(tracks, cfg)
    cell = max(2.0 * cfg.proximity_horizontal_m, 20_000.0)
    c_lo = np.floor(box_lo / cell).astype(np.int64)
    c_hi = np.floor(box_hi / cell).astype(np.int64)
    span = c_hi - c_lo + 1
    count = span.prod(axis=1)
    owner = np.repeat(np.arange(bk.size), count)
    k = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    sx, sy = span[owner, 0], span[owner, 1]
    cx = c_lo[owner, 0] + k % sx
    cy = c_lo[owner, 1] + (k // sx) % sy
    cz = c_lo[owner, 2] + k // (sx * sy)
    off = 1 << 9
    cell_key = (((cx + off) << 20) | ((cy + off) << 10) | (cz + off)).astype(np.int64)
    cells = pd.DataFrame({"bucket": bk[owner], "cell": cell_key, "box": owner})
    pairs = cells.merge(cells, on=["bucket", "cell"], suffixes=("_i", "_j"))
    bi = pairs["box_i"].to_numpy()
    bj = pairs["box_j"].to_numpy()
    keep = code[bi] < code[bj]
    bi, bj = bi[keep], bj[keep]
    n_box = np.int64(bk.size)
    uniq = np.unique(bi.astype(np.int64) * n_box + bj.astype(np.int64))
    bi, bj = uniq // n_box, uniq % n_box
    gap = np.maximum(0.0, np.maximum(box_lo[bi] - box_hi[bj], box_lo[bj] - box_hi[bi]))
    near = np.linalg.norm(gap, axis=1) <= 1.0
    zgap = np.maximum(alt_lo[bi] - alt_hi[bj], alt_lo[bj] - alt_hi[bi])
    near &= zgap < cfg.proximity_vertical_m
    bi, bj = bi[near], bj[near]
    return bk[bi].astype(np.int64), code[bi].astype(np.int64), code[bj].astype(np.int64)


SMALL = ScanConfig(
    horizontal_m=500.0, vertical_m=100.0, proximity_horizontal_m=1000.0, proximity_vertical_m=200.0
)


@pytest.fixture(scope="module")
def states() -> pd.DataFrame:
    return sample(fly(random_plans(200, 1800.0, seed=3), dt=2.0), seed=3, max_dt=9.0)


def _same(tracks: Tracks, cfg: ScanConfig) -> int:
    if tracks.size:
        # the boxes, bit for bit: the cells and filters then see the same numbers
        for g, w in zip(_boxes(tracks, cfg), _reference_boxes(tracks, cfg), strict=True):
            np.testing.assert_array_equal(g, w)
    got = candidate_pairs(tracks, cfg)
    want = _reference_candidate_pairs(tracks, cfg)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == np.int64
        np.testing.assert_array_equal(g, w)
    bk, ci, cj = got
    assert np.all(ci < cj)
    return int(bk.size)


def _wrap(lon: pd.Series) -> pd.Series:
    return (lon + 180.0) % 360.0 - 180.0


@pytest.mark.parametrize("cfg", [ScanConfig(), SMALL], ids=["default", "small"])
def test_generated_traffic(states: pd.DataFrame, cfg: ScanConfig) -> None:
    assert _same(build_tracks(states, cfg), cfg) > 10


@pytest.mark.parametrize("cfg", [ScanConfig(), SMALL], ids=["default", "small"])
def test_antimeridian(states: pd.DataFrame, cfg: ScanConfig) -> None:
    moved = states.assign(lon=_wrap(states["lon"] + 179.5 - 2.5))
    assert (moved["lon"] > 179.0).any() and (moved["lon"] < -179.0).any()
    assert _same(build_tracks(moved, cfg), cfg) > 10


@pytest.mark.parametrize("cfg", [ScanConfig(), SMALL], ids=["default", "small"])
def test_near_pole(states: pd.DataFrame, cfg: ScanConfig) -> None:
    # 2 degrees of latitude around 88.5 N: some flights cross longitudes fast, some pass the pole
    lat = np.minimum(states["lat"] + 40.5, 90.0)
    moved = states.assign(lat=lat)
    assert _same(build_tracks(moved, cfg), cfg) > 10


def test_short_buckets_and_wide_cells(states: pd.DataFrame) -> None:
    # samples spanning several buckets; a proximity range wider than the 20 km cell floor
    for cfg in (
        ScanConfig(bucket_s=4.0),
        ScanConfig(proximity_horizontal_m=30_000.0, bucket_s=600.0),
    ):
        assert _same(build_tracks(states, cfg), cfg) > 10


def test_empty_and_single() -> None:
    cfg = ScanConfig()
    states = sample(fly(random_plans(1, 900.0, seed=1), dt=2.0), seed=1, max_dt=9.0)
    assert _same(build_tracks(states, cfg), cfg) == 0
    assert _same(build_tracks(states.iloc[:0], cfg), cfg) == 0
    assert _same(build_tracks(states.iloc[:1], cfg), cfg) == 0


def test_one_pair_close() -> None:
    """Two flights on one path, a minute apart: candidates in the buckets they share."""
    cfg = ScanConfig()
    states = sample(fly(random_plans(1, 900.0, seed=2), dt=2.0), seed=2, max_dt=9.0)
    other = states.assign(id="zz", t=states["t"] + 60.0)
    both = pd.concat([states, other], ignore_index=True)
    assert _same(build_tracks(both, cfg), cfg) > 5


def test_handmade_tracks_with_gaps() -> None:
    """Segments broken by gaps, samples far apart in time and aircraft stacked in altitude."""
    rng = np.random.default_rng(11)
    n_ac, per = 30, 40
    code = np.repeat(np.arange(n_ac), per).astype(np.int64)
    t = np.sort(rng.uniform(0, 1200, (n_ac, per)), axis=1).ravel()
    seg_next = np.zeros(code.size, dtype=bool)
    seg_next[:-1] = (code[1:] == code[:-1]) & (rng.uniform(size=code.size - 1) < 0.8)
    base = np.array([4_200_000.0, 170_000.0, 4_780_000.0])
    pos = base + rng.normal(0, 15_000, (code.size, 3))
    vel = rng.normal(0, 150, (code.size, 3))
    alt = rng.uniform(0, 3000, code.size)
    vz = rng.normal(0, 5, code.size)
    tracks = Tracks(
        frame=pd.DataFrame(),
        ids=np.array([f"a{k}" for k in range(n_ac)], dtype=object),
        code=code,
        t=t,
        pos=pos,
        vel_out=vel,
        vel_in=vel[::-1].copy(),
        alt=alt,
        alt_baro=alt,
        vz_out=vz,
        vz_in=-vz,
        seg_next=seg_next,
        row=np.arange(code.size, dtype=np.int64),
    )
    for cfg in (ScanConfig(), SMALL, replace(SMALL, bucket_s=7.0)):
        assert _same(tracks, cfg) > 0


def test_sparse_buckets() -> None:
    """Two close pairs thirty days apart: few boxes over many buckets (the sort by bucket)."""
    cfg = ScanConfig()
    states = sample(fly(random_plans(1, 900.0, seed=4), dt=2.0), seed=4, max_dt=9.0)
    later = states.assign(t=states["t"] + 30 * 86_400.0)
    both = pd.concat(
        [
            states,
            states.assign(id="b", t=states["t"] + 20.0),
            later.assign(id="c"),
            later.assign(id="d", t=later["t"] - 20.0),
        ],
        ignore_index=True,
    )
    tracks = build_tracks(both, cfg)
    bk, ci, cj = candidate_pairs(tracks, cfg)
    assert bk.max() - bk.min() > 40_000
    assert set(zip(ci.tolist(), cj.tolist(), strict=True)) == {(0, 1), (2, 3)}
    assert _same(tracks, cfg) > 5


def test_unsorted_tracks_refused(states: pd.DataFrame) -> None:
    tracks = build_tracks(states, ScanConfig())
    back = replace(tracks, code=tracks.code[::-1].copy())
    with pytest.raises(ValueError, match="sorted"):
        candidate_pairs(back, ScanConfig())
