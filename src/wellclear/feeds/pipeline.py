"""One live feed into the service: source, framing, per-aircraft merging, batches, sender.

Sources (``wellclear feed SOURCE``):

=========================  ===================================================================
``sbs://HOST:PORT``        SBS-1/BaseStation text (dump1090/readsb port 30003)
``beast://HOST:PORT``      Beast binary (port 30005)
``raw://HOST:PORT``        raw ``*HEX;`` frames, one a line (port 30002)
``aircraft-json:PATH|URL``  readsb/dump1090 ``aircraft.json``, polled (:mod:`.poll`)
``opensky:BBOX``           OpenSky REST ``states/all`` in ``LAMIN,LOMIN,LAMAX,LOMAX``, polled
``asterix:FILE``           ASTERIX CAT021/CAT062 recording, followed as it grows
``asterix-udp://HOST:PORT``  ASTERIX datagrams received on that address (:mod:`.asterixfeed`)
=========================  ===================================================================

Times: SBS lines carry their own; raw frames are stamped with the time they arrived; Beast
frames take their receiver's 12 MHz counter, anchored so that the newest frame of a batch is
at its arrival time, and anchored again whenever the counter would put a frame more than 1 s
in the future or ``MAX_DRIFT_S`` in the past of its arrival (a receiver restart, a replayed
capture) (:class:`BeastClock`). Two states of one aircraft at the same time in a batch (a
receiver that stamps a burst with one time) keep the later one; the other is rejected with
that reason. Each batch's states are
checked against the server's clock (our clock plus the offset read from its answers): a report
more than ``max_future_s`` ahead or ``max_past_s`` behind is rejected with that reason and
counted, not sent. Every message is counted: read, decoded into a state, or rejected by reason
(bytes outside a Beast message, unknown types, frames cut by the next one or by a disconnect,
lines that are not SBS, frames rs1090 does not accept ...).

SBS lines are parsed and merged as they arrive (:class:`~wellclear.feeds.sbsstream.
SbsStream`), and a batch, every 0.1 s by default, is what they made since the last; Mode S
frames are decoded a batch (1 s by default) at a time, in a worker thread, by one merger or by
``decoders`` processes (:class:`~wellclear.feeds.pool.DecoderPool`).

The reading task and the batching task share :class:`Counters`, the pending buffer and the SBS
stream; both run on one event loop (no locks); only Mode S decoding leaves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
import pandas as pd

from wellclear.feeds.asterixfeed import ASTERIX, AsterixSource
from wellclear.feeds.framing import BeastFramer, LineFramer
from wellclear.feeds.merge import ModeSMerger
from wellclear.feeds.partymap import Rule, assign_parties
from wellclear.feeds.poll import OPENSKY_URL, PERIOD_S, POLLED, Poller, PollError
from wellclear.feeds.pool import DecoderPool
from wellclear.feeds.sbsstream import SbsStream
from wellclear.feeds.sender import Sender
from wellclear.feeds.tcp import Backoff, Link, connect_chunks
from wellclear.formats.asterix import Radars
from wellclear.formats.beast import CLOCK_HZ, MLAT_MAGIC
from wellclear.formats.feeds import FeedResult

KINDS = ("sbs", "beast", "raw", "asterix-udp")
_RAW_FRAME = re.compile(r"\s*\*?([0-9a-fA-F]{28}|[0-9a-fA-F]{14});?\s*")
"""A raw output line: ``*HEX;`` (or the bare hex) of a 56- or 112-bit frame."""
BATCH_S = {"sbs": 0.1, "beast": 1.0, "raw": 1.0, "asterix-udp": 0.1, "asterix": 1.0}
"""Default seconds between batches: SBS lines are merged as they arrive, so a batch costs
little and a short period keeps the latency low; Mode S batches are decoded by rs1090 with
each aircraft's carried messages in front, which a longer period amortises."""
SENT_COLUMNS = ("id", "callsign", "t", "lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps")


@dataclass(frozen=True)
class Source:
    kind: str
    host: str = ""
    port: int = 0
    target: str = ""
    """A polled source's path, URL or box."""

    def __str__(self) -> str:
        if self.kind in (*POLLED, "asterix"):
            return f"{self.kind}:{self.target}"
        return f"{self.kind}://{self.host}:{self.port}"


