"""Candidate pairs from a spatial-temporal grid: near-linear in rows, never all pairs of flights.

Time is cut into buckets of ``bucket_s``; an interval between merged sample times belongs to the
bucket of its start. For each (bucket, aircraft) the box of the end points of its path segments
that overlap the bucket (an interval starting in the bucket lies in such a segment of each
aircraft) is taken in ECEF, grown by the Hermite bulge bound and half the proximity range, and
dropped into cubic cells of an ECEF grid (which has no antimeridian and no poles) of side
``max(2 * proximity_horizontal_m, 20 km)``. Aircraft sharing a cell in a bucket are candidates;
boxes further apart than the proximity range are dropped (horizontally: more than 1 m between the
grown boxes; vertically: altitude bands, grown by the vertical bulge, the vertical range apart).

The work is two compiled passes (:mod:`wellclear.encounters._cells`), linear in the samples, in
the (box, cell) incidences and in the pairs met in a cell, with no comparison sort of either:

1. the rows are sorted by (code, t), so each aircraft is one run whose samples' bucket ranges
   only move forward in time: one pass fills the boxes of every (bucket, aircraft), then a
   radix sort by bucket (stable) puts them in (bucket, code) order;
2. bucket by bucket, the incidences are numbered by cell through a hash table and grouped by
   cell (a counting sort, boxes in order); the boxes of a cell are paired, a pair being tested
   (the exact box and altitude gaps) only in the lowest cell the two boxes share, hence once.

The boxes, cells and filters are the same floating-point expressions as those of the pandas
implementation this replaced (``groupby`` boxes, ``merge`` on cells), so the pairs are exactly the
same; the twin test keeps that implementation as the reference. Rows out of (code, t) order are
refused (``ValueError``); a box with a non-finite bound (no such sample is clean) is in no cell.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wellclear.encounters._cells import bucket_boxes, near_box_pairs
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.tracks import Tracks

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _boxes(
    tracks: Tracks, cfg: ScanConfig
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """``(bucket, code, box_lo, box_hi, alt_lo, alt_hi)`` of every (bucket, aircraft) with
    samples, in (bucket, code) order (see :func:`wellclear.encounters._cells.bucket_boxes`)."""
    f64 = np.float64
    return bucket_boxes(
        np.ascontiguousarray(tracks.t, dtype=f64),
        np.ascontiguousarray(tracks.code, dtype=np.int64),
        np.ascontiguousarray(tracks.seg_next, dtype=np.bool_),
        np.ascontiguousarray(tracks.pos, dtype=f64),
        np.ascontiguousarray(tracks.vel_out, dtype=f64),
        np.ascontiguousarray(tracks.vel_in, dtype=f64),
        np.ascontiguousarray(tracks.alt, dtype=f64),
        np.ascontiguousarray(tracks.vz_out, dtype=f64),
        np.ascontiguousarray(tracks.vz_in, dtype=f64),
        float(cfg.bucket_s),
        0.5 * cfg.proximity_horizontal_m,
    )


def candidate_pairs(tracks: Tracks, cfg: ScanConfig) -> tuple[IntArray, IntArray, IntArray]:
    """Candidate ``(bucket, code_i, code_j)`` with ``code_i < code_j``, sorted and unique."""
    empty = np.zeros(0, dtype=np.int64)
    if tracks.size == 0:
        return empty, empty, empty
    bucket, code, box_lo, box_hi, alt_lo, alt_hi = _boxes(tracks, cfg)
    cell = max(2.0 * cfg.proximity_horizontal_m, 20_000.0)
    bi, bj = near_box_pairs(
        bucket, box_lo, box_hi, alt_lo, alt_hi, cell, float(cfg.proximity_vertical_m)
    )
    # boxes are in (bucket, code) order and bi < bj share a bucket: sorting the box pairs sorts
    # the (bucket, code_i, code_j) triples
    n_box = np.int64(bucket.size)
    key = np.sort(bi * n_box + bj)
    bi, bj = key // n_box, key % n_box
    return bucket[bi], code[bi], code[bj]
