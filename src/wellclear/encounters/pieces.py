"""Pieces: the exact geometry of candidate pairs on each interval between merged sample times.

For a pair, the merged sample times of both aircraft cut time into intervals ``[a, b]`` on which
each aircraft follows one cubic Hermite segment. On each interval the separation vector (ECEF, on
the ellipsoid surface) is cubic in ``tau``; its horizontal part (projected off the mean up vector
of the pair, i.e. onto the local tangent plane) has a squared length of degree 6, and so do the
squared vertical and slant distances. Sub-intervals inside a volume and minima are found from
the roots of these polynomials, interval by interval, in compiled code
(:mod:`wellclear.encounters._pairs`); :mod:`wellclear.poly` holds the same algebra
vectorised in numpy, against which the tests hold the kernel.

An interval is owned by the time bucket of its start ``a`` and computed from the two samples of
each aircraft that bound it only: that is what makes windows, chunks and partitions agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.extensions import ExtensionArray

from wellclear.encounters import _pairs, _segments
from wellclear.encounters.candidates import candidate_pairs
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.merge import (
    SPAN_KIND,
    merge_runs,
    min_rows,
    name_hashes,
    pair_hash,
)
from wellclear.encounters.tracks import Tracks
from wellclear.runtime.pool import helper

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# horizontal position accuracy (95 %) by NACp, DO-260B; NACp 0 is unknown
_NACP_EPU_M = np.array(
    [np.nan, 18520.0, 7408.0, 3704.0, 1852.0, 926.0, 555.6, 185.2, 92.6, 30.0, 10.0, 3.0]
)


def _epu(frame: pd.DataFrame, r0: IntArray, r1: IntArray) -> FloatArray:
    """The larger position uncertainty (m) of two samples from their NACp; NaN when unknown."""
    if "nacp" not in frame.columns:
        return np.full(r0.size, np.nan)
    nacp = pd.to_numeric(frame["nacp"], errors="coerce").to_numpy(np.float64)
    idx = np.where(np.isnan(nacp), 0, np.clip(nacp, 0, 11)).astype(np.int64)
    return np.fmax(_NACP_EPU_M[idx[r0]], _NACP_EPU_M[idx[r1]])


def _take(frame: pd.DataFrame, column: str, rows: IntArray) -> ExtensionArray:
    """A string column at positional ``rows``, kept as pandas strings (taken, not converted to
    Python objects and back; a categorical column through its codes)."""
    col = frame[column]
    if isinstance(col.dtype, pd.StringDtype):
        return col.array.take(rows)
    if isinstance(col.dtype, pd.CategoricalDtype) and not col.hasnans:  # read as a dictionary
        names = col.cat.categories.astype(str).to_numpy(dtype=object)
        return _names(names, col.cat.codes.to_numpy()[rows].astype(np.int64))
    return _names(col.to_numpy(dtype=object), rows)


def _names(names: npt.NDArray[np.object_], codes: IntArray) -> ExtensionArray:
    """``names[codes]`` as pandas strings (the few names converted once, then taken)."""
    return pd.array(names, dtype="str").take(codes)


_LATLON = ("lat_i", "lon_i", "lat_j", "lon_j")
# the fewest candidates worth a block of their own (a block costs a task and a concatenation)
MIN_BLOCK = 2000


def _limits(cfg: ScanConfig) -> FloatArray:
    """The nested volumes, widest first, in the order of :data:`SPAN_KINDS`."""
    return np.array(
        [
            [cfg.proximity_horizontal_m, cfg.proximity_vertical_m],
            [cfg.horizontal_m, cfg.vertical_m],
            [cfg.intercept_horizontal_m, cfg.intercept_vertical_m],
            [cfg.nmac_horizontal_m, cfg.nmac_vertical_m],
        ]
    )


@dataclass(frozen=True)
class Found:
    """What :func:`scan_pieces` finds in a window.

    ``groups``: the window groups, proximity spans of a pair merged where closer than the
    merge gap (:func:`~wellclear.encounters.merge.merge_runs`; the sub-intervals of one interval
    between samples count as one span): ``pair`` (hashed key,
    :func:`~wellclear.encounters.merge.pair_hash`), ``start``, ``end``, and their minimum (the
    piece of smallest horizontal distance, ties earliest): ``t_min``, ``id_i, id_j``,
    ``party_i, party_j``, ``callsign_i, callsign_j`` (of the samples that start that piece). A
    window group lies in one encounter, so the minimum of an encounter is one of these.

    ``pieces``: one row per interval with some time inside the proximity range: its window
    group ``wg`` (row of ``groups``, the one holding its minimum), the kernel's columns
    (:data:`wellclear.encounters._pairs.PIECE_FLOATS`: minima over that time, the state at its
    start; the positions at the minimum, ``lat_i, lon_i, lat_j, lon_j``, at each window
    group's minimum only, NaN elsewhere; the slant minimum where it can be the group's), who
    is behind whom, whether both altitudes are barometric and the position accuracy; numbers
    only. ``spans``: the sub-intervals inside each volume (``kind`` in
    :data:`SPAN_KINDS`, categorical), absolute ``s`` and ``e``, and ``wg``.
    """

    groups: pd.DataFrame
    pieces: pd.DataFrame
    spans: pd.DataFrame


def scan_pieces(
    tracks: Tracks,
    cfg: ScanConfig,
    t_lo: float = -np.inf,
    t_hi: float = np.inf,
    threads: int = 2,
) -> Found:
    """Window groups, pieces and spans of every pair whose interval starts in
    ``[t_lo, t_hi)`` (see :class:`Found`).

    Candidates are solved in ``threads`` contiguous blocks at once (the compiled kernel
    releases the GIL); rows are independent and the blocks are joined in order, so the result
    does not depend on it. Pairs are told apart by their aircraft codes within the window and
    by hashed keys across windows; a window where two pairs share a key raises ``ValueError``.
    """
    bk, ci, cj = candidate_pairs(tracks, cfg)
    b0 = np.maximum(bk * cfg.bucket_s, t_lo)
    b1 = np.minimum((bk + 1) * cfg.bucket_s, t_hi)
    ok = b0 < b1
    ci, cj, b0, b1 = ci[ok], cj[ok], b0[ok], b1[ok]
    n_codes = tracks.ids.size
    first = np.searchsorted(tracks.code, np.arange(n_codes), side="left").astype(np.int64)
    last = np.searchsorted(tracks.code, np.arange(n_codes), side="right").astype(np.int64)
    args = (
        tracks.t,
        tracks.pos,
        tracks.vel_out,
        tracks.vel_in,
        tracks.alt,
        tracks.vz_out,
        tracks.vz_in,
        tracks.seg_next,
        first,
        last,
    )
    limits = _limits(cfg)
    blocks = max(1, min(threads, ci.size // MIN_BLOCK))
    cuts = np.linspace(0, ci.size, blocks + 1).astype(np.int64)

    def run(k: int) -> tuple[IntArray, FloatArray, FloatArray, IntArray, FloatArray]:
        sl = slice(int(cuts[k]), int(cuts[k + 1]))
        out = _pairs.solve(*args, ci[sl], cj[sl], b0[sl], b1[sl], limits, cfg.merge_gap_s)
        p_int, p_flt, p_prox, s_int, s_flt, _ = out
        p_int[:, 0] += cuts[k]
        s_int[:, 0] += cuts[k]
        return p_int, p_flt, p_prox, s_int, s_flt

    # blocks after the first on the helper thread, the first on this one
    rest = [helper().submit(run, k) for k in range(1, blocks)]
    parts = [run(0), *(f.result() for f in rest)]
    shift = np.cumsum([0, *(p[0].shape[0] for p in parts[:-1])])
    for part, k in zip(parts, shift, strict=True):
        part[3][:, 2] += k  # the piece of each span, counted over all blocks
    p_int, p_flt, p_prox, s_int, s_flt = (
        c[0] if len(c) == 1 else np.concatenate(c) for c in zip(*parts, strict=True)
    )
    hashes = name_hashes(tracks.ids)
    cand_pair = pair_hash(hashes[ci], hashes[cj])
    _check_keys(ci * n_codes + cj, cand_pair)
    pc = p_int[:, 0]
    pieces = _piece_frame(tracks, p_int[:, 1], p_int[:, 2], p_flt)
    pair = cand_pair[pc]
    # window groups: the time each piece spends in the proximity range, as one span (the
    # sub-intervals of one interval between samples are one group, whatever the gap between
    # them), merged per pair where closer than the merge gap
    sp = s_int[:, 2]
    wg, at, start, end = merge_runs(pair, p_prox[:, 0], p_prox[:, 1], cfg.merge_gap_s)
    groups = pd.DataFrame({"pair": pair[at], "start": start, "end": end})
    pieces.insert(0, "wg", wg)
    sc = s_int[:, 0]
    order = np.lexsort((s_flt[:, 0], cj[sc], ci[sc]))
    spans = pd.DataFrame(
        {
            "wg": wg[sp[order]],
            "kind": pd.Categorical.from_codes(s_int[order, 1], dtype=SPAN_KIND),
            "s": s_flt[order, 0],
            "e": s_flt[order, 1],
        }
    )
    rows = min_rows(pieces, wg)
    groups["t_min"] = pieces["t_min"].to_numpy()[rows]
    ki, kj = p_int[rows, 1], p_int[rows, 2]
    # the positions at the minimum, where they are reported: the minimum of each window group
    at_min = _segments.latlon_at(ki, kj, groups["t_min"].to_numpy(np.float64), *args[:7])
    for k, c in enumerate(_LATLON):
        col = pieces[c].to_numpy(np.float64, copy=True)
        col[rows] = at_min[:, k]
        pieces[c] = col
    groups["id_i"] = _names(tracks.ids, ci[pc[rows]])
    groups["id_j"] = _names(tracks.ids, cj[pc[rows]])
    for c in ("party", "callsign"):
        groups[f"{c}_i"] = _take(tracks.frame, c, tracks.row[ki])
        groups[f"{c}_j"] = _take(tracks.frame, c, tracks.row[kj])
    return Found(groups, pieces, spans)


def _check_keys(codes: IntArray, keys: IntArray) -> None:
    """Raise ``ValueError`` when two pairs of a window (``codes``, exact) share a hashed key."""
    pairs, at = np.unique(codes, return_index=True)
    if np.unique(keys[at]).size != pairs.size:
        raise ValueError("two pairs of aircraft share a hashed pair key")


def _piece_frame(tracks: Tracks, ki: IntArray, kj: IntArray, flt: FloatArray) -> pd.DataFrame:
    """The piece table (:class:`Found`) but ``wg``: the kernel's columns and what the samples
    say (who is behind whom, altitude source, position accuracy)."""
    rows_f = tracks.row
    baro = ~np.isnan(tracks.alt_baro)
    frame = tracks.frame
    pieces = pd.DataFrame(flt, columns=list(_pairs.PIECE_FLOATS), copy=False)
    # j in the rear half of i (behind i's track), and the other way round
    extra = pd.DataFrame(
        {
            "j_behind_i": flt[:, _pairs.PIECE_FLOATS.index("i_toward_mps")] < 0,
            "i_behind_j": flt[:, _pairs.PIECE_FLOATS.index("j_toward_mps")] < 0,
            "alt_baro": baro[ki] & baro[ki + 1] & baro[kj] & baro[kj + 1],
            "epu_m": _epu(frame, rows_f[ki], rows_f[ki + 1])
            + _epu(frame, rows_f[kj], rows_f[kj + 1]),
        }
    )
    return pd.concat([pieces, extra], axis=1)
