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

import json
import sys
from pathlib import Path
from typing import IO, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wellclear.schemas import Schema, SchemaError, conform


def iso_text(stamps: pd.Series) -> pd.Series:
    """ISO 8601 UTC text of timestamps, to the microsecond, fractional seconds only when
    present (``2015-10-03T08:00:00Z``, ``2015-10-03T08:00:00.25Z``); None for NaT."""
    values = pd.to_datetime(stamps, utc=True).reset_index(drop=True)
    micro = values.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    text = pa.array(np.datetime_as_string(micro, unit="us"))  # always six decimals
    text = pc.replace_substring_regex(text, pattern=r"\.?0+$", replacement="")
    text = pc.binary_join_element_wise(text, "Z", "")
    out = pd.Series(text.to_numpy(zero_copy_only=False), index=stamps.index, dtype=object)
    return out.where(~values.isna().to_numpy(), None)


def text_frame(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """``frame`` (conformed to ``schema``) as CSV and JSON write it: times as ISO 8601 text,
    floats rounded to their column's precision."""
    out = {}
    for name in frame.columns:
        col = schema.column(str(name))
        s = frame[name]
        if col.dtype == "timestamp":
            s = iso_text(s)
        elif col.precision == 0:  # counts, line numbers: integers, missing left empty
            s = s.round().astype("Int64")
        elif col.precision is not None:
            s = s.round(col.precision)
        out[name] = s
    return pd.DataFrame(out, index=frame.index)


def write_csv(
    frame: pd.DataFrame, schema: Schema, out: str | Path | IO[str], header: bool = True
) -> None:
    """``frame`` (conformed) as CSV."""
    text_frame(frame, schema).to_csv(out, index=False, header=header)


def json_records(frame: pd.DataFrame, schema: Schema) -> list[str]:
    """Each row of ``frame`` (conformed) as a JSON object: times and floats as in CSV (floats
    in their shortest form, ``3050.866`` rather than ``3050.865999999999986``), missing
    values as ``null``."""
    text = text_frame(frame, schema)
    columns = []
    for name in text.columns:
        s = text[name]
        values = s.astype(object).tolist()
        missing = s.isna().to_numpy()
        if missing.any():
            values = [None if m else v for v, m in zip(values, missing, strict=True)]
        columns.append(values)
    names = [str(n) for n in text.columns]
    return [
        json.dumps(dict(zip(names, row, strict=True)), allow_nan=False, separators=(",", ":"))
        for row in zip(*columns, strict=True)
    ]


def jsonl_text(frame: pd.DataFrame, schema: Schema) -> str:
    """``frame`` (conformed) as JSON lines, each line ending in a newline."""
    return "".join(line + "\n" for line in json_records(frame, schema))


def write_jsonl(frame: pd.DataFrame, schema: Schema, out: str | Path) -> None:
    """``frame`` (conformed) as JSON lines."""
    Path(out).write_text(jsonl_text(frame, schema), encoding="utf-8")


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A conformed frame as Arrow: timestamps in microseconds UTC, categories as text."""
    return arrow_cast(pa.Table.from_pandas(frame, preserve_index=False))


def arrow_cast(table: pa.Table) -> pa.Table:
    """An Arrow table of a conformed frame as written to Parquet: timestamps in microseconds
    UTC, dictionaries as plain text (one schema for every batch), all-null columns as text."""
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


def _read_records(path: Path) -> pd.DataFrame:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):  # a JSON array of records (scan --format json)
        records = json.loads(text)
    else:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
    return pd.DataFrame.from_records(records)


def read_result(path: str | Path, schema: Schema) -> pd.DataFrame:
    """A result table written by wellclear (CSV, JSON lines or a JSON array, Parquet, by
    extension) read back as the contract ``schema``: ISO 8601 text as UTC timestamps, the
    contract's dtypes. A column not in the contract is a :class:`~wellclear.schemas.SchemaError`
    naming the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif suffix == ".csv":
        text = {c.name: object for c in schema.columns if c.dtype == "str" and not c.family}
        frame = pd.read_csv(path, dtype=text)
    elif suffix in (".json", ".jsonl", ".ndjson"):
        frame = _read_records(path)
    else:
        raise ValueError(f"{path}: unknown result format {suffix!r}")
    for name in frame.columns:
        stamp = any(c.matches(str(name)) and c.dtype == "timestamp" for c in schema.columns)
        if stamp and not pd.api.types.is_datetime64_any_dtype(frame[name]):
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    try:
        return conform(frame, schema)
    except SchemaError as err:
        raise SchemaError(f"{path}: {err}") from None
