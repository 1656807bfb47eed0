"""The FastAPI application of ``wellclear serve``; its lifespan owns the store, the engine
(:class:`~wellclear.service.live.Live`) and the tick task.

Paths (OpenAPI at ``/openapi.json``): ``POST /v1/states``, ``GET /v1/picture``,
``GET /v1/alerts``, ``GET /v1/alerts/stream`` (Server-Sent Events, ``Last-Event-ID``),
``POST /v1/alerts/{alert_id}/ack``, ``GET /v1/tracks/{aircraft_id}``, ``GET /v1/incidents``...,
``GET /healthz``; WebSockets ``/v1/states/ws`` and ``/v1/ws`` (:mod:`~wellclear.service.sockets`).
Every request is written to the audit log (who, when, what, status) at the next tick, with the
others in one transaction (a crash loses at most the last tick's audit records; acknowledged
batches and stored events are never lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from wellclear import __version__
from wellclear.report.incident import incident_page
from wellclear.service.bodies import BodyError, parse_states
from wellclear.service.config import ServiceConfig
from wellclear.service.deps import Caller, LiveDep, may_post
from wellclear.service.disclosure import records, view_event, view_incident
from wellclear.service.live import Live
from wellclear.service.plan_desk import open_desk
from wellclear.service.routers import agreements, plans, web
from wellclear.service.sockets import add_sockets
from wellclear.service.streams import caller_events
from wellclear.store import open_store
from wellclear.store.records import (
    AuditRecord,
    acknowledge,
    find_incident,
    has_event,
    incidents,
)
from wellclear.store.reports import track
from wellclear.timeutil import iso

log = logging.getLogger("wellclear.service")


def create_app(config: ServiceConfig) -> FastAPI:
    """The application for ``config`` (see the module docstring)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await asyncio.to_thread(open_store, config.db)
        live = await asyncio.to_thread(Live, config, store)
        app.state.live = live
        app.state.plans = await asyncio.to_thread(open_desk, live)  # conformance from the start
        tasks = (
            [asyncio.create_task(live.run()), asyncio.create_task(live.run_incidents())]
            if config.run_ticks and config.cluster is None
            else []
        )
        if config.cluster is not None:  # the workers of a cluster step, the service fronts them
            from wellclear.service.cluster_front import ClusterFront  # nats-py: the extra

            tasks.append(asyncio.create_task(ClusterFront(live, config.cluster).run()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await asyncio.to_thread(live.flush_audit)
            store.close()

    app = FastAPI(
        title="wellclear",
        version=__version__,
        description="Live deconfliction between parties that share a sky but not their "
        "missions: each party posts its tracks and receives what concerns its own aircraft, "
        "at the level of detail the agreement allows.",
        lifespan=lifespan,
    )

    @app.middleware("http")
    async def audit_requests(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        who = getattr(request.state, "principal", None)
        live: Live | None = getattr(request.app.state, "live", None)
        if live is not None and request.url.path != "/healthz":
            live.audit(
                AuditRecord(
                    time.time(),
                    None if who is None else who.name,
                    request.method,
                    request.url.path,
                    response.status_code,
                )
            )
        return response

    @app.get("/healthz", tags=["service"])
    def healthz(request: Request) -> dict[str, Any]:
        """Liveness, the last tick's time and duration, late ticks, the agreement in force."""
        live: Live = request.app.state.live
        info = live.info
        return {
            "status": "ok",
            "version": __version__,
            "agreement": {
                "id": live.config.agreement.id,
                "version": live.version,
                "status": live.agreement_status,
            },
            "tick": {
                "t": None if info.t is None else iso(info.t),
                "duration_s": info.duration_s,
                "period_s": live.config.tick_s,
                "late": info.late,
                "ticks": info.ticks,
                "aircraft": info.aircraft,
            },
        }

    @app.post("/v1/states", tags=["states"])
    async def post_states(
        request: Request,
        who: Caller,
        live: LiveDep,
        content_type: Annotated[str | None, Header()] = None,
        idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
    ) -> dict[str, Any]:
        """A batch of reports (JSON array, NDJSON or CSV, any column set that ``detect``
        reads), answered once the accepted reports are durable in the store. A batch sent
        again with the ``Idempotency-Key`` of one already stored gets the original answer
        (with ``"duplicate": true``) and is not stored twice."""
        may_post(who)
        done = await asyncio.to_thread(live.answered, who, idempotency_key)
        if done is not None:
            return done
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > config.max_body:
            raise HTTPException(413, f"body over the limit of {config.max_body} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > config.max_body:
                raise HTTPException(413, f"body over the limit of {config.max_body} bytes")
        try:
            parsed = await asyncio.to_thread(parse_states, bytes(body), content_type, who)
        except BodyError as err:
            raise HTTPException(err.status, str(err)) from None
        return await asyncio.to_thread(live.post, who, parsed, idempotency_key)

    @app.get("/v1/picture", tags=["picture"])
    def picture(who: Caller, live: LiveDep) -> dict[str, Any]:
        """The air picture at the last tick as the caller may see it."""
        view = live.picture(who)
        return {"t": view["t"], "aircraft": view["aircraft"]}

    @app.get("/v1/alerts", tags=["alerts"])
    def alerts(who: Caller, live: LiveDep) -> dict[str, Any]:
        """The caller's open alerts (the last event of each)."""
        out = [
            view_event(who, e, live.config.agreement, live.key) for e in live.open_alerts.values()
        ]
        return {"alerts": [e for e in out if e is not None]}

    @app.post("/v1/alerts/{alert_id}/ack", tags=["alerts"])
    def ack(alert_id: str, who: Caller, live: LiveDep) -> dict[str, Any]:
        """Record the caller's acknowledgement of one of its alerts (its ``alert_id``)."""
        if who.role == "party":  # its alerts are those whose aircraft 1 is its own
            found = has_event(live.store, public_id=alert_id, party_1=who.name)
        else:
            found = has_event(live.store, alert_id=alert_id)
        if not found:
            raise HTTPException(404, "no such alert among yours")
        acknowledge(live.store, alert_id, who.id)
        return {"alert_id": alert_id, "acknowledged": True}

    @app.get("/v1/alerts/stream", tags=["alerts"])
    async def stream(
        who: Caller,
        live: LiveDep,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> StreamingResponse:
        """Every alert event the caller receives, as Server-Sent Events (``id`` = the event's
        sequence number; ``Last-Event-ID`` replays what came after it)."""
        try:
            after = int(last_event_id) if last_event_id else None
        except ValueError:
            raise HTTPException(400, f"Last-Event-ID {last_event_id!r}: not a number") from None

        async def events() -> AsyncIterator[bytes]:
            async for item in caller_events(live, who, after):
                if item.kind == "event" and item.data is not None:
                    yield _sse(item.seq, item.data)
                elif item.kind == "connected":
                    yield b": connected\n\n"
                elif item.kind == "idle":
                    yield b": keep-alive\n\n"
                elif item.kind == "dropped":
                    yield b"event: error\ndata: " + json.dumps(item.data).encode() + b"\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.get("/v1/tracks/{aircraft_id}", tags=["tracks"])
    def tracks(
        aircraft_id: str,
        who: Caller,
        live: LiveDep,
        since: Annotated[float | None, Query(description="unix s")] = None,
    ) -> JSONResponse:
        """Stored reports of one aircraft (a party: of its own aircraft only)."""
        party_id = who.id if who.role == "party" else None
        frame = track(live.store, aircraft_id, -float("inf") if since is None else since, party_id)
        if frame.empty:
            # the id is not echoed: an answer to a party names none of the others' aircraft
            raise HTTPException(
                404, "no reports of that aircraft" + (" among yours" if party_id else "")
            )

        cols = [c for c in frame.columns if c not in ("t_row", "batch_id")]
        return JSONResponse({"id": aircraft_id, "reports": records(frame[cols])})

    @app.get("/v1/incidents", tags=["incidents"])
    def list_incidents(who: Caller, live: LiveDep) -> dict[str, Any]:
        """The incidents the caller's aircraft were in (every incident for the cell)."""
        party = who.name if who.role == "party" else None
        views = [
            view_incident(who, i, live.config.agreement, live.key)
            for i in incidents(live.store, party)
        ]
        return {"incidents": [v for v in views if v is not None]}

    def _incident(who: Any, live: Live, incident_id: str) -> dict[str, Any]:
        if who.role == "party":
            found = find_incident(live.store, public_id=incident_id, party=who.name)
        else:
            found = find_incident(live.store, incident_id=incident_id)
        view = None if found is None else view_incident(who, found, live.config.agreement, live.key)
        if view is None:
            raise HTTPException(404, "no such incident among yours")
        return view

    @app.get("/v1/incidents/{incident_id}", tags=["incidents"])
    def get_incident(incident_id: str, who: Caller, live: LiveDep) -> dict[str, Any]:
        """One incident, as the caller may see it."""
        return _incident(who, live, incident_id)

    @app.get("/v1/incidents/{incident_id}/report", tags=["incidents"])
    def incident_report(incident_id: str, who: Caller, live: LiveDep) -> HTMLResponse:
        """One incident as a self-contained HTML page (what the caller may see of it)."""
        view = _incident(who, live, incident_id)
        return HTMLResponse(incident_page(view, live.config.agreement.scan_config()))

    app.include_router(agreements.router)
    app.include_router(plans.router)
    add_sockets(app)
    app.include_router(web.router)
    return app


def _sse(seq: int, data: dict[str, Any]) -> bytes:
    return f"id: {seq}\nevent: alert\ndata: {json.dumps(data)}\n\n".encode()


__all__ = ["create_app"]
