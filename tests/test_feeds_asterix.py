"""ASTERIX into a real ``wellclear serve``: CAT021 and CAT062 records made by libasterix's
encoder from chosen values (across the antimeridian, near the poles, at the equator), written
to a file that grows mid-block and sent as UDP datagrams; the stored states carry the chosen
values (within the items' resolution). CAT048, other categories, a cut datagram and a block
libasterix cannot read are counted and named."""

from __future__ import annotations

import asyncio
import math
import random
import socket
import time
from pathlib import Path
from typing import Any

import asterix.generated as gen
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from service_helpers import free_port, serve
from wellclear.feeds.asterixfeed import parse_radar
from wellclear.feeds.pipeline import Feed, parse_source
from wellclear.feeds.sender import Sender
from wellclear.formats.asterix import EARTH_M, _on_day, decode_asterix
from wellclear.formats.errors import DecodeError
from wellclear.formats.states import read_reports
from wellclear.store import open_store
from wellclear.store.parties import add_party
from wellclear.store.reports import batches_after
from wellclear.units import FPM_MPS, FT_M

C21, C62, C48 = gen.Cat_021_2_7, gen.Cat_062_1_21, gen.Cat_048_1_32
# (address, lat, lon, FL, ground speed kt, track deg, vertical rate ft/min, callsign)
CHOSEN = [
    (0x4CA2D6, 49.0123, 179.9950, 370.0, 450.0, 90.0, -640.0, "RYR123"),
    (0x4CA2D7, 49.0125, -179.9950, 360.0, 440.0, 270.0, 0.0, "RYR124"),
    (0x3C6586, 89.9000, 45.0000, 330.0, 300.0, 180.0, 1280.0, "DLH4AB"),
    (0x06A0A1, -0.0010, 0.0010, 50.0, 150.0, 10.0, 320.0, "QTR1"),
]


def _cat021(k: int, tod: float) -> bytes:
    a, lat, lon, fl, gs, trk, vs, name = CHOSEN[k]
    rec = C21.cv_record.create({
        "010": (("SAC", 1), ("SIC", 2)), "080": a, "073": (tod, "s"),
        "131": (("LAT", (lat, "°")), ("LON", (lon, "°"))), "145": (fl, "FL"),
        "160": (0, ("GS", (gs / 3600.0, "NM/s")), ("TA", (trk, "°"))),
        "155": (0, ("BVR", (vs, "ft/min"))), "170": name,
    })  # fmt: skip
    return bytes(C21.create([rec]).unparse().to_bytes())


def _cat062(k: int, tod: float, track: int) -> bytes:
    a, lat, lon, fl, gs, trk, vs, name = CHOSEN[k]
    v = gs * 1852.0 / 3600.0
    items: dict[str, Any] = {
        "010": (("SAC", 1), ("SIC", 3)), "040": track, "070": (tod, "s"),
        "105": (("LAT", (lat, "°")), ("LON", (lon, "°"))), "136": (fl, "FL"),
        "185": (("VX", (v * math.sin(math.radians(trk)), "m/s")),
                ("VY", (v * math.cos(math.radians(trk)), "m/s"))),
        "220": (vs, "ft/min"),
    }  # fmt: skip
    if k % 2 == 0:  # a track with the aircraft's address and identification
        items["380"] = {"ADR": a, "ID": name}
    return bytes(C62.create([C62.cv_record.create(items)]).unparse().to_bytes())


def _cat048(k: int = 0, tod: float = 0.0, radar: tuple[float, float, float] | None = None) -> bytes:
    """A plot of ``CHOSEN[k]`` as the radar at ``radar`` (SAC 1, SIC 4) sees it: slant range
    and azimuth from the geodesic (pyproj) and the sphere's triangle; 10 NM at 45 deg if none."""
    rho_nm, theta = 10.0, 45.0
    a, lat, lon, fl, gs, trk, _, name = CHOSEN[k]
    if radar is not None:
        az, _, ground = Geod(ellps="WGS84").inv(radar[1], radar[0], lon, lat)
        r1, r2 = EARTH_M + radar[2], EARTH_M + fl * 100 * FT_M
        slant = math.sqrt(r1 * r1 + r2 * r2 - 2 * r1 * r2 * math.cos(ground / EARTH_M))
        rho_nm, theta = slant / 1852.0, az % 360.0
    rec = C48.cv_record.create({
        "010": (("SAC", 1), ("SIC", 4)), "140": (tod, "s"),
        "040": (("RHO", (rho_nm, "NM")), ("THETA", (theta, "°"))),
        "090": (0, 0, ("FL", (fl, "FL"))),
        "220": a, "240": name, "200": (("GSP", (gs / 3600.0, "NM/s")), ("HDG", (trk, "°"))),
    })  # fmt: skip
    return bytes(C48.create([rec]).unparse().to_bytes())


