"""Write airspace results by extension: CSV, JSON lines, Parquet, GeoJSON.

Times stay unix seconds in every format. GeoJSON writes each event as a LineString from its
entry point to its exit point, and each snapshot finding as a Point at the aircraft (RFC 7946
order: lon, lat), with the other columns as properties.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from wellclear.formats.resultset import check_output_file, write_atomic
from wellclear.formats.tables import write_table

SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet", ".geojson")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def to_geojson(frame: pd.DataFrame) -> dict[str, Any]:
    """Events (entry/exit columns) as LineStrings, other findings as Points."""
    features = []
    lines = {"entry_lon", "entry_lat", "exit_lon", "exit_lat"} <= set(frame.columns)
    for rec in frame.to_dict(orient="records"):
        props = {k: _clean(v) for k, v in rec.items()}
        if lines:
            coords = [
                [props["entry_lon"], props["entry_lat"]],
                [props["exit_lon"], props["exit_lat"]],
            ]
            geom = {"type": "LineString", "coordinates": coords}
        else:
            geom = {"type": "Point", "coordinates": [props["lon"], props["lat"]]}
        features.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def write_results(frame: pd.DataFrame, output: str | Path | None) -> None:
    """Write ``frame`` to ``output`` by its extension; CSV on standard output when None or -."""
    if output is not None and str(output) != "-":
        check_output_file(output)
    if output is not None and Path(output).suffix.lower() == ".geojson":
        write_atomic(Path(output), json.dumps(to_geojson(frame)))
        return
    if output is None or Path(output).suffix.lower() in SUFFIXES or str(output) == "-":
        write_table(frame, output)
    else:
        raise ValueError(
            f"output {output}: unknown extension, expected one of {', '.join(SUFFIXES)}"
        )
