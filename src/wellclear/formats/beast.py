"""Beast binary captures (Mode-S Beast, as dump1090/readsb serve on port 30005).

Wire layout: a stream of messages, each::

    0x1a  TYPE  TIMESTAMP(6)  SIGNAL(1)  MESSAGE(n)

====================  ======================================================================
field                 content
====================  ======================================================================
``0x1a``              start of a message (escape byte)
TYPE                  ``'1'`` (0x31) Mode A/C, n = 2; ``'2'`` (0x32) Mode S short, n = 7;
                      ``'3'`` (0x33) Mode S long, n = 14
TIMESTAMP             48-bit big-endian count of a 12 MHz clock (the receiver's; MLAT
                      results carry the magic value ``0xFF004D4C4154``, "\\xff\\x00MLAT")
SIGNAL                signal level (ignored)
MESSAGE               the frame's bytes
====================  ======================================================================

Inside TIMESTAMP, SIGNAL and MESSAGE every 0x1a byte is sent twice (``1a 1a``); a single 0x1a
starts the next message. Mode A/C messages are counted, not decoded.

Time: the counter is not anchored to a clock, so ``t = t0 + (counter - first) / 12e6`` with
``first`` the first message's counter. ``t0`` is the unix time of the first message; by default
the last message is put at the file's modification time, and a note says so. MLAT messages take
the time of the message before them.

Messages are numbered from 1 in file order; that number is the ``line`` of states and rejects.
Bad input (bytes outside a message, an unknown type, a message cut short by the end of the file
or by the next message) raises :class:`BeastError` naming the file, message number and field, or
with ``invalid="skip"`` becomes a reject (raw bytes in hex) and reading resumes at the next
message.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from wellclear.formats.errors import DecodeError
from wellclear.formats.feeds import FeedResult, InvalidPolicy, make_rejects, raise_first
from wellclear.formats.modes import Frames, decode_frames

ESCAPE = 0x1A
PAYLOAD_BYTES = {0x31: 2, 0x32: 7, 0x33: 14}
"""Message bytes by type: Mode A/C, Mode S short, Mode S long."""
HEADER_BYTES = 7  # 6 timestamp + 1 signal
CLOCK_HZ = 12e6
MLAT_MAGIC = 0xFF004D4C4154


class BeastError(DecodeError):
    """A Beast binary stream that cannot be read."""


def split_beast(
    data: bytes,
) -> tuple[list[tuple[int, int, int, bytes]], list[tuple[int, str, str, str]]]:
    """Split a Beast stream into messages and rejects.

    Returns ``(messages, rejects)``: messages as ``(number, type, counter, frame bytes)``, rejects
    as ``(number, field, reason, raw hex)``; numbers count from 1 in file order.
    """
    messages: list[tuple[int, int, int, bytes]] = []
    rejects: list[tuple[int, str, str, str]] = []
    size = len(data)
    pos = 0
    number = 0
    while pos < size:
        if data[pos] != ESCAPE or (pos + 1 < size and data[pos + 1] == ESCAPE):
            start = pos
            pos = _next_start(data, pos + 1)
            rejects.append(
                (number + 1, "framing", "bytes outside a message", data[start:pos].hex())
            )
            continue
        number += 1
        start = pos
        if pos + 1 >= size:
            rejects.append((number, "type", "truncated message: no type byte", data[start:].hex()))
            break
        kind = data[pos + 1]
        if kind not in PAYLOAD_BYTES:
            pos = _next_start(data, pos + 2)
            reason = f"unknown message type 0x{kind:02x}"
            rejects.append((number, "type", reason, data[start:pos].hex()))
            continue
        want = HEADER_BYTES + PAYLOAD_BYTES[kind]
        body = bytearray()
        pos += 2
        while len(body) < want and pos < size:
            byte = data[pos]
            if byte == ESCAPE:
                if pos + 1 < size and data[pos + 1] == ESCAPE:
                    pos += 1
                else:
                    break  # a lone 0x1a: the next message starts here
            body.append(byte)
            pos += 1
        if len(body) < want:
            reason = f"truncated message: {len(body)} of {want} bytes"
            rejects.append((number, "message", reason, data[start:pos].hex()))
            continue
        counter = int.from_bytes(body[:6], "big")
        messages.append((number, kind, counter, bytes(body[HEADER_BYTES:])))
    return messages, rejects


def _next_start(data: bytes, pos: int) -> int:
    """Index of the next lone 0x1a followed by a message type at or after ``pos``."""
    while True:
        pos = data.find(b"\x1a", pos)
        if pos < 0:
            return len(data)
        if pos + 1 < len(data) and data[pos + 1] == ESCAPE:
            pos += 2
            continue
        return pos


def beast_times(
    counters: list[int], t0: float | None, mtime: float
) -> tuple[np.ndarray, list[str]]:
    """Unix times of Beast counters (12 MHz) and the notes that say how they were anchored."""
    notes: list[str] = []
    values = np.array(counters, dtype=np.float64)
    mlat = np.array([c == MLAT_MAGIC for c in counters], dtype=bool)
    clock = pd.Series(np.where(mlat, np.nan, values)).ffill().bfill().to_numpy()
    if len(clock) == 0 or np.isnan(clock).all():
        clock = np.zeros(len(values))
    elapsed = (clock - clock[0]) / CLOCK_HZ if len(clock) else clock
    if len(elapsed) and (np.diff(elapsed) < 0).any():
        notes.append("the Beast clock went backwards (receiver restarted?): times are not in order")
    if t0 is None:
        t0 = mtime - (float(elapsed.max()) if len(elapsed) else 0.0)
        stamp = dt.datetime.fromtimestamp(mtime, dt.UTC).isoformat(timespec="seconds")
        notes.append(
            f"Beast times anchored at the file's modification time ({stamp}) for the last "
            "message; pass t0 (the first message's unix time) to set them"
        )
    return t0 + elapsed, notes


def read_beast(
    path: str | Path,
    *,
    t0: float | None = None,
    reference: tuple[float, float] | None = None,
    invalid: InvalidPolicy = "error",
    max_age_s: float = 10.0,
) -> FeedResult:
    """Read a Beast binary capture and decode its Mode S messages into states (rs1090).

    With ``invalid="error"`` the first bad message raises :class:`BeastError`.
    """
    source = str(path)
    data = Path(path).read_bytes()
    messages, bad = split_beast(data)
    rejects = make_rejects(source, *(np.array([r[k] for r in bad], dtype=object) for k in range(4)))
    if invalid == "error":
        raise_first(rejects, BeastError)
    times, notes = beast_times([m[2] for m in messages], t0, os.stat(path).st_mtime)
    modes = np.array([m[1] != 0x31 for m in messages], dtype=bool)
    frames = Frames(
        source,
        times[modes],
        np.array([m[3].hex() for m in messages], dtype=object)[modes],
        np.array([m[0] for m in messages], dtype=np.int64)[modes],
        np.array([m[2] == MLAT_MAGIC for m in messages], dtype=bool)[modes],
    )
    result = decode_frames(frames, reference=reference, max_age_s=max_age_s)
    result.rejects = rejects
    result.notes = notes + result.notes
    result.counts = {
        "messages": len(messages) + len(bad),
        "mode_ac": int((~modes).sum()),
        "rejected": len(bad),
        **result.counts,
    }
    return result
