"""The vectorised TCAS3D detector against a slow scalar twin, line by line after DAIDALUS.

The twin below is a plain transliteration of DAIDALUS's ``TCAS3D.RA3D``,
``TCAS3D.RA3D_interval``, ``TCAS3D.cd2d_TCAS_after``, ``TCAS2D.RA2D_interval`` and
``TCASTable.getSensitivityLevel`` / ``getLevelAltitude{Lower,Upper}Bound``: one pair at a time,
``if`` for ``if``. It is compared with :class:`wellclear.alerting.TCAS3D` on random encounters
and on edge cases: a level ownship exactly on a boundary, an ownship that reaches a boundary at
the end of the lookahead, crossing several levels, descending below 0 ft, co-altitude, equal
velocities, co-located aircraft.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from wellclear.alerting import TCAS3D, PairGeometry
from wellclear.alerting._num import almost_equals as _aeq
from wellclear.alerting.detectors import (
    TCAS_RA_DMOD_NM,
    TCAS_RA_HMD_FT,
    TCAS_RA_TAU_S,
    TCAS_RA_ZTHR_FT,
    TCAS_SL_UPPER_FT,
    TCAS_TA_DMOD_NM,
    TCAS_TA_TAU_S,
    TCAS_TA_ZTHR_FT,
)
from wellclear.units import FPM_MPS, FT_M, KT_MPS, NM_M

LEVELS = [x * FT_M for x in TCAS_SL_UPPER_FT]


def aeq(a: float, b: float) -> bool:
    return bool(_aeq(a, b))


def aless(a: float, b: float) -> bool:
    return not aeq(a, b) and a < b


def sgn(x: float) -> float:
    return 1.0 if x >= 0 else -1.0


def root(a: float, b: float, c: float, eps: int) -> float:
    if a == 0 and b == 0:
        return math.nan
    if a == 0:
        return -c / b
    sqb, ac = b * b, 4 * a * c
    if aeq(sqb, ac) or sqb > ac:
        return (-b + eps * math.sqrt(max(sqb - ac, 0.0))) / (2 * a)
    return math.nan


def root2b(a: float, b: float, c: float, eps: int) -> float:
    if a == 0 and b == 0:
        return math.nan
    if a == 0:
        return -c / (2 * b)
    sqb, ac = b * b, a * c
    if aeq(sqb, ac) or sqb > ac:
        return (-b + eps * math.sqrt(max(sqb - ac, 0.0))) / a
    return math.nan


def dot(a: tuple[float, float], b: tuple[float, float]) -> float:
    return a[0] * b[0] + a[1] * b[1]


def theta_d(s: tuple[float, float], v: tuple[float, float], eps: int, D: float) -> float:
    return root2b(dot(v, v), dot(s, v), dot(s, s) - D * D, eps)


def delta(s: tuple[float, float], v: tuple[float, float], D: float) -> float:
    return D * D * dot(v, v) - (s[0] * v[1] - s[1] * v[0]) ** 2


def theta_h(sz: float, vz: float, eps: int, H: float) -> float:
    return math.nan if vz == 0 else (eps * sgn(vz) * H - sz) / vz


def sensitivity_level(alt: float) -> int:
    for i, level in enumerate(LEVELS):
        if alt <= level:
            return i + 1
    return len(LEVELS) + 1


def lower_bound(sl: int) -> float:
    sl -= 1
    while sl > 0 and LEVELS[sl - 1] == 0.0:
        sl -= 1
    return LEVELS[sl - 1] if sl > 0 else 0.0


def upper_bound(sl: int) -> float:
    return math.inf if sl == len(LEVELS) + 1 else LEVELS[sl - 1]


def table(ra: bool, sl: int) -> tuple[float, float, float, float, float]:
    """TAU, TCOA, DMOD, HMD, ZTHR of level ``sl`` (``TCASTable.setDefaultTCASIIThresholds``)."""
    i = sl - 1
    if ra:
        return (TCAS_RA_TAU_S[i], TCAS_RA_TAU_S[i], TCAS_RA_DMOD_NM[i] * NM_M,
                TCAS_RA_HMD_FT[i] * FT_M, TCAS_RA_ZTHR_FT[i] * FT_M)  # fmt: skip
    dmod = TCAS_TA_DMOD_NM[i] * NM_M
    return TCAS_TA_TAU_S[i], TCAS_TA_TAU_S[i], dmod, dmod, TCAS_TA_ZTHR_FT[i] * FT_M


def cd2d_tcas_after(HMD: float, s: tuple, vo: tuple, vi: tuple, t: float) -> bool:
    v = (vo[0] - vi[0], vo[1] - vi[1])
    same = aeq(vo[0], vi[0]) and aeq(vo[1], vi[1])
    return (same and dot(s, s) <= HMD * HMD) or (
        dot(v, v) > 0 and delta(s, v, HMD) >= 0 and theta_d(s, v, 1, HMD) >= t
    )


def ra2d_interval(DMOD: float, Tau: float, B: float, T: float, s: tuple, vo: tuple, vi: tuple):
    v = (vo[0] - vi[0], vo[1] - vi[1])
    sqs, sdotv, sqD = dot(s, s), dot(s, v), DMOD * DMOD
    if aeq(vo[0], vi[0]) and aeq(vo[1], vi[1]) and sqs <= sqD:
        return B, T
    sqv = dot(v, v)
    if sqs <= sqD:
        return B, root2b(sqv, sdotv, sqs - sqD, 1)
    b = 2 * sdotv + Tau * sqv
    c = sqs + Tau * sdotv - sqD
    if sdotv >= 0 or b * b - 4 * sqv * c < 0:
        return T + 1, 0.0
    t_in = root(sqv, b, c, -1)
    if delta(s, v, DMOD) >= 0:
        return t_in, theta_d(s, v, 1, DMOD)
    return t_in, root(sqv, b, c, 1)


def ra3d_interval(ra: bool, sl: int, so, vo, si, vi, B: float, T: float) -> tuple[float, float]:
    time_in, time_out = T, B
    s2 = (so[0] - si[0], so[1] - si[1])
    v2 = (vo[0] - vi[0], vo[1] - vi[1])
    sz, vz = so[2] - si[2], vo[2] - vi[2]
    TAU, TCOA, DMOD, HMD, ZTHR = table(ra, sl)
    if ra and not cd2d_tcas_after(HMD, s2, vo[:2], vi[:2], B):
        return time_in, time_out
    if aeq(vo[2], vi[2]) and abs(sz) > ZTHR:
        return time_in, time_out
    tentry, texit = B, T
    if not aeq(vo[2], vi[2]):
        act_H = max(ZTHR, abs(vz) * TCOA)
        tentry = theta_h(sz, vz, -1, act_H)
        texit = theta_h(sz, vz, 1, ZTHR)
    ventry = (v2[0] * tentry + s2[0], v2[1] * tentry + s2[1])
    exit_at_centry = dot(ventry, v2) >= 0
    los_at_centry = dot(ventry, ventry) <= HMD * HMD
    if texit < B or tentry > T:
        return time_in, time_out
    tin, tout = max(B, tentry), min(T, texit)
    ra_in, ra_out = ra2d_interval(DMOD, TAU, tin, tout, s2, vo[:2], vi[:2])
    in_la = max(tin, min(tout, ra_in))
    out_la = max(tin, min(tout, ra_out))
    if (
        ra_in > ra_out
        or ra_out < tin
        or ra_in > tout
        or (ra and HMD < DMOD and exit_at_centry and not los_at_centry)
    ):
        return time_in, time_out
    if ra and HMD < DMOD:
        exit_theta = T
        if dot(v2, v2) > 0:
            exit_theta = max(B, min(theta_d(s2, v2, 1, HMD), T))
        return in_la, min(out_la, exit_theta)
    return in_la, out_la


def ra3d(ra: bool, so, vo, si, vi, B: float, T: float) -> tuple[float, float]:
    """``TCAS3D.RA3D``: the level follows the ownship's altitude over [B, T]."""
    sl_first = sensitivity_level(so[2] + B * vo[2])
    sl_last = sensitivity_level(so[2] + T * vo[2])
    if sl_first == sl_last or aeq(vo[2], 0.0):
        return ra3d_interval(ra, sl_first, so, vo, si, vi, B, T)
    tin, tout = math.inf, -math.inf
    sl, t_B = sl_first, B
    while t_B < T:
        level = upper_bound(sl) if sl_first < sl_last else lower_bound(sl)
        t_level = math.inf if math.isinf(level) else (level - so[2]) / vo[2]
        a, b = ra3d_interval(ra, sl, so, vo, si, vi, t_B, min(t_level, T))
        if aless(a, b):
            tin, tout = min(tin, a), max(tout, b)
        t_B = t_level
        if sl == sl_last:
            break
        sl = sl + 1 if sl_first < sl_last else sl - 1
    return tin, tout


