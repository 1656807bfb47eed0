"""Floating-point helpers that reproduce DAIDALUS's comparisons (``Util.java``).

DAIDALUS compares with ``almost_equals`` (13 significant digits, measured in units of least
precision) wherever a plain ``==`` would be fragile; to agree with it near the boundaries of the
volumes, the kernels here compare the same way.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PRECISION13 = 16348  # maxUlps of DAIDALUS's PRECISION_DEFAULT
_MIN_LONG = np.int64(-(2**63))


def _ordered_bits(x: FloatArray) -> npt.NDArray[np.int64]:
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
    with np.errstate(over="ignore"):
        return np.where(bits < 0, _MIN_LONG - bits, bits)


def almost_equals(a: npt.ArrayLike, b: npt.ArrayLike) -> BoolArray:
    """``a`` and ``b`` equal to about 13 significant digits (DAIDALUS ``Util.almost_equals``).

    Two numbers both closer to 0 than 1e-13 are equal; otherwise they are equal when at most
    16348 representable doubles lie between them. NaN equals nothing; infinities only themselves.
    """
    x, y = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    same = x == y
    tiny = ((x == 0) | (y == 0)) & (np.abs(x) < 1e-13) & (np.abs(y) < 1e-13)
    finite = np.isfinite(x) & np.isfinite(y)
    with np.errstate(over="ignore"):
        diff = np.abs(_ordered_bits(x) - _ordered_bits(y))
    close = finite & (diff >= 0) & (diff <= PRECISION13)
    result: BoolArray = same | tiny | close
    return result


def almost_less(a: npt.ArrayLike, b: npt.ArrayLike) -> BoolArray:
    """``a < b`` and not almost equal."""
    result: BoolArray = ~almost_equals(a, b) & (np.asarray(a) < np.asarray(b))
    return result


def sign(x: npt.ArrayLike) -> FloatArray:
    """+1 where ``x >= 0``, -1 elsewhere (DAIDALUS ``Util.sign``: never 0)."""
    return np.where(np.asarray(x) >= 0, 1.0, -1.0)


def root2b(a: FloatArray, b: FloatArray, c: FloatArray, eps: float) -> FloatArray:
    """Root of ``a t^2 + 2 b t + c`` chosen by ``eps`` (-1 smaller, +1 larger); NaN if none."""
    a, b, c = np.broadcast_arrays(a, b, c)
    sqb = b * b
    ac = a * c
    has = almost_equals(sqb, ac) | (sqb > ac)
    with np.errstate(divide="ignore", invalid="ignore"):
        quad = (-b + eps * np.sqrt(np.maximum(sqb - ac, 0.0))) / a
        lin = -c / (2 * b)
    out = np.where(a == 0, np.where(b == 0, np.nan, lin), np.where(has, quad, np.nan))
    return np.asarray(out, dtype=np.float64)


def root(a: FloatArray, b: FloatArray, c: FloatArray, eps: float) -> FloatArray:
    """Root of ``a t^2 + b t + c`` chosen by ``eps``; NaN if none (DAIDALUS ``Util.root``)."""
    a, b, c = np.broadcast_arrays(a, b, c)
    sqb = b * b
    ac = 4 * a * c
    has = almost_equals(sqb, ac) | (sqb > ac)
    with np.errstate(divide="ignore", invalid="ignore"):
        quad = (-b + eps * np.sqrt(np.maximum(sqb - ac, 0.0))) / (2 * a)
        lin = -c / b
    out = np.where(a == 0, np.where(b == 0, np.nan, lin), np.where(has, quad, np.nan))
    return np.asarray(out, dtype=np.float64)
