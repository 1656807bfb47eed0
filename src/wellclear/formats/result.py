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
    source: str,
    lines: npt.ArrayLike,
    columns: npt.ArrayLike,
    reasons: npt.ArrayLike,
    raws: npt.ArrayLike,
) -> pd.DataFrame:
    """A rejects table from parallel arrays, sorted by line."""
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


def accounting(rows: int, used: int, rejected: int) -> str:
    """Every input row is used, counted or rejected, in words for a command's summary:
    ``input rows N = U used + C counted + R rejected`` (counted: the rows a command read and
    set aside for a stated reason, e.g. blank lines, repeats, earlier reports of an aircraft)."""
    return (
        f"input rows {rows} = {used} used + {rows - used - rejected} counted + {rejected} rejected"
    )