def _cases(seed: int, n: int) -> list[tuple[tuple, tuple, tuple, tuple]]:
    rng = np.random.default_rng(seed)
    out = []
    boundaries = [0.0, *TCAS_SL_UPPER_FT[1:]]
    for k in range(n):
        b = float(rng.choice(boundaries)) * FT_M
        alt = max(-300.0, b + float(rng.uniform(-1500.0, 1500.0)) * FT_M)
        vz_o = float(rng.choice([0.0, rng.uniform(-6000, 6000)])) * FPM_MPS
        if k % 7 == 0:  # level exactly on the boundary, or reaching it at T = 60 s
            alt, vz_o = (b, 0.0) if k % 2 else (b - 60.0 * vz_o, vz_o)
        gs = float(rng.uniform(80, 500)) * KT_MPS
        trk = float(rng.uniform(0, 2 * math.pi))
        vo = (gs * math.sin(trk), gs * math.cos(trk), vz_o)
        t_cpa = float(rng.uniform(0, 70))
        gi = float(rng.uniform(0, 500)) * KT_MPS
        ti = float(rng.uniform(0, 2 * math.pi))
        vi = (gi * math.sin(ti), gi * math.cos(ti), float(rng.uniform(-3000, 3000)) * FPM_MPS)
        if k % 11 == 0:
            vi = vo  # same velocity
        miss = float(rng.uniform(0, 2.0)) * NM_M
        dz = float(rng.choice([0.0, rng.uniform(-1500, 1500)])) * FT_M
        si_cpa = (vo[0] * t_cpa + miss * math.cos(trk), vo[1] * t_cpa - miss * math.sin(trk))
        si = (
            si_cpa[0] - vi[0] * t_cpa,
            si_cpa[1] - vi[1] * t_cpa,
            alt + vz_o * t_cpa + dz - vi[2] * t_cpa,
        )
        if k % 13 == 0:
            si = (0.0, 0.0, alt)  # co-located
        out.append(((0.0, 0.0, alt), vo, si, vi))
    return out