def _check(states: pd.DataFrame, tod0: float, ids: dict[str, int]) -> None:
    assert set(states["id"]) == set(ids), states["id"].tolist()
    for ident, k in ids.items():
        row = states[states["id"] == ident].iloc[0]
        _, lat, lon, fl, gs, trk, vs, name = CHOSEN[k]
        assert row["lat"] == pytest.approx(lat, abs=2e-5) and row["lon"] == pytest.approx(
            lon, abs=2e-5
        )
        assert row["alt_baro_m"] == pytest.approx(fl * 100 * FT_M, abs=0.25 * 100 * FT_M)
        assert row["gs_mps"] == pytest.approx(gs * 1852 / 3600, abs=0.5)
        assert (row["trk_deg"] - trk + 180) % 360 - 180 == pytest.approx(0, abs=0.5)
        assert row["vs_mps"] == pytest.approx(vs * FPM_MPS, abs=6.25 * FPM_MPS + 1e-9)
        assert row["t"] % 86400 == pytest.approx(tod0 + k, abs=1 / 128)
        if not ident.isdigit():
            assert row["callsign"] == name


def test_decoding_the_chosen_values_anywhere_on_earth() -> None:
    now = time.time()
    tod = now % 86400
    data = b"".join(_cat021(k, tod + k) for k in range(4))
    data += b"".join(_cat062(k, tod + k, 500 + k) for k in range(4))
    data += _cat048() + b"\x22\x00\x06\x01\x02\x03"  # CAT048; CAT034 (another category)
    data += b"\x15\x00\x08\xff\xff\xff\xff\xff"  # CAT021 whose FSPEC never ends
    result, end = decode_asterix(data + b"\x15\x00\x40\x01", source="x", near_s=now)
    assert end == len(data)  # the last block is cut: kept for the next chunk
    states = result.states
    _check(
        states[states["source_type"] == "adsb"],
        tod,
        {f"{c[0]:06x}": k for k, c in enumerate(CHOSEN)},
    )
    tracks = states[states["source_type"] == "track"]
    _check(tracks, tod, {"4ca2d6": 0, "00100300501": 1, "3c6586": 2, "00100300503": 3})
    assert result.counts["other_categories"] == 1  # CAT034
    assert result.counts["no_radar"] == 1  # a CAT048 plot of a radar not given
    assert result.rejects[["column"]].values.tolist() == [["block"]]
    assert "CAT021" in result.rejects["reason"].iloc[0]


@pytest.mark.parametrize(
    ("k", "radar"),
    [(0, (48.5, 179.0, 100.0)), (1, (49.5, 179.5, 0.0)), (2, (89.0, -135.0, 50.0)),
     (3, (0.5, -0.5, 20.0))],
)  # fmt: skip
def test_cat048_plots_placed_from_their_radar(k: int, radar: tuple[float, float, float]) -> None:
    now = time.time()
    tod = now % 86400 + k
    result, _ = decode_asterix(
        _cat048(k, tod, radar), source="x", near_s=now, radars={(1, 4): radar}
    )
    row = result.states.iloc[0]
    _, lat, lon, fl, gs, trk, _, name = CHOSEN[k]
    assert (row["trk_deg"] - trk + 180) % 360 - 180 == pytest.approx(0, abs=0.5)
    # RHO 1/256 NM and THETA 360/2**16 deg: ~7 m and ~20 m at 100 NM
    d_m = Geod(ellps="WGS84").inv(lon, lat, row["lon"], row["lat"])[2]
    assert d_m < 40.0, (row["lat"], row["lon"])
    assert row["id"] == f"{CHOSEN[k][0]:06x}" and row["callsign"] == name
    assert row["alt_baro_m"] == pytest.approx(fl * 100 * FT_M, abs=0.25 * 100 * FT_M)
    assert row["gs_mps"] == pytest.approx(gs * 1852 / 3600, abs=0.5)
    assert row["t"] % 86400 == pytest.approx(tod % 86400, abs=1 / 128)
    assert row["source_type"] == "radar"


def test_times_of_day_on_the_nearest_day() -> None:
    day = 20_000 * 86400.0
    assert _on_day(10.0, day + 86390.0) == day + 86400.0 + 10.0  # just after midnight
    assert _on_day(86390.0, day + 5.0) == day - 10.0  # just before it
    assert _on_day(3600.0, day + 3000.0) == day + 3600.0


