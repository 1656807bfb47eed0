"""Result tables written batch by batch, so that a scan's memory does not grow with its output.

The evidence of an archive scan (tens of raw samples per encounter) can outgrow memory long
before the encounters do: :class:`TableWriter` appends each batch to one Parquet, CSV or JSON
file as the scan finishes it.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wellclear.formats.results import arrow_cast, json_records, text_frame
from wellclear.schemas import Schema, conform


def parquet_options(schema: pa.Schema) -> dict[str, object]:
    """How result tables are written to Parquet: zstd at level 1, dictionaries for text only
    (on the evidence of 10M rows: half the size of snappy with dictionaries everywhere, and
    faster to write)."""
    text = [f.name for f in schema if is_text(f.type)]
    return {"compression": "zstd", "compression_level": 1, "use_dictionary": text}


def is_text(kind: pa.DataType) -> bool:
    """Whether an Arrow type holds text: strings, or a dictionary of strings."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


class TableWriter:
    """One table written in batches: Parquet (one row group per batch), CSV (one header) or
    JSON (one array of records). The first non-empty batch fixes the columns and types; a
    table with no rows is written empty, with the columns and types of the empty batches it
    was given (else ``columns``)."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        columns: list[str] | None = None,
        schema: Schema | None = None,
    ) -> None:
        if fmt not in ("parquet", "csv", "json"):
            raise ValueError(f"unknown table format {fmt!r}")
        self.path = path.with_suffix(f".{fmt}")
        self.fmt = fmt
        self.schema = schema
        self.columns = columns or ([] if schema is None else schema.names)
        self.rows = 0
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._text: IO[str] | None = None
        self._empty: pd.DataFrame | None = None  # the columns and types of an empty table

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame``."""
        if self.schema is not None:  # the result contract (ISO times, rounded floats in text)
            frame = conform(frame, self.schema)
        if frame.empty:
            if self._empty is None:
                self._empty = frame.iloc[:0].copy()
            return
        if self.fmt == "csv" and self.schema is not None:
            frame = text_frame(frame, self.schema)
        if self.fmt == "parquet":
            table = arrow_cast(pa.Table.from_pandas(frame, preserve_index=False))
            if self._schema is not None:
                table = table.cast(self._schema)
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(
                    self.path, table.schema, **parquet_options(table.schema)
                )
            self._parquet.write_table(table)
        else:
            first = self._text is None
            if self._text is None:
                self._text = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
                if self.fmt == "json":
                    self._text.write("[\n")
            if self.fmt == "csv":
                frame.to_csv(self._text, index=False, header=first)
            else:
                if self.schema is not None:
                    records = json_records(frame, self.schema)
                else:
                    body = frame.to_json(orient="records", lines=True, double_precision=15)
                    records = body.strip().splitlines()
                self._text.write(("" if first else ",\n") + ",\n".join(records))
        self.rows += len(frame)

    def close(self) -> None:
        """Finish the file (an empty table when nothing was written)."""
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        elif self._text is not None:
            if self.fmt == "json":
                self._text.write("\n]\n")
            self._text.close()
            self._text = None
        elif self.rows == 0 and not self.path.exists():
            empty = self._empty if self._empty is not None else pd.DataFrame(columns=self.columns)
            if self.fmt == "parquet":
                table = arrow_cast(pa.Table.from_pandas(empty, preserve_index=False))
                pq.write_table(table, self.path, **parquet_options(table.schema))
            elif self.fmt == "csv":
                empty.to_csv(self.path, index=False)
            else:
                self.path.write_text("[]\n", encoding="utf-8")


class QueuedWriter:
    """Batches handed to a :class:`TableWriter` on a thread of its own, in order: encoding and
    compressing a batch (Arrow releases the GIL) overlaps with the caller's next batch. At most
    ``ahead`` batches wait; an error in a write is raised by the next :meth:`write` or by the
    exit of the ``with`` block, which waits for every batch and closes the file."""

    def __init__(self, writer: TableWriter, ahead: int = 2) -> None:
        self.writer = writer
        self.ahead = ahead
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="writer")
        self._waiting: deque[Future[None]] = deque()

    @property
    def path(self) -> Path:
        return self.writer.path

    def __enter__(self) -> QueuedWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            while self._waiting:
                self._waiting.popleft().result()
        finally:
            self._thread.shutdown(wait=True)
            self.writer.close()

    def write(self, frame: pd.DataFrame) -> None:
        """Queue the rows of ``frame`` (waiting while ``ahead`` batches are queued)."""
        while self._waiting and (self._waiting[0].done() or len(self._waiting) >= self.ahead):
            self._waiting.popleft().result()
        self._waiting.append(self._thread.submit(self.writer.write, frame))