@pytest.mark.parametrize("ra", [False, True], ids=["TA", "RA"])
@pytest.mark.parametrize("window", [(0.0, 60.0), (0.0, 180.0), (5.0, 40.0)])
def test_tcas3d_matches_scalar_twin(ra: bool, window: tuple[float, float]) -> None:
    cases = _cases(13 if ra else 31, 3000)
    so, vo, si, vi = (np.array([c[k] for c in cases], dtype=float) for k in range(4))
    B, T = window
    iv = TCAS3D(ra=ra).intervals(PairGeometry(so, vo, si, vi), B, T)
    conflicts = iv.conflict()
    crossing = 0
    for k, (a, b, c, d) in enumerate(cases):
        t_in, t_out = ra3d(ra, a, b, c, d, B, T)
        hit = aless(t_in, t_out)
        assert bool(conflicts[k]) == hit, f"case {k}: {cases[k]} twin {(t_in, t_out)}"
        if hit:
            assert iv.time_in[k] == pytest.approx(t_in, abs=1e-9), f"case {k}"
            assert iv.time_out[k] == pytest.approx(t_out, abs=1e-9), f"case {k}"
        if sensitivity_level(a[2] + B * b[2]) != sensitivity_level(a[2] + T * b[2]) and hit:
            crossing += 1
    assert conflicts.sum() >= 300  # the cases mean something
    assert crossing >= 100  # many of them with the level changing along the window
