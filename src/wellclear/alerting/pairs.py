"""All-pairs alerting over a states table, step after step.

Every ordered pair (ownship i, intruder j) of the aircraft in a states snapshot (the contract of
:mod:`wellclear.states`) is put in i's tangent frame, as DAIDALUS would with i as ownship, and
given an alert level by the intruder's alerter (column ``alerter`` if present, else alerter 1).
Pairs are pruned first with the candidate search of ``wellclear detect`` (see
:func:`candidate_ordered_pairs` for the cylinder that holds every volume): a pruned pair's raw
level is 0, as DAIDALUS, which never prunes, would compute it.

Hysteresis as DAIDALUS over every pair: each pair of aircraft present together (with a valid
alerter for the intruder) is stepped at every step, pruned or not. Most of those histories are
all zeros; the table keeps only the others (a pair whose history goes quiet is dropped, see
:mod:`~wellclear.alerting.hysteresis`), and :class:`PairAlerter` remembers which aircraft were
present at each of the last 64 steps, so that a dropped pair comes back as a quiet history
stepped at the last step both aircraft were there, exactly as if it had been kept. The state
grows with the pairs that alert, not with the pairs evaluated or the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wellclear.alerting.config import AlertingConfig
from wellclear.alerting.detectors import CD3D, TCAS3D, WCV_TAUMOD, PairGeometry
from wellclear.alerting.geometry import (
    VELOCITY_STEP_S,
    project_points,
    sphere_xyz,
    tangent_frames,
    velocity_from_track,
    velocity_step,
)
from wellclear.alerting.hysteresis import HysteresisTable, State, key_codes, pair_keys
from wellclear.alerting.logic import pair_metrics, raw_levels, taumod_threshold
from wellclear.alerting.sum import WCV_TAUMOD_SUM
from wellclear.detect.candidates import candidate_pairs
from wellclear.detect.conflicts import Traffic
from wellclear.states import common_altitudes
from wellclear.units import FT_M, NM_M

#: Steps of aircraft presence remembered (bits of a uint64 per aircraft).
PRESENCE_STEPS = 64


def _reach(config: AlertingConfig) -> tuple[float, float, float, float]:
    """Largest horizontal and vertical thresholds of any level (m), and the largest horizontal
    and vertical time thresholds (TTHR or TAU, TCOA; s)."""
    h, v, th, tv = 0.0, 0.0, 0.0, 0.0
    for alerter in config.alerters:
        for thr in alerter.levels:
            d = thr.detector
            if isinstance(d, WCV_TAUMOD):
                h, v = max(h, d.DTHR), max(v, d.ZTHR)
                th, tv = max(th, d.TTHR), max(tv, d.TCOA)
            elif isinstance(d, CD3D):
                h, v = max(h, d.D), max(v, d.H)
            elif isinstance(d, TCAS3D):
                h, v = max(h, 1.3 * NM_M), max(v, 1200 * FT_M)
                th, tv = max(th, 48.0), max(tv, 48.0)
    return h, v, th, tv


def alert_horizon_s(config: AlertingConfig) -> float:
    """The latest time (s from now) at which a violation can raise any level: the largest
    alerting or early alerting time, at most the lookahead."""
    times = [
        max(thr.alerting_time_s, thr.early_alerting_time_s)
        for alerter in config.alerters
        for thr in alerter.levels
    ]
    return min(config.lookahead_s, max(times, default=0.0))


def search_cylinder(
    config: AlertingConfig, closing_mps: float, vertical_closing_mps: float
) -> tuple[float, float]:
    """Horizontal and vertical size (m) of the cylinder of :func:`candidate_ordered_pairs` for
    closing speeds up to ``closing_mps`` (sum of the two largest ground speeds) and
    ``vertical_closing_mps`` (of the vertical speeds)."""
    h, v, th, tv = _reach(config)
    grow = 1.01
    if any(isinstance(t.detector, WCV_TAUMOD_SUM) for a in config.alerters for t in a.levels):
        grow = 2.0
    horizontal = grow * (h + th * closing_mps) + 1000.0
    vertical = grow * (v + tv * vertical_closing_mps) + 100.0
    return horizontal, vertical


def candidate_ordered_pairs(
    states: pd.DataFrame, config: AlertingConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Ordered pairs (i, j), i != j, that may alert (conservative).

    The candidate search of ``wellclear detect`` with a cylinder that holds every volume, over
    the alert horizon (:func:`alert_horizon_s`, plus 1 s): a level is raised only by a
    violation that starts before its (early) alerting time. A pair violates a modified-tau
    volume at time t only if its range then is at most ``DTHR + TTHR |v|``
    (``(r^2 - DTHR^2) <= TTHR r |r'|`` and ``|r'| <= |v|``), with ``|v|`` at most the sum of
    the two ground speeds, and its vertical distance at most ``ZTHR + TCOA |vz|``; grown by 1%
    and 1000 m (100 m vertically) for the difference between the search's frame and DAIDALUS's
    tangent plane, and doubled where a detector mitigates sensor uncertainty (which grows the
    volumes by a few standard deviations).
    """
    n = len(states)
    if n < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    gs = states["gs_mps"].to_numpy(float)
    vs = np.abs(states["vs_mps"].to_numpy(float))
    top2 = np.sort(gs)[-2:].sum()
    top2_vs = np.sort(vs)[-2:].sum()
    horizontal, vertical = search_cylinder(config, float(top2), float(top2_vs))
    lookahead = alert_horizon_s(config) + 1.0
    traffic = Traffic.from_states(states)
    alt_lo, alt_hi = traffic.altitude_band(lookahead)
    alt_m = states["alt_m"].to_numpy(float)
    alt_lo = np.where(np.isnan(alt_lo), alt_m, alt_lo)
    alt_hi = np.where(np.isnan(alt_hi), alt_m, alt_hi)
    i, j, _ = candidate_pairs(
        traffic.pos,
        traffic.vel,
        alt_lo,
        alt_hi,
        horizontal_m=horizontal,
        vertical_m=vertical,
        lookahead_s=lookahead,
        baro=traffic.baro,
        geo=traffic.geo,
        vs=traffic.vs,
    )
    return np.concatenate([i, j]), np.concatenate([j, i])


