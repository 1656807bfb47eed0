"""Raw Mode S frames and Beast captures: hand-worked messages, a real flight, bad input."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from wellclear.formats.beast import BeastError, read_beast, split_beast
from wellclear.formats.errors import DecodeError
from wellclear.formats.feeds import REJECT_COLUMNS, detect_kind, read_feed
from wellclear.formats.modes import FrameError, read_frames
from wellclear.states import STATES_COLUMNS, check_states

DATA = Path(__file__).parent / "data"
FRAMES_CSV = DATA / "adsb_lfpg_frames_head.csv"
BEAST = DATA / "sample_dump1090.beast.bin"

# The pyModeS / "1090 MHz riddle" examples (Junzi Sun), with their published decodings:
EVEN = "8d40621d58c382d690c8ac2863a7"  # airborne position, 38000 ft, even
ODD = "8d40621d58c386435cc412692ad6"  # same aircraft, odd; even newer -> 52.2572, 3.91937
VELOCITY = "8d485020994409940838175b284f"  # 159 kt, 182.88 deg, -832 ft/min (aircraft 485020)
IDENT = "8d4840d6202cc371c32ce0576098"  # KLM1023 (aircraft 4840d6)
ALL_CALL = "5d4ca2d4a9c0a5"  # DF11 all-call reply: no position


def crc24(frame: str) -> str:
    """Mode S parity (CRC-24, generator 0x1FFF409) of a frame's data bits: a plain bit loop."""
    bits = len(frame) * 4
    data = int(frame[:-6], 16) << 24
    for i in range(bits - 1, 23, -1):
        if data >> i & 1:
            data ^= 0x1FFF409 << (i - 24)
    return f"{data & 0xFFFFFF:06x}"


def readdress(frame: str, icao: str) -> str:
    """The same ADS-B message from another aircraft, with the parity recomputed."""
    body = frame[:2] + icao + frame[8:-6]
    return body + crc24(body + "000000")


def test_crc_twin_reproduces_published_parity() -> None:
    for frame in (EVEN, ODD, VELOCITY, IDENT):
        assert crc24(frame) == frame[-6:]


def write(tmp_path: Path, text: str, name: str = "frames.txt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_hand_worked_position_velocity_callsign(tmp_path: Path) -> None:
    velocity = readdress(VELOCITY, "40621d")
    ident = readdress(IDENT, "40621d")
    text = f"# t frame\n0.0 {ident}\n1.0 {velocity}\n2.0 {ODD}\n3.0 *{EVEN.upper()};\n"
    result = read_frames(write(tmp_path, text))
    states = result.states
    check_states(states)
    assert len(states) == 1  # the first of the pair cannot be placed yet
    row = states.iloc[0]
    assert row["id"] == "40621d" and row["line"] == 5 and row["t"] == 3.0
    assert row["lat"] == pytest.approx(52.2572, abs=1e-4)
    assert row["lon"] == pytest.approx(3.91937, abs=1e-5)
    assert row["alt_baro_m"] == pytest.approx(38000 * 0.3048)
    assert row["gs_mps"] == pytest.approx(159.20 * 1852 / 3600, abs=0.01)
    assert row["trk_deg"] == pytest.approx(182.88, abs=0.01)
    assert row["vs_mps"] == pytest.approx(-832 * 0.3048 / 60)
    assert row["alt_geo_m"] == pytest.approx((38000 + 550) * 0.3048)  # geo_minus_baro 550 ft
    assert row["callsign"] == "KLM1023" and row["source_type"] == "adsb"
    assert result.counts["position_unresolved"] == 1 and result.counts["skipped_lines"] == 1


def test_frames_without_position_are_counted_not_errors(tmp_path: Path) -> None:
    result = read_frames(write(tmp_path, f"1.0 {ALL_CALL}\n2.0 {VELOCITY}\n"))
    assert result.states.empty and result.rejects.empty
    assert result.counts["df11"] == 1 and result.counts["df17"] == 1
    assert result.counts["positions"] == 0
    flipped = EVEN[:-1] + ("8" if EVEN[-1] != "8" else "9")  # parity no longer matches
    result = read_frames(write(tmp_path, f"1.0 {flipped}\n"))
    assert result.counts["not_decoded"] == 1 and result.states.empty


def test_real_lfpg_flight_is_plausible() -> None:
    result = read_frames(FRAMES_CSV, reference=(49.0, 2.55))
    states = result.states
    check_states(states)
    assert list(states.columns[: len(STATES_COLUMNS)]) == list(STATES_COLUMNS)
    assert result.counts["frames"] == 4499 and result.rejects.empty
    assert len(states) > 1400
    assert (states["id"] == "393322").all() and (states["callsign"] == "AFR34ZG").all()
    assert states["lat"].between(48.9, 49.05).all() and states["lon"].between(2.3, 2.65).all()
    assert np.all(np.diff(states["t"]) >= 0)
    ground, air = states[states["onground"]], states[~states["onground"]]
    assert len(ground) > 1000 and len(air) > 100
    # taxiing at CDG (elevation 392 ft), a take-off roll, then climbing out westwards
    assert ground["gs_mps"].median() < 15 and ground["gs_mps"].max() < 90
    assert ground["lat"].between(48.98, 49.02).all()
    assert air["alt_baro_m"].min() > 100 and air["alt_baro_m"].max() > 1000
    speed = air["gs_mps"]  # NaN until the first velocity message after lift-off
    assert speed.notna().mean() > 0.95 and speed.dropna().between(50, 200).all()
    assert air["trk_deg"].dropna().between(0, 360).all()
    assert air["nucp"].notna().all()


def test_csv_and_text_forms_agree(tmp_path: Path) -> None:
    lines = FRAMES_CSV.read_text().splitlines()[1:800]
    text = "\n".join(f"{c.split(',')[0]} {c.split(',')[3]}" for c in lines) + "\n"
    from_text = read_frames(write(tmp_path, text), reference=(49.0, 2.55)).states
    from_csv = read_frames(write(tmp_path, "\n".join(["timestamp,icao24,df,frame", *lines]),
                                 "f.csv"), reference=(49.0, 2.55)).states  # fmt: skip
    assert len(from_text) > 100
    np.testing.assert_array_equal(from_text["line"] + 1, from_csv["line"])
    np.testing.assert_allclose(from_text["lat"], from_csv["lat"])


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        ("3.0 8d40621d58c382d690c8ac2863zz", "frame", "not a hex string"),
        ("3.0 8d40621d58c38", "frame", "frame of 13 hex digits"),
        ("soon 8d40621d58c382d690c8ac2863a7", "timestamp", "not a time"),
        ("3.0", "fields", "expected 'TIMESTAMP HEX'"),
    ],
)
def test_malformed_frame(tmp_path: Path, bad: str, field: str, reason: str) -> None:
    path = write(tmp_path, f"1.0 {ODD}\n{bad}\n2.0 {EVEN}\n")
    with pytest.raises(FrameError) as info:
        read_frames(path)
    assert (info.value.line, info.value.field) == (2, field)
    assert str(info.value).startswith(f"{path}:2: field {field}: {reason}")
    result = read_frames(path, invalid="skip")
    assert list(result.rejects.columns) == REJECT_COLUMNS
    assert result.rejects[["line", "column", "raw"]].values.tolist() == [[2, field, bad]]
    assert len(result.states) == 1 and result.states["line"].iloc[0] == 3


