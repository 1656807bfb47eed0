"""The web map: the page at ``/``, its assets at ``/web/{name}``, and what the page needs
beyond the rest of the API, each under the same disclosure rules
(:mod:`~wellclear.service.disclosure`).

Without a token (static, public): ``/`` (the page), ``/web/{name}`` (the built assets of
``src/wellclear/web/static``, sources in ``web/``) and ``/web/sovereign.json`` (the shipped
Natural Earth sovereign polygons, simplified, as GeoJSON). With the caller's bearer token:

``GET /v1/web/session``
    who the caller is (name, role), the agreement in force (id, title, version, sharing level,
    the distress frequencies) and its zones as GeoJSON (geometry, name, kind and limits: not
    whom a zone binds, which would name the parties);
``GET /v1/web/picture/stream``
    the caller's picture (``GET /v1/picture``) as Server-Sent Events, one ``picture`` event
    per engine tick;
``GET /v1/web/replay?t=UNIX``
    the picture at a past time from the stored reports (each aircraft's last report in the
    ``window_s`` before ``t``, the last hour kept), disclosed as the live one.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

import pandas as pd
import shapely
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from sqlalchemy import select

from wellclear.agreement import Agreement
from wellclear.airspace.volume import Volume
from wellclear.service.deps import Caller, LiveDep
from wellclear.service.disclosure import view_picture
from wellclear.service.live import Live
from wellclear.states import complete_states
from wellclear.store.models import Batch
from wellclear.store.reports import decode
from wellclear.timeutil import iso

router = APIRouter()

REPLAY_S = 3600.0  # how far back the replay reaches
_MEDIA = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".txt": "text/plain",
}


def static_dir() -> Any:
    """The built assets shipped in the package."""
    return resources.files("wellclear.web") / "static"


@router.get("/", include_in_schema=False)
def page() -> HTMLResponse:
    """The page (no token: it signs in with one)."""
    return HTMLResponse((static_dir() / "index.html").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _sovereign_geojson() -> bytes:
    from wellclear.airspace.sovereign import all_sovereign_volumes

    return json.dumps(zones_geojson(all_sovereign_volumes(), 0.01)).encode()


@router.get("/web/sovereign.json", include_in_schema=False)
def sovereign() -> Response:
    """The shipped sovereign airspace polygons (public data), simplified to 0.01 degree."""
    return Response(_sovereign_geojson(), media_type="application/json")


@router.get("/web/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    """One built asset (a plain file name in ``static/``)."""
    path = static_dir() / name
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if "/" in name or name.startswith(".") or suffix not in _MEDIA or not path.is_file():
        raise HTTPException(404, "no such asset")
    return FileResponse(str(path), media_type=_MEDIA[suffix])


def zones_geojson(volumes: list[Volume], tolerance_deg: float = 0.0) -> dict[str, Any]:
    """Volumes as a GeoJSON FeatureCollection: geometry (simplified by ``tolerance_deg``),
    ``name``, ``kind``, ``floor`` and ``ceiling`` (as written); nothing about whom it binds."""
    features = []
    for v in volumes:
        geom = shapely.simplify(v.geometry, tolerance_deg) if tolerance_deg else v.geometry
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-4))),
                "properties": {
                    "name": v.name,
                    "kind": v.kind,
                    "floor": str(v.floor),
                    "ceiling": str(v.ceiling),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _agreement_zones(live: Live, agreement: Agreement) -> dict[str, Any]:
    """The agreement's zones as GeoJSON, kept on the service for the version in force."""
    digest = agreement.digest()
    if live.web_zones is None or live.web_zones[0] != digest:
        live.web_zones = (digest, zones_geojson(agreement.zones(), 0.001))
    return live.web_zones[1]


@router.get("/v1/web/session", tags=["web"])
def session(who: Caller, live: LiveDep) -> dict[str, Any]:
    """The caller and the agreement in force, with its zones (see the module docstring)."""
    agreement = live.config.agreement
    return {
        "name": who.name,
        "role": who.role,
        "agreement": {
            "id": agreement.id,
            "title": agreement.title,
            "version": live.version,
            "sharing": agreement.sharing.level,
            "frequencies_mhz": list(agreement.frequencies_mhz()),
        },
        "zones": _agreement_zones(live, agreement),
    }


@router.get("/v1/web/picture/stream", tags=["web"])
async def picture_stream(who: Caller, live: LiveDep, request: Request) -> StreamingResponse:
    """The caller's picture as Server-Sent Events, one ``picture`` event per tick (the
    current one first, then ``: connected``)."""

    async def events() -> AsyncIterator[bytes]:
        seen = live.info.ticks
        yield _sse(await asyncio.to_thread(live.picture, who))
        yield b": connected\n\n"
        idle = time.monotonic()
        while not await request.is_disconnected():
            await asyncio.sleep(0.1)
            if live.info.ticks != seen:
                seen = live.info.ticks
                idle = time.monotonic()
                yield _sse(await asyncio.to_thread(live.picture, who))
            elif time.monotonic() - idle > 15.0:
                idle = time.monotonic()
                yield b": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def _sse(picture: dict[str, Any]) -> bytes:
    return b"event: picture\ndata: " + json.dumps(picture).encode() + b"\n\n"


def states_at(live: Live, t: float, window_s: float) -> pd.DataFrame:
    """Each aircraft's last stored report in ``(t - window_s, t]`` (the states contract)."""
    query = select(Batch.data).where(Batch.t_max > t - window_s, Batch.t_min <= t)
    with live.store.engine.connect() as conn:
        frames = [decode(data) for (data,) in conn.execute(query.order_by(Batch.id))]
    if not frames:
        return pd.DataFrame()
    reports = pd.concat(frames, ignore_index=True)
    reports = reports[(reports["t"] > t - window_s) & (reports["t"] <= t)]
    last = reports.sort_values("t", kind="stable").groupby("id", sort=False).tail(1)
    return complete_states(last.reset_index(drop=True))


@router.get("/v1/web/replay", tags=["web"])
def replay(
    who: Caller,
    live: LiveDep,
    t: Annotated[float | None, Query(description="unix s; the last tick when absent")] = None,
    window_s: Annotated[float, Query(gt=0, le=600, description="s")] = 60.0,
) -> JSONResponse:
    """The caller's picture at ``t`` from the stored reports (the last hour)."""
    last = live.info.t
    if t is None:
        t = last if last is not None else time.time()
    if last is not None and not (last - REPLAY_S <= t <= last):
        raise HTTPException(400, f"t: {t} is outside the last hour before the last tick {last}")
    states = states_at(live, t, window_s)
    delay = live.config.agreement.sharing.delay
    delayed = states_at(live, t - delay.s, window_s) if delay is not None else states
    aircraft = view_picture(who, states, delayed, live.config.agreement) if len(states) else []
    return JSONResponse({"t": iso(t), "t_unix": t, "aircraft": aircraft})