def _window(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times where ``a t^2 + b t + c <= 0`` as one interval (empty: lo > hi), a >= 0."""
    flat = a <= 1e-12 * np.maximum(b * b, 1.0)
    disc = b * b - 4.0 * a * c
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(np.maximum(disc, 0.0))
        lo = (-b - root) / (2.0 * a)
        hi = (-b + root) / (2.0 * a)
        # nearly level: b t + c <= 0
        t_lin = -c / b
    lo_flat = np.where(b > 0, -np.inf, np.where(b < 0, t_lin, np.where(c <= 0, -np.inf, np.inf)))
    hi_flat = np.where(b > 0, t_lin, np.where(b < 0, np.inf, np.where(c <= 0, np.inf, -np.inf)))
    lo = np.where(flat, lo_flat, np.where(disc < 0, np.inf, lo))
    hi = np.where(flat, hi_flat, np.where(disc < 0, -np.inf, hi))
    return lo, hi


def may_alert(geo: PairGeometry, config: AlertingConfig) -> np.ndarray:
    """Pairs that may raise a level within the alert horizon, in DAIDALUS's own frame.

    A necessary condition, checked on the pair's straight relative motion in the ownship's
    tangent plane (the motion every detector sees): within ``[0, H]`` (H the alert horizon plus
    1 s) there is a time at which the range is at most ``DTHR + TTHR |v|`` and the vertical
    distance at most ``ZTHR + TCOA |vz|`` (largest thresholds of any level, :func:`_reach`;
    see :func:`candidate_ordered_pairs`), grown by 1e-6 and 1 m, doubled for sensor
    uncertainty mitigation. The pairs it drops have raw level 0.
    """
    h, v, th, tv = _reach(config)
    grow = 1.0 + 1e-6
    if any(isinstance(t.detector, WCV_TAUMOD_SUM) for a in config.alerters for t in a.levels):
        grow = 2.0
    horizon = alert_horizon_s(config) + 1.0
    s, vel = geo.s, geo.v
    sx, sy, sz = s[:, 0], s[:, 1], s[:, 2]
    vx, vy, vz = vel[:, 0], vel[:, 1], vel[:, 2]
    speed2 = vx * vx + vy * vy
    r_h = grow * (h + th * np.sqrt(speed2)) + 1.0
    r_v = grow * (v + tv * np.abs(vz)) + 1.0
    h_lo, h_hi = _window(speed2, 2.0 * (sx * vx + sy * vy), sx * sx + sy * sy - r_h * r_h)
    v_lo, v_hi = _window(vz * vz, 2.0 * sz * vz, sz * sz - r_v * r_v)
    lo = np.maximum(np.maximum(h_lo, v_lo), 0.0)
    hi = np.minimum(np.minimum(h_hi, v_hi), horizon)
    finite = np.isfinite(s).all(axis=1) & np.isfinite(vel).all(axis=1)
    return np.asarray((lo <= hi + 0.5) | ~finite)


def pair_geometry(states: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> PairGeometry:
    """Geometry of ordered pairs in each ownship's tangent frame (common altitude reference).

    The sphere points, tangent frames and 10 s velocity steps are computed once per aircraft of
    the pairs; each pair is then a few dot products (the same operations as
    :func:`~wellclear.alerting.geometry.project` and ``project_velocity`` per pair)."""
    used, back = np.unique(np.concatenate([i, j]), return_inverse=True)
    i, j = back[: len(i)], back[len(i) :]

    def column(name: str) -> np.ndarray:
        return np.asarray(states[name].to_numpy(np.float64)[used])

    lat = np.radians(column("lat"))
    lon = np.radians(column("lon"))
    vx, vy = velocity_from_track(column("trk_deg"), column("gs_mps"))
    vs = column("vs_mps")
    alt_all = column("alt_m")
    if "alt_baro_m" in states and "alt_geo_m" in states:
        baro, geo_alt = column("alt_baro_m"), column("alt_geo_m")
        alt_i, alt_j, _ = common_altitudes(baro[i], geo_alt[i], baro[j], geo_alt[j])
        alt_i = np.where(np.isnan(alt_i), alt_all[i], alt_i)
        alt_j = np.where(np.isnan(alt_j), alt_all[j], alt_j)
    else:
        alt_i, alt_j = alt_all[i], alt_all[j]
    ymult, zmult = tangent_frames(lat, lon)
    here = sphere_xyz(lat, lon)
    there = sphere_xyz(*velocity_step(lat, lon, vx, vy))
    y_i, z_i = ymult[i], zmult[i]
    so_xy = project_points(y_i, z_i, here[i])
    si_xy = project_points(y_i, z_i, here[j])
    vo_xy = (project_points(y_i, z_i, there[i]) - so_xy) / VELOCITY_STEP_S
    vi_xy = (project_points(y_i, z_i, there[j]) - si_xy) / VELOCITY_STEP_S
    return PairGeometry(
        np.column_stack([so_xy, alt_i]),
        np.column_stack([vo_xy, vs[i]]),
        np.column_stack([si_xy, alt_j]),
        np.column_stack([vi_xy, vs[j]]),
    )


def _lowest_bit(x: np.ndarray) -> np.ndarray:
    """Index of the lowest set bit of each uint64 (-1 where none)."""
    low = x & (~x + np.uint64(1))
    with np.errstate(divide="ignore"):
        bit = np.log2(low.astype(np.float64))
    return np.where(x == 0, -1, bit).astype(np.int64)


@dataclass
class PairAlerter:
    """Alert levels of every pair over time; owns the per-pair hysteresis.

    Not thread-safe: one caller steps it forward in time with :meth:`step`. Its whole state
    (:meth:`get_state`) is the hysteresis table, the aircraft codes and the presence of each
    aircraft at the last :data:`PRESENCE_STEPS` steps. A pair without a stored history whose
    aircraft were not present together at any of those steps starts afresh (reset), which is
    exact as long as those steps span the hysteresis time (steps at most hysteresis_s / 64
    apart: 0.08 s for DO-365's 5 s). Ids of aircraft absent for that many steps and in no
    stored pair are forgotten when they are more than half the code table.
    """

    config: AlertingConfig

    def __post_init__(self) -> None:
        c = self.config
        self.table = HysteresisTable(c.hysteresis_s, c.persistence_s, c.alerting_m, c.alerting_n)
        # per aircraft code, bit b: present (as ownship; as intruder with a valid alerter) at
        # the step b+1 steps ago; the times of those steps, most recent first
        self._own = np.zeros(0, dtype=np.uint64)
        self._intruder = np.zeros(0, dtype=np.uint64)
        self._times = np.empty(0, dtype=np.float64)

    def get_state(self) -> State:
        """The whole state as plain arrays, lists and numbers (no pickle):
        ``b = PairAlerter(config); b.set_state(a.get_state())`` continues exactly as ``a``."""
        n = len(self.table.ids)
        return {
            **self.table.get_state(),
            "present_own": self._own[:n].copy(),
            "present_intruder": self._intruder[:n].copy(),
            "step_times": self._times.copy(),
        }

    def set_state(self, state: Mapping[str, object]) -> None:
        """Replace the state by one from :meth:`get_state` of an alerter with the same config."""
        missing = [k for k in ("present_own", "present_intruder", "step_times") if k not in state]
        if missing:
            raise ValueError(f"alerter state: missing fields {missing}")
        own = np.asarray(state["present_own"], dtype=np.uint64)
        intruder = np.asarray(state["present_intruder"], dtype=np.uint64)
        times = np.asarray(state["step_times"], dtype=np.float64)
        n = len(state["ids"]) if "ids" in state else -1  # type: ignore[arg-type]
        if own.shape != (n,) or intruder.shape != (n,):
            raise ValueError("alerter state: 'present_own'/'present_intruder' are not one per id")
        if times.ndim != 1 or len(times) > PRESENCE_STEPS:
            raise ValueError(f"alerter state: 'step_times' is not at most {PRESENCE_STEPS} times")
        self.table.set_state(state)
        self._own, self._intruder, self._times = own.copy(), intruder.copy(), times.copy()

    def _codes(self, states: pd.DataFrame) -> np.ndarray:
        ids = states["id"].astype(str).to_numpy(object)
        codes = self.table.ids.encode(ids)
        n = len(self.table.ids)
        if n > len(self._own):
            grow = max(n, 2 * len(self._own)) - len(self._own)
            self._own = np.concatenate([self._own, np.zeros(grow, dtype=np.uint64)])
            self._intruder = np.concatenate([self._intruder, np.zeros(grow, dtype=np.uint64)])
        if len(codes) and np.bincount(codes).max() > 1:
            dup = ids[np.bincount(codes)[codes] > 1][0]
            raise ValueError(f"states: aircraft {dup!r} appears more than once in the step")
        return codes

    def _last_together(self, own: np.ndarray, intruder: np.ndarray) -> np.ndarray:
        """Time of the last step with ownship and intruder codes present (NaN: none)."""
        bit = _lowest_bit(self._own[own] & self._intruder[intruder])
        times = np.append(self._times, np.nan)
        return times[np.where(bit < 0, len(self._times), bit)]

    def _remember(self, codes: np.ndarray, valid_intruder: np.ndarray, now: float) -> None:
        self._own <<= np.uint64(1)
        self._intruder <<= np.uint64(1)
        self._own[codes] |= np.uint64(1)
        self._intruder[codes[valid_intruder]] |= np.uint64(1)
        self._times = np.concatenate([[now], self._times])[:PRESENCE_STEPS]
        n = len(self.table.ids)
        if n > 4096:
            a, b = key_codes(self.table.keys)
            used = (self._own[:n] != 0) | (self._intruder[:n] != 0)
            used[a] = True
            used[b] = True
            if 2 * int(used.sum()) < n:  # forget aircraft gone for PRESENCE_STEPS steps
                self.table.recode(self.table.ids.keep(used))
                self._own, self._intruder = self._own[:n][used], self._intruder[:n][used]

    def step(self, states: pd.DataFrame, now: float) -> pd.DataFrame:
        """Levels of all pairs at ``now`` (states already extrapolated to ``now``).

        Returns one row per ordered pair that may alert within the alert horizon (a candidate
        that passes :func:`may_alert`) or has a hysteresis state: ``t``, ``ownship``,
        ``intruder``, ``level``, ``ttv_1``.. (s), ``hmd_m``, ``taumod_s`` (NaN for pruned
        pairs). Pairs neither, present together, are at level 0.
        """
        ids = states["id"].astype(str).to_numpy(object)
        codes = self._codes(states)
        if "alerter" in states:
            alerter_of = states["alerter"].fillna(1).to_numpy(np.int64)
        else:
            alerter_of = np.ones(len(states), dtype=np.int64)
        valid_intruder = (alerter_of >= 1) & (alerter_of <= len(self.config.alerters))
        i, j = candidate_ordered_pairs(states, self.config)
        geo = pair_geometry(states, i, j)
        near = may_alert(geo, self.config)
        i, j, geo = i[near], j[near], geo.subset(near)
        keys = pair_keys(codes[i], codes[j])
        early = self.table.early_alerting_level_keys(keys, now)
        levels = raw_levels(self.config, geo, alerter_of[j], early)
        raw = levels.raw
        valid = raw >= 0
        # the pairs with a state, and those without one that rise (a quiet history stepped
        # when both aircraft were last present together); the others stay at 0
        known = self.table.rows_of(keys) >= 0
        rising = valid & ~known & (raw >= 1)
        step_now = valid & (known | rising)
        out = np.zeros(len(i), dtype=np.int64)
        last_together = np.full(len(i), np.nan)
        last_together[rising] = self._last_together(codes[i[rising]], codes[j[rising]])
        out[step_now] = self.table.update_keys(
            keys[step_now], raw[step_now], now, last_together[step_now]
        )
        metrics = pair_metrics(geo, self.config.lookahead_s, taumod_threshold(self.config))
        frame = pd.DataFrame(
            {"t": now, "ownship": ids[i][valid], "intruder": ids[j][valid], "level": out[valid]}
        )
        for k in range(self.config.max_levels):
            frame[f"ttv_{k + 1}"] = levels.time_to_violation[valid, k]
        frame["hmd_m"] = metrics.hmd[valid]
        frame["taumod_s"] = metrics.taumod[valid]
        # pruned pairs with a state, both aircraft present: raw level 0
        n_codes = len(self.table.ids)
        own_here = np.zeros(n_codes, dtype=bool)
        own_here[codes] = True
        intruder_here = np.zeros(n_codes, dtype=bool)
        intruder_here[codes[valid_intruder]] = True
        stored = self.table.keys
        a, b = key_codes(stored)
        pruned = own_here[a] & intruder_here[b] & ~np.isin(stored, keys)
        if pruned.any():
            lv = self.table.update_keys(stored[pruned], np.zeros(int(pruned.sum())), now)
            names = self.table.ids.names
            extra = pd.DataFrame(
                {"t": now, "ownship": names[a[pruned]], "intruder": names[b[pruned]], "level": lv}
            )
            frame = pd.concat([frame, extra], ignore_index=True)
        self.table.drop_quiet()
        self.table.forget_before(now - max(self.config.hysteresis_s, 0.0) - 1e-9)
        self._remember(codes, valid_intruder, now)
        return frame


def level_events(previous: dict[tuple[str, str], int], frame: pd.DataFrame) -> list[dict]:
    """Lifecycle events between the last levels (updated in place) and a new step's levels."""
    events = []
    now_levels = {
        (o, i): int(lv)
        for o, i, lv in zip(frame["ownship"], frame["intruder"], frame["level"], strict=True)
    }
    t = float(frame["t"].iloc[0]) if len(frame) else float("nan")
    for key in set(previous) | set(now_levels):
        old, new = previous.get(key, 0), now_levels.get(key, 0)
        if old == new:
            continue
        kind = (
            "raised"
            if old == 0
            else "cleared"
            if new == 0
            else "upgraded"
            if new > old
            else "downgraded"
        )
        events.append(
            {"t": t, "ownship": key[0], "intruder": key[1], "event": kind, "from": old, "to": new}
        )
        if new == 0:
            previous.pop(key, None)
        else:
            previous[key] = new
    events.sort(key=lambda e: (e["ownship"], e["intruder"]))
    return events
