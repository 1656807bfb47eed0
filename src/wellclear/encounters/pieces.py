"""Pieces: the exact geometry of candidate pairs on each interval between merged sample times.

For a pair, the merged sample times of both aircraft cut time into intervals ``[a, b]`` on which
each aircraft follows one cubic Hermite segment. On each interval the separation vector (ECEF, on
the ellipsoid surface) is cubic in ``tau``; its horizontal part (projected off the mean up vector
of the pair, i.e. onto the local tangent plane) has a squared length of degree 6, and so do the
squared vertical and slant distances. Sub-intervals inside a volume and minima are found from
the roots of these polynomials, interval by interval, in compiled code
(:mod:`wellclear.encounters._pairs`); :mod:`wellclear.encounters.poly` holds the same algebra
vectorised in numpy, used here for the few quantities of each piece and by the tests.

An interval is owned by the time bucket of its start ``a`` and computed from the two samples of
each aircraft that bound it only: that is what makes windows, chunks and partitions agree.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.encounters import _pairs, poly
from wellclear.encounters.candidates import candidate_pairs
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.tracks import Tracks
from wellclear.geo import WGS84_E2, enu_basis

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SPAN_KINDS = ("prox", "los", "close", "nmac")


def _state(tracks: Tracks, k: IntArray, q: FloatArray) -> tuple[FloatArray, ...]:
    """Position, velocity, altitude and vertical rate on segment ``k`` at times ``q``."""
    t0 = tracks.t[k]
    h = tracks.t[k + 1] - t0
    tau = (q - t0) / h
    p, v = poly.hermite_eval(
        tracks.pos[k], tracks.vel_out[k], tracks.pos[k + 1], tracks.vel_in[k + 1], h, tau
    )
    z, vz = poly.hermite_eval(
        tracks.alt[k], tracks.vz_out[k], tracks.alt[k + 1], tracks.vz_in[k + 1], h, tau
    )
    return p, v, z, vz


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


def _take(frame: pd.DataFrame, column: str, rows: IntArray) -> npt.NDArray[np.object_]:
    """Values of a (string) column at positional ``rows``, as Python objects; taken before
    converting, so that a long Arrow-backed column is not converted whole."""
    return np.asarray(frame[column].take(rows).to_numpy(dtype=object))


def _latlon(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    lon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
    lat = np.degrees(np.arctan2(p[:, 2], (1.0 - WGS84_E2) * np.hypot(p[:, 0], p[:, 1])))
    return lat, lon


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
    ids = tracks.ids
    sc = s_int[:, 0]
    order = np.lexsort((s_flt[:, 0], cj[sc], ci[sc]))
    sc = sc[order]
    spans = pd.DataFrame(
        {
            "kind": np.asarray(SPAN_KINDS, dtype=object)[s_int[order, 1]],
            "id_i": ids[ci[sc]],
            "id_j": ids[cj[sc]],
            "s": s_flt[order, 0],
            "e": s_flt[order, 1],
        }
    )
    return pieces, spans


def _piece_frame(
    tracks: Tracks, ci: IntArray, cj: IntArray, ki: IntArray, kj: IntArray, flt: FloatArray
) -> pd.DataFrame:
    """The columns of each piece from its interval and minima (``flt``: a, b, hmin2, tau_h,
    smin2, tau_s), recomputed in numpy on the pieces only."""
    a, b = flt[:, 0], flt[:, 1]
    h = b - a
    ta = flt[:, 3]
    pi_a, vi_a, zi_a, vzi_a = _state(tracks, ki, a)
    pi_b, vi_b, zi_b, vzi_b = _state(tracks, ki, b)
    pj_a, vj_a, zj_a, vzj_a = _state(tracks, kj, a)
    pj_b, vj_b, zj_b, vzj_b = _state(tracks, kj, b)
    up = pi_a / np.linalg.norm(pi_a, axis=1)[:, None] + pj_a / np.linalg.norm(pj_a, axis=1)[:, None]
    up[:, 2] /= 1.0 - WGS84_E2  # ellipsoid normal direction from ECEF
    up /= np.linalg.norm(up, axis=1)[:, None]
    ci_c = poly.hermite(pi_a, vi_a, pi_b, vi_b, h)
    cj_c = poly.hermite(pj_a, vj_a, pj_b, vj_b, h)
    d = poly.hermite(pj_a - pi_a, vj_a - vi_a, pj_b - pi_b, vj_b - vi_b, h)
    d_h = d - np.einsum("ndk,nk->nd", d, up)[:, :, None] * up[:, None, :]
    dz = poly.hermite(zj_a - zi_a, vzj_a - vzi_a, zj_b - zi_b, vzj_b - vzi_b, h)
    p_i = poly.polyval(ci_c, ta)
    p_j = poly.polyval(cj_c, ta)
    z_i = poly.polyval(poly.hermite(zi_a, vzi_a, zi_b, vzi_b, h), ta)
    dz_min = poly.polyval(dz, ta)
    dzdot_min = poly.polyval(poly.derivative(dz), ta) / h
    lat_i, lon_i = _latlon(p_i)
    lat_j, lon_j = _latlon(p_j)
    # state at the start of the interval
    dpa = d_h[:, 0]
    dva = vj_a - vi_a
    dva_h = dva - np.einsum("nk,nk->n", dva, up)[:, None] * up
    range_a = np.linalg.norm(dpa, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rdot_a = np.einsum("nk,nk->n", dpa, dva_h) / range_a
    dvz_a = vzj_a - vzi_a
    east, north, _ = enu_basis(*_latlon(pi_a))
    bearing_a = np.degrees(
        np.arctan2(np.einsum("nk,nk->n", dpa, east), np.einsum("nk,nk->n", dpa, north))
    )
    dvh_min = poly.polyval(poly.derivative(d_h), ta) / h[:, None]
    rows_f = tracks.row
    baro = ~np.isnan(tracks.alt_baro)
    alt_baro = baro[ki] & baro[ki + 1] & baro[kj] & baro[kj + 1]
    frame = tracks.frame
    ids = tracks.ids
    toward = np.maximum(range_a, 1e-9)
    return pd.DataFrame(
        {
            "id_i": ids[ci],
            "id_j": ids[cj],
            "party_i": _take(frame, "party", rows_f[ki]),
            "party_j": _take(frame, "party", rows_f[kj]),
            "callsign_i": _take(frame, "callsign", rows_f[ki]),
            "callsign_j": _take(frame, "callsign", rows_f[kj]),
            "a": a,
            "b": b,
            "h_min_m": np.sqrt(np.maximum(flt[:, 2], 0.0)),
            "t_min": a + h * ta,
            "dz_min_m": dz_min,
            "dzdot_min_mps": dzdot_min,
            "slant_min_m": np.sqrt(np.maximum(flt[:, 4], 0.0)),
            "t_slant_min": a + h * flt[:, 5],
            "lat_i": lat_i,
            "lon_i": lon_i,
            "alt_i_m": z_i,
            "lat_j": lat_j,
            "lon_j": lon_j,
            "alt_j_m": z_i + dz_min,
            "range_a_m": range_a,
            "dz_a_m": zj_a - zi_a,
            "range_rate_a_mps": np.nan_to_num(rdot_a),
            "dzdot_a_mps": dvz_a,
            "rel_speed_a_mps": np.sqrt(np.einsum("nk,nk->n", dva, dva) + dvz_a**2),
            "vh_a_mps": np.linalg.norm(dva_h, axis=1),
            "vh_min_mps": np.linalg.norm(dvh_min, axis=1),
            "gs_i_a_mps": np.linalg.norm(vi_a, axis=1),
            "gs_j_a_mps": np.linalg.norm(vj_a, axis=1),
            # direction of j from i (deg from north at i): its turning tells an orbit
            "bearing_a_deg": bearing_a,
            # speed of each aircraft towards the other (the approacher has the larger one)
            "i_toward_mps": np.einsum("nk,nk->n", vi_a, dpa) / toward,
            "j_toward_mps": -np.einsum("nk,nk->n", vj_a, dpa) / toward,
            # j in the rear half of i: behind i's track; and the other way round
            "j_behind_i": np.einsum("nk,nk->n", vi_a, dpa) < 0,
            "i_behind_j": np.einsum("nk,nk->n", vj_a, -dpa) < 0,
            "alt_baro": alt_baro,
            "epu_m": _epu(frame, rows_f[ki], rows_f[ki + 1])
            + _epu(frame, rows_f[kj], rows_f[kj + 1]),
            "row_i0": rows_f[ki],
            "row_i1": rows_f[ki + 1],
            "row_j0": rows_f[kj],
            "row_j1": rows_f[kj + 1],
        }
    )
