"""Bad input on the wire, counted and named, never a crash: the Beast framer against the file
reader's splitter on streams cut anywhere (escapes cut in half included), a peer that sends
garbage and closes mid-line, reconnects with backoff and jitter, the party map."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellclear.feeds.bits import carry_slots
from wellclear.feeds.framing import BeastFramer, LineFramer
from wellclear.feeds.merge import ModeSMerger
from wellclear.feeds.partymap import PartyMapError, assign_parties, load_party_map
from wellclear.feeds.pipeline import Feed, Source, parse_source
from wellclear.feeds.sender import Sender
from wellclear.feeds.tcp import Backoff
from wellclear.formats.beast import split_beast
from wellclear.formats.feeds import read_feed

CAPTURE = Path(__file__).parent / "data" / "sample_dump1090.beast.bin"
SBS = (
    "MSG,3,1,1,4CA2D6,1,2024/07/06,06:43:{s:06.3f},2024/07/06,06:43:09.530,,37000,,,"
    "49.{k:02d},2.55,,,0,0,0,0"
)


def _chunks(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 60))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@pytest.mark.parametrize("seed", range(6))
def test_beast_framer_cut_anywhere_equals_the_file_reader(seed: int) -> None:
    rng = random.Random(seed)
    data = bytearray(CAPTURE.read_bytes())
    for _ in range(seed * 3):  # corrupt: garbage, unknown types, messages cut by the next
        at = rng.randrange(len(data))
        data[at:at] = rng.choice([b"\x00\xff", b"\x1a\x39\x01", b"\x1a\x33\x00", b"\x1a"])
    data = bytes(data)
    want, bad = split_beast(data)
    framer = BeastFramer()
    got, rejects = [], []
    for chunk in _chunks(data, rng):
        messages, wrong = framer.feed(chunk)
        got += messages
        rejects += wrong
    tail = framer.cut()
    assert [(m[1], m[2], m[3]) for m in want] == got
    # every byte is a message, a reject or the unfinished tail: nothing dropped silently
    assert len(rejects) + (1 if tail else 0) >= len(bad) - 1
    if seed == 0:
        assert not rejects and not tail and len(got) == 239


def test_line_framer_keeps_what_a_chunk_cuts() -> None:
    framer = LineFramer(max_line=64)
    assert framer.feed(b"MSG,1,") == []
    assert framer.feed(b"a\r\nMSG,2\nMS") == ["MSG,1,a", "MSG,2"]
    assert framer.cut() == b"MS"
    assert framer.feed(b"x" * 80) == [] and framer.overlong == 1
    assert framer.feed(b"\xff\xfe\n") == ["\ufffd\ufffd"]


def test_backoff_is_exponential_with_full_jitter() -> None:
    backoff = Backoff(base_s=0.5, cap_s=8.0, rng=random.Random(1))
    waits = [backoff.next() for _ in range(8)]
    tops = [min(8.0, 0.5 * 2**k) for k in range(8)]
    assert all(0 <= w <= top for w, top in zip(waits, tops, strict=True))
    many = Backoff(base_s=1.0, cap_s=4.0, rng=random.Random(2))
    many.attempt = 10
    spread = [many.next() for _ in range(500)]
    assert max(spread) <= 4.0 and min(spread) < 0.5 and np.std(spread) > 0.8  # jitter
    backoff.reset()
    assert backoff.attempt == 0


def test_carry_slots_follow_the_frame_layout() -> None:
    # DF17 airborne position, even then odd (CPR F bit 54), velocity, identification
    frames = [
        "8d40621d58c382d690c8ac2863a7",
        "8d40621d58c386435cc412692ad6",
        "8d485020994409940838175b284f",
        "8d4840d6202cc371c32ce0576098",
        "5d484fdeab6f0e",  # DF11: not carried
    ]
    address, slot = carry_slots(frames)
    assert [f"{a:06x}" for a in address[:4]] == ["40621d", "40621d", "485020", "4840d6"]
    assert slot.tolist() == [0, 1, 2, 3, -1]


def test_a_position_pairs_with_the_previous_batch() -> None:
    merger = ModeSMerger("test")
    even, odd = "8d40621d58c382d690c8ac2863a7", "8d40621d58c386435cc412692ad6"
    first = merger.decode(np.array([100.0]), [even], np.array([1]))
    assert first.states.empty  # one message of a pair: no position yet
    second = merger.decode(np.array([100.5]), [odd], np.array([1]))
    assert len(second.states) == 1
    row = second.states.iloc[0]
    offline = read_feed_frames([(100.0, even), (100.5, odd)])
    assert (row["lat"], row["lon"]) == pytest.approx(offline, abs=1e-9)


def read_feed_frames(frames: list[tuple[float, str]]) -> tuple[float, float]:
    from wellclear.formats.modes import Frames, decode_frames

    f = Frames(
        "x",
        np.array([t for t, _ in frames]),
        np.array([h for _, h in frames], dtype=object),
        np.arange(1, len(frames) + 1),
        np.zeros(len(frames), bool),
    )
    states = decode_frames(f).states
    return float(states["lat"].iloc[-1]), float(states["lon"].iloc[-1])


async def _garbage_peer(port_box: list[int], kind: str) -> asyncio.AbstractServer:
    sessions = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sessions
        sessions += 1
        if kind == "sbs":
            good = "\n".join(SBS.format(s=9.0 + k, k=k) for k in range(5)) + "\n"
            if sessions == 1:  # garbage, good lines, then a close in the middle of a line
                writer.write(b"\x00\x01garbage line\nMSG,3,not,enough\n" + good.encode())
                writer.write(SBS.format(s=20.0, k=50).encode()[:30])
            else:
                writer.write(good.replace("06:43:", "06:44:").encode())
        else:
            data = CAPTURE.read_bytes()
            if sessions == 1:  # garbage, then the capture cut inside an escaped pair
                cut = data.index(b"\x1a\x1a") + 1
                writer.write(b"\x00\xffnoise" + data[:cut])
            else:
                writer.write(data)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_box.append(server.sockets[0].getsockname()[1])
    return server


@pytest.mark.parametrize("kind", ["sbs", "beast"])
def test_a_garbage_peer_that_closes_mid_line(kind: str) -> None:
    async def scenario() -> Feed:
        box: list[int] = []
        server = await _garbage_peer(box, kind)
        feed = Feed(
            Source(kind, "127.0.0.1", box[0]),
            Sender("http://127.0.0.1:9", "unused"),
            backoff=Backoff(base_s=0.05, cap_s=0.1),
        )
        task = asyncio.create_task(feed.read())
        while feed.link.connected < 3:
            await asyncio.sleep(0.02)
        task.cancel()
        server.close()
        return feed

    feed = asyncio.run(scenario())
    rejected = feed.counters.rejected
    assert feed.link.drops >= 2 and rejected["cut by a disconnect"] >= 1
    result = feed.take_sbs() if kind == "sbs" else feed.decode(feed._merger(), feed._pending)
    if kind == "sbs":
        assert rejected["bad message_type"] >= 1 and rejected["bad fields"] >= 1
        assert len(result.states) >= 10  # both sessions' good lines
    else:
        assert rejected["bytes outside a message"] >= 1
        assert len(result.states) >= len(read_feed(CAPTURE, t0=0.0).states)
    assert feed.counters.messages >= len(feed._pending)


def test_sources_and_party_map(tmp_path: Path) -> None:
    assert str(parse_source("beast://receiver:30005")) == "beast://receiver:30005"
    with pytest.raises(ValueError, match="expected sbs://HOST:PORT"):
        parse_source("tcp://receiver:30005")
    assert str(parse_source("asterix:cat021.bin")) == "asterix:cat021.bin"
    path = tmp_path / "parties.csv"
    path.write_text("# rules\nrussia,icao-range,150000-157fff\nturkey,callsign-prefix,thy\n")
    rules = load_party_map(path)
    ids = pd.Series(["155001", "4b8001", "ae0001", "~1234ab"])
    calls = pd.Series(["RSD101", "THY1F", "JAKE11", ""])
    assert list(assign_parties(rules, ids, calls)) == ["russia", "turkey", "unknown", "unknown"]
    path.write_text("russia,icao-range,15zz00-157fff\n")
    with pytest.raises(PartyMapError, match=r"parties.csv:1: field value"):
        load_party_map(path)
    path.write_text("russia,squawk,7500\n")
    with pytest.raises(PartyMapError, match="unknown kind 'squawk'"):
        load_party_map(path)