def test_malformed_csv_frame(tmp_path: Path) -> None:
    lines = FRAMES_CSV.read_text().splitlines()[:20]
    lines[9] = lines[9][:-3] + "xyz"
    path = write(tmp_path, "\n".join(lines) + "\n", "f.csv")
    with pytest.raises(FrameError, match=r"f\.csv:10: field frame: not a hex"):
        read_frames(path)
    assert read_frames(path, invalid="skip").rejects["line"].tolist() == [10]


def test_beast_capture(tmp_path: Path) -> None:
    result = read_beast(BEAST, t0=1_700_000_000.0)
    assert result.counts["messages"] == 239 and result.rejects.empty
    assert result.counts["df11"] == 90 and result.counts["positions"] == 3
    states = result.states
    check_states(states)
    assert (states["id"] == "48520a").all() and (states["callsign"] == "TRA89M").all()
    assert states["lat"].between(43.6, 43.7).all() and states["lon"].between(1.2, 1.3).all()
    assert (states["alt_baro_m"] == 38000 * 0.3048).all()
    assert states["gs_mps"].between(200, 210).all() and (states["nacp"] == 9).all()
    assert states["t"].between(1_700_000_000.0, 1_700_000_000.0 + 60).all()
    assert not result.notes  # t0 given: nothing to say


def test_beast_times_default_to_file_mtime(tmp_path: Path) -> None:
    path = tmp_path / "capture.bin"
    shutil.copyfile(BEAST, path)
    os.utime(path, (1_720_000_000.0, 1_720_000_000.0))
    result = read_feed(path)
    assert any("modification time" in note for note in result.notes)
    given = read_beast(path, t0=0.0)
    span = given.states["t"]
    assert result.states["t"].iloc[-1] <= 1_720_000_000.0
    np.testing.assert_allclose(result.states["t"] - span, result.states["t"].iloc[0] - span[0])


def test_beast_escaped_bytes_and_counter() -> None:
    frame = bytes.fromhex(EVEN)
    counter = bytes.fromhex("00001a000001")  # a 0x1a inside the timestamp is sent twice
    stream = b"\x1a3" + counter.replace(b"\x1a", b"\x1a\x1a") + b"\x1a\x1a" + frame
    messages, rejects = split_beast(stream)
    assert rejects == []
    assert messages == [(1, 0x33, 0x00001A000001, frame)]


def test_beast_truncated_and_garbage(tmp_path: Path) -> None:
    data = BEAST.read_bytes()
    cut = write_bytes(tmp_path / "cut.bin", data[:-5])
    with pytest.raises(BeastError) as info:
        read_beast(cut, t0=0.0)
    assert info.value.line == 239 and info.value.field == "message"
    assert str(info.value).startswith(f"{cut}:239: field message: truncated message")
    result = read_beast(cut, t0=0.0, invalid="skip")
    assert result.rejects["line"].tolist() == [239] and result.counts["messages"] == 239

    noisy = write_bytes(tmp_path / "noisy.bin", b"\x00\xff" + data + b"\x1a\x39\x01\x02")
    result = read_beast(noisy, t0=0.0, invalid="skip")
    assert result.rejects["column"].tolist() == ["framing", "type"]
    assert result.rejects["raw"].tolist() == ["00ff", "1a390102"]
    assert len(result.states) == 3


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_read_feed_detection(tmp_path: Path) -> None:
    assert detect_kind(BEAST) == "beast"
    assert detect_kind(FRAMES_CSV) == "frames"
    assert detect_kind(write(tmp_path, f"1.0 {EVEN}\n", "x.log")) == "frames"
    assert len(read_feed(FRAMES_CSV, reference=(49.0, 2.55)).states) > 1400
    with pytest.raises(DecodeError, match="cannot tell the feed format"):
        detect_kind(write(tmp_path, "hello world\n", "x.dat"))
    with pytest.raises(ValueError, match="unknown feed kind"):
        read_feed(FRAMES_CSV, kind="nmea")
