"""Generated tracks for tests and benchmarks: straight great-circle flights as states."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.airspace.geometry import GEOD


def straight_track(
    lon0: float,
    lat0: float,
    az_deg: float,
    gs_mps: float,
    dt_s: float,
    duration_s: float,
    *,
    alt_m: float = 5800.0,
    vs_mps: float = 0.0,
    t0: float = 1_448_000_000.0,
    id: str = "a",
    party: str = "unknown",
    callsign: str = "",
) -> pd.DataFrame:
    """A track (states contract) along the great circle from (lon0, lat0) at azimuth ``az_deg``.

    Samples every ``dt_s`` for ``duration_s`` (both ends included); barometric altitude.
    """
    n = round(duration_s / dt_s) + 1
    tt = np.arange(n) * dt_s
    x, y, back = GEOD.fwd(np.full(n, lon0), np.full(n, lat0), np.full(n, az_deg), gs_mps * tt)
    alt = alt_m + vs_mps * tt
    return pd.DataFrame(
        {
            "id": id,
            "party": party,
            "callsign": callsign,
            "t": t0 + tt,
            "lat": np.asarray(y),
            "lon": np.asarray(x),
            "alt_m": alt,
            "alt_baro_m": alt,
            "alt_geo_m": np.nan,
            "alt_src": "baro",
            "gs_mps": gs_mps,
            "trk_deg": (np.asarray(back) + 180.0) % 360.0,
            "vs_mps": vs_mps,
            "onground": False,
        }
    )
