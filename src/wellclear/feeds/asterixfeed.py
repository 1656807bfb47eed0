"""ASTERIX feeds: ``asterix:FILE`` (a recording followed as it grows) and
``asterix-udp://HOST:PORT`` (datagrams received on that address, as surveillance networks
send them), decoded by :func:`wellclear.formats.asterix.decode_asterix` (libasterix); CAT048
plots are placed from the radars given (``--radar SAC/SIC=LAT,LON,HEIGHT_M``).

A file is read from where the last poll stopped, and a data block cut by the end of what was
written waits for the rest; a datagram carries whole data blocks, so one that ends inside a
block has that block rejected (``datagram ends inside a block``). Times of day are put on the
UTC day nearest the time they are read.

A source belongs to one feed task and is not safe for concurrent use.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd

from wellclear.feeds.poll import PollError
from wellclear.formats.asterix import Radars, decode_asterix
from wellclear.formats.feeds import FeedResult
from wellclear.formats.result import concat_rejects, make_rejects

ASTERIX = ("asterix", "asterix-udp")


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, into: list[bytes]) -> None:
        self.into = into

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.into.append(data)


@dataclass
class AsterixSource:
    """One ASTERIX source: :meth:`read` receives (UDP), :meth:`poll` decodes what came."""

    kind: str
    path: str = ""
    host: str = ""
    port: int = 0
    radars: Radars = field(default_factory=dict)
    unchanged: int = 0  # (every record is new: the counters of the polled sources)
    no_position: int = 0
    _offset: int = 0
    _tail: bytes = b""
    _datagrams: list[bytes] = field(default_factory=list)

    async def read(self) -> None:
        """UDP: receive datagrams until cancelled (a file has nothing to receive)."""
        if self.kind != "asterix-udp":
            return
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Receiver(self._datagrams), local_addr=(self.host, self.port)
        )
        try:
            await asyncio.Future()
        finally:
            transport.close()

    async def poll(self, client: httpx.AsyncClient) -> tuple[pd.DataFrame, pd.DataFrame, int]:
        """(states, rejects, records) of what was received or written since the last poll."""
        del client  # (the polled sources' signature)
        near = time.time()
        if self.kind == "asterix-udp":
            chunks = list(self._datagrams)
            self._datagrams.clear()  # (the receiver appends to this list)
            parts = [self._decode(c, f"asterix-udp://{self.host}:{self.port}", near, True)
                     for c in chunks]  # fmt: skip
        else:
            try:
                new = await asyncio.to_thread(_read_from, self.path, self._offset)
            except OSError as err:
                raise PollError(f"{self.path}: {err.strerror or err}") from None
            self._offset += len(new)
            parts = [self._decode(self._tail + new, self.path, near, False)] if new else []
        if not parts:
            return pd.DataFrame(), concat_rejects([]), 0
        states = pd.concat([p.states for p in parts if len(p.states)] or [parts[0].states])
        rejects = concat_rejects([p.rejects for p in parts])
        records = sum(int(p.counts.get("records", 0)) for p in parts)
        self.no_position += sum(int(p.counts.get("no_position", 0)) for p in parts)
        return states.reset_index(drop=True), rejects, records

    def _decode(self, data: bytes, name: str, near: float, whole: bool) -> FeedResult:
        result, end = decode_asterix(data, source=name, near_s=near, radars=self.radars)
        if whole and end < len(data):
            cut = make_rejects(name, [end + 1], ["block"], ["datagram ends inside a block"],
                               [data[end:].hex()])  # fmt: skip
            result.rejects = concat_rejects([result.rejects, cut])
        elif not whole:
            self._tail = data[end:]
        return result


def parse_radar(text: str) -> tuple[tuple[int, int], tuple[float, float, float]]:
    """``SAC/SIC=LAT,LON,HEIGHT_M`` (``--radar``): a radar's codes and position; ``ValueError``
    naming the form."""
    try:
        codes, place = text.split("=")
        sac, sic = (int(c) for c in codes.split("/"))
        lat, lon, height = (float(v) for v in place.split(","))
    except ValueError:
        raise ValueError(f"--radar {text!r}: expected SAC/SIC=LAT,LON,HEIGHT_M") from None
    if not (0 <= sac <= 255 and 0 <= sic <= 255 and abs(lat) <= 90 and abs(lon) <= 180):
        raise ValueError(f"--radar {text!r}: SAC, SIC 0-255, latitude +-90, longitude +-180")
    return (sac, sic), (lat, lon, height)


def _read_from(path: str, offset: int) -> bytes:
    with Path(path).open("rb") as handle:
        handle.seek(offset)
        return handle.read()
