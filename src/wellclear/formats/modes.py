"""Raw Mode S / ADS-B frames with timestamps, decoded with rs1090 into states.

Inputs (the Beast binary framing is in :mod:`wellclear.formats.beast`):

* CSV with a header: a time column (``timestamp``, ``mintime``, ``time`` or ``t``; unix s) and
  a frame column (``frame`` or ``rawmsg``: hex); other columns are ignored. The header is line 1.
* Text, one frame a line: ``TIMESTAMP HEX`` (space or comma between; ``*HEX;`` accepted); blank
  lines and lines starting ``#`` are skipped.

A frame is 14 hex digits (56 bits: DF 0, 4, 5, 11) or 28 (112 bits: DF 16, 17, 18, 20, 21).
Decoding is rs1090's (``rs1090.decode(frames, timestamps, reference=...)``), never by hand:
airborne CPR positions come from even/odd pairs of the same aircraft (then locally from the
last position), surface positions need ``reference`` (lat, lon near the receiver).

State rows come from ADS-B position messages (DF17/18, BDS 0,5 airborne and 0,6 surface) that
rs1090 resolves to a position; each takes from the same aircraft:

* ground speed, track and vertical rate from the latest BDS 0,9 no older than ``max_age_s``,
  and the geometric altitude as barometric + its ``geo_minus_baro`` (surface rows: their own
  speed and track, altitude from the latest DF0/4/16/20 reply as old at most);
* the callsign of the latest BDS 0,8 before the row (or its first, for rows before any);
* ``nacp`` from the latest BDS 6,5 / 6,2, ``nucp`` from the row's own type code;
* ``source_type``: ``adsb`` (DF17), rs1090's ``tisb`` label lower-cased (DF18), ``mlat``.

Units are converted here: ft to m, kt to m/s, ft/min to m/s. A frame that is not hex or has
the wrong length is bad input (:class:`FrameError`, or a reject with ``invalid="skip"``). A
well-formed frame that carries no position (DF4, DF11 all-call, Comm-B, BDS 0,9 ...), one whose
position cannot be resolved yet, and one that rs1090 does not accept (parity/CRC) are not
errors: they are counted in ``counts``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.formats.errors import DecodeError
from wellclear.formats.feeds import (
    FeedResult,
    InvalidPolicy,
    attach_latest,
    finish_states,
    make_rejects,
    raise_first,
)
from wellclear.units import FPM_MPS, FT_M, KT_MPS

TIME_COLUMNS = ("timestamp", "mintime", "time", "t")
FRAME_COLUMNS = ("frame", "rawmsg")
FRAME_HEX_LENGTHS = (14, 28)
_HEX = re.compile(r"[0-9a-f]*")
MESSAGE_FIELDS = (
    "df", "bds", "icao24", "altitude", "latitude", "longitude", "groundspeed", "track",
    "vertical_rate", "geo_minus_baro", "callsign", "NACp", "NUCp", "source", "tisb",
)  # fmt: skip
"""The fields of rs1090's messages that the states take something from."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class FrameError(DecodeError):
    """A raw Mode S frame, or its timestamp, that cannot be read."""


@dataclass(frozen=True)
class Frames:
    """Frames read from a file, not yet decoded: parallel arrays.

    ``line`` is the 1-based line (or message index) in ``source``; ``mlat`` marks frames whose
    time came from a multilateration server rather than the receiver's clock.
    """

    source: str
    t: FloatArray
    hex: npt.NDArray[np.object_]
    line: IntArray
    mlat: npt.NDArray[np.bool_]


def check_frames(hexes: pd.Series) -> tuple[pd.Series, npt.NDArray[np.object_]]:
    """Normalised frames (lower case, ``*...;`` removed) and a reason per bad frame ('' if ok)."""
    clean = hexes.fillna("").astype(str).str.strip().str.strip("*;").str.lower()
    is_hex = clean.str.fullmatch(_HEX.pattern).to_numpy(dtype=bool)
    size = clean.str.len().to_numpy()
    reasons = np.full(len(clean), "", dtype=object)
    bad_size = ~np.isin(size, FRAME_HEX_LENGTHS)
    for i in np.flatnonzero(bad_size):
        reasons[i] = f"frame of {size[i]} hex digits: expected 14 or 28"
    reasons[~is_hex] = "not a hex string"
    return clean, reasons


def _times(text: pd.Series) -> tuple[FloatArray, npt.NDArray[np.object_]]:
    values = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    reasons = np.where(np.isfinite(values), "", "not a time in unix seconds").astype(object)
    return values, reasons


def _first_reason(*reasons: tuple[str, npt.NDArray[np.object_]]) -> tuple[Any, Any]:
    """Per row, the column and reason of the first non-empty reason."""
    n = len(reasons[0][1])
    column = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    for name, why in reversed(reasons):
        has = why != ""
        column[has] = name
        reason[has] = why[has]
    return column, reason


