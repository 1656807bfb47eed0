"""The one result every reader of :mod:`wellclear.formats` returns: states, rejects, counts,
notes.

``states`` follow the contract of :mod:`wellclear.states` plus ``source`` (file name) and
``line`` (1-based physical line; the header is line 1; for Parquet and JSON the record's
number counted from 1; the message number for binary captures); table readers add ``t_row``
(time of the row, where ``t`` is the time of its position). ``rejects`` has
:data:`REJECT_COLUMNS`, one row per rejected input row with its reason. ``counts`` says how
many rows or messages were read and, by reason, how many gave no state (``rows`` = states +
the counted reasons + ``rejected``). ``notes`` are meant for the user (say them on stderr).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.formats.errors import DecodeError

REJECT_COLUMNS = ["source", "line", "column", "reason", "raw"]
"""Columns of the rejects table: file, line (or message number), field, reason, raw text."""

RAW_CHARS = 200
"""Raw text kept of a rejected row (a row of several MB is cut)."""


@dataclass
class ReadResult:
    """What a reader returns (see the module docstring)."""

    states: pd.DataFrame
    rejects: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def frame(self) -> pd.DataFrame:
        """The states (the name the table readers used)."""
        return self.states

    @property
    def warnings(self) -> list[str]:
        """The notes (the name the table readers used)."""
        return self.notes


def empty_rejects() -> pd.DataFrame:
    """An empty rejects table."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECT_COLUMNS})


def short(text: object) -> str:
    """``text`` as kept in a rejects table or a message: at most :data:`RAW_CHARS`."""
    s = str(text)
    return s if len(s) <= RAW_CHARS else f"{s[:RAW_CHARS]}... ({len(s)} characters)"


def make_rejects(
    source: str | npt.NDArray[np.object_],
    lines: npt.ArrayLike,
    columns: npt.ArrayLike,
    reasons: npt.ArrayLike,
    raws: npt.ArrayLike,
    *,
    by_line: bool = True,
) -> pd.DataFrame:
    """A rejects table from parallel arrays, sorted by line; ``source`` is one name, or each
    row's (rows of several files, given in their order: file by file, each by line, and kept
    in that order with ``by_line=False``)."""
    raw = np.asarray(raws, dtype=object)
    frame = pd.DataFrame(
        {
            "source": source,
            "line": np.asarray(lines, dtype=np.int64),
            "column": np.asarray(columns, dtype=object),
            "reason": np.asarray(reasons, dtype=object),
            "raw": np.array([short(r) for r in raw], dtype=object),
        }
    )
    if not by_line:
        return frame
    return frame.sort_values("line", kind="stable").reset_index(drop=True)


def raise_first(rejects: pd.DataFrame, error: type[DecodeError]) -> None:
    """Raise ``error`` for the first rejected row (first file, then lowest line), if any."""
    if rejects.empty:
        return
    order = pd.Series(rejects["source"]).astype(str)
    first_file = rejects[order == order.iloc[0]]
    first = first_file.iloc[int(np.argmin(first_file["line"].to_numpy()))]
    raise error(
        str(first["reason"]),
        file=str(first["source"]),
        line=int(first["line"]),
        field=str(first["column"]) or None,
        value=first["raw"],
    )


def concat_rejects(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Rejects of several inputs in one table, by input (in their order) and line; empty
    with the columns when none."""
    kept = [p for p in parts if len(p)]
    if not kept:
        return empty_rejects()
    out = pd.concat([p[REJECT_COLUMNS] for p in kept], ignore_index=True)
    order = pd.Series(pd.unique(out["source"].astype(str)))
    rank = out["source"].astype(str).map(dict(zip(order, order.index, strict=True)))
    keys = np.lexsort((out["line"].to_numpy(np.int64), rank.to_numpy(np.int64)))
    return out.iloc[keys].reset_index(drop=True)


def accounting(rows: int, used: int, rejected: int, counted: Mapping[str, int]) -> str:
    """Every input row is used, counted or rejected, in words for a command's summary:
    ``input rows N = U used + C counted (blank 2, repeats 1) + R rejected``; ``counted`` are
    the rows read and set aside, by stated reason (blank lines, exact repeats, frames without
    a position, earlier reports of an aircraft, ...). Rows that none of these accounts for
    are said, not hidden (``; K rows not accounted for``): the sum is checked, not assumed."""
    reasons = {k: v for k, v in counted.items() if v}
    total = sum(reasons.values())
    why = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in reasons.items())
    text = (
        f"input rows {rows} = {used} used + {total} counted{f' ({why})' if why else ''} "
        f"+ {rejected} rejected"
    )
    missing = rows - used - total - rejected
    return text + (f"; {missing} rows not accounted for" if missing else "")


def counted_reasons(counts: Mapping[str, int]) -> dict[str, int]:
    """The counted reasons of a reader's ``counts`` (without ``rows``, ``states``,
    ``rejected``)."""
    return {k: v for k, v in counts.items() if k not in ("rows", "states", "rejected", "lines")}
