"""DO-365B sensor uncertainty mitigation (SUM) on the well-clear volume.

After DAIDALUS ``WCV_TAUMOD_SUM.java`` and ``SUMData.java``: the relative position and velocity
of a pair are known only to within error radii built from each aircraft's standard deviations and
z-scores; the pair violates the volume if some state within those errors does. Pairs whose errors
are all zero are handed to the plain :class:`~wellclear.alerting.detectors.WCV_TAUMOD` kernel,
vectorised; the others (rare: only inputs that carry standard deviations) go through the scalar
code below, one pair at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wellclear.alerting._num import FloatArray
from wellclear.alerting.detectors import WCV_TAUMOD, Intervals, PairGeometry
from wellclear.units import NM_M

_MIN_ERROR = 0.001
_ULPS = 16348

Vec = tuple[float, float]


def _almost_equals(a: float, b: float) -> bool:
    if a == b:
        return True
    if (a == 0 or b == 0) and abs(a) < 1e-13 and abs(b) < 1e-13:
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    ia = int(np.float64(a).view(np.int64))
    ib = int(np.float64(b).view(np.int64))
    ia = -(2**63) - ia if ia < 0 else ia
    ib = -(2**63) - ib if ib < 0 else ib
    return abs(ia - ib) <= _ULPS


def _sign(x: float) -> float:
    return 1.0 if x >= 0 else -1.0


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1]


def _det(a: Vec, b: Vec) -> float:
    return a[0] * b[1] - a[1] * b[0]


def _norm(a: Vec) -> float:
    return math.sqrt(_dot(a, a))


def _scal(k: float, a: Vec) -> Vec:
    return (k * a[0], k * a[1])


def _add(a: Vec, b: Vec) -> Vec:
    return (a[0] + b[0], a[1] + b[1])


def _hat(a: Vec) -> Vec:
    n = _norm(a)
    return (0.0, 0.0) if n == 0 else (a[0] / n, a[1] / n)


def horizontal_uncertainty(x_std: float, y_std: float, xy_std: float) -> float:
    """Error radius of a 2-D covariance: sqrt of its larger eigenvalue (``SUMData``)."""
    v1, v2, cov = x_std**2, y_std**2, _sign(xy_std) * xy_std**2
    ave = (v1 + v2) / 2.0
    det = v1 * v2 - cov**2
    return math.sqrt(max(0.0, ave + math.sqrt(max(0.0, ave * ave - det))))


def _tangent_line(s: Vec, D: float, eps: int) -> Vec:
    """Direction from s to the tangent point of the circle of radius D (``TangentLine``)."""
    sq_s, sq_d = _dot(s, s), D * D
    if _almost_equals(sq_s, sq_d):
        return (eps * s[1], -eps * s[0])
    delta = sq_s - sq_d
    if delta < 0:
        return (0.0, 0.0)
    alpha = sq_d / sq_s
    beta = D * math.sqrt(delta) / sq_s
    q = (alpha * s[0] + eps * beta * s[1], alpha * s[1] - eps * beta * s[0])
    if q == (0.0, 0.0):
        return q
    return (q[0] - s[0], q[1] - s[1])


def _sumof(v1: Vec, v2: Vec, w: Vec) -> bool:
    d21 = _det(v2, v1)
    return _det(w, v1) * d21 >= 0 and _det(w, v2) * d21 <= 0


def _optimal_pair(v1: Vec, v2: Vec, w1: Vec, w2: Vec) -> tuple[Vec, Vec]:
    if _sumof(v1, v2, w1) and _sumof(v1, v2, w2):
        avg = _hat(_add(w1, w2))
        return avg, avg
    if _sumof(w1, w2, v1) and _sumof(w1, w2, v2):
        avg = _hat(_add(v1, v2))
        return avg, avg
    for x, y in ((v1, w1), (v1, w2), (v2, w1), (v2, w2)):
        if _sumof(w1, w2, x) and _sumof(v1, v2, y):
            avg = _hat(_add(x, y))
            return avg, avg
    pairs = ((v1, w1), (v1, w2), (v2, w1), (v2, w2))
    dots = [_dot(x, y) for x, y in pairs]
    best = max(range(4), key=lambda k: (dots[k], -k))
    return pairs[best]


@dataclass(frozen=True)
class WCV_TAUMOD_SUM(WCV_TAUMOD):  # noqa: N801  (DAIDALUS's name)
    """DO-365B well clear with sensor uncertainty mitigation (DAIDALUS ``WCV_TAUMOD_SUM``)."""

    h_pos_z_score: float = 1.5
    h_vel_z_score_min: float = 0.5
    h_vel_z_score_max: float = 1.0
    h_vel_z_distance: float = 5.0 * NM_M
    v_pos_z_score: float = 0.75
    v_vel_z_score: float = 1.5

    # --- scalar wrappers of the vectorised kernels
    def _hwcv(self, s: Vec, v: Vec) -> bool:
        return bool(self.horizontal_wcv(np.array([s]), np.array([v]))[0])

    def _hint(self, T: float, s: Vec, v: Vec) -> tuple[float, float]:
        t_in, t_out = self.horizontal_interval(np.array([T]), np.array([s]), np.array([v]))
        return float(t_in[0]), float(t_out[0])

    def _vint(self, T: float, sz: float, vz: float) -> tuple[float, float]:
        from wellclear.alerting.detectors import vertical_wcv_interval

        low, up = vertical_wcv_interval(
            self.ZTHR, self.TCOA, 0.0, T, np.array([sz]), np.array([vz])
        )
        return float(low[0]), float(up[0])

    # --- horizontal
    def _optimal_wcv_pair(self, s: Vec, v: Vec, s_err: float, v_err: float) -> tuple[Vec, Vec]:
        v1 = _hat(_tangent_line(s, s_err, -1))
        v2 = _hat(_tangent_line(s, s_err, 1))
        w = (-v[0], -v[1])
        w1 = _hat(_tangent_line(w, v_err, -1))
        w2 = _hat(_tangent_line(w, v_err, 1))
        first, second = _optimal_pair(v1, v2, w1, w2)
        first = (-first[0], -first[1])
        return _scal(_norm(s) - s_err, first), _scal(_norm(v) + v_err, second)

    def _h_entry(self, s: Vec, v: Vec, s_err: float, v_err: float, T: float) -> float:
        if self._hwcv(s, v) or _dot(s, s) <= (self.DTHR + s_err) ** 2:
            return 0.0
        if _dot(v, v) <= v_err**2:
            sh = _hat(s)
            t_in, t_out = self._hint(T, _scal(_norm(s) - s_err, sh), _scal(-(_norm(v) + v_err), sh))
            return T + 1 if t_out < t_in else t_in
        p, q = self._optimal_wcv_pair(s, v, s_err, v_err)
        if _dot(p, q) < 0:
            return min(self._hint(T, s, v)[0], self._hint(T, p, q)[0])
        return T + 1

    def _theta_d_uncertain(self, s: Vec, v: Vec, s_err: float, v_err: float) -> float:
        if _dot(v, v) <= v_err**2:
            return -1.0
        from wellclear.alerting._num import root

        D = self.DTHR + s_err
        a = np.array([_dot(v, v) - v_err**2])
        b = np.array([2 * (_dot(s, v) - v_err * D)])
        c = np.array([_dot(s, s) - D * D])
        rt = float(root(a, b, c, 1.0)[0])
        return rt if math.isfinite(rt) else -1.0

    def _h_exit(self, s: Vec, v: Vec, s_err: float, v_err: float, T: float) -> float:
        slow = _dot(v, v) <= v_err**2
        if slow and _dot(s, s) <= (self.DTHR + s_err) ** 2:
            return T
        if slow:
            sh = _hat(s)
            t_in, t_out = self._hint(T, _scal(_norm(s) - s_err, sh), _scal(-(_norm(v) + v_err), sh))
            return -1.0 if t_out < t_in else T
        return self._theta_d_uncertain(s, v, s_err, v_err)

    # --- vertical
    def _v_szpos(
        self, T: float, minsz: float, maxsz: float, minvz: float, maxvz: float
    ) -> tuple[float, float]:
        only_pos = minvz >= 0
        only_neg = not only_pos and maxvz <= 0
        empty = (math.inf, -math.inf)
        intp = empty if only_neg else self._vint(T, minsz, max(minvz, 0.0))
        if only_pos:
            intn = empty
        else:
            entry = self._vint(T, minsz, minvz)
            ext = self._vint(T, maxsz, min(maxvz, 0.0))
            if entry[0] > entry[1]:
                intn = empty
            elif ext[0] > ext[1]:
                intn = (entry[0], T)
            else:
                intn = (entry[0], ext[1])
        if only_pos or intn[0] > intn[1]:
            return intp
        if only_neg or intp[0] > intp[1]:
            return intn
        return min(intp[0], intn[0]), max(intp[1], intn[1])

    def _v_interval(
        self, B: float, T: float, sz: float, vz: float, sz_err: float, vz_err: float
    ) -> tuple[float, float]:
        minsz, maxsz, minvz, maxvz = sz - sz_err, sz + sz_err, vz - vz_err, vz + vz_err
        only_pos = minsz >= 0
        only_neg = not only_pos and maxsz <= 0
        empty = (math.inf, -math.inf)
        intp = empty if only_neg else self._v_szpos(T, max(minsz, 0.0), maxsz, minvz, maxvz)
        intn = empty if only_pos else self._v_szpos(T, -min(maxsz, 0.0), -minsz, -maxvz, -minvz)
        if only_pos or intn[0] > intn[1]:
            out = intp
        elif only_neg or intp[0] > intp[1]:
            out = intn
        else:
            out = (min(intp[0], intn[0]), max(intp[1], intn[1]))
        if out[0] > out[1] or out[1] < B:
            return empty
        return max(B, out[0]), min(T, out[1])

    def uncertain_interval(
        self,
        B: float,
        T: float,
        s: tuple[float, float, float],
        v: tuple[float, float, float],
        s_err: float,
        sz_err: float,
        v_err: float,
        vz_err: float,
    ) -> tuple[float, float]:
        """Violation interval of one pair under uncertainty (``WCV_taumod_uncertain_interval``)."""
        empty = (math.inf, -math.inf)
        vint = self._v_interval(B, T, s[2], v[2], sz_err, vz_err)
        if vint[0] > vint[1]:
            return vint
        s2, v2 = (s[0], s[1]), (v[0], v[1])
        entry = self._h_entry(s2, v2, s_err, v_err, T)
        ext = self._h_exit(s2, v2, s_err, v_err, T)
        if entry > T or ext < 0 or entry > ext:
            return empty
        hint = (max(0.0, entry), min(T, ext))
        if hint[1] < B:
            return empty
        return max(vint[0], hint[0]), min(vint[1], hint[1])

    def _weighted_z_score(self, rng: float) -> float:
        if rng >= self.h_vel_z_distance:
            return self.h_vel_z_score_min
        perc = rng / self.h_vel_z_distance
        return (1 - perc) * self.h_vel_z_score_max + perc * self.h_vel_z_score_min

    def intervals(self, geo: PairGeometry, B: float, T: float) -> Intervals:
        """Violation intervals within [B, T], with SUM where the pair carries uncertainties."""
        base = super().intervals(geo, B, T)
        if geo.s_err_o is None:
            return base

        def both(a: FloatArray | None, b: FloatArray | None) -> FloatArray:
            zero = np.zeros(len(geo))
            return (zero if a is None else a) + (zero if b is None else b)

        s = geo.s
        v = geo.v
        s_err = self.h_pos_z_score * both(geo.s_err_o, geo.s_err_i)
        sz_err = self.v_pos_z_score * both(geo.sz_std_o, geo.sz_std_i)
        rng = np.hypot(s[:, 0], s[:, 1])
        v_sum = both(geo.v_err_o, geo.v_err_i)
        vz_err = self.v_vel_z_score * both(geo.vz_std_o, geo.vz_std_i)
        time_in, time_out = base.time_in.copy(), base.time_out.copy()
        for k in range(len(geo)):
            v_err = self._weighted_z_score(max(rng[k] - s_err[k], 0.0)) * v_sum[k]
            errs = (s_err[k], sz_err[k], v_err, vz_err[k])
            if all(e == 0.0 for e in errs):
                continue
            se, sze, ve, vze = (max(float(e), _MIN_ERROR) for e in errs)
            t_in, t_out = self.uncertain_interval(
                B, T, (s[k, 0], s[k, 1], s[k, 2]), (v[k, 0], v[k, 1], v[k, 2]), se, sze, ve, vze
            )
            time_in[k], time_out[k] = t_in, t_out
        return Intervals(time_in, time_out)
