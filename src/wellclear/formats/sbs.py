"""SBS-1/BaseStation text, as dump1090 and readsb serve it on port 30003.

Wire layout: one message a line, 22 comma-separated fields, empty where not given::

    MSG,3,1,1,4CA2D6,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.530,,37000,,,49.01,2.55,,,0,0,0,0

====  ==================  ====================================================================
 no.  field               content
====  ==================  ====================================================================
  1   message_type        ``MSG`` (transmission); ``SEL``, ``ID``, ``AIR``, ``STA``, ``CLK``
                          are console events, counted and not read
  2   transmission_type   1 ES identification, 2 ES surface position, 3 ES airborne position,
                          4 ES airborne velocity, 5 surveillance altitude, 6 surveillance
                          identity (squawk), 7 air-to-air, 8 all-call reply
  3   session_id          receiver session (ignored)
  4   aircraft_id         receiver's aircraft number (ignored)
  5   hex_ident           ICAO 24-bit address, 6 hex digits (``~`` first: a non-ICAO address)
  6   flight_id           receiver's flight number (ignored)
  7   date_generated      ``YYYY/MM/DD`` when the message was received, in the receiver's zone
  8   time_generated      ``HH:MM:SS.sss``, same; these two give ``t`` (read in ``tz``)
  9   date_logged         when it was written (ignored)
 10   time_logged         same (ignored)
 11   callsign            flight identification (MSG,1)
 12   altitude            barometric altitude, ft (MSG,2,3,5,6,7)
 13   ground_speed        kt (MSG,2,4)
 14   track               degrees true (MSG,2,4)
 15   lat                 degrees WGS-84 (MSG,2,3)
 16   lon                 degrees WGS-84 (MSG,2,3)
 17   vertical_rate       ft/min, positive up (MSG,4)
 18   squawk              Mode A code (MSG,6; ignored)
 19   alert               squawk changed flag (ignored)
 20   emergency           emergency flag (ignored)
 21   spi                 ident flag (ignored)
 22   is_on_ground        ``-1`` (or ``1``) on the ground, ``0`` airborne, empty unknown
====  ==================  ====================================================================

Merging: every MSG,2 and MSG,3 line with a position is one state row. A MSG,3 row takes ground
speed, track and vertical rate from the latest MSG,4 of the same aircraft no older than
``max_age_s``, and, when its own altitude is empty, the latest altitude of MSG,5/6/7 as old at
most. The callsign is the latest one the aircraft sent before the row (or its first, for rows
before any). Units are converted here: ft to m, kt to m/s, ft/min to m/s.

Bad input (a line that is not an SBS message, a MSG line without 22 fields, a bad transmission
type, address, date, time or number, a latitude or longitude out of range) raises
:class:`SbsError` naming the file, line and field; with ``invalid="skip"`` such lines are
returned as rejects instead.
"""

from __future__ import annotations

from pathlib import Path

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

SBS_FIELDS = (
    "message_type",
    "transmission_type",
    "session_id",
    "aircraft_id",
    "hex_ident",
    "flight_id",
    "date_generated",
    "time_generated",
    "date_logged",
    "time_logged",
    "callsign",
    "altitude",
    "ground_speed",
    "track",
    "lat",
    "lon",
    "vertical_rate",
    "squawk",
    "alert",
    "emergency",
    "spi",
    "is_on_ground",
)
OTHER_TYPES = frozenset({"SEL", "ID", "AIR", "STA", "CLK"})
NUMERIC_FIELDS = ("altitude", "ground_speed", "track", "lat", "lon", "vertical_rate")

Mask = npt.NDArray[np.bool_]


class SbsError(DecodeError):
    """An SBS-1/BaseStation line that cannot be read."""


