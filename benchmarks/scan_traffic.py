"""The ``traffic`` library's closest point of approach on a states-contract Parquet file.

Run by a Python that has ``traffic`` (2.13; it needs pandas < 3), not the project's: ``python
benchmarks/scan.py --traffic-python PY`` runs it on slices of the Paris-replicated data, with a
time limit. It converts the states columns to traffic's (icao24, callsign, timestamp, latitude,
longitude, altitude in ft, groundspeed in kt, track, vertical_rate in ft/min), drops the rows
without a position or an altitude (traffic's candidate query cannot take a NaN bound), then runs
``Traffic.closest_point_of_approach(lateral, vertical, projection, max_workers=...)`` and takes
each pair's minimum (``CPA.aggregate(5, 1000).min("aggregated")``). It prints one line ``RESULT
{json}``: rows read and used, flights, seconds to import, load and compute, pairs examined, and
pairs that came within 5 NM and 1000 ft at one time (``aggregated < 1``).

    /tmp/bench_trafficvenv/bin/python benchmarks/scan_traffic.py slice.parquet --workers 2
"""

from __future__ import annotations

import argparse
import json
import time

NM_M = 1852.0
FT_M = 0.3048
KT_MPS = NM_M / 3600.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="Parquet file in the states contract")
    parser.add_argument("--lateral-nm", type=float, default=5.0)
    parser.add_argument("--vertical-ft", type=float, default=1000.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    start = time.perf_counter()
    import numpy as np
    import pandas as pd
    import pyproj
    import traffic
    from traffic.core import Traffic

    imported = time.perf_counter()
    states = pd.read_parquet(args.path)
    frame = pd.DataFrame(
        {
            "icao24": states["id"].astype(str),
            "callsign": states["callsign"].fillna("").astype(str),
            "timestamp": pd.to_datetime(states["t"], unit="s", utc=True),
            "latitude": states["lat"],
            "longitude": states["lon"],
            "altitude": states["alt_m"] / FT_M,
            "groundspeed": states["gs_mps"] / KT_MPS,
            "track": states["trk_deg"],
            "vertical_rate": states["vs_mps"] / FT_M * 60.0,
        }
    ).dropna(subset=["latitude", "longitude", "altitude"])
    data = Traffic(frame)
    lat, lon = frame["latitude"], frame["longitude"]
    projection = pyproj.Proj(
        proj="lcc",
        lat_1=float(lat.min()),
        lat_2=float(lat.max()),
        lat_0=float(lat.mean()),
        lon_0=float(lon.mean()),
    )
    loaded = time.perf_counter()
    cpa = data.closest_point_of_approach(
        args.lateral_nm * NM_M, args.vertical_ft, projection=projection, max_workers=args.workers
    )
    pairs = within = 0
    if cpa is not None:
        # one row per ordered pair: its smallest max(lateral / 5 NM, vertical / 1000 ft)
        best = cpa.aggregate(args.lateral_nm, args.vertical_ft).min("aggregated").data
        a = best.index.get_level_values(0).to_numpy(str)
        b = best.index.get_level_values(1).to_numpy(str)
        key = pd.Series(np.where(a < b, a, b)) + " " + pd.Series(np.where(a < b, b, a))
        pairs = int(key.nunique())
        within = int(key[best["aggregated"].to_numpy() < 1.0].nunique())
    done = time.perf_counter()
    result = {
        "traffic": traffic.__version__,
        "pandas": pd.__version__,
        "rows": len(states),
        "rows_used": len(frame),
        "flights": int(frame["icao24"].nunique()),
        "import_s": imported - start,
        "load_s": loaded - imported,
        "cpa_s": done - loaded,
        "pairs": pairs,
        "pairs_within": within,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
