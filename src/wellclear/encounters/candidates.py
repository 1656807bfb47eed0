"""Candidate pairs from a spatial-temporal grid: near-linear in rows, never all pairs of flights.

Time is cut into buckets of ``bucket_s``; an interval between merged sample times belongs to the
bucket of its start. For each (bucket, aircraft) the box of the end points of its path segments
that overlap the bucket (an interval starting in the bucket lies in such a segment of each
aircraft) is taken in ECEF, grown by the Hermite bulge bound and half the proximity range, and
dropped into cubic cells of an
ECEF grid (which has no antimeridian and no poles). Aircraft sharing a cell in a bucket are
candidates; boxes further apart than the proximity range (horizontally or vertically) are dropped.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.encounters.config import ScanConfig
from wellclear.encounters.tracks import Tracks

IntArray = npt.NDArray[np.int64]

# a Hermite segment stays within 4/27 * h * (|v0| + |v1|) of its chord
_BULGE = 4.0 / 27.0


def candidate_pairs(tracks: Tracks, cfg: ScanConfig) -> tuple[IntArray, IntArray, IntArray]:
    """Candidate ``(bucket, code_i, code_j)`` with ``code_i < code_j``, sorted and unique."""
    n = tracks.size
    empty = np.zeros(0, dtype=np.int64)
    if n == 0:
        return empty, empty, empty
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
    # a sample belongs to every bucket that one of its two segments overlaps
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
    cell = max(2.0 * cfg.proximity_horizontal_m, 20_000.0)
    keys = lo.index.to_frame(index=False)
    box_lo = lo[["x", "y", "z"]].to_numpy() - grow[:, None]
    box_hi = hi[["x", "y", "z"]].to_numpy() + grow[:, None]
    c_lo = np.floor(box_lo / cell).astype(np.int64)
    c_hi = np.floor(box_hi / cell).astype(np.int64)
    span = c_hi - c_lo + 1
    count = span.prod(axis=1)
    owner = np.repeat(np.arange(len(keys)), count)
    k = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    sx, sy = span[owner, 0], span[owner, 1]
    cx = c_lo[owner, 0] + k % sx
    cy = c_lo[owner, 1] + (k // sx) % sy
    cz = c_lo[owner, 2] + k // (sx * sy)
    off = 1 << 9
    cell_key = (((cx + off) << 20) | ((cy + off) << 10) | (cz + off)).astype(np.int64)
    cells = pd.DataFrame(
        {"bucket": keys["bucket"].to_numpy()[owner], "cell": cell_key, "box": owner}
    )
    pairs = cells.merge(cells, on=["bucket", "cell"], suffixes=("_i", "_j"))
    code = keys["code"].to_numpy()
    bi = pairs["box_i"].to_numpy()
    bj = pairs["box_j"].to_numpy()
    keep = code[bi] < code[bj]
    bi, bj = bi[keep], bj[keep]
    # unique box pairs, then the exact box-distance filters
    # (one int64 key per pair: a 1-D unique, same lexicographic order as on the rows)
    n_box = np.int64(len(keys))
    uniq = np.unique(bi.astype(np.int64) * n_box + bj.astype(np.int64))
    bi, bj = uniq // n_box, uniq % n_box
    gap = np.maximum(0.0, np.maximum(box_lo[bi] - box_hi[bj], box_lo[bj] - box_hi[bi]))
    near = np.linalg.norm(gap, axis=1) <= 1.0  # boxes grown by half the range each
    alt_lo = lo["alt"].to_numpy() - marg["mz"].to_numpy()
    alt_hi = hi["alt"].to_numpy() + marg["mz"].to_numpy()
    zgap = np.maximum(alt_lo[bi] - alt_hi[bj], alt_lo[bj] - alt_hi[bi])
    near &= zgap < cfg.proximity_vertical_m
    bi, bj = bi[near], bj[near]
    bk = keys["bucket"].to_numpy()
    return bk[bi].astype(np.int64), code[bi].astype(np.int64), code[bj].astype(np.int64)
