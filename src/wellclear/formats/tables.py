"""Writers of result tables: one sink, the format chosen by the file's extension."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import pandas as pd

from wellclear.formats.results import write_result
from wellclear.formats.resultset import check_output_file, replacing
from wellclear.schemas import Schema

TABLE_FORMATS = (".csv", ".jsonl", ".json", ".ndjson", ".parquet")
FORMAT_OF = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}


def write_table(
    frame: pd.DataFrame,
    output: str | Path | None,
    stdout: TextIO | None = None,
    schema: Schema | None = None,
) -> None:
    """Write ``frame`` as CSV, JSON lines or Parquet by the extension of ``output``, complete or
    not at all; CSV to standard output when ``output`` is None or ``-``.

    With ``schema``, the frame is conformed to that result contract first and written by
    :func:`~wellclear.formats.results.write_result` (ISO 8601 times and rounded floats in CSV
    and JSON, UTC timestamps in Parquet); without it, as pandas writes it.
    """
    if output is None or str(output) == "-":
        if schema is not None:
            write_result(frame, schema, None, "csv", stdout)
        else:
            frame.to_csv(stdout or sys.stdout, index=False)
        return
    path = check_output_file(output)
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise ValueError(
            f"{path}: unknown output format {suffix!r}: use one of {', '.join(TABLE_FORMATS)}"
        )
    with replacing(path) as tmp:  # complete or absent
        if schema is not None:
            write_result(frame, schema, tmp, FORMAT_OF.get(suffix, "parquet"))
        elif suffix == ".csv":
            frame.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_json(tmp, orient="records", lines=True, double_precision=15)
