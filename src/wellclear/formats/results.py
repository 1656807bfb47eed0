"""Writers of result tables, one per format, for frames of a result contract.

A frame conformed to its :class:`~wellclear.schemas.Schema` (:func:`~wellclear.schemas.conform`)
is written:

- as CSV: times as ISO 8601 UTC text (``2015-10-03T08:00:00Z``, fractional seconds only when
  present), floats rounded to the precision of their unit (positions 7 decimals, metres 2,
  seconds 3: see :data:`~wellclear.schemas.DECIMALS`), missing values as empty cells;
- as JSON lines: one object per row, times and floats as in CSV, missing values as ``null``;
- as Parquet: UTC timestamps (microseconds), floats as they are, zstd compressed.

:func:`text_frame` is the CSV/JSON form of a frame, for writers that append batches.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wellclear.schemas import Schema, conform


def iso_text(stamps: pd.Series) -> pd.Series:
    """ISO 8601 UTC text of timestamps, fractional seconds only when present; None for NaT."""
    values = pd.to_datetime(stamps, utc=True).reset_index(drop=True)
    ns = values.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    missing = values.isna().to_numpy()
    seconds = ns.astype("datetime64[s]")
    text = np.char.add(np.datetime_as_string(seconds, unit="s"), "Z").astype(object)
    frac = (ns - seconds).astype(np.int64)
    has = (frac != 0) & ~missing
    if has.any():
        digits = np.char.rstrip(np.char.mod("%09d", frac[has]), "0")
        whole = np.datetime_as_string(seconds[has], unit="s")
        text[has] = np.char.add(np.char.add(np.char.add(whole, "."), digits), "Z")
    text[missing] = None
    return pd.Series(text, index=stamps.index, dtype=object)


def text_frame(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """``frame`` (conformed to ``schema``) as CSV and JSON write it: times as ISO 8601 text,
    floats rounded to their column's precision."""
    out = {}
    for name in frame.columns:
        col = schema.column(str(name))
        s = frame[name]
        if col.dtype == "timestamp":
            s = iso_text(s)
        elif col.precision is not None:
            s = s.round(col.precision)
        out[name] = s
    return pd.DataFrame(out, index=frame.index)


def write_csv(
    frame: pd.DataFrame, schema: Schema, out: str | Path | IO[str], header: bool = True
) -> None:
    """``frame`` (conformed) as CSV."""
    text_frame(frame, schema).to_csv(out, index=False, header=header)


def jsonl_text(frame: pd.DataFrame, schema: Schema) -> str:
    """``frame`` (conformed) as JSON lines, each line ending in a newline."""
    if frame.empty:
        return ""
    body = text_frame(frame, schema).to_json(
        orient="records", lines=True, double_precision=15, date_format="iso"
    )
    return body if body.endswith("\n") else body + "\n"


def write_jsonl(frame: pd.DataFrame, schema: Schema, out: str | Path) -> None:
    """``frame`` (conformed) as JSON lines."""
    Path(out).write_text(jsonl_text(frame, schema), encoding="utf-8")


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A conformed frame as Arrow: timestamps in microseconds UTC, categories as text."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for f in table.schema:
        if pa.types.is_timestamp(f.type):
            fields.append(pa.field(f.name, pa.timestamp("us", tz="UTC")))
        elif pa.types.is_dictionary(f.type):
            fields.append(pa.field(f.name, f.type.value_type))
        elif pa.types.is_null(f.type):
            fields.append(pa.field(f.name, pa.string()))
        else:
            fields.append(f)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def write_parquet(frame: pd.DataFrame, out: str | Path) -> None:
    """``frame`` (conformed) as Parquet, zstd compressed."""
    pq.write_table(arrow_table(frame), out, compression="zstd", compression_level=1)


def write_result(
    frame: pd.DataFrame,
    schema: Schema,
    path: Path | None,
    fmt: str,
    stdout: TextIO | None = None,
) -> None:
    """Conform ``frame`` to ``schema`` and write it to ``path`` as ``fmt`` (``csv``,
    ``jsonl`` or ``parquet``); CSV to ``stdout`` (default standard output) when ``path`` is
    None."""
    conformed = conform(frame, schema)
    if path is None:
        write_csv(conformed, schema, stdout or sys.stdout)
    elif fmt == "csv":
        write_csv(conformed, schema, path)
    elif fmt == "jsonl":
        write_jsonl(conformed, schema, path)
    elif fmt == "parquet":
        write_parquet(conformed, path)
    else:
        raise ValueError(f"{path}: unknown result format {fmt!r}: use csv, jsonl or parquet")
