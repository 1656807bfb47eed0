"""Recorded surveillance feeds: one entry point, :func:`read_feed`, for SBS, Mode S and ASTERIX.

Readers, by name, in :data:`READERS` (module and function, imported when first used so that
rs1090 loads only for Mode S inputs):

=========== ============================================================================
name        input
=========== ============================================================================
``sbs``     SBS-1/BaseStation text, ``MSG,...`` lines (:mod:`wellclear.formats.sbs`)
``frames``  raw Mode S hex frames with timestamps, CSV or text (:mod:`.modes`)
``beast``   Beast binary captures (:mod:`wellclear.formats.beast`)
``asterix`` ASTERIX CAT021/CAT062/CAT048 recordings, ``.ast`` (:mod:`.asterix`)
=========== ============================================================================

Every reader returns a :class:`FeedResult`: the states (the contract of
:mod:`wellclear.states`, plus ``source``, ``line`` and quality columns), the rejected rows (with
``invalid="skip"``), notes meant for the user (say them on stderr) and counts of what was read
and why messages gave no row, so that nothing is dropped silently.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal, cast

import numpy as np
import pandas as pd

from wellclear.formats.errors import DecodeError
from wellclear.formats.result import REJECT_COLUMNS as REJECT_COLUMNS
from wellclear.formats.result import ReadResult
from wellclear.formats.result import empty_rejects as empty_rejects
from wellclear.formats.result import make_rejects as make_rejects
from wellclear.formats.result import raise_first as raise_first
from wellclear.states import STATES_COLUMNS, UNKNOWN_PARTY

InvalidPolicy = Literal["error", "skip"]

EVIDENCE_COLUMNS = ["source", "line"]
QUALITY_COLUMNS = ["nacp", "nucp", "source_type"]

FeedResult = ReadResult
"""The readers' one result (:class:`wellclear.formats.result.ReadResult`)."""


Reader = Callable[..., FeedResult]

READERS: dict[str, str] = {
    "sbs": "wellclear.formats.sbs:read_sbs",
    "frames": "wellclear.formats.modes:read_frames",
    "beast": "wellclear.formats.beast:read_beast",
    "asterix": "wellclear.formats.asterix:read_asterix",
}


def get_reader(kind: str) -> Reader:
    """The reader registered under ``kind``; ``ValueError`` naming the known kinds otherwise."""
    target = READERS.get(kind)
    if target is None:
        raise ValueError(f"unknown feed kind {kind!r}: expected one of {', '.join(READERS)}")
    module, name = target.split(":")
    return cast(Reader, getattr(importlib.import_module(module), name))


def detect_kind(path: str | Path) -> str:
    """The reader for a file, from its extension and, where that does not say, its first line.

    ``.bin``/``.beast`` are Beast, ``.ast``/``.asterix`` ASTERIX; a first line starting ``MSG,``
    (or another SBS message type) is SBS; a CSV header with a ``frame`` or ``rawmsg`` column, or
    a first line of a number and a hex string, is raw frames.
    """
    name = str(path).lower()
    if name.endswith((".bin", ".beast")):
        return "beast"
    if name.endswith((".ast", ".asterix")):
        return "asterix"
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if b"\x1a" in head[:1] and head[1:2] in b"1234":
        return "beast"
    text = head.decode("utf-8", errors="replace")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.split(",", 1)[0] in {"MSG", "SEL", "ID", "AIR", "STA", "CLK"}:
        return "sbs"
    header = [c.strip().lower() for c in first.split(",")]
    if "frame" in header or "rawmsg" in header:
        return "frames"
    parts = first.replace(",", " ").split()
    if len(parts) == 2 and all(c in "0123456789abcdefABCDEF*;" for c in parts[1]):
        return "frames"
    if name.endswith((".sbs", ".txt", ".log")):
        return "sbs"
    raise DecodeError(
        "cannot tell the feed format: expected SBS (MSG,...), raw frames (CSV with a frame or "
        "rawmsg column, or 'timestamp hex' lines) or Beast (.bin, .beast)",
        file=str(path),
        line=1,
    )


