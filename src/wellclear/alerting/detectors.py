"""Detectors: when is a pair inside a protection volume, for arrays of pairs.

A detector answers one question: over the lookahead window [B, T] (seconds from now), in which
interval [t_in, t_out] does the pair violate the volume, if straight-line motion continues? Each
is written after its DAIDALUS class, with the same names, so that it can be read side by side:

- :class:`WCV_TAUMOD` (DO-365 well clear: ``WCV_tvar``, ``WCV_TAUMOD``, ``WCV_TCOA``)
- :class:`CD3D` (a cylinder, ``CD3D.java``)
- :class:`TCAS3D` (TCAS II TA/RA volumes with sensitivity levels, after ``TCAS3D.java``)
- :class:`~wellclear.alerting.sum.WCV_TAUMOD_SUM` (DO-365B sensor uncertainty mitigation)

Everything is SI: metres, seconds, m/s. ``s = s_own - s_intruder`` and ``v = v_own - v_intruder``
in the ownship's local frame, as in DAIDALUS.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from wellclear.alerting._num import BoolArray, FloatArray, almost_equals, almost_less, root2b, sign
from wellclear.units import FT_M, NM_M

ENTRY = -1.0
EXIT = 1.0


@dataclass(frozen=True)
class PairGeometry:
    """Ownship and intruder states of N pairs in each ownship's local frame (SI).

    ``so``/``si``: (N, 3) positions, ``vo``/``vi``: (N, 3) velocities. The optional sensor
    uncertainties (DO-365B SUM) are per aircraft of each pair, already reduced as DAIDALUS
    ``SUMData`` reduces them: horizontal position and velocity error radii (m, m/s, from the
    east/north/cross standard deviations) and vertical standard deviations (m, m/s).
    """

    so: FloatArray
    vo: FloatArray
    si: FloatArray
    vi: FloatArray
    s_err_o: FloatArray | None = None
    s_err_i: FloatArray | None = None
    sz_std_o: FloatArray | None = None
    sz_std_i: FloatArray | None = None
    v_err_o: FloatArray | None = None
    v_err_i: FloatArray | None = None
    vz_std_o: FloatArray | None = None
    vz_std_i: FloatArray | None = None

    @property
    def s(self) -> FloatArray:
        """Relative position ownship minus intruder, (N, 3)."""
        return self.so - self.si

    @property
    def v(self) -> FloatArray:
        """Relative velocity ownship minus intruder, (N, 3)."""
        return self.vo - self.vi

    def __len__(self) -> int:
        return int(self.so.shape[0])

    def subset(self, mask: BoolArray) -> PairGeometry:
        """The pairs where ``mask`` holds."""

        def pick(a: FloatArray | None) -> FloatArray | None:
            return None if a is None else a[mask]

        return PairGeometry(
            self.so[mask],
            self.vo[mask],
            self.si[mask],
            self.vi[mask],
            pick(self.s_err_o),
            pick(self.s_err_i),
            pick(self.sz_std_o),
            pick(self.sz_std_i),
            pick(self.v_err_o),
            pick(self.v_err_i),
            pick(self.vz_std_o),
            pick(self.vz_std_i),
        )


@dataclass(frozen=True)
class Intervals:
    """Violation intervals [time_in, time_out] (s from now) of N pairs; empty where in > out."""

    time_in: FloatArray
    time_out: FloatArray

    def conflict(self) -> BoolArray:
        """A violation within the window (DAIDALUS ``LossData.conflict``)."""
        return almost_less(self.time_in, self.time_out)

    def conflict_before(self, t: float | FloatArray) -> BoolArray:
        """The violation starts now or before ``t`` (DAIDALUS ``LossData.conflictBefore``)."""
        starts = (self.time_in == 0) | almost_less(self.time_in, t)
        result: BoolArray = starts & self.conflict()
        return result

    def time_to_violation(self) -> FloatArray:
        """``time_in`` where there is a violation, +inf elsewhere (``LossData.getTimeIn``)."""
        return np.where(self.conflict(), self.time_in, np.inf)


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.asarray(a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1], dtype=np.float64)


def _det(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.asarray(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0], dtype=np.float64)


def _norm(a: FloatArray) -> FloatArray:
    return np.asarray(np.sqrt(_dot(a, a)), dtype=np.float64)


def tcpa(s: FloatArray, v: FloatArray) -> FloatArray:
    """Horizontal time to closest approach -s.v/|v|^2 (0 when |v|^2 = 0, also when it
    underflows for a tiny v); may be negative."""
    sqv = _dot(v, v)
    zero = sqv == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -_dot(s, v) / sqv
    return np.where(zero, 0.0, t)


def dcpa(s: FloatArray, v: FloatArray) -> FloatArray:
    """Horizontal distance at closest approach (unbounded in time)."""
    return _norm(s + tcpa(s, v)[..., None] * v)


def hmd(s: FloatArray, v: FloatArray, T: float) -> FloatArray:
    """Horizontal miss distance within the lookahead T (DAIDALUS ``Horizontal.hmd``)."""
    t = np.where(_dot(s, v) < 0, np.minimum(tcpa(s, v), T), 0.0)
    return _norm(s + t[..., None] * v)


def theta_d(s: FloatArray, v: FloatArray, eps: float, D: float | FloatArray) -> FloatArray:
    """Time of entry (eps=-1) or exit (+1) of the horizontal circle of radius D; NaN if never."""
    return root2b(_dot(v, v), _dot(s, v), _dot(s, s) - np.square(D), eps)


def delta(s: FloatArray, v: FloatArray, D: float | FloatArray) -> FloatArray:
    """D^2|v|^2 - (s x v)^2: >= 0 when the relative track passes within D."""
    return np.asarray(np.square(D) * _dot(v, v) - np.square(_det(s, v)), dtype=np.float64)


def theta_h(sz: FloatArray, vz: FloatArray, eps: float, H: float | FloatArray) -> FloatArray:
    """Time at which the vertical separation crosses +-H (DAIDALUS ``Vertical.Theta_H``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (eps * sign(vz) * H - sz) / vz
    return np.where(vz == 0, np.nan, out)


def taumod(s: FloatArray, v: FloatArray, DTHR: float | FloatArray) -> FloatArray:
    """Modified tau (DTHR^2 - r^2)/(s.v) where closing (s.v < 0), -1 elsewhere."""
    sdotv = _dot(s, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (np.square(DTHR) - _dot(s, s)) / sdotv
    return np.where(sdotv < 0, t, -1.0)


def time_coalt(sz: FloatArray, vz: FloatArray) -> FloatArray:
    """Time to co-altitude -sz/vz (0 when co-altitude, NaN when vz = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -sz / vz
    return np.where(sz == 0, 0.0, np.where(vz == 0, np.nan, t))


def vmd(sz: FloatArray, vz: FloatArray, T: float) -> FloatArray:
    """Vertical miss distance within the lookahead T (DAIDALUS ``Vertical.vmd``)."""
    closing = sz * vz < 0
    tco = time_coalt(sz, vz)
    return np.where(
        closing, np.where(tco <= T, 0.0, np.abs(sz + T * vz)), np.abs(sz)
    )  # fmt: skip


def vertical_wcv_interval(
    ZTHR: float, TCOA: float, B: float, T: float, sz: FloatArray, vz: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Vertical violation interval of |sz| <= ZTHR or 0 <= tcoa <= TCOA (``WCV_TCOA``)."""
    level = almost_equals(vz, 0)
    act_h = np.maximum(ZTHR, np.abs(vz) * TCOA)
    tentry = theta_h(sz, vz, ENTRY, act_h)
    texit = theta_h(sz, vz, EXIT, ZTHR)
    never = (tentry > T) | (texit < B)
    low = np.where(never, T, np.maximum(B, tentry))
    up = np.where(never, B, np.minimum(T, texit))
    inside = np.abs(sz) <= ZTHR
    low = np.where(level, np.where(inside, B, T), low)
    up = np.where(level, np.where(inside, T, B), up)
    return low, up


class Detector(ABC):
    """A protection volume: violation intervals for arrays of pairs."""

    @abstractmethod
    def intervals(self, geo: PairGeometry, B: float, T: float) -> Intervals:
        """Violation intervals of each pair within [B, T]."""


@dataclass(frozen=True)
class WCV_TAUMOD(Detector):  # noqa: N801  (DAIDALUS's name)
    """DO-365 well clear with modified tau (DAIDALUS ``WCV_TAUMOD``), SI thresholds.

    Horizontal violation: r <= DTHR, or (dcpa <= DTHR and 0 <= tau_mod <= TTHR); vertical:
    |dz| <= ZTHR, or 0 <= tcoa <= TCOA; a violation is both at one instant.
    """

    DTHR: float
    ZTHR: float
    TTHR: float
    TCOA: float = 0.0

    def horizontal_wcv(self, s: FloatArray, v: FloatArray) -> BoolArray:
        """Horizontal well-clear violation now (``WCV_tvar.horizontal_WCV``)."""
        tvar = taumod(s, v, self.DTHR)
        tau_ok = (dcpa(s, v) <= self.DTHR) & (tvar >= 0) & (tvar <= self.TTHR)
        result: BoolArray = (_norm(s) <= self.DTHR) | tau_ok
        return result

    def horizontal_interval(
        self, T: FloatArray, s: FloatArray, v: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Horizontal violation interval within [0, T] (``WCV_TAUMOD.horizontal_WCV_interval``)."""
        sqs = _dot(s, s)
        sdotv = _dot(s, v)
        sqD = self.DTHR**2
        a = _dot(v, v)
        b = 2 * sdotv + self.TTHR * a
        c = sqs + self.TTHR * sdotv - sqD
        exit_t = np.minimum(T, theta_d(s, v, EXIT, self.DTHR))
        inside = sqs <= sqD
        still = almost_equals(a, 0) & inside
        discr = b * b - 4 * a * c
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (-b - np.sqrt(np.maximum(discr, 0.0))) / (2 * a)
        hit = (sdotv < 0) & (discr >= 0) & (delta(s, v, self.DTHR) >= 0) & (t <= T)
        t_in = np.where(still | inside, 0.0, np.where(hit, np.maximum(0.0, t), T))
        t_out = np.where(still, T, np.where(inside | hit, exit_t, 0.0))
        return np.asarray(t_in, dtype=np.float64), np.asarray(t_out, dtype=np.float64)

    def intervals(self, geo: PairGeometry, B: float, T: float) -> Intervals:
        """Violation intervals within [B, T] (``WCV_tvar.WCV_interval``)."""
        s, v = geo.s, geo.v
        low, up = vertical_wcv_interval(self.ZTHR, self.TCOA, B, T, s[:, 2], v[:, 2])
        s2, v2 = s[:, :2], v[:, :2]
        step = s2 + np.where(np.isfinite(low), low, 0.0)[:, None] * v2
        point = almost_equals(low, up)
        h_in, h_out = self.horizontal_interval(up - low, step, v2)
        hit_point = self.horizontal_wcv(step, v2)
        time_in = np.where(point, np.where(hit_point, low, T), h_in + low)
        time_out = np.where(point, np.where(hit_point, up, B), h_out + low)
        empty = low > up
        return Intervals(np.where(empty, T, time_in), np.where(empty, B, time_out))


@dataclass(frozen=True)
class CD3D(Detector):
    """A cylinder of radius D and half-height H (DAIDALUS ``CD3D``); strict inequalities."""

    D: float
    H: float

    def intervals(self, geo: PairGeometry, B: float, T: float) -> Intervals:
        """Violation intervals within [B, T] (``CD3D.detection``)."""
        s, vo, vi = geo.s, geo.vo, geo.vi
        s2, v2 = s[:, :2], (vo - vi)[:, :2]
        vz = vo[:, 2] - vi[:, 2]
        same_h = almost_equals(vo[:, 0], vi[:, 0]) & almost_equals(vo[:, 1], vi[:, 1])
        sqs, sqD = _dot(s2, s2), self.D**2
        h_los = ~almost_equals(sqs, sqD) & (sqs < sqD)
        abz = np.abs(s[:, 2])
        v_los = ~almost_equals(abz, self.H) & (abz < self.H)
        level = almost_equals(vo[:, 2], vi[:, 2])
        th_in = theta_h(s[:, 2], vz, ENTRY, self.H)
        th_out = theta_h(s[:, 2], vz, EXIT, self.H)
        td1 = theta_d(s2, v2, ENTRY, self.D)
        td2 = theta_d(s2, v2, EXIT, self.D)
        crosses = delta(s2, v2, self.D) > 0
        none_in, none_out = np.full(len(geo), T + 1.0), np.full(len(geo), float(B))

        def clip(tin: FloatArray, tout: FloatArray) -> tuple[FloatArray, FloatArray]:
            return np.minimum(np.maximum(tin, B), T), np.maximum(np.minimum(tout, T), B)

        # parallel horizontal motion inside the circle
        p_in, p_out = clip(th_in, th_out)
        par_in = np.where(level, np.where(v_los, B, none_in), p_in)
        par_out = np.where(level, np.where(v_los, T, none_out), p_out)
        # crossing the circle
        c_in, c_out = clip(np.maximum(td1, th_in), np.minimum(td2, th_out))
        l_in, l_out = clip(td1, td2)
        cr_in = np.where(level, np.where(v_los, l_in, none_in), c_in)
        cr_out = np.where(level, np.where(v_los, l_out, none_out), c_out)
        parallel = same_h & h_los
        t_in = np.where(parallel, par_in, np.where(crosses, cr_in, none_in))
        t_out = np.where(parallel, par_out, np.where(crosses, cr_out, none_out))
        if not (B >= 0 and B < T):
            t_in, t_out = none_in, none_out
        return Intervals(t_in, t_out)


# TCAS II v7.1 sensitivity levels (DAIDALUS TCASTable; standards.md section 1.3). Index = SL.
TCAS_SL_UPPER_FT: tuple[float, ...] = (0, 1000, 2350, 5000, 10000, 20000, 42000)
TCAS_TA_TAU_S = (0, 20, 25, 30, 40, 45, 48, 48)
TCAS_RA_TAU_S = (0, 0, 15, 20, 25, 30, 35, 35)
TCAS_TA_DMOD_NM = (0, 0.30, 0.33, 0.48, 0.75, 1.0, 1.3, 1.3)
TCAS_RA_DMOD_NM = (0, 0, 0.2, 0.35, 0.55, 0.8, 1.1, 1.1)
TCAS_TA_ZTHR_FT = (0, 850, 850, 850, 850, 850, 850, 1200)
TCAS_RA_ZTHR_FT = (0, 0, 600, 600, 600, 600, 700, 800)
TCAS_RA_HMD_FT = (0, 0, 1215, 2126, 3342, 4861, 6683, 6683)


def tcas_sensitivity_level(alt_m: FloatArray) -> np.ndarray:
    """Sensitivity level 1..8 (as index 0..7) of an ownship altitude (MSL, m), DAIDALUS table."""
    bounds = np.asarray(TCAS_SL_UPPER_FT) * FT_M
    return np.searchsorted(bounds, alt_m, side="left")


@dataclass(frozen=True)
class TCAS3D(Detector):
    """TCAS II TA (``ra=False``) or RA volume, sensitivity level from the ownship's altitude.

    Horizontal: range <= DMOD, or closing with tau_mod <= TAU; for the RA also the HMD filter
    (distance at closest approach <= HMD). Vertical: |dz| <= ZTHR or 0 <= tcoa <= TCOA (= TAU).
    The level is the one of the ownship's altitude now, held over the lookahead (DAIDALUS
    switches level where a climbing ownship crosses a band boundary; wellclear does not).
    Levels without an RA (SL 1, 2) never violate the RA volume; SL 1 has no TA either.
    """

    ra: bool = True

    def _table(self, sl: np.ndarray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        if self.ra:
            tau, dmod = np.asarray(TCAS_RA_TAU_S, float), np.asarray(TCAS_RA_DMOD_NM) * NM_M
            zthr, hmd_ = np.asarray(TCAS_RA_ZTHR_FT) * FT_M, np.asarray(TCAS_RA_HMD_FT) * FT_M
        else:
            tau, dmod = np.asarray(TCAS_TA_TAU_S, float), np.asarray(TCAS_TA_DMOD_NM) * NM_M
            zthr = np.asarray(TCAS_TA_ZTHR_FT) * FT_M
            hmd_ = np.full(8, np.inf)
        return tau[sl], dmod[sl], zthr[sl], hmd_[sl]

    def intervals(self, geo: PairGeometry, B: float, T: float) -> Intervals:
        """Violation intervals within [B, T]."""
        n = len(geo)
        sl = tcas_sensitivity_level(geo.so[:, 2])
        tau, dmod, zthr, hmd_ = self._table(sl)
        time_in, time_out = np.full(n, float(T)), np.full(n, float(B))
        for level in np.unique(sl):
            m = sl == level
            if dmod[m][0] <= 0:
                continue
            sub = geo.subset(m)
            s, v = sub.s, sub.v
            low, up = vertical_wcv_interval(zthr[m][0], tau[m][0], B, T, s[:, 2], v[:, 2])
            s2, v2 = s[:, :2], v[:, :2]
            h_in, h_out = _tcas_horizontal(s2, v2, dmod[m][0], tau[m][0], hmd_[m][0], B, T)
            t_in = np.maximum(low, h_in)
            t_out = np.minimum(up, h_out)
            ok = (low <= up) & (h_in <= h_out) & (t_in <= t_out)
            time_in[m] = np.where(ok, t_in, T)
            time_out[m] = np.where(ok, t_out, B)
        return Intervals(time_in, time_out)


def _tcas_horizontal(
    s: FloatArray, v: FloatArray, D: float, tau: float, hmd_: float, B: float, T: float
) -> tuple[FloatArray, FloatArray]:
    """Times in [B, T] where range <= D or (closing and tau_mod <= tau), with the HMD filter."""
    a = _dot(v, v)
    sdotv = _dot(s, v)
    sqs = _dot(s, s)
    # |s+tv|^2 + tau (s+tv).v - D^2 <= 0  <=>  closing and tau_mod <= tau, or range <= D
    b = 2 * sdotv + tau * a
    c = sqs + tau * sdotv - D * D
    discr = b * b - 4 * a * c
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (-b - np.sqrt(np.maximum(discr, 0.0))) / (2 * a)
        t2 = (-b + np.sqrt(np.maximum(discr, 0.0))) / (2 * a)
    t_cpa = tcpa(s, v)
    d_exit = theta_d(s, v, EXIT, D)
    crosses_d = delta(s, v, D) >= 0
    moving = a > 0
    tau_in = np.where(moving & (discr >= 0), t1, np.inf)
    tau_out = np.where(crosses_d, d_exit, np.minimum(t2, t_cpa))
    tau_out = np.where(moving & (discr >= 0), tau_out, -np.inf)
    still_inside = ~moving & (sqs <= D * D)
    t_in = np.where(still_inside, B, np.maximum(tau_in, B))
    t_out = np.where(still_inside, T, np.minimum(tau_out, T))
    passes_hmd = ~moving | (dcpa(s, v) <= hmd_) | (sqs <= D * D)
    t_in = np.where(passes_hmd, t_in, T)
    t_out = np.where(passes_hmd, t_out, B)
    return np.asarray(t_in, dtype=np.float64), np.asarray(t_out, dtype=np.float64)
