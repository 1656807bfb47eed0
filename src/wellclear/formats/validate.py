"""The one validator of aircraft states: what every reader and the streamed scan check.

Every reader of :mod:`wellclear.formats` converts its input to SI units first and then runs
:func:`check_states` on the converted columns (the streamed scan runs it on row-group
statistics and on the rows of the row groups they flag), so that one absurd row is refused the
same way whatever the format, and none can crash or stall the algorithms downstream (an
altitude of 1e9 m overflows the candidate grid's keys; a vertical rate of 1e5 m/s makes every
pair a candidate).

Missing is not invalid: NaN (null) values are left to the filling of the snapshot and the
tracks. Invalid are, with the limit and why it was chosen (:class:`Limits`):

============== ======================= =============================================================
field          valid                   why
============== ======================= =============================================================
latitude       [-90, 90] deg           WGS-84
longitude      [-180, 180] deg         WGS-84
altitude       [-1,500 m, 40,000 m]    the ADS-B / Mode C altitude code spans -1,000 ft to
               (barometric and         126,700 ft (38.6 km; ICAO Annex 10 Vol IV §3.1.2.6.5.4,
               geometric)              Gillham code); below, room for low QNH and geoid heights
                                       (Dead Sea shore -430 m, geoid undulation down to -106 m)
ground speed   [0, 1,500 m/s]          above the fastest air-breathing aircraft (SR-71, Mach 3.3,
                                       about 1,000 m/s); ADS-B's supersonic velocity subtype
                                       (DO-260B §2.2.3.2.6.1) encodes up to 4,092 kt (2,105 m/s),
                                       values only a corrupted message gives
vertical rate  [-300, 300] m/s         above ADS-B's largest vertical rate (32,608 ft/min,
                                       166 m/s, DO-260B §2.2.3.2.6.1.14) and record climbs
                                       (F-15 Streak Eagle, about 250 m/s)
time           finite, within 1e10 s   beyond year 2286 float seconds lose the millisecond
               of 1970, and within     a single report dated 1970 or 2100 among 2021 data would
               366 days of the median  make a scan walk decades of empty windows: the data's own
               of the inputs' times    range is around its median, and a year either side keeps
                                       any real archive of up to two years whole
============== ======================= =============================================================

Identifiers are case-sensitive, except 24-bit ICAO addresses (six hexadecimal digits), which
are compared case-insensitively: :func:`normalise_ids` writes them in lower case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Reasons = npt.NDArray[np.object_]


@dataclass(frozen=True)
class Limits:
    """Physical limits of a report (SI units); see the module docstring for their sources."""

    alt_min_m: float = -1_500.0
    alt_max_m: float = 40_000.0
    gs_max_mps: float = 1_500.0
    vs_max_mps: float = 300.0
    t_abs_max_s: float = 1e10
    t_spread_s: float = 366 * 86_400.0


LIMITS = Limits()

# the roles check_states knows, in the order it checks them
ROLES = ("lat", "lon", "alt_baro_m", "alt_geo_m", "alt_m", "gs_mps", "trk_deg", "vs_mps")


class RowChecker:
    """Collects the first reason each row is invalid (column and reason per row)."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self._text: tuple[Reasons, Reasons] | None = None  # made at the first flag

    @property
    def column(self) -> Reasons:
        return self._texts()[0]

    @property
    def reason(self) -> Reasons:
        return self._texts()[1]

    def _texts(self) -> tuple[Reasons, Reasons]:
        if self._text is None:
            n = len(self.bad)
            self._text = (np.full(n, "", dtype=object), np.full(n, "", dtype=object))
        return self._text

    def flag(self, mask: BoolArray, column: str, reasons: Reasons | str) -> None:
        new = np.asarray(mask, dtype=bool) & ~self.bad
        if not new.any():
            return
        self.bad |= new
        self.column[new] = column
        self.reason[new] = reasons[new] if isinstance(reasons, np.ndarray) else reasons


def _values(prefix: str, values: FloatArray, mask: BoolArray, unit: str) -> Reasons | str:
    """``prefix: VALUE UNIT`` for the flagged rows only (others empty; '' when none is)."""
    idx = np.flatnonzero(mask)
    if not idx.size:
        return ""
    out = np.full(len(values), "", dtype=object)
    out[idx] = [f"{prefix}: {v:.6g} {unit}" for v in values[idx]]
    return out


def check_states(
    check: RowChecker,
    values: Mapping[str, FloatArray],
    names: Mapping[str, str] | None = None,
    limits: Limits = LIMITS,
) -> None:
    """Flag on ``check`` every row whose SI values break a physical limit.

    ``values`` maps roles of :data:`ROLES` (those present) to float arrays in SI units;
    ``names`` maps a role to the input's own column name for the messages (default: the role).
    Infinite values are invalid; NaN is missing, not invalid.
    """
    names = names or {}
    with np.errstate(invalid="ignore"):
        for role in ROLES:
            if role not in values:
                continue
            v = np.asarray(values[role], dtype=np.float64)
            name = names.get(role, role)
            check.flag(np.isinf(v), name, "infinite value")
            # comparisons only (no float temporary of the column's size): NaN is never bad
            if role in ("lat", "lon"):
                edge = 90.0 if role == "lat" else 180.0
                bad = (v > edge) | (v < -edge)
                what = f"{'latitude' if role == 'lat' else 'longitude'} outside +-{edge:g}"
                check.flag(bad, name, _values(what, v, bad, "deg"))
            elif role.startswith("alt"):
                bad = (v < limits.alt_min_m) | (v > limits.alt_max_m)
                what = f"altitude outside [{limits.alt_min_m:g}, {limits.alt_max_m:g}] m"
                check.flag(bad, name, _values(what, v, bad, "m"))
            elif role == "gs_mps":
                check.flag(v < 0.0, name, _values("negative speed", v, v < 0.0, "m/s"))
                bad = v > limits.gs_max_mps
                what = f"ground speed above {limits.gs_max_mps:g} m/s"
                check.flag(bad, name, _values(what, v, bad, "m/s"))
            elif role == "vs_mps":
                bad = (v > limits.vs_max_mps) | (v < -limits.vs_max_mps)
                what = f"vertical rate beyond +-{limits.vs_max_mps:g} m/s"
                check.flag(bad, name, _values(what, v, bad, "m/s"))