def test_asterix_file_and_udp_into_the_service(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(url)
    tokens = {k: add_party(store, k) for k in ("asterixfile", "asterixudp")}
    store.close()
    port = free_port()
    server = serve(url, port)
    path = tmp_path / "rec.ast"
    tod = time.time() % 86400
    data = b"".join(_cat021(k, tod + k) for k in range(4))
    udp_port = free_port()

    async def run(source: str, token: str, push: Any) -> Feed:
        async with Sender(f"http://127.0.0.1:{port}", token) as sender:
            feed = Feed(parse_source(source), sender, batch_s=0.2)
            stop = asyncio.Event()
            tasks = [asyncio.create_task(feed.read()), asyncio.create_task(feed.batches(stop))]
            await asyncio.sleep(0.5)
            await push()
            await asyncio.sleep(1.5)
            stop.set()
            await tasks[1]
            tasks[0].cancel()
            return feed

    async def grow() -> None:
        path.write_bytes(data[:30])  # the file grows mid-block, then the rest is written
        await asyncio.sleep(0.5)
        with path.open("ab") as handle:
            handle.write(data[30:])

    async def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for k in range(4):
                s.sendto(_cat021(k, tod + k), ("127.0.0.1", udp_port))
            s.sendto(_cat021(0, tod)[:-3], ("127.0.0.1", udp_port))  # a datagram cut short

    try:
        path.write_bytes(b"")
        by_file = asyncio.run(run(f"asterix:{path}", tokens["asterixfile"], grow))
        by_udp = asyncio.run(run(f"asterix-udp://127.0.0.1:{udp_port}", tokens["asterixudp"], send))
    finally:
        server.terminate()
        server.wait(30)
    store = open_store(url)
    try:
        stored = pd.concat([f for _, f in batches_after(store, 0)], ignore_index=True)
    finally:
        store.close()
    ids = {f"{c[0]:06x}": k for k, c in enumerate(CHOSEN)}
    for party, feed in (("asterixfile", by_file), ("asterixudp", by_udp)):
        got = stored[stored["party"] == party]
        assert len(got) == 4, (party, feed.counters.line(feed.link, feed.sender))
        _check(got, tod, ids)
    assert by_udp.counters.rejected["bad block"] == 1  # the cut datagram, named
    assert by_file.counters.rejected["bad block"] == 0
    assert np.all(stored["t"].to_numpy() > 0)


def test_radars_named_when_wrong() -> None:
    assert parse_radar("1/4=48.5,179,100") == ((1, 4), (48.5, 179.0, 100.0))
    for bad in ("1/4", "1=48,2,0", "1/4=48,2", "300/4=48,2,0", "1/4=95,2,0"):
        with pytest.raises(ValueError, match="--radar"):
            parse_radar(bad)


def test_a_recording_read_by_the_readers(tmp_path: Path) -> None:
    """``.ast`` files take the one road of every input (detect, scan, replay)."""
    path = tmp_path / "rec.ast"
    t0 = 1_720_000_000.0
    tod = t0 % 86400
    data = b"".join(_cat021(k, tod + k) for k in range(4))
    path.write_bytes(data + _cat021(0, tod)[:-2])  # the recorder stopped inside a block
    result = read_reports(path, invalid="skip", t0=t0)
    _check(result.frame, tod, {f"{c[0]:06x}": k for k, c in enumerate(CHOSEN)})
    assert result.rejects["reason"].tolist() == ["the file ends inside a block"]
    assert int(result.rejects["line"].iloc[0]) == len(data) + 1
    with pytest.raises(DecodeError, match=f"{path}.*block"):
        read_reports(path, t0=t0)


def test_corrupt_data_is_counted_or_rejected_never_a_crash() -> None:
    rng = random.Random(16)
    good = b"".join(_cat021(k, 1000.0 + k) for k in range(4))
    good += b"".join(_cat062(k, 1000.0 + k, 5) for k in range(4)) + _cat048(
        0, 1000.0, (48.5, 179.0, 100.0)
    )
    radars = {(1, 4): (48.5, 179.0, 100.0)}
    rejected = 0
    for i in range(400):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if i % 2:
            data = bytearray([rng.choice([21, 62, 48])]) + bytearray(
                rng.randbytes(rng.randint(0, 60))
            )
        result, end = decode_asterix(bytes(data), source="f", near_s=1e9, radars=radars)
        c = result.counts
        assert c["positions"] + c["no_position"] + c["no_radar"] == c["records"]
        assert len(result.states) == c["positions"] and 0 <= end <= len(data)
        assert result.rejects["reason"].str.len().gt(0).all()
        rejected += len(result.rejects)
    assert rejected > 50  # corrupt blocks named, not skipped
