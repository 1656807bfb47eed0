"""Plausibility of recorded surveillance data: the samples the scan must not measure minima on.

Real ADS-B/Mode S archives (OpenSky state vectors, the ``traffic`` library's samples) carry
glitches that would otherwise become the most severe findings. Before the minima, every
deduplicated airborne sample with an altitude of an aircraft is tested, in time order, against
its neighbours; a sample that fails is flagged with its reason, kept in the evidence and not used
for minima (the rules, limits and their reasons are in ``docs/plausibility.md``):

``frozen``
    its position is the previous sample's (within ``frozen_tolerance_m``, at most ``max_gap``
    earlier) while its ground speed says it moved at least ``frozen_min_m``: a stale position
    repeated (the receiver or the archive filled in the last one known). The ``traffic``
    library's consistency filter treats such a sample as not updated, the same way.
``duplicate_transponder``
    one address at two places at once: the sample is an impossible leg away from both
    neighbours, which are consistent with each other, and a neighbour is in the same case
    (the track alternates between two aircraft), all within ``max_gap``.
``jump``
    an altitude or position jump: every leg to its neighbours (within ``max_gap``) needs a
    horizontal speed above ``max_speed_mps`` or a climb above ``max_climb_mps``; or a short run
    of samples with an impossible leg at each end whose outer neighbours, at most ``max_gap``
    apart, are consistent with each other (the run is the glitch: an island).
``surface``
    surface movement not reported as such: ground speed below ``surface_speed_mps`` and altitude
    below an aerodrome's elevation plus ``surface_height_m``, within ``surface_radius_m`` of it
    (the ICAO aerodromes of the ``airportsdata`` package).

A leg between two consecutive clean samples that is still impossible (a lasting altitude step,
where neither side is a short island) is not interpolated across: the path is cut there.

Each flag depends only on samples at most ``max_gap`` away, so that a time window with
:attr:`~wellclear.encounters.config.ScanConfig.overlap_s` of context gives the flags of the whole
data. The per-aircraft loops run inside :func:`wellclear.encounters._tracks.clean_paths` (numba,
on the records it has already gathered); :func:`surface_rows` is a vectorised pre-pass over the
rows. :func:`flagged_at_minimum` tells classification which encounters' minima lie between
clean samples that enclose flagged ones (no NMAC and no airprox A/B rests on them).
"""

from __future__ import annotations

import functools
from typing import cast

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.geo import WGS84_A, WGS84_E2, ecef
from wellclear.units import FT_M

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FlagArray = npt.NDArray[np.int8]

# flag codes of the stage, indices into tracks.FLAGS (0-3: clean, jump, no_altitude, onground)
JUMP = 1
FROZEN = 4
SURFACE = 5
DUPLICATE_TRANSPONDER = 6
PLAUSIBILITY_FLAGS = ("jump", "frozen", "surface", "duplicate_transponder")


@numba.njit(cache=True, nogil=True, inline="always")
def impossible(
    dt: float, dist_m: float, dalt_m: float, max_speed_mps: float, max_climb_mps: float
) -> bool:
    """Whether a leg of ``dt`` seconds covering ``dist_m`` horizontally and ``dalt_m``
    vertically needs a speed above ``max_speed_mps`` or a climb above ``max_climb_mps``."""
    step = max(dt, 1e-3)
    return dist_m / step > max_speed_mps or np.abs(dalt_m) / step > max_climb_mps


@numba.njit(cache=True, nogil=True, inline="always")
def is_frozen(
    dt: float, moved_m: float, speed_mps: float, tolerance_m: float, min_m: float
) -> bool:
    """Whether a sample ``dt`` after the previous one, ``moved_m`` away from it, is a repeated
    position: it did not move while its ``speed_mps`` says it moved at least ``min_m``
    (a missing speed, NaN, never says so)."""
    return moved_m <= tolerance_m and speed_mps * dt >= min_m


@numba.njit(cache=True, nogil=True, inline="always")
def _leg(
    t: FloatArray,
    x: FloatArray,
    y: FloatArray,
    z: FloatArray,
    alt: FloatArray,
    a: int,
    b: int,
    max_speed_mps: float,
    max_climb_mps: float,
) -> bool:
    dx = x[b] - x[a]
    dy = y[b] - y[a]
    dz = z[b] - z[a]
    dist = np.sqrt(dx * dx + dy * dy + dz * dz)
    return impossible(t[b] - t[a], dist, alt[b] - alt[a], max_speed_mps, max_climb_mps)


