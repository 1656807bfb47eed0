"""Classification of encounters: multi-label classes, a primary class, the rules that fired.

Classes, by precedence for the primary class (issue 5):

* ``duplicate``: the same aircraft under two ids (co-located and co-moving for a long time):
  reported as such, and then never NMAC or intercept;
* ``nmac``: < 500 ft horizontal and < 100 ft vertical at the same time (standards.md 1.1);
* ``intercept``: aircraft of different parties; the interceptor comes from outside 5 NM and is in
  the target's rear half (behind the target's track: relative bearing 90..270 deg) at some time
  between coming within 5 NM and the end of station keeping (overtaking included), and stays
  within 2 NM / 1000 ft for at least 30 s with at least 75 % of every 40 s window of that stretch
  (standards.md 3, proposed classifier); and, so that a chance pass at a shallow angle does not
  count, it keeps station (median relative speed at most ``intercept_comoving`` of the ground
  speed, as the station-keeping phase of standards.md 3) or goes round the target (the line of
  sight turns by ``intercept_orbit_deg`` or more);
* ``los``: below the scan minima; ``close_approach``: within the proximity range only.

Provisional airprox category (standards.md 7): A for NMAC, B when the geometry entered the TCAS
RA volume (standards.md 1.3), C for any other loss of separation, D when data quality cannot decide
(the minimum interpolated over more than ``max_interpolation_s``, the two altitudes not both
barometric, NACp position accuracy too coarse to tell NMAC, or the minimum interpolated across
samples flagged by the plausibility stage, :mod:`wellclear.encounters.plausibility`: then the
encounter is not an NMAC either, and the rules say why). The RA test is the alerting
package's ``TCAS3D`` detector, applied to the state at the start of each piece and at its
minimum (:func:`tcas_ra`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.alerting import TCAS3D, PairGeometry
from wellclear.encounters.config import ScanConfig
from wellclear.units import FT_M, NM_M

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PRECEDENCE = ("duplicate", "nmac", "intercept", "los", "close_approach")


def tcas_ra(
    alt_m: FloatArray,
    r_m: FloatArray,
    rdot_mps: FloatArray,
    vh_mps: FloatArray,
    dz_m: FloatArray,
    dzdot_mps: FloatArray,
) -> BoolArray:
    """Whether each state is inside the TCAS II RA volume now (standards.md 1.3).

    Uses the alerting package's :class:`~wellclear.alerting.TCAS3D` detector: the lower aircraft
    is the ownship (its altitude gives the sensitivity level), the other one is at horizontal
    range ``r`` with range rate ``rdot`` and horizontal relative speed ``vh``, ``|dz|`` above
    it, closing vertically at ``-dzdot * sign(dz)``.
    """
    n = np.asarray(r_m).size
    sign = np.where(np.asarray(dz_m) < 0, -1.0, 1.0)
    vt = np.sqrt(np.maximum(np.asarray(vh_mps) ** 2 - np.asarray(rdot_mps) ** 2, 0.0))
    so = np.zeros((n, 3))
    so[:, 2] = alt_m
    si = np.stack([r_m, np.zeros(n), alt_m + np.abs(dz_m)], axis=1)
    vi = np.stack([rdot_mps, vt, sign * dzdot_mps], axis=1)
    geo = PairGeometry(so=so, vo=np.zeros((n, 3)), si=si, vi=vi)
    hit: BoolArray = TCAS3D(ra=True).intervals(geo, 0.0, 1.0).conflict_before(1e-3)
    return hit


def station_keeping(
    s: FloatArray, e: FloatArray, cfg: ScanConfig
) -> tuple[float, float, float] | None:
    """First stretch of station keeping in the close spans ``[s, e]`` of one encounter.

    Windows of ``intercept_window_s`` start at every second from the first close entry; a window
    holds when the close time in it is at least ``intercept_fraction`` of it; consecutive holding
    windows form a stretch, which counts when its close time is at least ``intercept_min_s``.
    Returns ``(start, end, close_time)`` or None.
    """
    if s.size == 0:
        return None
    w = cfg.intercept_window_s
    grid = s.min() + np.arange(0.0, e.max() - s.min() + 1.0, 1.0)

    def cover(x: FloatArray) -> FloatArray:
        return np.clip(x[:, None] - s[None, :], 0.0, (e - s)[None, :]).sum(axis=1)

    held = cover(grid + w) - cover(grid) >= cfg.intercept_fraction * w - 1e-9
    k = 0
    while k < grid.size:
        if not held[k]:
            k += 1
            continue
        m = k
        while m + 1 < grid.size and held[m + 1]:
            m += 1
        lo, hi = grid[k], grid[m] + w
        close = float(cover(np.array([hi]))[0] - cover(np.array([lo]))[0])
        if close >= cfg.intercept_min_s - 1e-9:
            return float(lo), float(min(hi, e.max())), close
        k = m + 1
    return None


def _intercept(
    enc: Mapping[Any, Any], pieces: pd.DataFrame, close: pd.DataFrame, cfg: ScanConfig
) -> str | None:
    """The rule text when the encounter is an intercept, else None."""
    if enc["party_i"] == enc["party_j"]:
        return None
    sk = station_keeping(close["s"].to_numpy(), close["e"].to_numpy(), cfg)
    if sk is None:
        return None
    lo, hi, close_s = sk
    # not a chance pass: co-moving (escort, weave) or going round the target (orbit)
    held = pieces[(pieces["a"] >= lo) & (pieces["a"] <= hi)].sort_values("a")
    if held.empty:
        return None
    speed = np.maximum(held["gs_i_a_mps"].to_numpy(), held["gs_j_a_mps"].to_numpy())
    rel = float(np.median(held["vh_a_mps"].to_numpy() / np.maximum(speed, 1.0)))
    turn = np.unwrap(np.radians(held["bearing_a_deg"].to_numpy()))
    circled = float(np.degrees(turn.max() - turn.min()))
    if rel > cfg.intercept_comoving and circled < cfg.intercept_orbit_deg:
        return None
    how = (
        f"co-moving (median relative speed {rel:.0%} of ground speed)"
        if rel <= cfg.intercept_comoving
        else f"going {circled:.0f} deg round the target"
    )
    before = pieces[pieces["a"] <= lo]
    if not (before["range_a_m"] > cfg.intercept_approach_m).any():
        return None
    outside_t = before.loc[before["range_a_m"] > cfg.intercept_approach_m, "a"].min()
    window = pieces[(pieces["a"] >= outside_t) & (pieces["a"] <= hi)]
    window = window[window["range_a_m"] <= cfg.intercept_approach_m]
    if window.empty:
        return None
    # the interceptor is the one that approached: the larger speed towards the other on entry
    entry = window.sort_values("a").iloc[0]
    who = "i" if entry["i_toward_mps"] >= entry["j_toward_mps"] else "j"
    other = "j" if who == "i" else "i"
    behind = window[window[f"{who}_behind_{other}"].astype(bool)]
    if behind.empty:
        return None
    t_rear = float(behind["a"].min())
    return (
        f"intercept: {enc['id_' + who]} from outside {cfg.intercept_approach_m / NM_M:g} NM "
        f"into the rear half of {enc['id_' + other]} (t={t_rear:.0f}), then within "
        f"{cfg.intercept_horizontal_m / NM_M:g} NM/{cfg.intercept_vertical_m / FT_M:g} ft "
        f"for {close_s:.0f} s from t={lo:.0f} to t={hi:.0f}, >= "
        f"{cfg.intercept_fraction:.0%} of every {cfg.intercept_window_s:g} s window, {how}"
    )


def _together_s(pieces: pd.DataFrame, gidx: np.ndarray, n: int, cfg: ScanConfig) -> FloatArray:
    """Per encounter, the time both aircraft were co-located (duplicate test), vectorised."""

    def col(name: str) -> FloatArray:
        return pieces[name].to_numpy(np.float64)

    co = (
        (col("h_min_m") <= cfg.duplicate_horizontal_m)
        & (col("range_a_m") <= cfg.duplicate_horizontal_m)
        & (np.abs(col("dz_a_m")) <= cfg.duplicate_vertical_m)
        & (np.abs(col("dz_min_m")) <= cfg.duplicate_vertical_m)
    )
    dur = col("b") - col("a")
    return np.bincount(gidx[co], weights=dur[co], minlength=n).astype(np.float64)


def _duplicate(enc: Mapping[Any, Any], together: float, cfg: ScanConfig) -> str | None:
    if together < cfg.duplicate_min_s or together < cfg.duplicate_fraction * enc["los_s"]:
        return None
    return (
        f"duplicate: co-located within {cfg.duplicate_horizontal_m:g} m and "
        f"{cfg.duplicate_vertical_m / FT_M:g} ft for {together:.0f} s "
        f"(>= {cfg.duplicate_fraction:.0%} of the time below the minima)"
    )


def _ra_any(pieces: pd.DataFrame, gidx: np.ndarray, n: int, need: BoolArray) -> BoolArray:
    """Per encounter, whether a piece entered the TCAS II RA volume, at its minimum or its start.

    Only the encounters flagged in ``need`` are tested (the others are False); the detector is
    row by row, so all their pieces go through it in one call.
    """
    use = np.flatnonzero(need[gidx])
    gidx = gidx[use]
    if use.size == 0:
        return np.zeros(n, dtype=bool)

    def col(name: str) -> FloatArray:
        return pieces[name].to_numpy(np.float64)[use]

    low = np.minimum(col("alt_i_m"), col("alt_j_m"))
    ra = tcas_ra(
        low,
        col("h_min_m"),
        np.zeros(use.size),
        col("vh_min_mps"),
        col("dz_min_m"),
        col("dzdot_min_mps"),
    ) | tcas_ra(
        low,
        col("range_a_m"),
        col("range_rate_a_mps"),
        col("vh_a_mps"),
        col("dz_a_m"),
        col("dzdot_a_mps"),
    )
    hit: BoolArray = np.bincount(gidx[ra], minlength=n) > 0
    return hit


# the columns of an encounter the rules read
_READ = (
    "id_i",
    "id_j",
    "party_i",
    "party_j",
    "h_min_m",
    "dz_min_m",
    "los_s",
    "los_start",
    "los_end",
    "nmac_s",
    "min_interval_s",
    "alt_baro",
    "position_uncertainty_m",
    "flagged_at_min",
)


class _Row(Mapping[str, Any]):
    """Row ``g`` of a table given as column arrays, read value by value (a whole record per
    encounter would convert every column)."""

    def __init__(self, columns: dict[str, Any], g: int) -> None:
        self._columns = columns
        self._g = g

    def __getitem__(self, key: str) -> Any:
        return self._columns[key][self._g]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def classify(
    encounters: pd.DataFrame,
    pieces: pd.DataFrame,
    spans: pd.DataFrame,
    gidx_pieces: np.ndarray,
    gidx_close: np.ndarray,
    cfg: ScanConfig,
) -> pd.DataFrame:
    """Add ``classes``, ``primary``, ``rules``, ``airprox`` and ``interceptor`` to encounters."""
    close = spans[spans["kind"] == "close"]
    # the pieces of group g, in their order: rows order[bounds[g]:bounds[g + 1]], taken when used
    order = np.argsort(gidx_pieces, kind="stable")
    bounds = np.searchsorted(gidx_pieces[order], np.arange(len(encounters) + 1), side="left")
    by_close = {int(str(k)): v for k, v in close.assign(g=gidx_close).groupby("g")}
    none_c = close.iloc[0:0]
    together = _together_s(pieces, gidx_pieces, len(encounters), cfg)
    # the RA volume grades losses of separation only (airprox B)
    need_ra = (encounters["los_s"] > 0).to_numpy()
    classes: list[str] = []
    primary: list[str] = []
    rules: list[str] = []
    airprox: list[str] = []
    ra_any = _ra_any(pieces, gidx_pieces, len(encounters), need_ra)
    if "flagged_at_min" not in encounters:
        encounters = encounters.assign(flagged_at_min="")
    columns = {c: encounters[c].to_numpy() for c in _READ}
    for g in range(len(encounters)):
        enc = _Row(columns, g)
        found: dict[str, str] = {}
        dup = _duplicate(enc, float(together[g]), cfg)
        if dup:
            found["duplicate"] = dup
        flagged = str(enc["flagged_at_min"] or "")
        if enc["nmac_s"] > 0 and not dup and flagged:
            found["withheld"] = f"nmac withheld: {flagged}"
        elif enc["nmac_s"] > 0 and not dup:
            found["nmac"] = (
                f"nmac: below {cfg.nmac_horizontal_m / FT_M:g} ft horizontal and "
                f"{cfg.nmac_vertical_m / FT_M:g} ft vertical for {enc['nmac_s']:.1f} s; "
                f"min {enc['h_min_m'] / FT_M:.0f} ft with {abs(enc['dz_min_m']) / FT_M:.0f} ft "
                "vertical (altitudes in 25 ft steps)"
            )
        if not dup:
            cl = by_close.get(g, none_c)
            # without close spans there is no station keeping: the pieces are not needed
            if len(cl):
                pc = pieces.iloc[order[bounds[g] : bounds[g + 1]]]
                icp = _intercept(enc, pc, cl, cfg)
                if icp:
                    found["intercept"] = icp
        if enc["los_s"] > 0:
            found["los"] = (
                f"los: below {cfg.horizontal_m / NM_M:g} NM/{cfg.vertical_m / FT_M:g} ft for "
                f"{enc['los_s']:.0f} s between t={enc['los_start']:.0f} and t={enc['los_end']:.0f}"
            )
        else:
            found["close_approach"] = (
                f"close approach: within {cfg.proximity_horizontal_m / NM_M:g} NM/"
                f"{cfg.proximity_vertical_m / FT_M:g} ft, never below the minima; min "
                f"{enc['h_min_m'] / NM_M:.2f} NM"
            )
        labels = [c for c in PRECEDENCE if c in found]
        classes.append(",".join(labels))
        primary.append(labels[0])
        cat = ""
        if enc["los_s"] > 0 and not dup:
            epu = enc["position_uncertainty_m"]
            reasons = []
            if enc["min_interval_s"] > cfg.max_interpolation_s:
                reasons.append(f"minimum interpolated over {enc['min_interval_s']:.0f} s")
            if not enc["alt_baro"]:
                reasons.append("altitudes not both barometric")
            if epu == epu and abs(enc["h_min_m"] - cfg.nmac_horizontal_m) < epu:
                reasons.append(
                    f"position accuracy (NACp) {epu:.0f} m cannot decide NMAC at "
                    f"{enc['h_min_m']:.0f} m"
                )
            if flagged:
                reasons.append(flagged)
            if reasons:
                cat = "D"
                found["airprox"] = "airprox D: " + ", ".join(reasons)
            elif "nmac" in found:
                cat = "A"
            elif bool(ra_any[g]):
                cat = "B"
                found["airprox"] = "airprox B: entered the TCAS II RA volume (standards.md 1.3)"
            else:
                cat = "C"
        airprox.append(cat)
        rules.append("; ".join(found[k] for k in [*labels, "withheld", "airprox"] if k in found))
    added = {"classes": classes, "primary": primary, "airprox": airprox, "rules": rules}
    return pd.concat([encounters, pd.DataFrame(added, index=encounters.index)], axis=1)
