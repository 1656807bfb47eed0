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
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from wellclear.alerting._num import (
    BoolArray,
    FloatArray,
    almost_equals,
    almost_less,
    root,
    root2b,
    sign,
)
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


# TCAS II v7.1 sensitivity levels and thresholds of RTCA DO-185B (TCAS II MOPS), as DAIDALUS's
# TCASTable and Configurations/TCAS3D.conf hold them. Index = SL - 1.
TCAS_SL_UPPER_FT: tuple[float, ...] = (0, 1000, 2350, 5000, 10000, 20000, 42000)
TCAS_TA_TAU_S = (0, 20, 25, 30, 40, 45, 48, 48)
TCAS_RA_TAU_S = (0, 0, 15, 20, 25, 30, 35, 35)
TCAS_TA_DMOD_NM = (0, 0.30, 0.33, 0.48, 0.75, 1.0, 1.3, 1.3)
TCAS_RA_DMOD_NM = (0, 0, 0.2, 0.35, 0.55, 0.8, 1.1, 1.1)
TCAS_TA_ZTHR_FT = (0, 850, 850, 850, 850, 850, 850, 1200)
TCAS_RA_ZTHR_FT = (0, 0, 600, 600, 600, 600, 700, 800)
TCAS_RA_HMD_FT = (0, 0, 1215, 2126, 3342, 4861, 6683, 6683)

IntArray = npt.NDArray[np.intp]


def tcas_sensitivity_level(alt_m: FloatArray) -> IntArray:
    """Sensitivity level 1..8 (as index 0..7) of an ownship altitude (m): the first level whose
    upper bound is at or above it (DAIDALUS ``TCASTable.getSensitivityLevel``: bounds closed
    above, so 1000 ft is SL 2 and 1000.1 ft SL 3)."""
    bounds = np.asarray(TCAS_SL_UPPER_FT) * FT_M
    return np.searchsorted(bounds, alt_m, side="left")


def _level_bounds_m() -> tuple[FloatArray, FloatArray]:
    """Lower (open) and upper (closed) altitude bound of each level, index = SL - 1
    (``getLevelAltitudeLowerBound``, ``getLevelAltitudeUpperBound``): SL 1 and 2 both start at
    0 ft, SL 8 has no upper bound."""
    upper = np.append(np.asarray(TCAS_SL_UPPER_FT, float) * FT_M, np.inf)
    lower = np.concatenate([[0.0], upper[:-1]])
    return lower, upper


@dataclass(frozen=True)
class _Table:
    """Thresholds of N pairs at their sensitivity levels (SI)."""

    TAU: FloatArray
    TCOA: FloatArray
    DMOD: FloatArray
    ZTHR: FloatArray
    HMD: FloatArray