def parse_source(text: str) -> Source:
    """The source of ``wellclear feed SOURCE``; ``ValueError`` naming the forms it accepts."""
    kind, colon, rest = text.partition(":")
    if colon and kind in POLLED:
        Poller(kind, rest)  # checks the path or box
        return Source(kind, target=rest)
    if colon and kind == "asterix":
        if not rest:
            raise ValueError("asterix: expected a FILE after the colon")
        return Source(kind, target=rest)
    parts = urlsplit(text)
    if parts.scheme not in KINDS or not parts.hostname or parts.port is None:
        raise ValueError(
            f"source {text!r}: expected sbs://HOST:PORT, beast://HOST:PORT, raw://HOST:PORT, "
            "aircraft-json:PATH_OR_URL, opensky:LAMIN,LOMIN,LAMAX,LOMAX, asterix:FILE or "
            "asterix-udp://HOST:PORT"
        )
    return Source(parts.scheme, parts.hostname, parts.port)


MAX_DRIFT_S = 60.0


@dataclass
class BeastClock:
    """Unix times of Beast counters (12 MHz), anchored to the arrival of the frames."""

    anchor_s: float | None = None
    anchored: int = 0

    def times(self, counters: list[int], arrival: float) -> list[float]:
        clock = [c for c in counters if c != MLAT_MAGIC]
        if clock:
            newest = max(clock) / CLOCK_HZ
            at = None if self.anchor_s is None else self.anchor_s + newest
            if at is None or at > arrival + 1.0 or at < arrival - MAX_DRIFT_S:
                self.anchor_s = arrival - newest
                self.anchored += 1
        base = self.anchor_s
        return [
            arrival if c == MLAT_MAGIC or base is None else base + c / CLOCK_HZ for c in counters
        ]


@dataclass
class Counters:
    """What the feed did: messages read, states made, rejected by reason, batches, lag."""

    messages: int = 0
    states: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    lag_s: float = 0.0
    max_lag_s: float = 0.0
    added_s: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    """The last batches': from cutting the batch to its acknowledgement (decode, send, store)."""
    unchanged: int = 0
    """Polled sources: reports not sent again (their position time had been sent)."""
    lags_s: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    """The last batches': from the arrival of their oldest message to their acknowledgement."""

    def line(self, link: Link, sender: Sender) -> str:
        why = ", ".join(f"{k}: {v}" for k, v in sorted(self.rejected.items()) if v) or "none"
        sent = sender.sent
        return (
            f"messages {self.messages}, states {self.states}, "
            f"rejected {sum(self.rejected.values())} ({why}), batches {self.batches} "
            f"(retries {sent.retries}, duplicates {sent.duplicates}, refused {sent.refused}, "
            f"reports rejected by the server {sent.rejected_by_server}: "
            f"{sent.last_rejected or 'none'}), lag {self.lag_s:.3f} s "
            f"(max {self.max_lag_s:.3f}), connections {link.connected}, drops {link.drops}"
            + (f", unchanged {self.unchanged}" if self.unchanged else "")
        )


