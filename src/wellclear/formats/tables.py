"""Writers of result tables: one sink, the format chosen by the file's extension."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import pandas as pd

from wellclear.formats.resultset import check_output_file, replacing

TABLE_FORMATS = (".csv", ".jsonl", ".json", ".ndjson", ".parquet")


def write_table(
    frame: pd.DataFrame, output: str | Path | None, stdout: TextIO | None = None
) -> None:
    """Write ``frame`` as CSV, JSON lines or Parquet by the extension of ``output``, complete or
    not at all; CSV to standard output when ``output`` is None or ``-``."""
    if output is None or str(output) == "-":
        frame.to_csv(stdout or sys.stdout, index=False)
        return
    path = check_output_file(output)
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise ValueError(
            f"{path}: unknown output format {suffix!r}: use one of {', '.join(TABLE_FORMATS)}"
        )
    with replacing(path) as tmp:  # complete or absent
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_json(tmp, orient="records", lines=True, double_precision=15)
