"""Incremental framing of a byte stream that arrives in arbitrary chunks.

A framer is fed chunks and returns the complete messages they finish; what is left (a line
without its end, a Beast frame cut mid-way, a lone escape byte that may be the first of a
doubled ``1a 1a``) waits for the next chunk. :meth:`cut` is called when the connection drops:
it returns the unfinished bytes, which the caller counts as a message cut by the disconnect
(they are never joined to the first bytes of the next connection).

Beast framing is that of :mod:`wellclear.formats.beast` (its module docstring has the wire
layout); :func:`beast_messages` finds the end of each message without walking byte by byte
(a message without an escape byte inside, the usual case, is one slice), and is held against
:func:`wellclear.formats.beast.split_beast` by the tests.
"""

from __future__ import annotations

from wellclear.formats.beast import ESCAPE, HEADER_BYTES, PAYLOAD_BYTES
from wellclear.formats.beast import _next_start as next_start  # the reader's resync rule

BeastMessage = tuple[int, int, bytes]
"""(type byte, 48-bit counter, frame bytes)."""


class LineFramer:
    """Lines of a text stream (SBS on 30003, ``*HEX;`` raw frames on 30002), without their
    ``\\n`` / ``\\r\\n``; bytes that are not UTF-8 are replaced (the decoder rejects the line)."""

    def __init__(self, max_line: int = 4096) -> None:
        self._tail = b""
        self.max_line = max_line
        self.overlong = 0

    def feed(self, chunk: bytes) -> list[str]:
        data = self._tail + chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._tail = data
            if len(data) > self.max_line:  # a peer that never ends its line
                self.overlong += 1
                self._tail = b""
            return []
        self._tail = data[end + 1 :]
        text = data[:end].decode("utf-8", errors="replace")
        return [line.rstrip("\r") for line in text.split("\n")]

    def cut(self) -> bytes:
        tail, self._tail = self._tail, b""
        return tail


def beast_messages(data: bytes) -> tuple[list[BeastMessage], list[tuple[str, bytes]], int]:
    """The complete Beast messages at the start of ``data``.

    Returns ``(messages, rejects, end)``: ``rejects`` as (reason, raw bytes) for bytes outside a
    message, unknown types and messages cut short by the next one; ``end`` is where an
    unfinished message (or nothing) begins, to be kept for the next chunk.
    """
    messages: list[BeastMessage] = []
    rejects: list[tuple[str, bytes]] = []
    size = len(data)
    pos = 0
    while pos < size:
        if data[pos] != ESCAPE or (pos + 1 < size and data[pos + 1] == ESCAPE):
            nxt = next_start(data, pos + 1)
            if nxt == size - 1:  # a last 1a: a message's start or half of a doubled pair
                return messages, rejects, pos
            rejects.append(("bytes outside a message", data[pos:nxt]))
            pos = nxt
            continue
        if pos + 1 >= size:
            return messages, rejects, pos
        kind = data[pos + 1]
        want = PAYLOAD_BYTES.get(kind)
        if want is None:
            nxt = next_start(data, pos + 2)
            if nxt == size - 1:
                return messages, rejects, pos
            rejects.append((f"unknown message type 0x{kind:02x}", data[pos:nxt]))
            pos = nxt
            continue
        want += HEADER_BYTES
        start = pos + 2
        body = data[start : start + want]
        if len(body) == want and ESCAPE not in body:
            pos = start + want
        else:
            body, end = _escaped_body(data, start, want)
            if end < 0:
                return messages, rejects, pos
            if len(body) < want:
                reason = f"truncated message: {len(body)} of {want} bytes"
                rejects.append((reason, data[pos:end]))
                pos = end
                continue
            pos = end
        messages.append((kind, int.from_bytes(body[:6], "big"), bytes(body[HEADER_BYTES:])))
    return messages, rejects, pos


def _escaped_body(data: bytes, start: int, want: int) -> tuple[bytes, int]:
    """Unescape a body from ``start``: (body, end); a body cut short by a lone escape (the next
    message) comes back shorter than ``want``; one the data ends inside gives end -1."""
    body = bytearray()
    pos = start
    size = len(data)
    while len(body) < want:
        if pos >= size:
            return bytes(body), -1
        byte = data[pos]
        if byte == ESCAPE:
            if pos + 1 >= size:
                return bytes(body), -1  # 1a at the end: half an escape, or not
            if data[pos + 1] != ESCAPE:
                return bytes(body), pos
            pos += 1
        body.append(byte)
        pos += 1
    return bytes(body), pos


class BeastFramer:
    """Beast messages of a binary stream (30005), across chunk boundaries."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> tuple[list[BeastMessage], list[tuple[str, bytes]]]:
        data = self._tail + chunk if self._tail else chunk
        messages, rejects, end = beast_messages(data)
        self._tail = data[end:]
        return messages, rejects

    def cut(self) -> bytes:
        tail, self._tail = self._tail, b""
        return tail