def load_frames(path: str | Path) -> tuple[Frames, pd.DataFrame, dict[str, int]]:
    """Read a CSV or text file of timestamped frames; returns frames, rejects and counts."""
    source = str(path)
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        lines = handle.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    raw = pd.Series(lines, dtype=object).str.rstrip("\r")
    header = [c.strip().lower() for c in (lines[0].split(",") if lines else [])]
    time_col = next((c for c in TIME_COLUMNS if c in header), None)
    frame_col = next((c for c in FRAME_COLUMNS if c in header), None)
    if frame_col is not None:
        if time_col is None:
            raise FrameError(
                f"no time column: expected one of {', '.join(TIME_COLUMNS)}",
                file=source,
                line=1,
                field="header",
            )
        body = raw.iloc[1:]
        cells = body.str.split(",", expand=True).reindex(columns=range(len(header)))
        cells.columns = header
        extra = (body.str.count(",") + 1 != len(header)).to_numpy()
        time_text, frame_text = cells[time_col].fillna(""), cells[frame_col].fillna("")
        skip = body.str.strip().eq("").to_numpy()
        line = np.arange(2, len(raw) + 1, dtype=np.int64)
        field_reason = np.where(extra, f"expected {len(header)} fields", "").astype(object)
        names = ("fields", time_col, frame_col)
    else:
        skip = (raw.str.strip().eq("") | raw.str.lstrip().str.startswith("#")).to_numpy()
        parts = raw.str.replace(",", " ", regex=False).str.split()
        size = np.array([len(p) for p in parts], dtype=np.int64)
        time_text = parts.str[0].fillna("")
        frame_text = parts.str[1].fillna("")
        line = np.arange(1, len(raw) + 1, dtype=np.int64)
        field_reason = np.where(size != 2, "expected 'TIMESTAMP HEX'", "").astype(object)
        body = raw
        names = ("fields", "timestamp", "frame")
    t, time_reason = _times(time_text)
    hexes, frame_reason = check_frames(frame_text)
    column, reason = _first_reason(
        (names[0], field_reason), (names[1], time_reason), (names[2], frame_reason)
    )
    bad = (reason != "") & ~skip
    keep = ~bad & ~skip
    rejects = make_rejects(source, line[bad], column[bad], reason[bad], body.to_numpy()[bad])
    frames = Frames(
        source,
        t[keep],
        hexes.to_numpy(dtype=object)[keep],
        line[keep],
        np.zeros(int(keep.sum()), dtype=bool),
    )
    counts = {"lines": len(raw), "skipped_lines": int(skip.sum()), "rejected": int(bad.sum())}
    return frames, rejects, counts


def _messages(frames: Frames, reference: tuple[float, float] | None) -> pd.DataFrame:
    """rs1090's decoding of each frame, one row per accepted frame, with the frame's line."""
    import rs1090

    order = np.lexsort((frames.line, frames.t))
    hexes = [str(h) for h in frames.hex[order]]
    times = [float(x) for x in frames.t[order]]
    decoded: list[dict[str, Any]] = (
        rs1090.decode(hexes, times, reference=reference) if hexes else []  # type: ignore[assignment]
    )
    rows: list[int] = []
    i = 0
    for message in decoded:  # rs1090 keeps the order and leaves out the frames it rejects
        while hexes[i] != message["frame"] or times[i] != message["timestamp"]:
            i += 1
        rows.append(i)
        i += 1
    # only the fields used below (a frame of all of rs1090's ~70 fields cost as much as the
    # decoding itself); a field no message has is all missing
    table = pd.DataFrame.from_records(decoded, columns=list(MESSAGE_FIELDS))
    picked = order[np.asarray(rows, dtype=np.int64)]
    table["t"] = frames.t[picked]
    table["line"] = frames.line[picked]
    table["mlat"] = frames.mlat[picked]
    table["id"] = table["icao24"].astype(str).str.lower()
    return table


def _float(series: pd.Series) -> FloatArray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)