@dataclass(frozen=True)
class TCAS3D(Detector):
    """TCAS II TA (``ra=False``) or RA volume, the sensitivity level following the ownship's
    altitude along the lookahead (DAIDALUS ``TCAS3D.RA3D``).

    Thresholds per sensitivity level (SL) are the TCAS II v7.1 tables of RTCA DO-185B (TCAS II
    MOPS), as DAIDALUS's ``TCASTable`` gives them: the SL is chosen from the ownship's altitude
    (the file's or report's altitude, not a height above ground: SL 2 up to 1000 ft, SL 3 up
    to 2350 ft, SL 4 to 5000 ft, SL 5 to 10,000 ft, SL 6 to 20,000 ft, SL 7 to 42,000 ft, SL 8
    above; each upper bound belongs to its level). As DAIDALUS does, a level ownship, or one
    whose altitudes at B and T fall in one level, is tested with that level over [B, T];
    otherwise [B, T] is cut where the straight-line ownship altitude crosses a level bound, each
    piece is tested with its own level, and the violation interval is the hull of the pieces'
    intervals (first entry to last exit).

    On one piece (``TCAS3D.RA3D_interval``): vertical |dz| <= ZTHR or 0 <= tcoa <= TCOA (TCOA =
    TAU); horizontal (``TCAS2D.RA2D_interval``) range <= DMOD, or closing with
    tau_mod = (DMOD^2 - r^2)/(s.v) <= TAU; for the RA the HMD filter: the relative track passes
    within HMD after the piece starts, and where HMD < DMOD the violation ends when the range
    leaves HMD. SL 1 has no TA and SL 1-2 no RA (their thresholds are zero).
    """

    ra: bool = True

    def table(self, sl: IntArray) -> _Table:
        """Thresholds at sensitivity levels ``sl`` (index = SL - 1)."""
        tau = np.asarray(TCAS_RA_TAU_S if self.ra else TCAS_TA_TAU_S, float)
        dmod = np.asarray(TCAS_RA_DMOD_NM if self.ra else TCAS_TA_DMOD_NM) * NM_M
        zthr = np.asarray(TCAS_RA_ZTHR_FT if self.ra else TCAS_TA_ZTHR_FT) * FT_M
        hmd_ = np.asarray(TCAS_RA_HMD_FT) * FT_M if self.ra else dmod
        return _Table(tau[sl], tau[sl], dmod[sl], zthr[sl], hmd_[sl])

    def intervals(self, geo: PairGeometry, B: float, T: float) -> Intervals:
        """Violation intervals within [B, T] (``TCAS3D.RA3D``), the SL changing along it."""
        n = len(geo)
        k = TcasPairs.of(geo)
        zo, vzo = geo.so[:, 2], geo.vo[:, 2]
        sl_first = tcas_sensitivity_level(zo + B * vzo)
        sl_last = tcas_sensitivity_level(zo + T * vzo)
        single = (sl_first == sl_last) | almost_equals(vzo, 0.0)
        if single.all():
            full = np.full(n, float(B)), np.full(n, float(T))
            time_in, time_out = ra3d_interval(self.table(sl_first), k, *full, self.ra)
        else:
            time_in, time_out = np.full(n, np.inf), np.full(n, -np.inf)
            idx = np.nonzero(single)[0]
            full = np.full(len(idx), float(B)), np.full(len(idx), float(T))
            time_in[idx], time_out[idx] = ra3d_interval(
                self.table(sl_first[idx]), k.take(idx), *full, self.ra
            )
            self._pieces(k, zo, vzo, sl_first, sl_last, ~single, B, T, time_in, time_out)
        none = ~almost_less(time_in, time_out)
        return Intervals(np.where(none, T, time_in), np.where(none, B, time_out))

    def _pieces(
        self, k: TcasPairs, zo: FloatArray, vzo: FloatArray, sl_first: IntArray,
        sl_last: IntArray, alive: BoolArray, B: float, T: float,
        time_in: FloatArray, time_out: FloatArray,
    ) -> None:  # fmt: skip
        """The pairs ``alive`` level by level: [B, T] cut where the ownship crosses a level's
        bound, the hull of the pieces' intervals written into ``time_in``/``time_out``."""
        lower, upper = _level_bounds_m()
        up = sl_last > sl_first
        step = np.where(up, 1, -1)
        steps = np.abs(sl_last - sl_first)
        t_B = np.full(len(zo), float(B))
        for j in range(len(upper)):
            idx = np.nonzero(alive & (t_B < T))[0]
            if len(idx) == 0:
                break
            sl = sl_first[idx] + step[idx] * j
            bound = np.where(up[idx], upper[sl], lower[sl])
            with np.errstate(divide="ignore", invalid="ignore"):
                t_level = np.where(np.isinf(bound), np.inf, (bound - zo[idx]) / vzo[idx])
            a, b = ra3d_interval(
                self.table(sl), k.take(idx), t_B[idx], np.minimum(t_level, T), self.ra
            )
            hit = almost_less(a, b)
            time_in[idx] = np.where(hit, np.minimum(time_in[idx], a), time_in[idx])
            time_out[idx] = np.where(hit, np.maximum(time_out[idx], b), time_out[idx])
            t_B[idx] = t_level
            alive = np.zeros(len(zo), dtype=bool)
            alive[idx] = j < steps[idx]


@dataclass(frozen=True)
class TcasPairs:
    """Horizontal and vertical relative motion of N pairs, with the products and comparisons
    every level's test reuses (``s``, ``v``: (N, 2) ownship minus intruder)."""

    s: FloatArray
    v: FloatArray
    sz: FloatArray
    vz: FloatArray
    sqs: FloatArray
    sdotv: FloatArray
    sqv: FloatArray
    det: FloatArray
    level: BoolArray  # vertical rates almost equal (DAIDALUS: almost_equals(voz, viz))
    same: BoolArray  # horizontal velocities almost equal (Vect2.almostEquals)

    @classmethod
    def of(cls, geo: PairGeometry) -> TcasPairs:
        """From ownship and intruder states."""
        vo, vi = geo.vo, geo.vi
        s, v = geo.so[:, :2] - geo.si[:, :2], vo[:, :2] - vi[:, :2]
        return cls(
            s, v, geo.so[:, 2] - geo.si[:, 2], vo[:, 2] - vi[:, 2],
            _dot(s, s), _dot(s, v), _dot(v, v), _det(s, v),
            almost_equals(vo[:, 2], vi[:, 2]),
            almost_equals(vo[:, 0], vi[:, 0]) & almost_equals(vo[:, 1], vi[:, 1]),
        )  # fmt: skip

    def take(self, idx: IntArray) -> TcasPairs:
        """The pairs ``idx``."""
        return TcasPairs(*(getattr(self, f.name)[idx] for f in fields(self)))

    def delta(self, D: FloatArray) -> FloatArray:
        """D^2|v|^2 - (s x v)^2 (``Horizontal.Delta``)."""
        return np.asarray(np.square(D) * self.sqv - np.square(self.det), dtype=np.float64)

    def theta_d(self, eps: float, D: FloatArray) -> FloatArray:
        """Entry (-1) or exit (+1) time of the circle of radius D (``Horizontal.Theta_D``)."""
        return root2b(self.sqv, self.sdotv, self.sqs - np.square(D), eps)


