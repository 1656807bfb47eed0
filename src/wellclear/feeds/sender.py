"""Batches posted to ``wellclear serve`` until acknowledged, each with its client batch id.

Every batch gets the key ``FEED-SEQ`` (``FEED`` random per sender, ``SEQ`` counting from 1),
sent as ``Idempotency-Key``; a batch the service did not answer (down, restarting, a timeout,
HTTP 5xx, 408, 429) is sent again with the same key after a backoff wait, until it is answered,
so that a batch the service stored before its answer was lost is not stored twice (the service
answers the retry with the original answer). A batch refused for what it is (another 4xx) is not
retried: it is counted and its reason kept. Batches go one at a time, in order.

The server's clock is read from each answer's ``Date`` header: :attr:`Sender.clock_offset_s` is
its time minus ours (1 s resolution), used to judge the reports' own times.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from wellclear.feeds.tcp import Backoff

RETRY_STATUS = {408, 429, 500, 502, 503, 504}


@dataclass
class Sent:
    """Counters of the sender."""

    batches: int = 0
    reports: int = 0
    retries: int = 0
    duplicates: int = 0
    refused: int = 0
    rejected_by_server: int = 0
    last_error: str = ""
    last_rejected: str = ""
    last_ack_s: float = 0.0


@dataclass
class Sender:
    """Posts batches of report records to ``server``'s ``/v1/states`` with ``token``."""

    server: str
    token: str
    backoff: Backoff = field(default_factory=Backoff)
    timeout_s: float = 10.0
    feed_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    sent: Sent = field(default_factory=Sent)
    clock_offset_s: float = 0.0
    _seq: int = 0
    _client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Sender:
        self._client = httpx.AsyncClient(
            base_url=self.server.rstrip("/"),
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=self.timeout_s,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    def next_key(self) -> str:
        self._seq += 1
        return f"{self.feed_id}-{self._seq:09d}"

    async def send(self, records: list[dict[str, Any]], key: str | None = None) -> dict[str, Any]:
        """Post one batch until it is answered; returns the answer (``{"refused": reason}``
        for a batch the service refuses)."""
        assert self._client is not None, "use the sender as an async context manager"
        key = key or self.next_key()
        body = json.dumps(records, allow_nan=False)
        headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
        self.backoff.reset()
        while True:
            began = time.monotonic()
            try:
                r = await self._client.post("/v1/states", content=body, headers=headers)
            except httpx.HTTPError as err:
                self.sent.last_error = f"{self.server}: {type(err).__name__}: {err}"
            else:
                self._read_clock(r)
                if r.status_code == 200:
                    answer: dict[str, Any] = r.json()
                    self.sent.batches += 1
                    self.sent.reports += int(answer.get("accepted", 0))
                    self.sent.duplicates += bool(answer.get("duplicate"))
                    rejected = answer.get("rejected", [])
                    self.sent.rejected_by_server += len(rejected)
                    if rejected:
                        first = rejected[0]
                        self.sent.last_rejected = f"{first.get('field')}: {first.get('reason')}"
                    self.sent.last_ack_s = time.monotonic() - began
                    return answer
                reason = f"HTTP {r.status_code}: {r.text[:200]}"
                self.sent.last_error = reason
                if r.status_code not in RETRY_STATUS:
                    self.sent.refused += 1
                    return {"refused": reason}
            self.sent.retries += 1
            await asyncio.sleep(self.backoff.next())

    def _read_clock(self, r: httpx.Response) -> None:
        date = r.headers.get("date")
        if date:
            try:
                server = email.utils.parsedate_to_datetime(date).timestamp()
            except (TypeError, ValueError):
                return
            self.clock_offset_s = server - time.time()
