"""Separation against time along the interpolated paths the minima come from, as inline SVG.

The scan finds its minima on cubic Hermite paths (:mod:`wellclear.encounters.tracks` builds
them, :mod:`wellclear.encounters._pairs` solves each interval between the merged sample times
of both aircraft): on an interval ``[a, b]`` each aircraft follows one Hermite segment of its
ECEF track, and the horizontal separation is the part of their difference off the pair's
vertical ``up`` taken at ``a``. :func:`separation` evaluates the same paths and the same
``up`` on a dense grid (plus the sample times and the reported time of the minimum), so the
plotted curve never dips below the reported minimum (a chord between samples would cut turns).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.encounters.config import ScanConfig
from wellclear.encounters.tracks import Tracks, build_tracks
from wellclear.geo import WGS84_E2
from wellclear.units import FT_M, NM_M

FloatArray = npt.NDArray[np.float64]

POINTS = 600
"""Grid points of a curve (besides the sample times and the minimum)."""


@dataclass(frozen=True)
class Separation:
    """The separation of a pair along its Hermite paths: times (unix s), horizontal and
    vertical separation (m, 2 minus 1), the sample times of each aircraft on the paths, and
    the positions of both along their paths."""

    t: FloatArray
    h_m: FloatArray
    dz_m: FloatArray
    samples_1: FloatArray
    samples_2: FloatArray
    # positions along both paths at ``t`` (deg, WGS-84): the plan view's tracks
    latlon_1: FloatArray = field(default_factory=lambda: np.zeros((0, 2)))
    latlon_2: FloatArray = field(default_factory=lambda: np.zeros((0, 2)))


def _states(evidence: pd.DataFrame) -> pd.DataFrame:
    """The evidence samples as scan states (flagged samples stay flagged by the cleaning)."""
    t = evidence["t_unix"] if "t_unix" in evidence else evidence["t"]
    return pd.DataFrame(
        {
            "id": evidence["id"].astype(str).to_numpy(),
            "party": evidence["party"].astype(str).to_numpy(),
            "callsign": evidence["callsign"].fillna("").astype(str).to_numpy(),
            "t": pd.to_numeric(t).to_numpy(np.float64),
            "lat": evidence["lat"].to_numpy(np.float64),
            "lon": evidence["lon"].to_numpy(np.float64),
            "alt_m": evidence["alt_m"].to_numpy(np.float64),
            "alt_baro_m": evidence["alt_m"].to_numpy(np.float64),
            "gs_mps": evidence["gs_mps"].to_numpy(np.float64),
            "trk_deg": evidence["trk_deg"].to_numpy(np.float64),
            "vs_mps": evidence["vs_mps"].to_numpy(np.float64),
            "onground": np.zeros(len(evidence), dtype=bool),
        }
    )


def _segment(tr: Tracks, code: int, q: FloatArray) -> npt.NDArray[np.int64]:
    """The Hermite segment of aircraft ``code`` holding each time of ``q`` (-1: none)."""
    idx = np.flatnonzero(tr.code == code)
    if idx.size < 2:
        return np.full(q.size, -1, dtype=np.int64)
    ts = tr.t[idx]
    k = np.searchsorted(ts, q, side="right") - 1
    k = np.where(q == ts[-1], idx.size - 2, k)  # the last sample closes the last segment
    ok = (k >= 0) & (k < idx.size - 1)
    seg = np.where(ok, idx[np.clip(k, 0, idx.size - 1)], -1)
    ok &= tr.seg_next[np.clip(seg, 0, None)]
    return np.where(ok, seg, -1)


def _at(tr: Tracks, k: npt.NDArray[np.int64], q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """ECEF position and altitude on segments ``k`` at ``q`` (the weights of ``_pairs._basis``)."""
    t0 = tr.t[k]
    hh = tr.t[k + 1] - t0
    tau = (q - t0) / hh
    t2 = tau * tau
    t3 = t2 * tau
    w0 = 2.0 * t3 - 3.0 * t2 + 1.0
    w1 = (t3 - 2.0 * t2 + tau) * hh
    w2 = -2.0 * t3 + 3.0 * t2
    w3 = (t3 - t2) * hh
    p = (
        w0[:, None] * tr.pos[k]
        + w1[:, None] * tr.vel_out[k]
        + w2[:, None] * tr.pos[k + 1]
        + w3[:, None] * tr.vel_in[k + 1]
    )
    z = w0 * tr.alt[k] + w1 * tr.vz_out[k] + w2 * tr.alt[k + 1] + w3 * tr.vz_in[k + 1]
    return p, z


def _up(p1: FloatArray, p2: FloatArray) -> FloatArray:
    """The pair's vertical as the scan's kernel takes it (normals of both, ellipsoidal)."""
    up = p1 / np.linalg.norm(p1, axis=1)[:, None] + p2 / np.linalg.norm(p2, axis=1)[:, None]
    up[:, 2] /= 1.0 - WGS84_E2
    return up / np.linalg.norm(up, axis=1)[:, None]


def separation(
    evidence: pd.DataFrame, id_1: str, id_2: str, cfg: ScanConfig, t_min: float | None = None
) -> Separation:
    """The separation of ``id_1`` and ``id_2`` along the Hermite paths built from their
    evidence samples (as the scan builds them), where both paths are defined."""
    tr = build_tracks(_states(evidence), cfg, threads=1)
    names = [str(n) for n in tr.ids]
    if id_1 not in names or id_2 not in names:
        empty = np.zeros(0)
        return Separation(empty, empty, empty, empty, empty)
    c1, c2 = names.index(id_1), names.index(id_2)
    s1, s2 = tr.t[tr.code == c1], tr.t[tr.code == c2]
    lo, hi = max(s1.min(), s2.min()), min(s1.max(), s2.max())
    if not hi > lo:
        empty = np.zeros(0)
        return Separation(empty, empty, empty, s1, s2)
    extra = [s1, s2] + ([np.array([t_min])] if t_min is not None else [])
    q = np.unique(np.concatenate([np.linspace(lo, hi, POINTS), *extra]))
    q = q[(q >= lo) & (q <= hi)]
    k1, k2 = _segment(tr, c1, q), _segment(tr, c2, q)
    ok = (k1 >= 0) & (k2 >= 0)
    q, k1, k2 = q[ok], k1[ok], k2[ok]
    # the interval of each time: it starts at the last sample of either aircraft at or before it
    merged = np.unique(np.concatenate([s1, s2]))
    a = merged[np.clip(np.searchsorted(merged, q, side="right") - 1, 0, None)]
    a = np.where(q == merged[-1], merged[np.searchsorted(merged, q) - 1], a)
    a1, _ = _at(tr, _segment(tr, c1, a), a)
    a2, _ = _at(tr, _segment(tr, c2, a), a)
    up = _up(a1, a2)
    p1, z1 = _at(tr, k1, q)
    p2, z2 = _at(tr, k2, q)
    d = p2 - p1
    h = d - np.sum(d * up, axis=1)[:, None] * up
    return Separation(q, np.linalg.norm(h, axis=1), z2 - z1, s1, s2, _latlon(p1), _latlon(p2))


def _latlon(p: FloatArray) -> FloatArray:
    """Geodetic (lat, lon) in degrees of ECEF points on the ellipsoid surface (the paths')."""
    lat = np.degrees(np.arctan2(p[:, 2], (1.0 - WGS84_E2) * np.hypot(p[:, 0], p[:, 1])))
    return np.column_stack([lat, np.degrees(np.arctan2(p[:, 1], p[:, 0]))])


def _poly(x: FloatArray, y: FloatArray) -> str:
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))


