"""The fields the feed reads from frames before decoding, held against rs1090's decoding of
the same frames (its ``icao24``, CPR ``parity`` and message kinds) on a real receiver's frames
and on corrupted and short ones."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import rs1090

from wellclear.feeds.bits import addresses, carry_slots, with_address

FRAMES = Path(__file__).parent / "data" / "adsb_lfpg_frames_head.csv"


def _frames() -> list[str]:
    return pd.read_csv(FRAMES, dtype={"frame": str})["frame"].str.lower().tolist()


def test_addresses_are_rs1090s_for_every_format() -> None:
    frames = _frames()
    rng = random.Random(16)
    # 56-bit versions of the short formats, and frames with a flipped bit (their AP names
    # another address, as rs1090 reads it too; DF17 with a bad CRC rs1090 rejects)
    frames += [f[:14] for f in frames if int(f[:2], 16) >> 3 < 16][:500]
    for f in frames[:500]:
        k = rng.randrange(len(f))
        frames.append(f[:k] + format(int(f[k], 16) ^ 1, "x") + f[k + 1 :])
    decoded = rs1090.decode(frames, [1.7e9 + i for i in range(len(frames))])
    seen = {m["frame"]: m["icao24"] for m in decoded if "icao24" in m}
    ours = addresses(frames)
    compared = 0
    for frame, address in zip(frames, ours, strict=True):
        if frame in seen:
            assert f"{address:06x}" == seen[frame], frame
            compared += 1
    kinds = {int(f[:2], 16) >> 3 for f in seen}
    assert {0, 4, 5, 17, 20, 21} <= kinds, kinds  # both address kinds were compared
    assert compared > 4000


def test_carry_slots_are_rs1090s_message_kinds() -> None:
    frames = _frames()
    decoded = rs1090.decode(frames, [1.7e9 + i for i in range(len(frames))])
    address, slot = carry_slots(frames)
    by_frame = dict(zip(frames, zip(address.tolist(), slot.tolist(), strict=True), strict=True))
    counted = {0: 0, 1: 0, 2: 0, 3: 0}
    for m in decoded:
        a, s = by_frame[m["frame"]]
        if m["df"] not in ("17", "18"):
            assert s == -1
            continue
        tc = int(m["tc"]) if "tc" in m else -1
        if m.get("bds") == "05" or (m.get("bds") == "06" and 5 <= tc <= 8):
            want = {"even": 0, "odd": 1}[m["parity"]] if m.get("bds") == "05" else -1
        elif m.get("bds") == "09":
            want = 2
        elif m.get("bds") == "08":
            want = 3
        else:
            want = -1
        assert s == want, m
        if s >= 0:
            assert f"{a:06x}" == m["icao24"]
            counted[s] += 1
    assert all(counted.values()), counted


def test_frames_readdressed_decode_as_the_other_aircraft() -> None:
    frames = _frames()[:1500]
    t = [1.7e9 + i * 0.05 for i in range(len(frames))]
    moved = with_address(frames, 0xABC123)
    assert addresses(moved).tolist() == [
        0xABC123 if a >= 0 else -1 for a in addresses(frames).tolist()
    ]
    before, after = rs1090.decode(frames, t), rs1090.decode(moved, t)
    assert len(after) == len(before)  # DF17 CRCs computed again: none rejected
    assert {m["icao24"] for m in after} == {"abc123"}
    same = ("latitude", "longitude", "altitude", "groundspeed", "callsign")
    for a, b in zip(before, after, strict=True):
        assert {k: a.get(k) for k in same} == {k: b.get(k) for k in same}