def decode_frames(
    frames: Frames, *, reference: tuple[float, float] | None = None, max_age_s: float = 10.0
) -> FeedResult:
    """Decode well-formed frames with rs1090 and merge them per aircraft into states."""
    msgs = _messages(frames, reference)
    counts: dict[str, int] = {"frames": len(frames.t), "not_decoded": len(frames.t) - len(msgs)}
    if msgs.empty:
        msgs = msgs.assign(df="", bds="")
    df = msgs["df"].astype(str)
    bds = msgs["bds"].astype(str)
    for value, number in df.value_counts().items():
        counts[f"df{value}"] = int(number)
    adsb = df.isin(["17", "18"])
    is_pos = adsb & bds.isin(["05", "06"])
    lat, lon = _float(msgs["latitude"]), _float(msgs["longitude"])
    resolved = is_pos.to_numpy() & ~np.isnan(lat) & ~np.isnan(lon)
    counts["position_unresolved"] = int(is_pos.sum() - resolved.sum())
    counts["positions"] = int(resolved.sum())
    surface = (bds == "06").to_numpy()
    alt_ft = _float(msgs["altitude"])
    geo_src = msgs["source"].astype(str).ne("barometric").to_numpy() & ~surface
    tisb = msgs["tisb"].fillna("").astype(str).str.lower()
    kind = np.where(df == "18", tisb.where(tisb != "", "df18"), "adsb")
    pos = pd.DataFrame(
        {
            "id": msgs["id"],
            "t": msgs["t"],
            "line": msgs["line"],
            "lat": lat,
            "lon": lon,
            "alt_baro_m": np.where(geo_src | surface, np.nan, alt_ft * FT_M),
            "alt_geo_m": np.where(geo_src, alt_ft * FT_M, np.nan),
            "gs_mps": np.where(surface, _float(msgs["groundspeed"]) * KT_MPS, np.nan),
            "trk_deg": np.where(surface, _float(msgs["track"]), np.nan),
            "vs_mps": np.nan,
            "onground": surface,
            "nucp": _float(msgs["NUCp"]),
            "source_type": np.where(msgs["mlat"].to_numpy(dtype=bool), "mlat", kind),
        }
    )[resolved].reset_index(drop=True)
    air = ~pos["onground"].to_numpy()

    velocity = msgs[adsb & (bds == "09")].assign(
        gs_mps=lambda m: _float(m["groundspeed"]) * KT_MPS,
        trk_deg=lambda m: _float(m["track"]),
        vs_mps=lambda m: _float(m["vertical_rate"]) * FPM_MPS,
        geo_minus_baro_m=lambda m: _float(m["geo_minus_baro"]) * FT_M,
    )
    kinematics = ["gs_mps", "trk_deg", "vs_mps", "geo_minus_baro_m"]
    with_vel = attach_latest(pos, velocity, kinematics, max_age_s)
    for c in ("gs_mps", "trk_deg", "vs_mps"):
        pos[c] = np.where(air, with_vel[c].to_numpy(), pos[c].to_numpy())
    delta = with_vel["geo_minus_baro_m"].to_numpy(dtype=np.float64)
    baro, geo = pos["alt_baro_m"].to_numpy(), pos["alt_geo_m"].to_numpy()
    pos["alt_geo_m"] = np.where(np.isnan(geo), baro + delta, geo)
    pos["alt_baro_m"] = np.where(np.isnan(baro) & air, geo - delta, baro)

    replies = msgs[df.isin(["0", "4", "16", "20"]) & msgs["altitude"].notna()]
    replies = replies.assign(reply_alt_m=_float(replies["altitude"]) * FT_M)
    with_alt = attach_latest(pos, replies, ["reply_alt_m"], max_age_s)
    fill = ~air & np.isnan(pos["alt_baro_m"].to_numpy())
    pos.loc[fill, "alt_baro_m"] = with_alt["reply_alt_m"].to_numpy()[fill]

    names = msgs[adsb & (bds == "08") & msgs["callsign"].notna()]
    names = names.assign(callsign=names["callsign"].astype(str).str.strip("_ "))
    with_name = attach_latest(pos, names, ["callsign"], None)
    first_name = names.sort_values(["t", "line"]).groupby("id")["callsign"].first()
    pos["callsign"] = (
        with_name["callsign"].astype(object).fillna(pos["id"].map(first_name)).fillna("")
    )

    quality = msgs[adsb & bds.isin(["62", "65"]) & msgs["NACp"].notna()]
    pos["nacp"] = attach_latest(pos, quality.assign(nacp=_float(quality["NACp"])), ["nacp"], None)[
        "nacp"
    ].to_numpy()
    pos["source"] = frames.source
    return FeedResult(
        finish_states(pos), make_rejects(frames.source, *[np.array([])] * 4), [], counts
    )


def read_frames(
    path: str | Path,
    *,
    reference: tuple[float, float] | None = None,
    invalid: InvalidPolicy = "error",
    max_age_s: float = 10.0,
) -> FeedResult:
    """Read timestamped hex frames (CSV or ``TIMESTAMP HEX`` text) and decode them into states.

    With ``invalid="error"`` the first bad line raises :class:`FrameError` (file, line, field).
    """
    frames, rejects, counts = load_frames(path)
    if invalid == "error":
        raise_first(rejects, FrameError)
    result = decode_frames(frames, reference=reference, max_age_s=max_age_s)
    result.rejects = rejects
    result.counts = {**counts, **result.counts}
    return result