def read_feed(
    path: str | Path,
    *,
    kind: str | None = None,
    tz: str = "UTC",
    t0: float | None = None,
    reference: tuple[float, float] | None = None,
    invalid: InvalidPolicy = "error",
) -> FeedResult:
    """Read a recorded surveillance feed into states, detecting its format unless ``kind``.

    ``tz`` is the time zone of SBS times; ``t0`` the unix time of the first Beast message, or
    for ASTERIX a time on the recording's UTC day (by default the file's modification time);
    ``reference`` a (lat, lon) near the receiver for Mode S position decoding.
    """
    kind = kind or detect_kind(path)
    reader = get_reader(kind)
    if kind == "sbs":
        return reader(path, tz=tz, invalid=invalid)
    if kind == "beast":
        return reader(path, t0=t0, reference=reference, invalid=invalid)
    if kind == "asterix":
        return reader(path, t0=t0, invalid=invalid)
    return reader(path, reference=reference, invalid=invalid)


# Helpers shared by the readers.


def attach_latest(
    rows: pd.DataFrame, updates: pd.DataFrame, columns: list[str], max_age_s: float | None
) -> pd.DataFrame:
    """For each row, the ``columns`` of the latest update of the same ``id`` at or before ``t``.

    Both frames have ``id``, ``t`` and ``line``; an update older than ``max_age_s`` (None: any
    age) is not used. Returns ``rows`` (same order) with ``columns`` added or replaced.
    """
    rows = rows.drop(columns=[c for c in columns if c in rows.columns])
    if rows.empty or updates.empty:
        return rows.assign(**{c: np.nan for c in columns})
    left = rows.assign(_order=np.arange(len(rows))).sort_values(["t", "line"], kind="stable")
    right = updates[["id", "t", "line", *columns]].rename(columns={"line": "_uline"})
    right = right.sort_values(["t", "_uline"], kind="stable")
    merged = pd.merge_asof(
        left,
        right,
        on="t",
        by="id",
        direction="backward",
        allow_exact_matches=True,
        tolerance=max_age_s,  # type: ignore[arg-type]  # a number for a float key
    )
    merged = merged.sort_values("_order", kind="stable").drop(columns=["_order", "_uline"])
    return merged.reset_index(drop=True)


def finish_states(frame: pd.DataFrame) -> pd.DataFrame:
    """Order, complete and type the states columns; ``alt_m`` is barometric, else geometric."""
    out = frame.copy()
    n = len(out)
    for c in ("alt_baro_m", "alt_geo_m", "gs_mps", "trk_deg", "vs_mps", "nacp", "nucp"):
        if c not in out:
            out[c] = np.full(n, np.nan)
    baro = out["alt_baro_m"].to_numpy(dtype=np.float64)
    geo = out["alt_geo_m"].to_numpy(dtype=np.float64)
    has_baro = ~np.isnan(baro)
    out["alt_m"] = np.where(has_baro, baro, geo)
    out["alt_src"] = np.where(has_baro, "baro", np.where(np.isnan(geo), "", "geo")).astype(object)
    out["party"] = UNKNOWN_PARTY
    if "callsign" not in out:
        out["callsign"] = ""
    out["callsign"] = out["callsign"].fillna("").astype(str).str.strip().astype(object)
    if "source_type" not in out:
        out["source_type"] = ""
    out["source_type"] = out["source_type"].fillna("").astype(object)
    out["onground"] = out["onground"].fillna(False).astype(bool)
    columns = list(STATES_COLUMNS) + EVIDENCE_COLUMNS + QUALITY_COLUMNS
    out = out[columns].astype({c: d for c, d in STATES_COLUMNS.items() if d != "object"})
    out["line"] = out["line"].astype(np.int64)
    return out.sort_values(["t", "line"], kind="stable").reset_index(drop=True)
