"""Request bodies of ``POST /v1/states`` as reports: a JSON array of objects, NDJSON
(``application/x-ndjson``) or CSV (``text/csv``), in any column set that ``detect`` reads.

Records are numbered from 0 in the order of the body (for CSV, the data rows after the
header). Every record is either accepted or rejected with its index, field and reason; a body
that cannot be read at all is a :class:`BodyError` naming where it stops.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wellclear.formats.columns import SCHEMAS
from wellclear.formats.errors import DecodeError
from wellclear.formats.result import counted_reasons
from wellclear.formats.states import read_reports
from wellclear.store.parties import Principal

MEDIA = ("application/json", "application/x-ndjson", "text/csv")


class BodyError(ValueError):
    """A body that is not a batch of reports (HTTP 400 or 415, with this message)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Parsed:
    """The accepted reports (the reader's frame) and the rejected records."""

    reports: pd.DataFrame
    rejected: list[dict[str, Any]]
    counted: dict[str, int] = field(default_factory=dict)


def _records(body: bytes, media: str) -> pd.DataFrame:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BodyError(f"body is not UTF-8: byte {err.start}") from None
    if media == "text/csv":
        try:
            return _numbers(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            raise BodyError(f"CSV body: {err}") from None
    if media == "application/x-ndjson":
        lines = [(k, line) for k, line in enumerate(text.splitlines()) if line.strip()]
        try:  # one parse of the whole body; line by line only to name a bad line
            rows = json.loads("[" + ",".join(line for _, line in lines) + "]")
            if len(rows) != len(lines):
                raise json.JSONDecodeError("more than one value on a line", "", 0)
        except json.JSONDecodeError:
            rows = []
            for k, line in lines:
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as err:
                    raise BodyError(f"NDJSON line {k + 1}: {err.msg}") from None
                rows.append(value)
    else:
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as err:
            raise BodyError(
                f"JSON body: {err.msg} at line {err.lineno} column {err.colno}"
            ) from None
        if not isinstance(rows, list):
            raise BodyError("JSON body: expected an array of report objects")
    for k, row in enumerate(rows):
        if not isinstance(row, dict):
            raise BodyError(f"record {k}: expected an object, got {type(row).__name__}")
    return pd.DataFrame(rows)  # (from_records drops a lone empty object)


# the columns of the column sets ``detect`` reads that hold numbers (times included; not the
# identities, callsigns or booleans, whose text is kept as it is: an icao24 "000123" is not 123)
_NUMBER_COLUMNS = frozenset(
    name
    for schema in SCHEMAS.values()
    for name in (
        *schema.time,
        schema.pos_time,
        schema.lat,
        schema.lon,
        schema.gs,
        schema.trk,
        schema.vs,
        schema.baro,
        schema.geo,
    )
    if name is not None
) | {"alt_m", "t_row"}


def _numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """CSV text columns of numbers as floats where every cell is a finite or infinite number
    (Arrow's parser, the reader's own): the reader then converts them as numbers, several
    times faster than text, to the same values and reasons; a column with any other cell
    (empty, NaN, a word, an ISO time) stays text, checked cell by cell by the reader."""
    for name in _NUMBER_COLUMNS.intersection(frame.columns):
        try:
            values = pc.cast(pa.array(frame[name], pa.string()), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        floats = values.to_numpy(zero_copy_only=False)
        if not np.isnan(floats).any():
            frame[name] = floats
    return frame


def media_type(content_type: str | None) -> str:
    """The body's media type (``application/json`` when none is given)."""
    media = (content_type or "application/json").split(";")[0].strip().lower()
    if media not in MEDIA:
        raise BodyError(f"Content-Type {media!r}: expected one of {', '.join(MEDIA)}", status=415)
    return media


def parse_states(body: bytes, content_type: str | None, who: Principal) -> Parsed:
    """The reports of a body posted by ``who``: stamped with its party (a party may not post
    for another; the cell may give ``party`` per record)."""
    raw = _records(body, media_type(content_type))
    if len(raw.columns) == 0:  # no records, or only empty ones: each of those rejected
        empty = [
            {"index": k, "field": "record", "reason": "an empty record"} for k in range(len(raw))
        ]
        return Parsed(pd.DataFrame(), empty)
    raw.columns = [str(c) for c in raw.columns]
    rejected: list[dict[str, Any]] = []
    keep = np.ones(len(raw), dtype=bool)
    party_col = next((c for c in raw.columns if c.strip().lower() == "party"), None)
    if who.role == "party":
        if party_col is not None:
            given = raw[party_col].astype(object).fillna("").astype(str).str.strip()
            other = (given != "") & (given != who.name)
            for k in np.flatnonzero(other.to_numpy()):
                rejected.append(
                    {
                        "index": int(k),
                        "field": party_col,
                        "reason": f"a party posts its own aircraft only: {given.iloc[k]!r} "
                        f"is not {who.name!r}",
                    }
                )
            keep &= ~other.to_numpy()
            raw = raw.drop(columns=[party_col])
        raw["party"] = who.name
    index = np.flatnonzero(keep)
    try:
        read = read_reports(raw.iloc[index].reset_index(drop=True), invalid="skip")
    except DecodeError as err:
        raise BodyError(str(err), status=422) from None
    for line, column, reason in zip(
        read.rejects["line"], read.rejects["column"], read.rejects["reason"], strict=True
    ):
        rejected.append(
            {"index": int(index[int(line) - 1]), "field": str(column), "reason": str(reason)}
        )
    frame = read.frame
    if len(frame):
        frame = frame.assign(record=index[frame["line"].to_numpy(np.int64) - 1])
    rejected.sort(key=lambda r: r["index"])
    return Parsed(frame, rejected, counted_reasons(read.counts))
