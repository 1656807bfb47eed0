"""Writers of result tables: one sink, the format chosen by the file's extension."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import pandas as pd

TABLE_FORMATS = (".csv", ".jsonl", ".json", ".ndjson", ".parquet")


def write_table(
    frame: pd.DataFrame, output: str | Path | None, stdout: TextIO | None = None
) -> None:
    """Write ``frame`` as CSV, JSON lines or Parquet by the extension of ``output``;
    CSV to standard output when ``output`` is None or ``-``."""
    if output is None or str(output) == "-":
        frame.to_csv(stdout or sys.stdout, index=False)
        return
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix in (".jsonl", ".json", ".ndjson"):
        frame.to_json(path, orient="records", lines=True, double_precision=15)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        raise ValueError(
            f"{path}: unknown output format {suffix!r}: use one of {', '.join(TABLE_FORMATS)}"
        )
