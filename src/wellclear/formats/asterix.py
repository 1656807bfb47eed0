"""EUROCONTROL ASTERIX surveillance data into states: CAT021 (ADS-B target reports) and CAT062
(SDPS system tracks), decoded with libasterix (MIT; the items and units of the category
specifications, editions :data:`EDITIONS`), never by hand.

Wire layout (ASTERIX Part 1, 4.2): a stream of data blocks, each ``CAT`` (1 byte), ``LEN``
(2 bytes, big-endian, the block's length including these 3) and records; each record an FSPEC
and the items it announces. Blocks are cut here by ``LEN`` (a block longer than the data is
the unfinished tail, kept for the next chunk); the records of a block are libasterix's.

Items read (the state's field from each):

======  ===========================  ===========================================================
 cat    item                         field
======  ===========================  ===========================================================
 021    080 target address           ``id`` (24-bit ICAO address, hex)
 021    073 / 071 / 077 time         ``t``: time of reception of position, else of applicability
                                     for position, else of report transmission (s of the UTC day)
 021    131 / 130 position           ``lat``, ``lon`` (high resolution, else 130), WGS-84 deg
 021    145 flight level             ``alt_baro_m`` (FL x 100 ft)
 021    140 geometric height         ``alt_geo_m`` (ft)
 021    160 airborne ground vector   ``gs_mps`` (GS NM/s), ``trk_deg`` (TA)
 021    155 / 157 vertical rate      ``vs_mps`` (barometric, else geometric; ft/min)
 021    170 target identification    ``callsign``
 062    380 ADR / 010 + 040          ``id``: the aircraft's address, else ``SSSIIITTTTT`` (SAC,
                                     SIC, track number) for a track without one
 062    070 time of track            ``t``
 062    105 position WGS-84          ``lat``, ``lon``
 062    136 measured flight level    ``alt_baro_m``
 062    130 geometric altitude       ``alt_geo_m`` (ft)
 062    185 velocity (Cartesian)     ``gs_mps`` = |(VX, VY)|, ``trk_deg`` = atan2(VX, VY)
 062    220 rate of climb/descent    ``vs_mps`` (ft/min)
 062    380 ID / 245 identification  ``callsign``
======  ===========================  ===========================================================

Times are seconds of the UTC day: each is put on the day that brings it nearest ``near_s`` (the
receiving clock). A record without a position gives no state (counted); CAT048 (monoradar
target reports, polar from the radar) needs each radar's position and is counted as not
decoded, as are other categories. A block that libasterix cannot read is rejected whole
(``line`` its offset in the data, ``column`` ``block``) with its reason.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from wellclear.formats.feeds import FeedResult, finish_states, make_rejects
from wellclear.units import FPM_MPS, FT_M

EDITIONS = {21: "Cat_021_2_7", 62: "Cat_062_1_21"}
NM_M = 1852.0
DAY_S = 86400.0


def _q(record: Any, item: str, unit: str, sub: str | None = None) -> float:
    """An item's (or subitem's) value in ``unit``; NaN when the record lacks it."""
    found = record.get_item(item)
    if found is None:
        return math.nan
    variation = found.variation
    if sub is not None:
        part = variation.get_item(sub)
        if part is None:
            return math.nan
        variation = part.variation
    return float(variation.content.as_quantity(unit))


def _text(record: Any, item: str, sub: str | None = None) -> str:
    found = record.get_item(item)
    if found is None:
        return ""
    variation = found.variation if sub is None else found.variation.get_item(sub)
    if variation is None:
        return ""
    if sub is not None:
        variation = variation.variation
    return str(variation.content.as_string()).strip()


def _uint(record: Any, item: str, sub: str | None = None) -> int | None:
    found = record.get_item(item)
    if found is None:
        return None
    if sub is None:
        return int(found.as_uint())
    part = found.variation.get_item(sub)
    return None if part is None else int(part.as_uint())


def _on_day(tod: float, near_s: float) -> float:
    """Unix seconds of ``tod`` (s of a UTC day) on the day nearest ``near_s``."""
    t = math.floor(near_s / DAY_S) * DAY_S + tod
    if t - near_s > DAY_S / 2:
        t -= DAY_S
    elif near_s - t > DAY_S / 2:
        t += DAY_S
    return t


def _cat021(r: Any, near_s: float) -> dict[str, Any]:
    tod = next(
        (v for v in (_q(r, i, "s") for i in ("073", "071", "077")) if not math.isnan(v)), math.nan
    )
    lat, lon = _q(r, "131", "°", "LAT"), _q(r, "131", "°", "LON")
    if math.isnan(lat):
        lat, lon = _q(r, "130", "°", "LAT"), _q(r, "130", "°", "LON")
    vs = _q(r, "155", "ft/min", "BVR")
    if math.isnan(vs):
        vs = _q(r, "157", "ft/min", "GVR")
    address = _uint(r, "080")
    return {
        "id": "" if address is None else f"{address:06x}",
        "t": _on_day(tod, near_s) if not math.isnan(tod) else math.nan,
        "lat": lat,
        "lon": lon,
        "alt_baro_m": _q(r, "145", "FL") * 100.0 * FT_M,
        "alt_geo_m": _q(r, "140", "ft") * FT_M,
        "gs_mps": _q(r, "160", "NM/s", "GS") * NM_M,
        "trk_deg": _q(r, "160", "°", "TA") % 360.0,
        "vs_mps": vs * FPM_MPS,
        "callsign": _text(r, "170"),
    }


def _cat062(r: Any, near_s: float) -> dict[str, Any]:
    address = _uint(r, "380", "ADR") if r.get_item("380") is not None else None
    if address is None:
        sac, sic = _uint(r, "010", "SAC") or 0, _uint(r, "010", "SIC") or 0
        ident = f"{sac:03d}{sic:03d}{_uint(r, '040') or 0:05d}"
    else:
        ident = f"{address:06x}"
    vx, vy = _q(r, "185", "m/s", "VX"), _q(r, "185", "m/s", "VY")
    name = _text(r, "380", "ID") if r.get_item("380") is not None else ""
    tod = _q(r, "070", "s")
    return {
        "id": ident,
        "t": _on_day(tod, near_s) if not math.isnan(tod) else math.nan,
        "lat": _q(r, "105", "°", "LAT"),
        "lon": _q(r, "105", "°", "LON"),
        "alt_baro_m": _q(r, "136", "FL") * 100.0 * FT_M,
        "alt_geo_m": _q(r, "130", "ft") * FT_M,
        "gs_mps": math.hypot(vx, vy),
        "trk_deg": math.degrees(math.atan2(vx, vy)) % 360.0,
        "vs_mps": _q(r, "220", "ft/min") * FPM_MPS,
        "callsign": name or _text(r, "245", "CHR"),
    }


READERS = {21: _cat021, 62: _cat062}


def split_blocks(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """(offset, block) of each complete data block, and where the unfinished tail begins."""
    blocks, pos = [], 0
    while pos + 3 <= len(data):
        size = int.from_bytes(data[pos + 1 : pos + 3], "big")
        if size < 3:
            blocks.append((pos, data[pos:]))  # a LEN that cannot be: the rest is rejected
            return blocks, len(data)
        if pos + size > len(data):
            break
        blocks.append((pos, data[pos : pos + size]))
        pos += size
    return blocks, pos


def decode_asterix(data: bytes, *, source: str, near_s: float) -> tuple[FeedResult, int]:
    """States of the complete data blocks in ``data`` and the length they took (the rest is
    an unfinished block); see the module docstring."""
    from asterix import generated
    from asterix.base import Bits, RawDatablock

    blocks, end = split_blocks(data)
    rows: list[dict[str, Any]] = []
    bad: list[tuple[int, str, str, str]] = []
    counts = {"blocks": len(blocks), "records": 0, "no_position": 0, "other_categories": 0}
    for offset, block in blocks:
        category = block[0]
        if category not in READERS:
            counts["other_categories"] += 1
            continue
        spec = getattr(generated, EDITIONS[category])
        raw = RawDatablock.parse(Bits.from_bytes(block))
        records = (
            raw if isinstance(raw, ValueError) else spec.cv_uap.parse(raw[0].get_raw_records())
        )
        if isinstance(records, ValueError):
            bad.append((offset, "block", f"CAT{category:03d}: {records}", block.hex()))
            continue
        for record in records:
            counts["records"] += 1
            row = READERS[category](record, near_s)
            if math.isnan(row["lat"]) or math.isnan(row["lon"]) or math.isnan(row["t"]):
                counts["no_position"] += 1
                continue
            rows.append({**row, "line": offset + 1, "category": category})
    frame = pd.DataFrame.from_records(rows) if rows else _empty()
    frame["onground"] = False
    frame["source"] = source
    frame["source_type"] = np.where(frame["category"] == 21, "adsb", "track").astype(object)
    rejects = make_rejects(source, *(np.array([b[k] for b in bad], dtype=object) for k in range(4)))
    counts["positions"] = len(frame)
    return FeedResult(finish_states(frame.drop(columns=["category"])), rejects, [], counts), end


def _empty() -> pd.DataFrame:
    columns = ["id", "t", "lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "trk_deg"]
    frame = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in columns})
    return frame.assign(
        id=pd.Series(dtype=object),
        vs_mps=pd.Series(dtype=np.float64),
        callsign=pd.Series(dtype=object),
        line=pd.Series(dtype=np.int64),
        category=pd.Series(dtype=np.int64),
    )
