"""RFC 8785 JSON Canonicalization Scheme (JCS): the bytes an agreement's hash is taken of.

RFC 8785 §3.2: no whitespace; object members sorted by their names as UTF-16 code units
(§3.2.3); strings with only ``"``, ``\\`` and the control characters escaped, the short forms
``\\b \\t \\n \\f \\r`` where they exist and ``\\u00xx`` (lower-case hex) for the others
(§3.2.2.2); numbers as ECMAScript's ``Number.prototype.toString`` writes an IEEE 754 double
(§3.2.2.3); the result in UTF-8 (§3.2.4).

>>> canonical({"b": [1, True, None], "a": "\\u20ac"}).decode()
'{"a":"€","b":[1,true,null]}'
"""

from __future__ import annotations

import math
from typing import Any

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


class CanonicalError(ValueError):
    """A value JSON cannot hold (NaN, infinity, a non-string key, an unknown type)."""


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _number(x: float) -> str:
    """ECMAScript ``Number.prototype.toString`` of a double (RFC 8785 §3.2.2.3, ECMA-262
    §7.1.12.1): the shortest digits that round-trip (Python's ``repr``), placed as ES does."""
    if not math.isfinite(x):
        raise CanonicalError(f"{x!r}: JSON has no NaN or infinity")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    digits, exp = _shortest(abs(x))
    k, n = len(digits), exp  # value = 0.digits x 10^n (ECMA-262: s, k, n)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _shortest(x: float) -> tuple[str, int]:
    """The shortest round-trip decimal digits of ``x > 0`` and ``n`` with x = 0.d1d2... x 10^n."""
    mantissa, _, exponent = f"{x!r}".partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    n = len(whole.lstrip("0")) if whole.strip("0") else -(len(frac) - len(frac.lstrip("0")))
    if exponent:
        n += int(exponent)
    return digits.rstrip("0") or "0", n


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be")


def _value(v: Any, out: list[str]) -> None:
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, int):
        out.append(_number(float(v)) if abs(v) >= 2**53 else str(v))
    elif isinstance(v, float):
        out.append(_number(v))
    elif isinstance(v, str):
        out.append(_string(v))
    elif isinstance(v, (list, tuple)):
        out.append("[")
        for i, item in enumerate(v):
            if i:
                out.append(",")
            _value(item, out)
        out.append("]")
    elif isinstance(v, dict):
        for key in v:
            if not isinstance(key, str):
                raise CanonicalError(f"object key {key!r}: JSON keys are strings")
        out.append("{")
        for i, key in enumerate(sorted(v, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _value(v[key], out)
        out.append("}")
    else:
        raise CanonicalError(f"{type(v).__name__} {v!r}: not a JSON value")


def canonical(value: Any) -> bytes:
    """The RFC 8785 canonical form of the JSON ``value`` (dicts, lists, str, int, float,
    bool, None), UTF-8 encoded."""
    out: list[str] = []
    _value(value, out)
    return "".join(out).encode("utf-8")
