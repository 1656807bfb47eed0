"""``--terminal``: leave out encounters in terminal areas (traffic that is meant to be close).

An encounter is left out when, at its minimum, both aircraft are within ``radius_m`` of one
airport with an IATA code in the ``airportsdata`` package and below its elevation + ``height_m``
(defaults 5 NM and 3000 ft, issue 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.encounters.scan import ScanResult
from wellclear.geo import ecef
from wellclear.units import FT_M, NM_M


def airports() -> pd.DataFrame:
    """IATA airports: ``iata, lat, lon, elevation_m``."""
    import airportsdata

    data = airportsdata.load("IATA")
    return pd.DataFrame(
        {
            "iata": list(data),
            "lat": [float(a["lat"]) for a in data.values()],
            "lon": [float(a["lon"]) for a in data.values()],
            "elevation_m": [float(a["elevation"] or 0.0) * FT_M for a in data.values()],
        }
    )


def in_terminal(
    lat: np.ndarray,
    lon: np.ndarray,
    alt_m: np.ndarray,
    ports: pd.DataFrame,
    radius_m: float,
    height_m: float,
) -> np.ndarray:
    """``(N, n_airports)``: each point within the radius of, and below the height over, each."""
    p = ecef(lat, lon)
    q = ecef(ports["lat"].to_numpy(), ports["lon"].to_numpy())
    d = np.linalg.norm(p[:, None, :] - q[None, :, :], axis=2)
    low = alt_m[:, None] < ports["elevation_m"].to_numpy()[None, :] + height_m
    result: np.ndarray = (d <= radius_m) & low
    return result


def drop_terminal(
    result: ScanResult, radius_m: float = 5 * NM_M, height_m: float = 3000 * FT_M
) -> ScanResult:
    """``result`` without the encounters in terminal areas (see the module docstring)."""
    enc = result.encounters
    if enc.empty:
        return result
    ports = airports()
    near = [
        in_terminal(
            enc[f"lat_{w}"].to_numpy(float),
            enc[f"lon_{w}"].to_numpy(float),
            enc[f"alt_{w}_m"].to_numpy(float),
            ports,
            radius_m,
            height_m,
        )
        for w in ("1", "2")
    ]
    drop = (near[0] & near[1]).any(axis=1)
    kept = enc[~drop].reset_index(drop=True)
    ev = result.evidence[result.evidence["encounter_id"].isin(set(kept["encounter_id"]))]
    return ScanResult(kept, ev.reset_index(drop=True), result.rows, result.flags)