class _Rejections:
    """The first reason each line is rejected, in the order the checks run."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.column = np.full(n, "", dtype=object)
        self.reason = np.full(n, "", dtype=object)

    def add(self, mask: Mask, column: str, reason: str | npt.NDArray[np.object_]) -> None:
        new = np.asarray(mask, dtype=bool) & ~self.bad
        self.bad |= new
        self.column[new] = column
        self.reason[new] = reason[new] if isinstance(reason, np.ndarray) else reason


def _unix_seconds(local: pd.Series, tz: str, notes: list[str]) -> npt.NDArray[np.float64]:
    """Unix seconds of naive local datetimes read in ``tz``; NaN where the time does not exist."""
    index = pd.DatetimeIndex(local)
    try:
        aware = index.tz_localize(tz, ambiguous="infer", nonexistent="NaT")
    except (ValueError, TypeError):  # ambiguous times that cannot be inferred from order
        aware = index.tz_localize(tz, ambiguous=np.ones(len(index), bool), nonexistent="NaT")
        notes.append(f"ambiguous local times in {tz} (clock set back) read as daylight time")
    utc = aware.tz_convert("UTC").tz_localize(None)
    seconds = (utc - pd.Timestamp(0)).total_seconds().to_numpy(dtype=np.float64)
    return np.where(aware.isna(), np.nan, seconds)


def _parse_times(cells: pd.DataFrame) -> pd.Series:
    """Naive datetimes from the date/time-generated fields; NaT where unreadable."""
    text = cells["date_generated"].str.strip() + " " + cells["time_generated"].str.strip()
    stamp = pd.to_datetime(text, format="%Y/%m/%d %H:%M:%S.%f", errors="coerce")
    missing = stamp.isna()
    if missing.any():
        stamp[missing] = pd.to_datetime(text[missing], format="%Y/%m/%d %H:%M:%S", errors="coerce")
    return stamp


def parse_sbs(
    lines: list[str], *, source: str = "<input>", tz: str = "UTC", max_age_s: float = 10.0
) -> FeedResult:
    """Decode SBS lines (without line ends) into states; bad lines come back as rejects."""
    raw = pd.Series(lines, dtype=object).str.rstrip("\r\n")
    n = len(raw)
    line_no = np.arange(1, n + 1, dtype=np.int64)
    notes: list[str] = []
    blank = raw.str.strip().eq("").to_numpy()
    kind = raw.str.split(",", n=1).str[0].str.strip()
    is_msg = kind.eq("MSG").to_numpy()
    other = kind.isin(OTHER_TYPES).to_numpy()
    check = _Rejections(n)
    names = np.array([f"not an SBS message type: {k!r}" for k in kind], dtype=object)
    check.add(~blank & ~is_msg & ~other, "message_type", names)
    nfields = raw.str.count(",").to_numpy() + 1
    counts_reason = np.array([f"expected 22 comma-separated fields, got {k}" for k in nfields])
    check.add(is_msg & (nfields != len(SBS_FIELDS)), "fields", counts_reason.astype(object))

    msg = is_msg & ~check.bad
    cells = (
        raw[msg].str.split(",", expand=True)
        if msg.any()
        else pd.DataFrame(columns=range(len(SBS_FIELDS)), dtype=object)
    )
    cells = cells.reindex(columns=range(len(SBS_FIELDS))).fillna("")
    cells.columns = list(SBS_FIELDS)
    idx = np.flatnonzero(msg)

    def flag(sub_mask: Mask, column: str, reason: str) -> None:
        full = np.zeros(n, dtype=bool)
        full[idx[sub_mask]] = True
        check.add(full, column, reason)

    tt_text = cells["transmission_type"].str.strip()
    tt = pd.to_numeric(tt_text, errors="coerce").to_numpy(dtype=np.float64)
    flag(~np.isin(tt, np.arange(1, 9)), "transmission_type", "transmission type is not 1 to 8")
    hex_ident = cells["hex_ident"].str.strip().str.lower()
    flag(~hex_ident.str.fullmatch(r"~?[0-9a-f]{6}").to_numpy(), "hex_ident", "not a 24-bit address")
    stamp = _parse_times(cells)
    date_ok = cells["date_generated"].str.strip().str.fullmatch(r"\d{4}/\d{2}/\d{2}").to_numpy()
    flag(~date_ok, "date_generated", "not a date YYYY/MM/DD")
    flag(stamp.isna().to_numpy(), "time_generated", "not a time HH:MM:SS.sss")
    t = np.full(len(cells), np.nan)
    ok_time = stamp.notna().to_numpy()
    if ok_time.any():
        t[ok_time] = _unix_seconds(stamp[ok_time], tz, notes)
    flag(ok_time & np.isnan(t), "time_generated", f"time does not exist in {tz}")

    values: dict[str, npt.NDArray[np.float64]] = {}
    for name in NUMERIC_FIELDS:
        text = cells[name].str.strip()
        number = pd.to_numeric(text.where(text != "", None), errors="coerce")
        values[name] = number.to_numpy(dtype=np.float64)
        finite = np.isfinite(values[name]) | (text == "").to_numpy()
        flag(~finite, name, "not a finite number")
    flag(np.abs(values["lat"]) > 90.0, "lat", "latitude outside +-90")
    flag(np.abs(values["lon"]) > 180.0, "lon", "longitude outside +-180")
    flag(values["ground_speed"] < 0.0, "ground_speed", "negative ground speed")
    ground_text = cells["is_on_ground"].str.strip()
    flag(~ground_text.isin(["", "0", "-1", "1"]).to_numpy(), "is_on_ground", "not a flag -1/0/1")

    good = ~check.bad[idx]
    rows = pd.DataFrame(
        {
            "id": hex_ident.to_numpy(dtype=object),
            "t": t,
            "line": line_no[idx],
            "tt": np.nan_to_num(tt, nan=0).astype(np.int64),
            "callsign": cells["callsign"].str.strip().to_numpy(dtype=object),
            "alt_baro_m": values["altitude"] * FT_M,
            "gs_mps": values["ground_speed"] * KT_MPS,
            "trk_deg": np.mod(values["track"], 360.0),
            "vs_mps": values["vertical_rate"] * FPM_MPS,
            "lat": values["lat"],
            "lon": values["lon"],
            "onground": ground_text.isin(["-1", "1"]).to_numpy(),
        }
    )[good].reset_index(drop=True)
    states, counts = _merge(rows, max_age_s)
    states["source"] = source
    states["source_type"] = "sbs"
    counts.update(
        lines=n,
        blank=int(blank.sum()),
        other_messages=int((other & ~check.bad).sum()),
        rejected=int(check.bad.sum()),
    )
    bad = check.bad
    rejects = make_rejects(
        source, line_no[bad], check.column[bad], check.reason[bad], raw.to_numpy()[bad]
    )
    return FeedResult(finish_states(states), rejects, notes, counts)


def _merge(rows: pd.DataFrame, max_age_s: float) -> tuple[pd.DataFrame, dict[str, int]]:
    """State rows from positions, with the latest velocity, altitude and callsign."""
    counts = {f"msg{k}": int((rows["tt"] == k).sum()) for k in range(1, 9)}
    has_pos = rows["lat"].notna() & rows["lon"].notna()
    is_pos = rows["tt"].isin([2, 3])
    counts["no_position"] = int((is_pos & ~has_pos).sum())
    pos = rows[is_pos & has_pos].reset_index(drop=True)
    pos.loc[pos["tt"] == 2, "onground"] = True
    airborne = (pos["tt"] == 3).to_numpy()
    velocity = rows[rows["tt"] == 4]
    with_vel = attach_latest(pos, velocity, ["gs_mps", "trk_deg", "vs_mps"], max_age_s)
    for c in ("gs_mps", "trk_deg", "vs_mps"):
        pos[c] = np.where(airborne, with_vel[c].to_numpy(), pos[c].to_numpy())
    altitude = rows[rows["tt"].isin([5, 6, 7]) & rows["alt_baro_m"].notna()]
    with_alt = attach_latest(pos, altitude, ["alt_baro_m"], max_age_s)
    pos["alt_baro_m"] = pos["alt_baro_m"].fillna(with_alt["alt_baro_m"])
    names = rows[rows["callsign"] != ""]
    with_name = attach_latest(pos, names, ["callsign"], None)
    first_name = names.sort_values(["t", "line"]).groupby("id")["callsign"].first()
    pos["callsign"] = (
        with_name["callsign"].astype(object).fillna(pos["id"].map(first_name)).fillna("")
    )
    pos["alt_geo_m"] = np.nan
    counts["positions"] = len(pos)
    return pos.drop(columns=["tt"]), counts


def read_sbs(
    path: str | Path,
    *,
    tz: str = "UTC",
    invalid: InvalidPolicy = "error",
    max_age_s: float = 10.0,
) -> FeedResult:
    """Read an SBS-1/BaseStation log into states (times in ``tz``, default UTC).

    With ``invalid="error"`` the first bad line raises :class:`SbsError` (file, line, field).
    """
    source = str(path)
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        lines = handle.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    result = parse_sbs(lines, source=source, tz=tz, max_age_s=max_age_s)
    if invalid == "error":
        raise_first(result.rejects, SbsError)
    return result
