"""Writer of the alerting CSV that DAIDALUS's ``DaidalusAlerting`` program writes.

Layout (DAIDALUS v2.0.4, precision 6)::

     Time, Ownship, Traffic, Alerter, Alert Level, Time to Volume of Alert(1), ..(K),
    Horizontal Separation, Vertical Separation, Horizontal Closure Rate, Vertical Closure Rate,
    Projected HMD, Projected VMD, Projected TCPA, Projected DCPA, Projected TCOA[,
    Projected TAUMOD (WCV*)]

then a units line (``[s],,,,, [s], ...``) and one line per step and traffic aircraft, fields
joined by ``", "``. Numbers have at most 6 decimals, trailing zeros removed but one kept
(Java ``DecimalFormat("0.0#####")``, half-even); ``infty`` where no violation lies within the
lookahead; an empty field where DAIDALUS prints nothing (a level the alerter does not have, a
TCOA of a level or diverging pair, tau_mod of a pair not closing or inside DTHR).

Input: the alert table of :func:`wellclear.alerting.scenario.run_scenario` (SI); units are
converted here to nmi, ft, knot, fpm.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import IO

import pandas as pd

from wellclear.units import FPM_MPS, FT_M, KT_MPS, NM_M

_METRICS: tuple[tuple[str, str, float, str], ...] = (
    ("horizontal_separation_m", "Horizontal Separation", NM_M, "nmi"),
    ("vertical_separation_m", "Vertical Separation", FT_M, "ft"),
    ("horizontal_closure_rate_mps", "Horizontal Closure Rate", KT_MPS, "knot"),
    ("vertical_closure_rate_mps", "Vertical Closure Rate", FPM_MPS, "fpm"),
    ("hmd_m", "Projected HMD", NM_M, "nmi"),
    ("vmd_m", "Projected VMD", FT_M, "ft"),
    ("tcpa_s", "Projected TCPA", 1.0, "s"),
    ("dcpa_m", "Projected DCPA", NM_M, "nmi"),
    ("tcoa_s", "Projected TCOA", 1.0, "s"),
)


def fm_precision(v: float, precision: int = 6) -> str:
    """A number as DAIDALUS ``f.FmPrecision`` prints it: ``infty``, ``NaN`` or 0.0#####."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "infty" if v > 0 else "-infty"
    if v < 0.0 and math.ceil(v * 10 ** (precision + 1) - 0.5) == 0.0:
        v = 0.0
    text = f"{v + 0.0:.{precision}f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0") or "0"
    return f"{whole}.{frac}"


def _cell(v: float) -> str:
    return "" if math.isnan(v) else fm_precision(v)


def header_lines(levels: int, taumod: bool) -> tuple[str, str]:
    """The header and units lines for ``levels`` alert levels."""
    head = " Time, Ownship, Traffic, Alerter, Alert Level"
    units = "[s],,,,"
    for k in range(1, levels + 1):
        head += f", Time to Volume of Alert({k})"
        units += ", [s]"
    head += "".join(f", {title}" for _, title, _, _ in _METRICS)
    units += "".join(f", [{unit}]" for _, _, _, unit in _METRICS)
    if taumod:
        head += ", Projected TAUMOD (WCV*)"
        units += ", [s]"
    return head, units


def alerting_lines(table: pd.DataFrame, taumod: bool) -> Iterable[str]:
    """Every line of the CSV for an alert table (header and units first)."""
    levels = sum(1 for c in table.columns if c.startswith("ttv_"))
    yield from header_lines(levels, taumod)
    ttv = [f"ttv_{k}" for k in range(1, levels + 1)]
    for r in table.to_dict("records"):
        cells = [
            fm_precision(r["time_s"]),
            str(r["ownship"]),
            str(r["traffic"]),
            str(r["alerter"]),
            str(r["level"]),
        ]
        cells += [_cell(r[c]) for c in ttv]
        for col, _, factor, _ in _METRICS[:-1]:
            cells.append(fm_precision(r[col] / factor))
        cells.append(_cell(r["tcoa_s"]))
        cells.append(_cell(r["taumod_s"]) if taumod else "")
        yield ", ".join(cells)


def write_alerting_csv(table: pd.DataFrame, out: IO[str], taumod: bool = True) -> None:
    """Write the DAIDALUS alerting CSV of ``table`` to an open text stream."""
    for line in alerting_lines(table, taumod):
        out.write(line + "\n")
