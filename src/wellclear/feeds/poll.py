"""Sources polled with a period: readsb/dump1090 ``aircraft.json`` and OpenSky ``states/all``.

``aircraft-json:PATH_OR_URL`` reads the file dump1090 or readsb writes (``--write-json DIR``)
or fetches it from their web server; ``opensky:LAMIN,LOMIN,LAMAX,LOMAX`` asks the OpenSky REST
API for the state vectors in that box (degrees; OpenSky API docs, "All State Vectors", query
parameters ``lamin``, ``lomin``, ``lamax``, ``lomax``). A box whose ``LOMIN`` is east of its
``LOMAX`` crosses the antimeridian and is asked as two boxes, ``LOMIN..180`` and
``-180..LOMAX``. Both answers are read by the file readers (:func:`wellclear.formats.load.
read_json_bytes`, then :func:`wellclear.formats.columns.convert`: units, checks, rejects
naming the record and field).

Each poll gives the whole picture again: an aircraft whose position did not change since the
last poll (the same position time: readsb's ``now - seen_pos``, OpenSky's ``time_position``) is
not sent again; it is counted as unchanged. An aircraft listed without a position (readsb and
dump1090 list every aircraft they hear) is counted as ``no position``. An answer byte for byte
the same as the last one is not read at all. A poll that fails (file missing, HTTP error, a
server that does not answer, JSON that cannot be read) is counted and named, and the poll is
tried again.

A poller belongs to one feed task and is not safe for concurrent use.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from wellclear.formats.columns import convert
from wellclear.formats.errors import DecodeError
from wellclear.formats.load import read_json_bytes
from wellclear.formats.result import concat_rejects

POLLED = ("aircraft-json", "opensky")
OPENSKY_URL = "https://opensky-network.org/api/states/all"
PERIOD_S = {"aircraft-json": 1.0, "opensky": 10.0}
"""Default seconds between polls: readsb writes ``aircraft.json`` every second; OpenSky gives
anonymous users a new picture every 10 s."""
KEEP_S = 600.0  # an aircraft's last position time is forgotten this long after it


class PollError(Exception):
    """A poll that gave no answer to read (the reason names the file or URL)."""


def bbox_queries(text: str) -> list[dict[str, float]]:
    """The ``states/all`` queries of ``LAMIN,LOMIN,LAMAX,LOMAX`` (two across the
    antimeridian); ``ValueError`` naming what is wrong."""
    parts = text.split(",")
    try:
        lamin, lomin, lamax, lomax = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"opensky:{text}: expected LAMIN,LOMIN,LAMAX,LOMAX in degrees") from None
    if not (-90.0 <= lamin < lamax <= 90.0):
        raise ValueError(f"opensky:{text}: latitudes must be -90 <= LAMIN < LAMAX <= 90")
    if not (-180.0 <= lomin <= 180.0 and -180.0 <= lomax <= 180.0) or lomin == lomax:
        raise ValueError(f"opensky:{text}: longitudes must be within +-180 and differ")
    box = {"lamin": lamin, "lamax": lamax}
    if lomin < lomax:
        return [{**box, "lomin": lomin, "lomax": lomax}]
    return [{**box, "lomin": lomin, "lomax": 180.0}, {**box, "lomin": -180.0, "lomax": lomax}]


@dataclass
class Poller:
    """One polled source: :meth:`poll` gives the reports that changed since the last poll."""

    kind: str
    target: str
    opensky_url: str = OPENSKY_URL
    unchanged: int = 0
    same_answers: int = 0
    no_position: int = 0
    _last_t: dict[str, float] = field(default_factory=dict)
    _digests: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in POLLED:
            raise ValueError(f"not a polled source: {self.kind}")
        if self.kind == "opensky":
            bbox_queries(self.target)
        elif not self.target:
            raise ValueError("aircraft-json: expected a PATH or URL after the colon")

    def requests(self) -> list[str]:
        """What each poll reads: a path or URLs."""
        if self.kind == "aircraft-json":
            return [self.target]
        return [str(httpx.URL(self.opensky_url, params=q)) for q in bbox_queries(self.target)]

    async def _fetch(self, client: httpx.AsyncClient, where: str) -> bytes:
        if not where.startswith(("http://", "https://")):
            try:
                return await asyncio.to_thread(Path(where).read_bytes)
            except OSError as err:
                raise PollError(f"{where}: {err.strerror or err}") from None
        try:
            answer = await client.get(where)
        except httpx.HTTPError as err:
            raise PollError(f"{where}: {type(err).__name__}: {err}") from None
        if answer.status_code != 200:
            raise PollError(f"{where}: HTTP {answer.status_code}: {answer.text[:200]}")
        return answer.content

    async def poll(self, client: httpx.AsyncClient) -> tuple[pd.DataFrame, pd.DataFrame, int]:
        """(changed reports, rejects, records read) of one poll; :class:`PollError` when an
        answer could not be had or read."""
        frames, rejects, records = [], [], 0
        for where in self.requests():
            raw = await self._fetch(client, where)
            digest = hashlib.blake2b(raw, digest_size=16).digest()
            if self._digests.get(where) == digest:
                self.same_answers += 1
                continue
            try:
                loaded = read_json_bytes(raw, where)
                reports, bad = convert(loaded.frame, loaded.lines, where)
            except DecodeError as err:
                raise PollError(str(err)) from None
            self._digests[where] = digest
            records += len(loaded.frame)
            frames.append(reports)
            rejects.append(bad)
        if not frames:
            return pd.DataFrame(), concat_rejects([]), 0
        reports = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return self._changed(reports), concat_rejects(rejects), records

    def _changed(self, reports: pd.DataFrame) -> pd.DataFrame:
        """The reports with a position newer than the last sent one of their aircraft
        (remembered); those without a position are counted."""
        if reports.empty:
            return reports
        placed = reports["lat"].notna().to_numpy() & reports["lon"].notna().to_numpy()
        self.no_position += int((~placed).sum())
        reports = reports[placed]
        ids = reports["id"].astype(str).to_numpy(dtype=object)
        t = reports["t"].to_numpy(np.float64)
        last = np.array([self._last_t.get(i, -np.inf) for i in ids], dtype=np.float64)
        new = t > last
        self.unchanged += int((~new).sum())
        for i, when in zip(ids[new], t[new], strict=True):
            self._last_t[i] = max(when, self._last_t.get(i, -np.inf))
        newest = float(np.nanmax(t)) if len(t) else 0.0
        if len(self._last_t) > 2 * max(1, len(ids)):
            self._last_t = {k: v for k, v in self._last_t.items() if v >= newest - KEEP_S}
        return reports[new].reset_index(drop=True)
