"""Pieces: the exact geometry of candidate pairs on each interval between merged sample times.

For a pair, the merged sample times of both aircraft cut time into intervals ``[a, b]`` on which
each aircraft follows one cubic Hermite segment. On each interval the separation vector (ECEF, on
the ellipsoid surface) is cubic in ``tau``; its horizontal part (projected off the mean up vector
of the pair, i.e. onto the local tangent plane) has a squared length of degree 6, and so do the
squared vertical and slant distances. Sub-intervals inside a volume and minima are found from
the roots of these polynomials, interval by interval, in compiled code
(:mod:`wellclear.encounters._pairs`); :mod:`wellclear.encounters.poly` holds the same algebra
vectorised in numpy, against which the tests hold the kernel.

An interval is owned by the time bucket of its start ``a`` and computed from the two samples of
each aircraft that bound it only: that is what makes windows, chunks and partitions agree.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.extensions import ExtensionArray

from wellclear.encounters import _pairs
from wellclear.encounters.candidates import candidate_pairs
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.merge import name_hashes, pair_hash
from wellclear.encounters.tracks import Tracks

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SPAN_KINDS = ("prox", "los", "close", "nmac")


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
    Python objects and back)."""
    col = frame[column]
    if isinstance(col.dtype, pd.StringDtype):
        return col.array.take(rows)
    return _names(col.to_numpy(dtype=object), rows)


def _names(names: npt.NDArray[np.object_], codes: IntArray) -> ExtensionArray:
    """``names[codes]`` as pandas strings (the few names converted once, then taken)."""
    return pd.array(names, dtype="str").take(codes)


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


def scan_pieces(
    tracks: Tracks,
    cfg: ScanConfig,
    t_lo: float = -np.inf,
    t_hi: float = np.inf,
    threads: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pieces and spans of every pair whose interval starts in ``[t_lo, t_hi)``.

    ``pieces``: one row per interval with some time inside the proximity range, with the minima
    over that time and the state at its start. ``spans``: the sub-intervals inside each volume
    (``kind`` in :data:`SPAN_KINDS`), absolute times. Candidates are solved in ``threads``
    contiguous blocks at once (the compiled kernel releases the GIL); rows are independent and
    the blocks are joined in order, so the result does not depend on it.
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
    blocks = max(1, min(threads, ci.size // 2000))
    cuts = np.linspace(0, ci.size, blocks + 1).astype(np.int64)

    def run(k: int) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
        sl = slice(int(cuts[k]), int(cuts[k + 1]))
        p_int, p_flt, s_int, s_flt, _ = _pairs.solve(*args, ci[sl], cj[sl], b0[sl], b1[sl], limits)
        p_int[:, 0] += cuts[k]
        s_int[:, 0] += cuts[k]
        return p_int, p_flt, s_int, s_flt

    if blocks == 1:
        parts = [run(0)]
    else:
        with ThreadPoolExecutor(blocks) as pool:
            parts = list(pool.map(run, range(blocks)))
    p_int = np.concatenate([p[0] for p in parts])
    p_flt = np.concatenate([p[1] for p in parts])
    s_int = np.concatenate([p[2] for p in parts])
    s_flt = np.concatenate([p[3] for p in parts])
    pieces = _piece_frame(tracks, ci[p_int[:, 0]], cj[p_int[:, 0]], p_int[:, 1], p_int[:, 2], p_flt)
    hashes = name_hashes(tracks.ids)
    pieces.insert(2, "pair", pair_hash(hashes[ci[p_int[:, 0]]], hashes[cj[p_int[:, 0]]]))
    ids = tracks.ids
    sc = s_int[:, 0]
    order = np.lexsort((s_flt[:, 0], cj[sc], ci[sc]))
    sc = sc[order]
    spans = pd.DataFrame(
        {
            "kind": _names(np.asarray(SPAN_KINDS, dtype=object), s_int[order, 1]),
            "id_i": _names(ids, ci[sc]),
            "id_j": _names(ids, cj[sc]),
            "pair": pair_hash(hashes[ci[sc]], hashes[cj[sc]]),
            "s": s_flt[order, 0],
            "e": s_flt[order, 1],
        }
    )
    return pieces, spans


def _piece_frame(
    tracks: Tracks, ci: IntArray, cj: IntArray, ki: IntArray, kj: IntArray, flt: FloatArray
) -> pd.DataFrame:
    """The piece table: ids, parties and callsigns, the kernel's columns
    (:data:`wellclear.encounters._pairs.PIECE_FLOATS`) and what the samples say (altitude
    source, position accuracy, rows of the four bounding samples)."""
    rows_f = tracks.row
    baro = ~np.isnan(tracks.alt_baro)
    frame = tracks.frame
    ids = tracks.ids
    cols: dict[str, object] = {
        "id_i": _names(ids, ci),
        "id_j": _names(ids, cj),
        "party_i": _take(frame, "party", rows_f[ki]),
        "party_j": _take(frame, "party", rows_f[kj]),
        "callsign_i": _take(frame, "callsign", rows_f[ki]),
        "callsign_j": _take(frame, "callsign", rows_f[kj]),
    }
    for k, name in enumerate(_pairs.PIECE_FLOATS):
        cols[name] = flt[:, k]
    # j in the rear half of i (behind i's track), and the other way round
    cols["j_behind_i"] = flt[:, _pairs.PIECE_FLOATS.index("i_toward_mps")] < 0
    cols["i_behind_j"] = flt[:, _pairs.PIECE_FLOATS.index("j_toward_mps")] < 0
    cols["alt_baro"] = baro[ki] & baro[ki + 1] & baro[kj] & baro[kj + 1]
    cols["epu_m"] = _epu(frame, rows_f[ki], rows_f[ki + 1]) + _epu(
        frame, rows_f[kj], rows_f[kj + 1]
    )
    cols["row_i0"] = rows_f[ki]
    cols["row_i1"] = rows_f[ki + 1]
    cols["row_j0"] = rows_f[kj]
    cols["row_j1"] = rows_f[kj + 1]
    return pd.DataFrame(cols)
