"""The states column contract: one row per aircraft report.

Every reader in :mod:`wellclear.formats` turns its input into a :class:`pandas.DataFrame` with
these columns (SI units, converted once, in the reader), and every algorithm reads them.

========== ======= ==========================================================================
column     dtype   meaning
========== ======= ==========================================================================
id         str     aircraft key (ICAO 24-bit address in lower-case hex, or any name)
party      str     who owns the aircraft; ``unknown`` when not given
callsign   str     flight identification, empty string when not known
t          float   time of the position, unix seconds (UTC)
lat, lon   float   WGS-84 latitude and longitude, degrees
alt_m      float   altitude used for this aircraft alone: barometric if known, else geometric, m
alt_baro_m float   barometric (pressure) altitude, m; NaN when not reported
alt_geo_m  float   geometric (GNSS) altitude above the WGS-84 ellipsoid or MSL, m; NaN if not known
alt_src    str     ``baro`` or ``geo``: which one ``alt_m`` is
gs_mps     float   ground speed, m/s
trk_deg    float   true track over ground, degrees clockwise from north
vs_mps     float   vertical rate, m/s, positive up
onground   bool    reported on the ground
========== ======= ==========================================================================

Within a pair, altitudes are compared on one reference: barometric for both aircraft when both
have it, geometric for both otherwise (see :func:`common_altitudes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import pandas as pd

STATES_COLUMNS: dict[str, str] = {
    "id": "object",
    "party": "object",
    "callsign": "object",
    "t": "float64",
    "lat": "float64",
    "lon": "float64",
    "alt_m": "float64",
    "alt_baro_m": "float64",
    "alt_geo_m": "float64",
    "alt_src": "object",
    "gs_mps": "float64",
    "trk_deg": "float64",
    "vs_mps": "float64",
    "onground": "bool",
}

UNKNOWN_PARTY = "unknown"

_ICAO24 = re.compile(r"[0-9a-fA-F]{6}")


def normalise_id(ident: str) -> str:
    """The key an aircraft id is compared by: a 24-bit ICAO address (six hexadecimal digits)
    in lower case, whatever case it was written in; any other id exactly as written."""
    text = str(ident).strip()
    return text.lower() if _ICAO24.fullmatch(text) else text


def check_states(frame: pd.DataFrame, columns: Iterable[str] = STATES_COLUMNS) -> None:
    """Raise ``ValueError`` naming each contract column (of ``columns``) missing from
    ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"states table lacks column(s): {', '.join(missing)}")


def complete_states(frame: pd.DataFrame) -> pd.DataFrame:
    """A states table with every contract column, the optional ones filled from the others.

    Tables written to the short contract (``id, party, callsign, t, lat, lon, alt_m, gs_mps,
    trk_deg, vs_mps``) are accepted: ``alt_m`` is taken as barometric unless ``alt_src`` says
    ``geo``; a missing ``party`` is ``unknown``, ``callsign`` empty, ``onground`` false.
    """
    required = ["id", "lat", "lon", "gs_mps", "trk_deg", "vs_mps"]
    missing = [c for c in required if c not in frame.columns]
    has_alt = {"alt_m", "alt_baro_m", "alt_geo_m"} & set(frame.columns)
    if missing or not has_alt:
        lacking = missing + ([] if has_alt else ["alt_m"])
        raise ValueError(f"states table lacks column(s): {', '.join(lacking)}")
    if all(c in frame.columns for c in STATES_COLUMNS):
        return frame
    out = frame.copy()
    n = len(out)
    if "alt_src" not in out.columns:
        if "alt_baro_m" in out.columns:
            baro_known = out["alt_baro_m"].notna().to_numpy()
        else:
            baro_known = np.full(n, "alt_m" in out.columns)
        out["alt_src"] = np.where(baro_known, "baro", "geo")
    geo_src = out["alt_src"].astype(str).eq("geo").to_numpy()
    if "alt_m" in out.columns:
        alt = out["alt_m"].to_numpy(np.float64)
        if "alt_baro_m" not in out.columns:
            out["alt_baro_m"] = np.where(geo_src, np.nan, alt)
        if "alt_geo_m" not in out.columns:
            out["alt_geo_m"] = np.where(geo_src, alt, np.nan)
    else:
        baro = out["alt_baro_m"] if "alt_baro_m" in out else pd.Series(np.nan, index=out.index)
        geo = out["alt_geo_m"] if "alt_geo_m" in out else pd.Series(np.nan, index=out.index)
        out["alt_baro_m"], out["alt_geo_m"] = baro, geo
        out["alt_m"] = baro.where(baro.notna(), geo)
    defaults: dict[str, str | float | bool] = {
        "party": UNKNOWN_PARTY,
        "callsign": "",
        "t": 0.0,
        "onground": False,
    }
    for column, value in defaults.items():
        if column not in out.columns:
            out[column] = value
    return out


def empty_states() -> pd.DataFrame:
    """An empty states table with the contract's columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in STATES_COLUMNS.items()})


def common_altitudes(
    baro_i: npt.NDArray[np.float64],
    geo_i: npt.NDArray[np.float64],
    baro_j: npt.NDArray[np.float64],
    geo_j: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Altitudes of both aircraft of each pair on one reference.

    Returns ``(alt_i, alt_j, baro)``: barometric for both where both have it, geometric for both
    otherwise; NaN for both where the pair has no common reference.
    """
    baro = ~np.isnan(baro_i) & ~np.isnan(baro_j)
    alt_i = np.where(baro, baro_i, geo_i)
    alt_j = np.where(baro, baro_j, geo_j)
    bad = np.isnan(alt_i) | np.isnan(alt_j)
    alt_i = np.where(bad, np.nan, alt_i)
    alt_j = np.where(bad, np.nan, alt_j)
    return alt_i, alt_j, baro


def bring_to_common_time(states: pd.DataFrame, at: float | None = None) -> pd.DataFrame:
    """States of different times extrapolated to one time ``at`` (default: the latest ``t``).

    Positions move along their geodesics (great circles), altitudes by their vertical rate;
    ``age_s`` grows by the time moved. A table already at one time is returned as it is.
    """
    from wellclear.geo import extrapolate

    t = states["t"].to_numpy(np.float64)
    if len(t) == 0:
        return states
    target = float(np.nanmax(t)) if at is None else float(at)
    dt = target - t
    if not np.any(dt != 0.0):
        return states
    out = states.copy()
    lat, lon, trk = extrapolate(
        out["lat"].to_numpy(np.float64),
        out["lon"].to_numpy(np.float64),
        out["trk_deg"].to_numpy(np.float64),
        out["gs_mps"].to_numpy(np.float64) * dt,
    )
    out["lat"], out["lon"], out["trk_deg"] = lat, lon, trk
    climb = out["vs_mps"].to_numpy(np.float64) * dt
    for column in ("alt_m", "alt_baro_m", "alt_geo_m"):
        out[column] = out[column].to_numpy(np.float64) + climb
    age = out["age_s"].to_numpy(np.float64) if "age_s" in out.columns else np.zeros(len(out))
    out["age_s"] = age + dt
    out["t"] = target
    return out