@numba.njit(cache=True, nogil=True)
def flag_candidates(
    n: int,
    t: FloatArray,
    x: FloatArray,
    y: FloatArray,
    z: FloatArray,
    alt: FloatArray,
    pre: FlagArray,
    max_gap_s: float,
    max_speed_mps: float,
    max_climb_mps: float,
    near: BoolArray,
    bad: BoolArray,
    out: FlagArray,
) -> None:
    """The flags of one aircraft's ``n`` candidates (airborne samples with an altitude, in time
    order: time, ECEF surface position, altitude) into ``out[:n]`` (0: clean).

    ``pre`` holds the flags known from each sample alone or its predecessor (``FROZEN``,
    ``SURFACE`` or 0); ``near`` and ``bad`` (room for ``n + 1``) are scratch: leg ``j`` joins
    candidates ``j - 1`` and ``j``. Precedence: frozen, duplicate_transponder, jump, surface.
    """
    near[0] = False
    bad[0] = False
    for j in range(1, n):
        near[j] = t[j] - t[j - 1] <= max_gap_s
        bad[j] = near[j] and _leg(t, x, y, z, alt, j - 1, j, max_speed_mps, max_climb_mps)
    near[n] = False
    bad[n] = False
    for j in range(n):
        out[j] = 0
    for j in range(n):
        # every leg to a neighbour impossible (a single sample glitch, or one of two aircraft)
        if (bad[j] or not near[j]) and (bad[j + 1] or not near[j + 1]) and (near[j] or near[j + 1]):
            out[j] = JUMP
            if bad[j] and bad[j + 1]:
                across = not _leg(t, x, y, z, alt, j - 1, j + 1, max_speed_mps, max_climb_mps)
                # the neighbour before or after alternates as well, within max_gap
                before = j >= 2 and bad[j - 1] and t[j + 1] - t[j - 2] <= max_gap_s
                after = j + 2 <= n - 1 and bad[j + 2] and t[j + 2] - t[j - 1] <= max_gap_s
                if across and (before or after):
                    out[j] = DUPLICATE_TRANSPONDER
        # an island: candidates j..m between two impossible legs, the outer neighbours
        # consistent with each other and at most max_gap apart
        if bad[j] and j + 1 < n and not bad[j + 1]:
            m = j + 1
            while m < n and t[m] - t[j - 1] <= max_gap_s and near[m] and not bad[m]:
                m += 1
            # now leg m is impossible (island j..m-1) or the run ended otherwise
            if (
                m < n
                and bad[m]
                and t[m] - t[j - 1] <= max_gap_s
                and not _leg(t, x, y, z, alt, j - 1, m, max_speed_mps, max_climb_mps)
            ):
                for k in range(j, m):
                    if out[k] == 0:
                        out[k] = JUMP
    for j in range(n):
        if pre[j] == FROZEN:
            out[j] = FROZEN
        elif out[j] == 0 and pre[j] == SURFACE:
            out[j] = SURFACE


@functools.cache
def aerodromes() -> tuple[FloatArray, FloatArray, FloatArray]:
    """The ICAO aerodromes of ``airportsdata``: latitude (deg, sorted), longitude (deg) and
    elevation (m), read once."""
    import airportsdata

    data = airportsdata.load("ICAO")
    lat = np.array([float(a["lat"]) for a in data.values()])
    lon = np.array([float(a["lon"]) for a in data.values()])
    elev = np.array([float(a["elevation"] or 0.0) * FT_M for a in data.values()])
    order = np.argsort(lat, kind="stable")
    return lat[order], lon[order], elev[order]


@numba.njit(cache=True, nogil=True)
def _near_aerodrome(
    lat: FloatArray,
    lon: FloatArray,
    alt: FloatArray,
    a_lat: FloatArray,
    a_x: FloatArray,
    a_y: FloatArray,
    a_z: FloatArray,
    a_elev: FloatArray,
    radius_m: float,
    height_m: float,
) -> BoolArray:
    """Whether each point is within ``radius_m`` (chord) of an aerodrome (sorted by latitude)
    and below its elevation + ``height_m``: the aerodromes of the latitude band that can be that
    close are tested (the band holds every longitude: poles and antimeridian included)."""
    out = np.zeros(lat.size, dtype=np.bool_)
    band = np.degrees(radius_m / 6.3e6) + 1e-9  # the smallest meridian radius is above 6.33e6 m
    lo_all = np.searchsorted(a_lat, lat - band, side="left")
    hi_all = np.searchsorted(a_lat, lat + band, side="right")
    for i in range(lat.size):
        la = np.radians(lat[i])
        lo = np.radians(lon[i])
        s = np.sin(la)
        r = WGS84_A / np.sqrt(1.0 - WGS84_E2 * s * s)
        px = r * np.cos(la) * np.cos(lo)
        py = r * np.cos(la) * np.sin(lo)
        pz = r * (1.0 - WGS84_E2) * s
        for k in range(lo_all[i], hi_all[i]):
            dx = px - a_x[k]
            dy = py - a_y[k]
            dz = pz - a_z[k]
            if dx * dx + dy * dy + dz * dz <= radius_m * radius_m and alt[i] < a_elev[k] + height_m:
                out[i] = True
                break
    return out


