"""Compiled loops of :func:`wellclear.encounters.tracks.build_tracks` (numba): the sort by
(aircraft, time), the flags and the arrays of the Hermite paths. The rules are documented in
:mod:`wellclear.encounters.tracks`; these loops only do what it describes, fast.

The input table is never reordered. Each row is first turned into a record of the values the
paths need (:func:`records`, in the rows' own order: the columns stream, and the sines and
cosines are computed by a vectorised polynomial), then the records are read in (aircraft, time)
order (:func:`clean_paths`), two cache lines per row fetched ahead of use, where reading each
input column in that order would miss the cache once per column. Large arrays are allocated by
the caller (NumPy asks the kernel for huge pages, which the scattered reads need).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from wellclear.encounters import plausibility
from wellclear.geo import WGS84_A, WGS84_E2

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
FlagArray = npt.NDArray[np.int8]

# flag codes, the indices of tracks.FLAGS
CLEAN = 0
JUMP = 1
NO_ALTITUDE = 2
ONGROUND = 3


@numba.njit(cache=True, nogil=True)
def bucket_rows(
    code: IntArray,
    t: FloatArray,
    lat: FloatArray,
    lon: FloatArray,
    n_codes: int,
    order: IntArray,
) -> IntArray:
    """Sort the rows with an id (``code >= 0``), a time and a position by (code, t), stable.

    Fills ``order[:m]`` (sorted position -> row) and returns ``start``: aircraft ``c`` owns
    ``order[start[c]:start[c + 1]]``; ``code`` is set to -1 on the rows left out. A counting
    sort by code, then the rows of each aircraft that are not in time order already (rows
    usually arrive in time order) sorted by time.
    """
    n = code.size
    count = np.zeros(n_codes + 1, dtype=np.int64)
    prev = np.full(n_codes, -np.inf)
    unsorted = np.zeros(n_codes, dtype=np.bool_)
    for i in range(n):
        c = code[i]
        if c < 0 or np.isnan(t[i]) or np.isnan(lat[i]) or np.isnan(lon[i]):
            code[i] = -1
            continue
        count[c + 1] += 1
        unsorted[c] |= t[i] < prev[c]
        prev[c] = t[i]
    for c in range(n_codes):
        count[c + 1] += count[c]
    fill = count[:-1].copy()
    for i in range(n):
        c = code[i]
        if c >= 0:
            order[fill[c]] = i
            fill[c] += 1
    for c in range(n_codes):
        if unsorted[c]:
            s, e = count[c], count[c + 1]
            rows = order[s:e].copy()
            key = np.empty(e - s, dtype=np.float64)
            for j in range(e - s):
                key[j] = t[rows[j]]
            idx = np.argsort(key, kind="mergesort")
            for j in range(e - s):
                order[s + j] = rows[idx[j]]
    return count


# sine and cosine: argument reduction by pi/2 in two parts (exact for |x| < 2**20 pi/2) and the
# kernels of fdlibm (k_sin.c, k_cos.c) on [-pi/4, pi/4]; within one unit in the last place of
# the library's, and without a call, so that the loop around them is vectorised
_INV_PIO2 = 6.36619772367581382433e-01
_PIO2_HI = 1.57079632673412561417e00
_PIO2_LO = 6.07710050650619224932e-11
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11
# beyond this (radians) the library is called (the reduction above loses accuracy)
_SINCOS_MAX = 1.0e5
_DEG = np.pi / 180.0  # np.radians multiplies by the same constant


@numba.njit(inline="always")
def _sincos(x: float) -> tuple[float, float]:
    q = np.rint(x * _INV_PIO2)
    r = (x - q * _PIO2_HI) - q * _PIO2_LO
    z = r * r
    s = r + r * z * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))))
    hz = 0.5 * z
    w = 1.0 - hz
    c = w + (
        ((1.0 - w) - hz) + z * z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6)))))
    )
    quadrant = q - 4.0 * np.floor(q * 0.25)
    odd = (quadrant == 1.0) | (quadrant == 3.0)
    sin0 = c if odd else s
    cos0 = s if odd else c
    sin = -sin0 if quadrant >= 2.0 else sin0
    cos = -cos0 if (quadrant == 1.0) | (quadrant == 2.0) else cos0
    return sin, cos


def _prefetch_typer(typingctx, arr, i, j):  # type: ignore[no-untyped-def]
    """Ask for the cache line holding ``arr[i, j]`` (a hint: no fault, no effect on results)."""
    sig = types.void(arr, i, j)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1], args[2]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        # read, high locality, data cache
        builder.call(
            fn,
            [
                builder.bitcast(ptr, i8p),
                ir.Constant(i32, 0),
                ir.Constant(i32, 3),
                ir.Constant(i32, 1),
            ],
        )
        return context.get_dummy_value()

    return sig, codegen


_prefetch: Any = intrinsic(_prefetch_typer)


# columns of a row record (see records); R_SURFACE is 0.0, set to 1.0 afterwards on the rows
# of surface movement (plausibility.surface_rows)
R_T, R_X, R_Y, R_Z, R_VX, R_VY, R_VZ, R_ALT, R_BARO, R_VS, R_GROUND, R_SURFACE = range(12)
RECORD = 12
# rows read ahead of the one copied (prefetched)
_AHEAD = 16


@numba.njit(cache=True, nogil=True)
def records(
    lo: int,
    hi: int,
    t: FloatArray,
    lat: FloatArray,
    lon: FloatArray,
    alt: FloatArray,
    alt_baro: FloatArray,
    ground: BoolArray,
    gs: FloatArray,
    trk: FloatArray,
    vs: FloatArray,
    rec: FloatArray,
) -> None:
    """Rows ``lo:hi`` as records ``rec[i]`` (columns ``R_*``): time, ECEF position on the
    ellipsoid surface and velocity (the formulas of :func:`wellclear.geo.ecef` and
    :func:`~wellclear.geo.velocity_ecef`; NaN where the speed or the track is missing),
    altitudes, vertical rate and the ground flag (1.0 on the ground)."""
    chunk = 512
    sl = np.empty(chunk)
    cl = np.empty(chunk)
    so = np.empty(chunk)
    co = np.empty(chunk)
    st = np.empty(chunk)
    ct = np.empty(chunk)
    nr = np.empty(chunk)
    for c0 in range(lo, hi, chunk):
        c1 = min(c0 + chunk, hi)
        _sincos_deg(lat, c0, c1, sl, cl)
        _sincos_deg(lon, c0, c1, so, co)
        _sincos_deg(trk, c0, c1, st, ct)
        # prime vertical radius of curvature
        for j in range(c1 - c0):
            nr[j] = WGS84_A / np.sqrt(1.0 - WGS84_E2 * sl[j] * sl[j])
        big = False
        for j in range(c1 - c0):
            i = c0 + j
            _put(
                i,
                nr[j],
                sl[j],
                cl[j],
                so[j],
                co[j],
                st[j],
                ct[j],
                t,
                alt,
                alt_baro,
                ground,
                gs,
                vs,
                rec,
            )
            big |= max(np.abs(lat[i]), np.abs(lon[i]), np.abs(trk[i])) * _DEG > _SINCOS_MAX
        if big:  # arguments out of the range of _sincos: the library's sine and cosine
            for i in range(c0, c1):
                if max(np.abs(lat[i]), np.abs(lon[i]), np.abs(trk[i])) * _DEG > _SINCOS_MAX:
                    la = np.radians(lat[i])
                    lo_ = np.radians(lon[i])
                    tr = np.radians(trk[i])
                    s = np.sin(la)
                    r = WGS84_A / np.sqrt(1.0 - WGS84_E2 * s * s)
                    c, so_, co_ = np.cos(la), np.sin(lo_), np.cos(lo_)
                    st_, ct_ = np.sin(tr), np.cos(tr)
                    _put(i, r, s, c, so_, co_, st_, ct_, t, alt, alt_baro, ground, gs, vs, rec)


@numba.njit(inline="always")
def _sincos_deg(x: FloatArray, lo: int, hi: int, sin: FloatArray, cos: FloatArray) -> None:
    """Sine and cosine of ``x[lo:hi]`` (degrees) into ``sin[:hi - lo]``, ``cos`` (vectorised)."""
    for j in range(hi - lo):
        sin[j], cos[j] = _sincos(x[lo + j] * _DEG)


@numba.njit(inline="always")
def _put(
    i: int,
    nr: float,
    sl: float,
    cl: float,
    so: float,
    co: float,
    st: float,
    ct: float,
    t: FloatArray,
    alt: FloatArray,
    alt_baro: FloatArray,
    ground: BoolArray,
    gs: FloatArray,
    vs: FloatArray,
    rec: FloatArray,
) -> None:
    """Record ``i`` from the sines and cosines of latitude, longitude and track and the prime
    vertical radius ``nr``: the formulas of :func:`wellclear.geo.ecef` (height 0) and
    :func:`~wellclear.geo.velocity_ecef` (a missing speed or track gives a NaN velocity)."""
    g = gs[i]
    rec[i, R_T] = t[i]
    rec[i, R_X] = (nr + 0.0) * cl * co
    rec[i, R_Y] = (nr + 0.0) * cl * so
    rec[i, R_Z] = (nr * (1.0 - WGS84_E2) + 0.0) * sl
    rec[i, R_VX] = g * (st * -so + ct * (-sl * co))
    rec[i, R_VY] = g * (st * co + ct * (-sl * so))
    rec[i, R_VZ] = g * (st * 0.0 + ct * cl)
    rec[i, R_ALT] = alt[i]
    rec[i, R_BARO] = alt_baro[i]
    rec[i, R_VS] = vs[i]
    rec[i, R_GROUND] = 1.0 if ground[i] else 0.0
    rec[i, R_SURFACE] = 0.0


@numba.njit(cache=True, nogil=True)
def clean_paths(
    start: IntArray,
    order: IntArray,
    rec: FloatArray,
    max_gap_s: float,
    max_speed_mps: float,
    max_climb_mps: float,
    frozen_tolerance_m: float,
    frozen_min_m: float,
    all_t: FloatArray,
    all_flag: FlagArray,
    code: IntArray,
    row: IntArray,
    t: FloatArray,
    pos: FloatArray,
    vel_out: FloatArray,
    vel_in: FloatArray,
    alt: FloatArray,
    alt_baro: FloatArray,
    vz_out: FloatArray,
    vz_in: FloatArray,
    seg_next: BoolArray,
) -> tuple[IntArray, IntArray, int]:
    """Deduplicate, flag and build the paths, reading the records in (aircraft, time) order.

    ``order`` becomes ``all_row`` in place (repeated (id, t) removed, the first kept), written
    with ``all_t`` and ``all_flag``; the clean samples are written to the other arrays (named as
    in :class:`~.tracks.Tracks`). Returns ``(all_start, aircraft, n)``: aircraft ``c`` owns
    ``all_row[all_start[c]:all_start[c + 1]]``, ``aircraft`` is the code of each aircraft with
    clean samples and ``n`` their number.
    """
    n_codes = start.size - 1
    longest = 0
    for c in range(n_codes):
        longest = max(longest, start[c + 1] - start[c])
    # per aircraft: its airborne samples with an altitude (the candidates of the plausibility
    # stage): their rows in g, their rows in all_row, and what the stage reads of them
    e_r = np.empty(longest, dtype=np.int64)
    e_w = np.empty(longest, dtype=np.int64)
    e_t = np.empty(longest)
    e_x = np.empty(longest)
    e_y = np.empty(longest)
    e_z = np.empty(longest)
    e_alt = np.empty(longest)
    e_pre = np.zeros(longest, dtype=np.int8)
    e_flag = np.zeros(longest, dtype=np.int8)
    e_near = np.zeros(longest + 1, dtype=np.bool_)
    e_bad = np.zeros(longest + 1, dtype=np.bool_)
    all_start = np.zeros(n_codes + 1, dtype=np.int64)
    aircraft = np.empty(n_codes, dtype=np.int64)
    m = 0
    n = 0
    n_air = 0
    g = np.empty((longest, RECORD), dtype=np.float64)
    last = start[n_codes]
    # the chord from the sample before the one whose leaving chord comes next (``p``), and
    # whether those two samples are one segment
    prev_ok = False
    px = 0.0
    py = 0.0
    pz = 0.0
    pv = 0.0
    for c in range(n_codes):
        # copy the aircraft's records first, in a loop of independent loads that the processor
        # overlaps, so that the loop below (dependent, branching) reads them in order
        s0 = start[c]
        for k in range(s0, start[c + 1]):
            if k + _AHEAD < last:
                ahead = order[k + _AHEAD]
                _prefetch(rec, ahead, 0)
                _prefetch(rec, ahead, RECORD - 1)
            r = order[k]
            for j in range(RECORD):
                g[k - s0, j] = rec[r, j]
        all_start[c] = m
        ne = 0
        prev_t = np.nan
        q = -1  # the previous deduplicated sample (row in g)
        for k in range(start[c], start[c + 1]):
            r = order[k]
            rr = k - s0
            tk = g[rr, R_T]
            if k > start[c] and tk == prev_t:
                continue
            prev_t = tk
            w = m
            m += 1
            order[w] = r
            all_t[w] = tk
            pq = q
            q = rr
            if g[rr, R_GROUND] != 0.0:
                all_flag[w] = ONGROUND
                continue
            if np.isnan(g[rr, R_ALT]):
                all_flag[w] = NO_ALTITUDE
                continue
            all_flag[w] = CLEAN
            pre = plausibility.SURFACE if g[rr, R_SURFACE] != 0.0 else 0
            if pq >= 0 and tk - g[pq, R_T] <= max_gap_s:
                dx = g[rr, R_X] - g[pq, R_X]
                dy = g[rr, R_Y] - g[pq, R_Y]
                dz = g[rr, R_Z] - g[pq, R_Z]
                vx = g[rr, R_VX]
                vy = g[rr, R_VY]
                vz = g[rr, R_VZ]
                if plausibility.is_frozen(
                    tk - g[pq, R_T],
                    np.sqrt(dx * dx + dy * dy + dz * dz),
                    np.sqrt(vx * vx + vy * vy + vz * vz),
                    frozen_tolerance_m,
                    frozen_min_m,
                ):
                    pre = plausibility.FROZEN
            e_r[ne] = rr
            e_w[ne] = w
            e_t[ne] = tk
            e_x[ne] = g[rr, R_X]
            e_y[ne] = g[rr, R_Y]
            e_z[ne] = g[rr, R_Z]
            e_alt[ne] = g[rr, R_ALT]
            e_pre[ne] = pre
            ne += 1
        plausibility.flag_candidates(
            ne,
            e_t,
            e_x,
            e_y,
            e_z,
            e_alt,
            e_pre,
            max_gap_s,
            max_speed_mps,
            max_climb_mps,
            e_near,
            e_bad,
            e_flag,
        )
        # the flagged candidates are kept for the evidence only; the chord leaving each clean
        # sample is known when the next one is written (of this aircraft or, for the last one,
        # of the next: not a segment, a chord of no use)
        first = n
        for j in range(ne):
            if e_flag[j] != 0:
                all_flag[e_w[j]] = e_flag[j]
                continue
            r = e_r[j]
            code[n] = n_air
            row[n] = order[e_w[j]]
            t[n] = g[r, R_T]
            pos[n, 0] = g[r, R_X]
            pos[n, 1] = g[r, R_Y]
            pos[n, 2] = g[r, R_Z]
            vel_out[n, 0] = g[r, R_VX]
            vel_out[n, 1] = g[r, R_VY]
            vel_out[n, 2] = g[r, R_VZ]
            alt[n] = g[r, R_ALT]
            alt_baro[n] = g[r, R_BARO]
            vz_out[n] = g[r, R_VS]
            if n > 0:
                i = n - 1
                dt = t[n] - t[i]
                ok = n > first and dt <= max_gap_s
                if ok:
                    # a leg still impossible (a lasting step) is not interpolated across
                    dx = pos[n, 0] - pos[i, 0]
                    dy = pos[n, 1] - pos[i, 1]
                    dz = pos[n, 2] - pos[i, 2]
                    ok = not plausibility.impossible(
                        dt,
                        np.sqrt(dx * dx + dy * dy + dz * dz),
                        alt[n] - alt[i],
                        max_speed_mps,
                        max_climb_mps,
                    )
                if not ok:
                    dt = 1.0
                cx = (pos[n, 0] - pos[i, 0]) / dt
                cy = (pos[n, 1] - pos[i, 1]) / dt
                cz = (pos[n, 2] - pos[i, 2]) / dt
                cv = (alt[n] - alt[i]) / dt
                seg_next[i] = ok
                _finish(i, cx, cy, cz, cv, prev_ok, px, py, pz, pv, vel_out, vel_in, vz_out, vz_in)
                prev_ok = ok
                px = cx
                py = cy
                pz = cz
                pv = cv
            n += 1
        if n > first:
            aircraft[n_air] = c
            n_air += 1
    all_start[n_codes] = m
    if n > 0:
        seg_next[n - 1] = False
        _finish(n - 1, 0.0, 0.0, 0.0, 0.0, prev_ok, px, py, pz, pv, vel_out, vel_in, vz_out, vz_in)
    return all_start, aircraft[:n_air], n


@numba.njit(inline="always")
def _finish(
    i: int,
    cx: float,
    cy: float,
    cz: float,
    cv: float,
    prev_ok: bool,
    px: float,
    py: float,
    pz: float,
    pv: float,
    vel_out: FloatArray,
    vel_in: FloatArray,
    vz_out: FloatArray,
    vz_in: FloatArray,
) -> None:
    """Velocities of clean sample ``i`` where speed, track or vertical rate are missing: the
    chord ``c`` to the next sample leaving it, arriving the chord ``p`` from the previous one
    when that leg is a segment (``prev_ok``), else ``c``."""
    if np.isnan(vel_out[i, 0]):
        vel_out[i, 0] = cx
        vel_out[i, 1] = cy
        vel_out[i, 2] = cz
        if prev_ok:
            vel_in[i, 0] = px
            vel_in[i, 1] = py
            vel_in[i, 2] = pz
        else:
            vel_in[i, 0] = cx
            vel_in[i, 1] = cy
            vel_in[i, 2] = cz
    else:
        vel_in[i, 0] = vel_out[i, 0]
        vel_in[i, 1] = vel_out[i, 1]
        vel_in[i, 2] = vel_out[i, 2]
    if np.isnan(vz_out[i]):
        vz_out[i] = cv
        vz_in[i] = pv if prev_ok else cv
    else:
        vz_in[i] = vz_out[i]
