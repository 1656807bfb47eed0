"""EUROCONTROL ASTERIX surveillance data into states: CAT021 (ADS-B target reports), CAT062
(SDPS system tracks) and CAT048 (monoradar target reports), decoded with libasterix (MIT; the
items and units of the category specifications, editions :data:`EDITIONS`), never by hand.

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
 048    010 SAC/SIC                  the radar, whose position (lat, lon, height) is given
 048    220 aircraft address         ``id``, else ``SSSIIITTTTT`` (SAC, SIC, 161 track number)
 048    140 time of day              ``t``
 048    040 measured position polar  ``lat``, ``lon``: RHO (slant range, NM) and THETA (azimuth
                                     from true north) from the radar, the slant range turned into
                                     a ground distance on a sphere of radius 6,371 km with the
                                     target at its flight level (the radar's height if none),
                                     then along the WGS-84 geodesic (pyproj)
 048    090 flight level             ``alt_baro_m``
 048    200 track velocity polar     ``gs_mps`` (GSP NM/s), ``trk_deg`` (HDG)
 048    240 aircraft identification  ``callsign``
======  ===========================  ===========================================================

Times are seconds of the UTC day: each is put on the day that brings it nearest ``near_s`` (the
receiving clock). A record without a position gives no state (counted), as does a CAT048
record of a radar whose position is not given (counted as ``no_radar``); other categories are
counted. A block that libasterix cannot read is rejected whole
(``line`` its offset in the data, ``column`` ``block``) with its reason.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wellclear.formats.errors import DecodeError
from wellclear.formats.feeds import (
    FeedResult,
    InvalidPolicy,
    finish_states,
    make_rejects,
    raise_first,
)
from wellclear.formats.result import concat_rejects
from wellclear.units import FPM_MPS, FT_M

EDITIONS = {21: "Cat_021_2_7", 62: "Cat_062_1_21", 48: "Cat_048_1_32"}
NM_M = 1852.0
DAY_S = 86400.0
EARTH_M = 6_371_000.0

Radars = dict[tuple[int, int], tuple[float, float, float]]
"""(SAC, SIC) -> the radar's (lat deg, lon deg, height m)."""


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


def _ident(record: Any, address: int | None, track_item: str) -> str:
    """The aircraft's address (hex), else ``SSSIIITTTTT``: SAC, SIC and track number."""
    if address is not None:
        return f"{address:06x}"
    sac, sic = _uint(record, "010", "SAC") or 0, _uint(record, "010", "SIC") or 0
    return f"{sac:03d}{sic:03d}{_uint(record, track_item) or 0:05d}"


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
    ident = _ident(r, address, "040")
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


def ground_range_m(slant_m: float, radar_h_m: float, target_h_m: float) -> float:
    """The distance along a sphere of radius :data:`EARTH_M` between the points below a radar
    and a target ``slant_m`` apart (law of cosines on the triangle with the centre)."""
    a, b = EARTH_M + radar_h_m, EARTH_M + target_h_m
    cos = (a * a + b * b - slant_m * slant_m) / (2.0 * a * b)
    return EARTH_M * math.acos(min(1.0, max(-1.0, cos)))


def _cat048(r: Any, near_s: float, radars: Radars) -> dict[str, Any] | None:
    sac, sic = _uint(r, "010", "SAC") or 0, _uint(r, "010", "SIC") or 0
    radar = radars.get((sac, sic))
    if radar is None:
        return None
    from pyproj import Geod

    alt_m = _q(r, "090", "FL", "FL") * 100.0 * FT_M
    rho, theta = _q(r, "040", "NM", "RHO") * NM_M, _q(r, "040", "°", "THETA")
    lat = lon = math.nan
    if not math.isnan(rho):
        ground = ground_range_m(rho, radar[2], radar[2] if math.isnan(alt_m) else alt_m)
        lon, lat, _ = Geod(ellps="WGS84").fwd(radar[1], radar[0], theta, ground)
    address = _uint(r, "220")
    ident = (
        f"{address:06x}" if address is not None else f"{sac:03d}{sic:03d}{_uint(r, '161') or 0:05d}"
    )
    tod = _q(r, "140", "s")
    return {
        "id": ident,
        "t": _on_day(tod, near_s) if not math.isnan(tod) else math.nan,
        "lat": lat,
        "lon": lon,
        "alt_baro_m": alt_m,
        "alt_geo_m": math.nan,
        "gs_mps": _q(r, "200", "NM/s", "GSP") * NM_M,
        "trk_deg": _q(r, "200", "°", "HDG") % 360.0,
        "vs_mps": math.nan,
        "callsign": _text(r, "240"),
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


def decode_asterix(
    data: bytes, *, source: str, near_s: float, radars: Radars | None = None
) -> tuple[FeedResult, int]:
    """States of the complete data blocks in ``data`` and the length they took (the rest is
    an unfinished block); see the module docstring."""
    from asterix import generated
    from asterix.base import Bits, RawDatablock

    blocks, end = split_blocks(data)
    rows: list[dict[str, Any]] = []
    bad: list[tuple[int, str, str, str]] = []
    counts = {"blocks": len(blocks), "records": 0, "no_position": 0, "other_categories": 0}
    counts["no_radar"] = 0
    for offset, block in blocks:
        category = block[0]
        if category not in EDITIONS:
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
            if category == 48:
                found = _cat048(record, near_s, radars or {})
                if found is None:
                    counts["no_radar"] += 1
                    continue
                row = found
            else:
                row = READERS[category](record, near_s)
            if math.isnan(row["lat"]) or math.isnan(row["lon"]) or math.isnan(row["t"]):
                counts["no_position"] += 1
                continue
            rows.append({**row, "line": offset + 1, "category": category})
    frame = pd.DataFrame.from_records(rows) if rows else _empty()
    frame["onground"] = False
    frame["source"] = source
    kind = np.where(frame["category"] == 21, "adsb", "track")
    frame["source_type"] = np.where(frame["category"] == 48, "radar", kind).astype(object)
    rejects = make_rejects(source, *(np.array([b[k] for b in bad], dtype=object) for k in range(4)))
    counts["positions"] = len(frame)
    return FeedResult(finish_states(frame.drop(columns=["category"])), rejects, [], counts), end


class AsterixError(DecodeError):
    """An ASTERIX recording that cannot be read whole."""


def read_asterix(
    path: str | Path,
    *,
    t0: float | None = None,
    radars: Radars | None = None,
    invalid: InvalidPolicy = "error",
) -> FeedResult:
    """Read an ASTERIX recording (data blocks back to back) into states. Times of day are put
    on the UTC day nearest ``t0`` (unix s), by default the file's modification time (a
    recorder writes as it receives). A file that ends inside a block has that block rejected;
    with ``invalid="error"`` the first rejected block raises :class:`AsterixError` (file,
    offset as ``line``, field ``block``)."""
    source = str(path)
    data = Path(path).read_bytes()
    near = Path(path).stat().st_mtime if t0 is None else t0
    result, end = decode_asterix(data, source=source, near_s=near, radars=radars)
    if end < len(data):
        cut = make_rejects(source, [end + 1], ["block"], ["the file ends inside a block"],
                           [data[end:].hex()])  # fmt: skip
        result.rejects = concat_rejects([result.rejects, cut])
    if invalid == "error":
        raise_first(result.rejects, AsterixError)
    return result


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