def _cd2d_tcas_after(HMD: FloatArray, k: TcasPairs, t: FloatArray) -> BoolArray:
    """The relative track passes within HMD at some time at or after ``t``
    (``TCAS3D.cd2d_TCAS_after``: the HMD filter)."""
    result: BoolArray = (k.same & (k.sqs <= HMD * HMD)) | (
        (k.sqv > 0) & (k.delta(HMD) >= 0) & (k.theta_d(EXIT, HMD) >= t)
    )
    return result


def ra2d_interval(
    DMOD: FloatArray, TAU: FloatArray, B: FloatArray, T: FloatArray, k: TcasPairs
) -> tuple[FloatArray, FloatArray]:
    """Horizontal TCAS interval (``TCAS2D.RA2D_interval``): from now while range <= DMOD, else
    from the first time (s+tv).(s+tv) + TAU (s+tv).v <= DMOD^2 while closing, to the exit of
    DMOD (or the second root). Empty as (T + 1, 0); ``k.s`` is the relative position now."""
    sqs, sdotv, sqv = k.sqs, k.sdotv, k.sqv
    sqD = DMOD * DMOD
    inside = sqs <= sqD
    b = 2 * sdotv + TAU * sqv
    c = sqs + TAU * sdotv - sqD
    never = (sdotv >= 0) | (b * b - 4 * sqv * c < 0)
    t_in = np.where(never, T + 1, root(sqv, b, c, -1))
    exit_d = np.where(k.delta(DMOD) >= 0, k.theta_d(EXIT, DMOD), root(sqv, b, c, 1))
    t_out = np.where(never, 0.0, exit_d)
    t_in = np.where(inside, B, t_in)
    t_out = np.where(inside, np.where(k.same, T, root2b(sqv, sdotv, sqs - sqD, 1)), t_out)
    return np.asarray(t_in, dtype=np.float64), np.asarray(t_out, dtype=np.float64)


def ra3d_interval(
    p: _Table, k: TcasPairs, B: FloatArray, T: FloatArray, hmd_filter: bool
) -> tuple[FloatArray, FloatArray]:
    """TCAS violation interval within [B, T] at fixed thresholds (``TCAS3D.RA3D_interval``);
    empty as (T, B)."""
    sz, vz = k.sz, k.vz
    ok = ~(k.level & (np.abs(sz) > p.ZTHR))
    if hmd_filter:
        ok &= _cd2d_tcas_after(p.HMD, k, B)
    act_H = np.maximum(p.ZTHR, np.abs(vz) * p.TCOA)
    t_entry = np.where(k.level, B, theta_h(sz, vz, ENTRY, act_H))
    t_exit = np.where(k.level, T, theta_h(sz, vz, EXIT, p.ZTHR))
    at_entry = k.s + t_entry[:, None] * k.v
    exit_at_entry = _dot(at_entry, k.v) >= 0
    los_at_entry = _dot(at_entry, at_entry) <= p.HMD * p.HMD
    ok &= ~((t_exit < B) | (t_entry > T))
    lo, hi = np.maximum(B, t_entry), np.minimum(T, t_exit)
    ra_in, ra_out = ra2d_interval(p.DMOD, p.TAU, lo, hi, k)
    in_la = np.maximum(lo, np.minimum(hi, ra_in))
    out_la = np.maximum(lo, np.minimum(hi, ra_out))
    cut = hmd_filter & (p.HMD < p.DMOD)
    ok &= ~((ra_in > ra_out) | (ra_out < lo) | (ra_in > hi) | (cut & exit_at_entry & ~los_at_entry))
    exit_hmd = np.where(k.sqv > 0, np.maximum(B, np.minimum(k.theta_d(EXIT, p.HMD), T)), T)
    t_out = np.where(cut, np.minimum(out_la, exit_hmd), out_la)
    return np.where(ok, in_la, T), np.where(ok, t_out, B)