def surface_rows(
    lat: FloatArray,
    lon: FloatArray,
    alt_m: FloatArray,
    gs_mps: FloatArray,
    ground: BoolArray,
    speed_mps: float,
    height_m: float,
    radius_m: float,
) -> IntArray:
    """Rows that are surface movement not reported as such (see the module docstring): not
    reported on the ground, ground speed below ``speed_mps``, and within ``radius_m`` of an
    aerodrome below its elevation + ``height_m``. The aerodromes are read only when some row
    is slow enough."""
    with np.errstate(invalid="ignore"):
        slow = (gs_mps < speed_mps) & ~ground & np.isfinite(alt_m)
    rows = np.flatnonzero(slow)
    if rows.size == 0:
        return rows
    a_lat, a_lon, a_elev = aerodromes()
    p = ecef(a_lat, a_lon)
    hit = _near_aerodrome(
        lat[rows],
        lon[rows],
        alt_m[rows],
        a_lat,
        np.ascontiguousarray(p[:, 0]),
        np.ascontiguousarray(p[:, 1]),
        np.ascontiguousarray(p[:, 2]),
        a_elev,
        float(radius_m),
        float(height_m),
    )
    return rows[hit]


def flagged_at_minimum(
    encounters: pd.DataFrame, evidence: pd.DataFrame, bridge_s: float
) -> list[str]:
    """For each encounter (``wg``, ``t_min``, ``id_i``, ``id_j``), the flagged samples its
    minimum rests on, as text (``""`` when none): the flagged samples of either aircraft
    strictly between that aircraft's last clean sample at or before ``t_min`` and its first
    clean sample at or after it, when those two are more than ``bridge_s`` apart (the path is
    interpolated across them for longer), counted by flag. Where no clean sample is in the
    evidence on a side, every flagged one on that side counts. ``evidence``: the window
    evidence (``wg``, ``id``, ``t``, ``flag``)."""
    n = len(encounters)
    out = [""] * n
    if n == 0 or evidence.empty:
        return out
    wg = encounters["wg"].to_numpy(np.int64)
    ev_wg = evidence["wg"].to_numpy(np.int64)
    rank = np.full(max(int(ev_wg.max()), int(wg.max())) + 1, -1, dtype=np.int64)
    rank[wg] = np.arange(n)
    g = rank[ev_wg]
    use = np.flatnonzero(g >= 0)
    g = g[use]
    flag = evidence["flag"].to_numpy(object)[use]
    flagged = flag != ""
    if not flagged.any():
        return out
    t = evidence["t"].to_numpy(np.float64)[use]
    ids = evidence["id"].to_numpy(object)[use]
    side = (ids != encounters["id_i"].to_numpy(object)[g]).astype(np.int64)
    key = 2 * g + side
    tm = encounters["t_min"].to_numpy(np.float64)[g]
    clean = ~flagged
    lo = np.full(2 * n, -np.inf)
    hi = np.full(2 * n, np.inf)
    before = clean & (t <= tm)
    after = clean & (t >= tm)
    np.maximum.at(lo, key[before], t[before])
    np.minimum.at(hi, key[after], t[after])
    long = hi - lo > bridge_s
    inside = np.flatnonzero(flagged & (t > lo[key]) & (t < hi[key]) & long[key])
    if inside.size == 0:
        return out
    counts = (
        pd.DataFrame({"g": g[inside], "id": ids[inside], "flag": flag[inside]})
        .groupby(["g", "id", "flag"], sort=True)
        .size()
    )
    parts: dict[int, list[str]] = {}
    for key3, c in counts.items():
        gi, name, why = cast(tuple[int, str, str], key3)
        parts.setdefault(int(gi), []).append(f"{name} {why} x{c}")
    for gi, texts in parts.items():
        out[gi] = (
            f"minimum interpolated over more than {bridge_s:g} s across flagged samples ("
            + ", ".join(texts)
            + ")"
        )
    return out


__all__ = [
    "DUPLICATE_TRANSPONDER",
    "FROZEN",
    "JUMP",
    "PLAUSIBILITY_FLAGS",
    "SURFACE",
    "aerodromes",
    "flag_candidates",
    "flagged_at_minimum",
    "impossible",
    "is_frozen",
    "surface_rows",
]