def separation_svg(sep: Separation, t_min: float, h_min_m: float, width: int = 460) -> str:
    """Horizontal separation (NM) and vertical separation (ft) against seconds from the
    minimum: the Hermite curve, the samples of either aircraft marked on it, the minimum."""
    height, left, right, top, bottom = 220, 48, 48, 14, 30
    if sep.t.size < 2:
        return "<p class='note'>No interval where both interpolated paths are defined.</p>"
    x_s = sep.t - t_min
    h_nm = sep.h_m / NM_M
    dz_ft = sep.dz_m / FT_M
    x0, x1 = float(x_s.min()), float(x_s.max())
    y1 = max(float(h_nm.max()), h_min_m / NM_M) * 1.1 or 1.0
    z_lim = max(float(np.abs(dz_ft).max()), 100.0) * 1.1
    w, hgt = width - left - right, height - top - bottom

    def px(x: FloatArray) -> FloatArray:
        return left + (x - x0) / max(x1 - x0, 1e-9) * w

    def py(y: FloatArray) -> FloatArray:
        return top + hgt - y / y1 * hgt

    def pz(z: FloatArray) -> FloatArray:
        return top + hgt / 2 - z / z_lim * hgt / 2

    marks = []
    for cls, s in (("s1", sep.samples_1), ("s2", sep.samples_2)):
        on = s[(s >= sep.t[0]) & (s <= sep.t[-1])]
        hs = np.interp(on, sep.t, h_nm)  # the grid holds every sample time: exact
        marks += [
            f"<circle class='{cls}' cx='{a:.1f}' cy='{b:.1f}' r='2.5'/>"
            for a, b in zip(px(on - t_min), py(hs), strict=True)
        ]
    mx, my = px(np.array([0.0]))[0], py(np.array([h_min_m / NM_M]))[0]
    ticks = np.linspace(x0, x1, 5)
    xt = "".join(
        f"<text x='{px(np.array([v]))[0]:.1f}' y='{height - 12}' text-anchor='middle'>"
        f"{v:.0f}</text>"
        for v in ticks
    )
    yt = "".join(
        f"<text x='{left - 4}' y='{py(np.array([v]))[0] + 4:.1f}' text-anchor='end'>{v:.2f}</text>"
        for v in np.linspace(0, y1, 5)
    )
    zt = "".join(
        f"<text x='{width - right + 4}' y='{pz(np.array([v]))[0] + 4:.1f}'>{v:+.0f}</text>"
        for v in np.linspace(-z_lim, z_lim, 5)
    )
    label = html.escape(f"minimum {h_min_m / NM_M:.3f} NM ({h_min_m:.0f} m)")
    return (
        f"<svg class='curve' viewBox='0 0 {width} {height}' width='{width}' height='{height}' "
        "role='img' aria-label='separation along the interpolated paths'>"
        f"<rect x='{left}' y='{top}' width='{w}' height='{hgt}' class='frame'/>"
        f"<polyline class='dz' points='{_poly(px(x_s), pz(dz_ft))}'/>"
        f"<polyline class='h' points='{_poly(px(x_s), py(h_nm))}'/>{''.join(marks)}"
        f"<circle class='min' cx='{mx:.1f}' cy='{my:.1f}' r='4'/>"
        f"<text x='{mx + 6:.1f}' y='{my - 6:.1f}' class='min'>{label}</text>{xt}{yt}{zt}"
        f"<text x='{left + w / 2}' y='{height - 1}' text-anchor='middle'>s from the minimum"
        "</text>"
        f"<text x='10' y='{top + hgt / 2}' transform='rotate(-90 10 {top + hgt / 2})' "
        "text-anchor='middle'>horizontal NM</text>"
        f"<text x='{width - 6}' y='{top + hgt / 2}' transform='rotate(90 {width - 6} "
        f"{top + hgt / 2})' text-anchor='middle' class='dz'>vertical ft (2 minus 1)</text></svg>"
    )
