"""Write airspace results by extension: CSV, JSON lines, Parquet, GeoJSON.

The findings of ``airspace check`` (:data:`wellclear.schemas.AIRSPACE_NOW`) and the events of
``--tracks`` (:data:`wellclear.schemas.INFRINGEMENTS`) are written in their result contracts:
UTC timestamps in Parquet, ISO 8601 times in CSV, JSON lines and GeoJSON, with the main time
in unix seconds in ``t_unix``. GeoJSON writes each event as a LineString from its entry point
to its exit point, and each snapshot finding as a Point at the aircraft (RFC 7946 order: lon,
lat), with the other columns as properties. Other tables (``airspace show``) are written as
they are.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from wellclear.formats.results import text_frame
from wellclear.formats.resultset import check_output_file, write_atomic
from wellclear.formats.tables import write_table
from wellclear.schemas import AIRSPACE_NOW, INFRINGEMENTS, Schema, conform

SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet", ".geojson")


def schema_of(frame: pd.DataFrame) -> Schema | None:
    """The result contract whose columns ``frame`` has (``t_unix`` aside), if any."""
    have = {str(c) for c in frame.columns} - {"t_unix"}
    for schema in (AIRSPACE_NOW, INFRINGEMENTS):
        if have == set(schema.names) - {"t_unix"}:
            return schema
    return None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def to_geojson(frame: pd.DataFrame) -> dict[str, Any]:
    """Events (entry/exit columns) as LineStrings, other findings as Points."""
    features = []
    lines = {"entry_lon", "entry_lat", "exit_lon", "exit_lat"} <= set(frame.columns)
    for rec in frame.to_dict(orient="records"):
        props = {str(k): _clean(v) for k, v in rec.items()}
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


def write_results(
    frame: pd.DataFrame, output: str | Path | None, schema: Schema | None = None
) -> None:
    """Write ``frame`` to ``output`` by its extension; CSV on standard output when None or -.

    ``schema`` (default: the airspace contract whose columns ``frame`` has, see
    :func:`schema_of`) conforms it first.
    """
    schema = schema or schema_of(frame)
    if output is not None and str(output) != "-":
        check_output_file(output)
    if output is not None and Path(output).suffix.lower() == ".geojson":
        if schema is not None:
            frame = text_frame(conform(frame, schema), schema)
        write_atomic(Path(output), json.dumps(to_geojson(frame)))
        return
    if output is None or Path(output).suffix.lower() in SUFFIXES or str(output) == "-":
        write_table(frame, output, schema=schema)
    else:
        raise ValueError(
            f"output {output}: unknown extension, expected one of {', '.join(SUFFIXES)}"
        )
