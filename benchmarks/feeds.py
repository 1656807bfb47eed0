"""Live feeds: Mode S decoding rate, and the latency a feed adds for 10,000 aircraft at 1 Hz.

1. Decoding: the frames of a real receiver's aircraft (``tests/data/adsb_lfpg_frames_head.csv``)
   copied as other aircraft (``with_address``: addresses and parities rewritten), ``--frames``
   in all, at 100,000 messages a second of their own time, framed as a Beast stream and decoded
   by the feed (:class:`BeastFramer`, then :class:`ModeSMerger` batch by batch, 1 s of data
   each) in this process, and with ``--decoders`` worker processes (:class:`DecoderPool`),
   against rs1090's ``decode`` of the same frames in one call (the baseline, run in the same
   process). Target (issue 16): >= 100,000 messages/s.
2. Latency: a TCP peer (a process of its own) sends ``--aircraft`` SBS positions (MSG,3) and
   velocities (MSG,4) every second for ``--seconds``, in 20 parts 50 ms apart (each line with
   its part's time);
   ``wellclear feed``'s pipeline (in this process) reads and merges them line by line
   (:class:`SbsStream`), batches them (1 s, then the SBS default 0.1 s) and posts them to a
   real ``wellclear serve`` (SQLite). Per batch: from its cut to its acknowledgement (take,
   post, durable store), and from the arrival of its oldest line to its acknowledgement (the
   latency the feed adds from socket to acknowledged batch). Baseline: batches of the same size
   posted by the same sender with no reading or merging. Target: < 100 ms.

    .venv/bin/python benchmarks/feeds.py [--frames 200000] [--decoders 2] [--aircraft 10000]
        [--seconds 8] [--part decoding|latency|both]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from service_helpers import free_port, serve  # noqa: E402
from wellclear.feeds.bits import with_address  # noqa: E402
from wellclear.feeds.framing import BeastFramer  # noqa: E402
from wellclear.feeds.merge import ModeSMerger  # noqa: E402
from wellclear.feeds.pipeline import Feed, Source  # noqa: E402
from wellclear.feeds.pool import DecoderPool  # noqa: E402
from wellclear.feeds.sender import Sender  # noqa: E402
from wellclear.store import open_store  # noqa: E402
from wellclear.store.parties import add_party  # noqa: E402


def beast_bytes(hexes: list[str], t: np.ndarray) -> bytes:
    out = bytearray()
    for h, when in zip(hexes, t, strict=True):
        frame = bytes.fromhex(h)
        counter = int((when % 86400.0) * 12e6)  # the receiver's clock: a day of 12 MHz ticks
        body = counter.to_bytes(6, "big") + b"\x80" + frame
        out += b"\x1a" + (b"\x33" if len(frame) == 14 else b"\x32")
        out += body.replace(b"\x1a", b"\x1a\x1a")
    return bytes(out)


RATE = 100_000.0  # messages a second: a busy receiver network


def traffic(n_frames: int, seed: int = 16) -> tuple[list[str], np.ndarray]:
    """``n_frames`` at :data:`RATE` messages a second: a real receiver's aircraft copied as
    other aircraft (addresses and parities rewritten), each copy ``n_frames / RATE`` seconds of
    its frames from a random point of the recording, at their own times (CPR pairs and speeds
    as the receiver heard them)."""
    src = pd.read_csv(ROOT / "tests" / "data" / "adsb_lfpg_frames_head.csv", dtype={"frame": str})
    src = src.sort_values("timestamp", kind="stable")
    one = src["frame"].str.lower().tolist()
    when = src["timestamp"].to_numpy(np.float64)
    span = max(n_frames / RATE, 1.0)
    rng = np.random.default_rng(seed)
    hexes: list[str] = []
    times: list[np.ndarray] = []
    total, k = 0, 0
    while total < n_frames:
        start = int(rng.integers(0, len(one)))
        stop = int(np.searchsorted(when, when[start] + span))
        if stop - start < 2:
            continue
        hexes += with_address(one[start:stop], 0x100000 + k)
        times.append(when[start:stop] - when[start] + rng.uniform(0.0, 0.1))
        total += stop - start
        k += 1
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")[:n_frames]
    return [hexes[i] for i in order], 1_720_248_189.0 + t[order]


def feed_decoding(
    data: bytes, t: np.ndarray, decoder: ModeSMerger | DecoderPool
) -> tuple[int, int, float, float]:
    """(frames, states, seconds, CPU seconds of this process) of the Beast stream framed
    (:class:`BeastFramer`) and decoded by the feed's own path (:meth:`Feed.decode`: the
    receiver's clock, the decoder), 1 s of data a batch, each arriving as its last frame's
    time says."""
    began, cpu = time.perf_counter(), time.process_time()
    feed = Feed(Source("beast", "bench", 0), Sender("http://unused", "unused"))
    framer = BeastFramer()
    pending: list[tuple[int, str]] = []
    for k in range(0, len(data), 65536):
        pending += [(m[1], m[2].hex()) for m in framer.feed(data[k : k + 65536])[0]]
    second = np.floor(t - t[0]).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, np.diff(second) > 0])
    ends = np.r_[starts[1:], len(t)]
    states = 0
    for a, b in zip(starts, ends, strict=True):
        arrival = float(t[b - 1])
        states += len(feed.decode(decoder, [(arrival, m) for m in pending[a:b]]).states)
    return len(pending), states, time.perf_counter() - began, time.process_time() - cpu


Row = tuple[str, float, float, float]  # path, messages/s, seconds, CPU seconds (this process)


def decoding(n_frames: int, workers: int) -> list[Row]:
    """Each path twice, alternating (the machine's load moves), the faster run of each."""
    import rs1090

    hexes, t = traffic(n_frames)
    data = beast_bytes(hexes, t)
    base: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    states = 0
    for _ in range(2):
        began, cpu = time.perf_counter(), time.process_time()
        rs1090.decode(hexes, t.tolist())
        base.append((time.perf_counter() - began, time.process_time() - cpu))
        framed, states, secs, cpu_s = feed_decoding(data, t, ModeSMerger("bench"))
        assert framed == n_frames, "the framer lost frames"
        ours.append((secs, cpu_s))
    rows = [
        ("rs1090.decode alone (baseline)", n_frames / min(base)[0], *min(base)),
        (f"feed, one process ({states} states)", n_frames / min(ours)[0], *min(ours)),
    ]
    with DecoderPool("bench", workers) as pool:
        pool.decode(t[:1000], hexes[:1000], np.arange(1, 1001))  # the workers started
        runs = [feed_decoding(data, t, pool) for _ in range(2)]
    _, pooled, secs, cpu_s = min(runs, key=lambda r: r[2])
    assert pooled == states, f"the pool made {pooled} states, one process {states}"
    name = f"feed, {workers} decoder processes ({pooled} states)"
    rows.append((name, n_frames / secs, secs, cpu_s))
    return rows


SLICES = 20  # the peer sends each second in this many parts, each line with its part's time


def sbs_part(n: int, part: int, now: dt.datetime) -> bytes:
    """Part ``part`` of a second of ``n`` aircraft: a position (MSG,3) and a velocity (MSG,4)
    of each aircraft ``k`` with ``k % SLICES == part``, at ``now``."""
    day, clock = now.strftime("%Y/%m/%d"), now.strftime("%H:%M:%S.%f")[:-3]
    lines = []
    for k in range(part, n, SLICES):
        icao = f"{0x100000 + k:06X}"
        lat, lon = -60.0 + 120.0 * (k / n), -179.0 + 358.0 * ((k * 7919) % n / n)
        lines.append(
            f"MSG,3,1,1,{icao},1,{day},{clock},{day},{clock},,{10000 + k % 300 * 100},,,"
            f"{lat:.5f},{lon:.5f},,,0,0,0,0"
        )
        lines.append(f"MSG,4,1,1,{icao},1,{day},{clock},{day},{clock},,,420,{k % 360},,,0,,,,,0")
    return ("\n".join(lines) + "\n").encode()


def _send_seconds(listener: socket.socket, n: int, seconds: float) -> None:
    conn, _ = listener.accept()
    start = time.time()
    with conn:
        step = 0
        while time.time() < start + seconds:
            conn.sendall(sbs_part(n, step % SLICES, dt.datetime.now(dt.UTC)))
            step += 1
            time.sleep(max(0.0, start + step / SLICES - time.time()))
    listener.close()


def peer(n: int, seconds: float) -> tuple[int, multiprocessing.process.BaseProcess]:
    """A receiver of ``n`` aircraft at 1 Hz, every second in :data:`SLICES` parts, evenly: a
    process of its own (as a receiver is), so that making its lines takes nothing from the
    feed's process."""
    listener = socket.create_server(("127.0.0.1", 0))
    proc = multiprocessing.get_context("fork").Process(
        target=_send_seconds, args=(listener, n, seconds), daemon=True
    )
    proc.start()
    port = int(listener.getsockname()[1])
    listener.close()  # the child has its own copy
    return port, proc


def records_of(n: int, now: float) -> list[dict[str, object]]:
    return [
        {
            "id": f"{0x200000 + k:06x}", "callsign": "", "t": now, "lat": 10.0,
            "lon": k * 1e-3, "alt_m": 1e4, "gs_mps": 200.0, "trk_deg": 90.0, "vs_mps": 0.0,
        }
        for k in range(n)
    ]  # fmt: skip


async def latency(
    n: int, seconds: float, batch_s: float | None, url: str, token: str
) -> list[tuple[str, float, float]]:
    port, sender_proc = peer(n, seconds)
    async with Sender(url, token) as sender:
        feed = Feed(Source("sbs", "127.0.0.1", port), sender, batch_s=batch_s)
        done = asyncio.Event()
        reader = asyncio.create_task(feed.read())
        batcher = asyncio.create_task(feed.batches(done))
        await asyncio.sleep(seconds + 0.5)
        done.set()
        await batcher
        reader.cancel()
        skip = max(1, len(feed.counters.added_s) // 10)  # the first: warm-up
        added = np.array(list(feed.counters.added_s)[skip:])
        lags = np.array(list(feed.counters.lags_s)[skip:])
        size = max(1, round(feed.counters.states / max(1, feed.counters.batches)))
        # baseline: batches of the same size, posted with no reading or merging
        base = []
        records = records_of(size, time.time())
        for _ in range(len(added) or 1):
            began = time.perf_counter()
            answer = await sender.send(records)
            assert answer.get("accepted") == size, answer
            base.append(time.perf_counter() - began)
            for r in records:
                r["t"] = float(r["t"]) + 1.0  # type: ignore[arg-type]
    print(f"  feed: {feed.counters.line(feed.link, sender)}")
    if sender.sent.last_error:
        print(f"  last sender error: {sender.sent.last_error}")
    sender_proc.join(10)
    period = feed.period_s
    return [
        (f"post of {size} records alone (baseline)", float(np.median(base)), max(base)),
        (f"feed: cut -> acknowledged ({period:g} s batches)", float(np.median(added)),
         float(added.max())),
        ("feed: oldest line's arrival -> acknowledged", float(np.median(lags)),
         float(lags.max())),
    ]  # fmt: skip


def decoding_table(n_frames: int, workers: int) -> None:
    rows = decoding(n_frames, workers)
    print(f"\nMode S decoding, {n_frames} frames (faster of 2 runs each)")
    print(f"{'path':48s} {'messages/s':>12s} {'seconds':>8s} {'CPU s':>6s} {'msg/CPU s':>10s}")
    for name, rate, secs, cpu_s in rows:
        print(f"{name:48s} {rate:12,.0f} {secs:8.2f} {cpu_s:6.2f} {n_frames / cpu_s:10,.0f}")
    for name, rate, _, _ in rows[1:]:
        print(f"ratio {name.split(' (')[0]} / rs1090 alone: {rate / rows[0][1]:.2f}")
    print("(CPU s: this process only; the pool's workers are not in it)")
    print("target (issue 16): >= 100,000 messages/s")


def latency_table(aircraft: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = open_store(url)
        token = add_party(store, "bench")
        store.close()
        port = free_port()
        proc = serve(url, port)
        try:
            runs = [
                asyncio.run(latency(aircraft, seconds, period, f"http://127.0.0.1:{port}", token))
                for period in (1.0, None)  # 1 s batches, then the SBS default
            ]
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"\nLatency, {aircraft} aircraft at 1 Hz for {seconds:g} s (SBS, SQLite)")
    print(f"{'path':56s} {'median ms':>10s} {'max ms':>8s}")
    for lat in runs:
        for name, med, top in lat:
            print(f"{name:56s} {med * 1e3:10.1f} {top * 1e3:8.1f}")
        print(
            f"ratio cut -> acknowledged / post alone (median): {lat[1][1] / lat[0][1]:.2f}; "
            f"socket -> acknowledged median {lat[2][1] * 1e3:.0f} ms (target < 100 ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--aircraft", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--decoders", type=int, default=2)
    parser.add_argument("--part", choices=("decoding", "latency", "both"), default="both")
    args = parser.parse_args()
    if args.part != "latency":
        decoding_table(args.frames, args.decoders)
    if args.part != "decoding":
        latency_table(args.aircraft, args.seconds)


if __name__ == "__main__":
    main()
