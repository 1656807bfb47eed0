"""The WebSocket twins of ``POST /v1/states`` and the alert stream.

``/v1/states/ws``: each text message is a batch (a JSON array or NDJSON; a message starting with
a header line of names is CSV), answered by one message with what ``POST /v1/states`` answers,
sent once the batch is durable; a bad message is answered ``{"error": reason}`` and the socket
stays open. A message ``{"idempotency_key": KEY, "reports": [...]}`` carries a client batch id,
as the ``Idempotency-Key`` header does for ``POST /v1/states``. ``/v1/ws``: every alert event
the caller receives, one JSON message each, with its ``seq``; the query ``after=SEQ`` replays
what came after it, as ``Last-Event-ID`` does: a subscriber that lost its connection (the
service restarted, even after kill -9) reconnects with ``?after=`` the last ``seq`` it received
and gets exactly what it missed, then the live events. It sends nothing; its close ends the
stream at once.

Both take ``Authorization: Bearer TOKEN`` in the handshake; a missing or bad token closes the
socket with code 1008 (policy violation) before anything is read or sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from wellclear.service.bodies import BodyError, parse_states
from wellclear.service.live import Live
from wellclear.service.streams import caller_events
from wellclear.store.parties import Principal, authenticate


async def _principal(ws: WebSocket, live: Live) -> Principal | None:
    header = ws.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    who = None
    if scheme.lower() == "bearer" and token:
        who = await asyncio.to_thread(authenticate, live.store, token)
    if who is None:
        await ws.close(code=1008, reason="a valid bearer token is required")
    return who


def _media(text: str) -> str:
    head = text.lstrip()[:1]
    if head == "[":
        return "application/json"
    if head == "{":
        return "application/x-ndjson"
    return "text/csv"


def _envelope(text: str) -> tuple[str | None, str]:
    """A message ``{"idempotency_key": KEY, "reports": [...]}`` as (KEY, the reports as a JSON
    array); any other message as (None, itself)."""
    if not text.lstrip().startswith("{") or '"idempotency_key"' not in text:
        return None, text
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None, text
    if not isinstance(value, dict) or set(value) != {"idempotency_key", "reports"}:
        return None, text
    key = value["idempotency_key"]
    return (str(key)[:128] if key is not None else None), json.dumps(value["reports"])


def add_sockets(app: FastAPI) -> None:
    """Register the WebSocket paths on ``app``."""

    @app.websocket("/v1/states/ws")
    async def states_ws(ws: WebSocket) -> None:
        live: Live = ws.app.state.live
        who = await _principal(ws, live)
        if who is None:
            return
        await ws.accept()
        if who.role == "observer":
            await ws.close(code=1008, reason="an observer may not post")
            return
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                text = await ws.receive_text()
                if len(text.encode()) > live.config.max_body:
                    await ws.send_json({"error": f"message over {live.config.max_body} bytes"})
                    continue
                key, text = _envelope(text)
                done = await asyncio.to_thread(live.answered, who, key)
                if done is not None:
                    await ws.send_json(done)
                    continue
                try:
                    parsed = await asyncio.to_thread(parse_states, text.encode(), _media(text), who)
                except BodyError as err:
                    await ws.send_json({"error": str(err)})
                    continue
                await ws.send_json(await asyncio.to_thread(live.post, who, parsed, key))

    @app.websocket("/v1/ws")
    async def events_ws(ws: WebSocket, after: int | None = None) -> None:
        live: Live = ws.app.state.live
        who = await _principal(ws, live)
        if who is None:
            return
        await ws.accept()

        async def send() -> None:
            async for item in caller_events(live, who, after):
                if item.kind == "event":
                    await ws.send_text(json.dumps({"seq": item.seq, **(item.data or {})}))
                elif item.kind == "dropped":
                    reason = str((item.data or {}).get("error", ""))
                    await ws.close(code=1013, reason=reason[:120])

        async def closed() -> None:  # the subscriber sends nothing but its close
            while (await ws.receive())["type"] != "websocket.disconnect":
                pass

        # whichever ends first ends the other: a subscriber gone away leaves at once, not at
        # the next event it would be sent (which a quiet sky may never bring)
        tasks = {asyncio.create_task(send()), asyncio.create_task(closed())}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                    await task