def time_reference(t: FloatArray, limits: Limits = LIMITS) -> float | None:
    """The centre of the data's own time range: the median of its finite, plausible times
    (None when there is none)."""
    t = np.asarray(t, dtype=np.float64)
    ok = t[np.isfinite(t) & (np.abs(t) <= limits.t_abs_max_s)]
    return float(np.median(ok)) if ok.size else None


_BLOCK = 1 << 20  # rows of a block of float temporaries (8 MiB: reused, not freshly mapped)


def check_times(
    check: RowChecker,
    t: FloatArray,
    name: str,
    reference: float | None,
    limits: Limits = LIMITS,
) -> None:
    """Flag times that are infinite, beyond ``limits.t_abs_max_s`` or farther than
    ``limits.t_spread_s`` from ``reference`` (:func:`time_reference` of all the inputs)."""
    t = np.asarray(t, dtype=np.float64)
    check.flag(np.isinf(t), name, "infinite time")
    with np.errstate(invalid="ignore"):
        absurd = (t > limits.t_abs_max_s) | (t < -limits.t_abs_max_s)
        what = f"time outside +-{limits.t_abs_max_s:g} s"
        check.flag(absurd, name, _values(what, t, absurd, "s"))
        if reference is None:
            return
        far = np.zeros(t.size, dtype=bool)
        for a in range(0, t.size, _BLOCK):  # |t - reference| a block at a time: no temporary
            np.greater(
                np.abs(t[a : a + _BLOCK] - reference), limits.t_spread_s, out=far[a : a + _BLOCK]
            )
    days = limits.t_spread_s / 86_400.0
    what = f"time more than {days:g} days from the data's median time ({reference:.0f} s)"
    check.flag(far, name, _values(what, t, far, "s"))


_ICAO = r"[0-9A-Fa-f]{6}"


def normalise_ids(ids: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Identifiers as compared: 24-bit ICAO addresses (six hex digits) in lower case, every
    other identifier as written (case-sensitive)."""
    text = pd.Series(ids, dtype=object).astype(str)
    icao = text.str.fullmatch(_ICAO).to_numpy(dtype=bool)
    if not icao.any():
        return np.asarray(ids, dtype=object)
    out = np.asarray(ids, dtype=object).copy()
    out[icao] = text[icao].str.lower().to_numpy(dtype=object)
    return out


def check_duplicates(
    check: RowChecker,
    ids: npt.NDArray[np.object_],
    t: FloatArray,
    position: Mapping[str, FloatArray],
    lines: npt.NDArray[np.int64],
    name: str,
    files: npt.NDArray[np.integer] | None = None,
) -> BoolArray:
    """Flag the reports of one aircraft at one time with different positions, every one of
    them, naming another's line (the file's order does not choose which is right).

    Returns the mask of exact repeats (same aircraft, time and position as an earlier row):
    not errors, they are left out and counted by the caller. ``files`` (the file of each row,
    where several files are one frame) keeps the search within each file.
    """
    n = len(t)
    repeats = np.zeros(n, dtype=bool)
    ok = ~check.bad & ~np.isnan(np.asarray(t, dtype=np.float64))
    if n < 2 or ok.sum() < 2:
        return repeats
    by = ["id", "t"] if files is None else ["file", "id", "t"]
    frame = pd.DataFrame({"id": ids, "t": t, **{k: np.asarray(v) for k, v in position.items()}})
    if files is not None:
        frame["file"] = np.asarray(files)
    keyed = frame[ok]
    same = keyed.duplicated(by, keep=False).to_numpy()
    if not same.any():
        return repeats
    group = keyed[same]
    at = np.flatnonzero(ok)[same]
    key = group.groupby(by, sort=False).ngroup().to_numpy()
    exact = group.duplicated(keep="first").to_numpy()
    distinct = np.bincount(key[~exact], minlength=key.max() + 1)
    clash = distinct[key] > 1
    repeats[at[exact & ~clash]] = True
    if clash.any():
        first = pd.Series(lines[at]).groupby(key).transform("min").to_numpy()
        second = pd.Series(lines[at]).groupby(key).transform("max").to_numpy()
        mate = np.where(lines[at] == first, second, first)
        reasons = np.full(n, "", dtype=object)
        for i, k in zip(at[clash], np.flatnonzero(clash), strict=True):
            reasons[i] = (
                f"duplicate report: aircraft {ids[i]} at time {t[i]:.3f} also at line "
                f"{int(mate[k])} with another position"
            )
        mask = np.zeros(n, dtype=bool)
        mask[at[clash]] = True
        check.flag(mask, name, reasons)
    return repeats
