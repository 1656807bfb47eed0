"""TCP clients that reconnect: exponential backoff with full jitter between attempts.

:func:`connect_chunks` yields the bytes a peer sends, chunk by chunk, and ``None`` each time the
connection ends (closed by the peer, reset, or never made), so that the caller cuts its framer;
it then waits ``Backoff.next()`` seconds and connects again, for ever (until cancelled). The
wait after attempt ``k`` is uniform in ``[0, min(cap, base * 2**k)]`` ("full jitter": feeds that
lost one server do not all come back at the same instant); a connection that lived longer than
``cap`` resets the attempt count.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Waits between attempts (seconds): full jitter over ``base * 2**attempt``, at most
    ``cap``."""

    base_s: float = 0.5
    cap_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next(self) -> float:
        top = min(self.cap_s, self.base_s * 2.0 ** min(self.attempt, 30))
        self.attempt += 1
        return self.rng.uniform(0.0, top)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class Link:
    """What happened to the connection: attempts, connections, drops, the last error;
    ``notify`` (if given) is told each connection made and each one lost."""

    attempts: int = 0
    connected: int = 0
    drops: int = 0
    last_error: str = ""
    notify: Callable[[str], None] | None = None

    def say(self, text: str) -> None:
        if self.notify is not None:
            self.notify(text)


async def connect_chunks(
    host: str, port: int, backoff: Backoff, link: Link, chunk: int = 65536
) -> AsyncIterator[bytes | None]:
    """The peer's bytes; ``None`` after each connection that ended or could not be made."""
    while True:
        link.attempts += 1
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as err:
            link.last_error = f"{host}:{port}: {err.strerror or err}"
            yield None
            await asyncio.sleep(backoff.next())
            continue
        link.connected += 1
        link.say(f"connected to {host}:{port}")
        began = time.monotonic()
        try:
            while True:
                data = await reader.read(chunk)
                if not data:
                    link.last_error = f"{host}:{port}: closed by the peer"
                    break
                yield data
        except OSError as err:
            link.last_error = f"{host}:{port}: {err.strerror or err}"
        finally:
            writer.close()
        link.drops += 1
        link.say(f"connection lost: {link.last_error}")
        if time.monotonic() - began > backoff.cap_s:
            backoff.reset()
        yield None
        await asyncio.sleep(backoff.next())
