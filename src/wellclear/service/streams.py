"""The caller's alert events as one stream, for the SSE path and the WebSocket alike.

:func:`caller_events` subscribes first, then replays what the store holds after ``after`` (the
subscriber's ``Last-Event-ID``), then hands on live events, each once (by ``seq``) and
minimised for the caller (:func:`~wellclear.service.disclosure.view_event`). Besides events it
yields markers: ``connected`` once the replay is done, ``idle`` after ``idle_s`` without an
event (a transport may send a keep-alive), and ``dropped`` with the reason, last, when the
subscriber fell too far behind and was disconnected.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

from wellclear.service.disclosure import view_event
from wellclear.service.live import Live
from wellclear.store.parties import Principal
from wellclear.store.records import events_after


class Item(NamedTuple):
    """``kind`` is ``event`` (with ``seq`` and the minimised ``data``), ``connected``,
    ``idle`` or ``dropped`` (``data``: ``{"error": reason}``)."""

    kind: str
    seq: int = 0
    data: dict[str, Any] | None = None


async def caller_events(
    live: Live, who: Principal, after: int | None, idle_s: float = 15.0
) -> AsyncIterator[Item]:
    """See the module docstring."""
    agreement = live.config.agreement
    sub = live.subscribe(who)
    sent = after
    try:
        if after is not None:
            party = who.name if who.role == "party" else None
            for e in await asyncio.to_thread(events_after, live.store, after, party):
                sent = e["seq"]
                view = view_event(who, e, agreement, live.key)
                if view is not None:
                    yield Item("event", e["seq"], view)
        yield Item("connected")
        while True:
            try:
                got = await asyncio.wait_for(sub.queue.get(), timeout=idle_s)
            except TimeoutError:
                if sub.dropped:
                    break
                yield Item("idle")
                continue
            if got is None:
                break
            if sent is not None and got["seq"] <= sent:
                continue
            sent = got["seq"]
            view = view_event(who, got, agreement, live.key)
            if view is not None:
                yield Item("event", got["seq"], view)
        if sub.dropped:
            yield Item("dropped", data={"error": sub.dropped})
    finally:
        live.unsubscribe(sub)