@dataclass
class Feed:
    """A live feed: :meth:`read` frames what ``source`` sends, :meth:`batches` decodes it and
    posts the states through ``sender``; run both as tasks of one event loop."""

    source: Source
    sender: Sender
    party_map: list[Rule] | None = None
    batch_s: float | None = None
    """Seconds between batches (polls); None: :data:`BATCH_S` (:data:`PERIOD_S`) of its kind."""
    decoders: int = 1
    """Mode S decoding processes (:class:`DecoderPool` when more than 1)."""
    opensky_url: str = OPENSKY_URL
    radars: Radars = field(default_factory=dict)
    """ASTERIX CAT048: (SAC, SIC) -> the radar's (lat, lon, height m)."""
    max_future_s: float = 5.0
    max_past_s: float = 120.0
    reference: tuple[float, float] | None = None
    backoff: Backoff = field(default_factory=Backoff)
    counters: Counters = field(default_factory=Counters)
    link: Link = field(default_factory=Link)
    clock: BeastClock = field(default_factory=BeastClock)
    _pending: list[tuple[float, Any]] = field(default_factory=list)
    _oldest: float = 0.0  # arrival of the oldest pending message
    _stream: SbsStream | None = None  # SBS: lines merged as they arrive
    _unsent: bool = False  # SBS: lines fed to the stream since the last take
    _poller: Poller | AsterixSource | None = None  # polled: a poll each period, no reader

    def __post_init__(self) -> None:
        if self.source.kind == "sbs":
            self._stream = SbsStream(str(self.source))
        if self.source.kind in POLLED:
            self._poller = Poller(self.source.kind, self.source.target, self.opensky_url)
        if self.source.kind in ASTERIX:
            src = self.source
            self._poller = AsterixSource(src.kind, src.target, src.host, src.port, self.radars)

    @property
    def period_s(self) -> float:
        if self.batch_s is not None:
            return self.batch_s
        return PERIOD_S.get(self.source.kind) or BATCH_S[self.source.kind]

    def _merger(self) -> ModeSMerger | DecoderPool:
        name = str(self.source)
        if self.decoders > 1:
            return DecoderPool(name, self.decoders, self.reference)
        return ModeSMerger(name, self.reference)

    async def read(self) -> None:
        """Read the source for ever, framing what arrives into :attr:`_pending` (a polled
        source has nothing to read between polls: :meth:`batches` polls it)."""
        if isinstance(self._poller, AsterixSource):
            await self._poller.read()
        if self._poller is not None:
            return
        framer: LineFramer | BeastFramer = (
            BeastFramer() if self.source.kind == "beast" else LineFramer()
        )
        rejected = self.counters.rejected
        async for chunk in connect_chunks(
            self.source.host, self.source.port, self.backoff, self.link
        ):
            now = time.time()
            if not (self._pending or self._unsent):
                self._oldest = now
            if chunk is None:
                if framer.cut():
                    self.counters.messages += 1
                    rejected["cut by a disconnect"] += 1
                continue
            if isinstance(framer, BeastFramer):
                messages, bad = framer.feed(chunk)
                for reason, _raw in bad:
                    rejected[reason.split(":")[0]] += 1
                self.counters.messages += len(messages) + len(bad)
                for kind, counter, frame in messages:
                    if kind == 0x31:
                        rejected["mode A/C (not decoded)"] += 1
                    else:
                        self._pending.append((now, (counter, frame.hex())))
            else:
                lines = framer.feed(chunk)
                if framer.overlong:
                    rejected["line over 4096 bytes"] += framer.overlong
                    self.counters.messages += framer.overlong
                    framer.overlong = 0
                self.counters.messages += len(lines)
                if self._stream is not None:
                    self._stream.feed(lines)
                    self._unsent = self._unsent or bool(lines)
                else:
                    self._pending.extend((now, line) for line in lines)

    def take_sbs(self) -> FeedResult:
        """The states of the SBS lines read since the last take (counting the rejected)."""
        assert self._stream is not None, "not an SBS feed"
        self._unsent = False
        return self._count_rejects(self._stream.take())

    def decode(
        self, merger: ModeSMerger | DecoderPool, batch: list[tuple[float, Any]]
    ) -> FeedResult:
        """The states of a batch of framed Mode S messages (counting the rejected ones)."""
        rejected = self.counters.rejected
        if self.source.kind == "beast":  # (arrival, (counter, hex)): times from the counter
            arrival = max(a for a, _ in batch)
            times = self.clock.times([item[0] for _, item in batch], arrival)
            batch = [(when, item[1]) for when, (_, item) in zip(times, batch, strict=True)]
        if self.source.kind == "beast":  # the framer's Mode S messages: 7 or 14 bytes, hex
            t, hexes = [when for when, _ in batch], [item for _, item in batch]
        else:
            t, hexes = [], []
            for when, item in batch:
                found = _RAW_FRAME.fullmatch(item)
                if found:
                    t.append(when)
                    hexes.append(found.group(1).lower())
                elif item.strip():
                    rejected["not a Mode S frame"] += 1
        line = np.arange(1, len(hexes) + 1, dtype=np.int64)
        result = merger.decode(np.array(t, dtype=np.float64), hexes, line)
        rejected["not decoded by rs1090"] += len(hexes) - _decoded(result)
        return self._count_rejects(result)

    def _count_rejects(self, result: FeedResult) -> FeedResult:
        for column in result.rejects["column"] if len(result.rejects) else []:
            self.counters.rejected[f"bad {column}"] += 1  # the reader's field: fields, lat...
        return result

    def records(self, states: pd.DataFrame) -> list[dict[str, Any]]:
        """The batch's states as report records, those too far from the server's time left out."""
        now = time.time() + self.sender.clock_offset_s
        t = states["t"].to_numpy(np.float64)
        future = t > now + self.max_future_s
        past = t < now - self.max_past_s
        self.counters.rejected["time ahead of the server's clock"] += int(future.sum())
        self.counters.rejected["time behind the server's clock"] += int(past.sum())
        keep = states[~future & ~past]
        same = keep.duplicated(["id", "t"], keep="last").to_numpy()
        self.counters.rejected["same aircraft and time as a later state"] += int(same.sum())
        keep = keep[~same]
        names = list(SENT_COLUMNS)
        columns = [_cells(keep[c]) for c in names]
        if self.party_map is not None:
            names.append("party")
            columns.append(assign_parties(self.party_map, keep["id"], keep["callsign"]).tolist())
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]

    async def batches(self, stop: asyncio.Event) -> None:
        """Every :attr:`period_s` (a fixed timer; at once when behind it): take or decode what
        was read and send it, until ``stop`` (then once more). A batch is made while the one
        before it is still being acknowledged, and sent once that one is (in order)."""
        polled = self._poller is not None
        merger = None if self._stream is not None or polled else self._merger()
        client = httpx.AsyncClient(timeout=self.sender.timeout_s) if polled else None
        inflight: asyncio.Task[None] | None = None
        due = time.monotonic()
        try:
            while True:
                stopping = stop.is_set()
                if not stopping:
                    due = max(due + self.period_s, time.monotonic())
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), due - time.monotonic())
                oldest, cut = self._oldest, time.time()
                result = None
                if client is not None:
                    oldest = cut
                    result = await self._poll(client)
                    if result is None:  # failed: the next poll after a backoff wait
                        due += self.backoff.next()
                elif merger is None:
                    result = self.take_sbs() if self._unsent else None
                else:
                    batch, self._pending = self._pending, []
                    if batch:
                        result = await asyncio.to_thread(self.decode, merger, batch)
                records = [] if result is None else self.records(result.frame)
                self.counters.states += len(records)
                if records:
                    if inflight is not None:
                        await inflight
                    inflight = asyncio.create_task(self._post(records, oldest, cut))
                if stopping:
                    if inflight is not None:
                        await inflight
                    return
        finally:
            if inflight is not None and not inflight.done():
                inflight.cancel()
            if isinstance(merger, DecoderPool):
                merger.close()
            if client is not None:
                await client.aclose()

    async def _poll(self, client: httpx.AsyncClient) -> FeedResult | None:
        """One poll of a polled source: its changed reports as states (None: it failed)."""
        assert self._poller is not None
        link = self.link
        link.attempts += 1
        try:
            reports, rejects, read = await self._poller.poll(client)
        except PollError as err:
            if not link.last_error:
                link.say(f"poll failed: {err}")
            link.drops += 1
            link.last_error = str(err)
            return None
        if link.last_error or not link.connected:
            link.say(f"polled {self.source}")
        link.connected += 1
        link.last_error = ""
        self.backoff.reset()
        self.counters.messages += read
        self.counters.unchanged = self._poller.unchanged
        self.counters.rejected["no position"] = self._poller.no_position
        self._count_rejects(FeedResult(reports, rejects, [], {}))
        if reports.empty:
            return None
        baro = reports["alt_baro_m"].to_numpy(np.float64)
        geo = reports["alt_geo_m"].to_numpy(np.float64)
        return FeedResult(reports.assign(alt_m=np.where(np.isnan(baro), geo, baro)), rejects)

    async def _post(self, records: list[dict[str, Any]], oldest: float, cut: float) -> None:
        await self.sender.send(records)
        self.counters.batches += 1
        self.counters.added_s.append(time.time() - cut)
        self.counters.lag_s = time.time() - oldest
        self.counters.max_lag_s = max(self.counters.max_lag_s, self.counters.lag_s)
        self.counters.lags_s.append(self.counters.lag_s)


def _cells(column: pd.Series) -> list[Any]:
    """A column's values as JSON takes them: Python numbers and strings, None for missing
    (pandas' ``to_dict`` of a frame cast to objects did the same, several times slower)."""
    if column.dtype.kind == "f":
        return [None if v != v else v for v in column.tolist()]  # NaN: not equal to itself
    values: list[Any] = column.astype(object).where(column.notna(), None).tolist()
    return values


def _decoded(result: FeedResult) -> int:
    counts = result.counts
    return int(counts.get("frames", 0)) - int(counts.get("not_decoded", 0))
