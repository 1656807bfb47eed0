"""``wellclear serve --cluster nats://...``: the service as the front of a cluster of workers
(:mod:`wellclear.cluster`).

The service accepts, checks and stores batches as always (``POST /v1/states`` answers once
the batch is durable in the store). The front then:

- publishes each stored batch, in batch order, to the log (:class:`~wellclear.cluster.jslog.
  LogFront`: to the shards of its reports' cells, with message ids from the content, so that a
  batch published again after a restart of the service is dropped), about ten times a second,
  and a tick mark once a period (``--tick``, wall clock); the last batch published is kept in
  the store's settings (``cluster.published_batch``);
- delivers the alert events from the alerts stream (a durable consumer ``wc-service``): each
  is stored, handed to the subscribers (``/v1/alerts/stream``, WebSockets) and kept among the
  open alerts as the service's own engine's events are, then acknowledged; the last alerts
  stream sequence stored is kept too (``cluster.alerts_seq``), so that events delivered again
  after a restart are not stored twice. (A crash between storing a tick's events and keeping
  that sequence stores them again: at least once there.)

The service's own engine does not step in this mode (the workers do): ``GET /v1/picture`` is
empty. The alerter and report ages are the log's settings (``wellclear cluster init``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import nats
import numpy as np
from nats.js import JetStreamContext, api

from wellclear.cluster.jslog import LogFront, fetch_next, read_settings, retry, server_options
from wellclear.cluster.log import ALERTS, ALERTS_STREAM
from wellclear.service.live import Live, _as_reader_frame
from wellclear.store.records import commit_tick, get_setting, put_setting
from wellclear.store.reports import batches_after

log = logging.getLogger("wellclear.service")
_PUBLISHED = "cluster.published_batch"
_ALERTS_SEQ = "cluster.alerts_seq"


class ClusterFront:
    """See the module docstring; :meth:`run` is the service's task in cluster mode."""

    def __init__(self, live: Live, servers: str) -> None:
        self.live = live
        self.servers = servers
        self.published = int(get_setting(live.store, _PUBLISHED) or b"0")
        self.alerts_seq = int(get_setting(live.store, _ALERTS_SEQ) or b"0")

    async def run(self) -> None:
        nc = await nats.connect(name="wellclear-serve", **server_options(self.servers))
        try:
            js = nc.jetstream()
            front = LogFront(js, await read_settings(js))
            await asyncio.gather(self._feed(front), self._deliver(js))
        finally:
            await nc.close()

    async def _feed(self, front: LogFront) -> None:
        store, period = self.live.store, self.live.config.tick_s
        next_tick = time.time() + period
        while True:
            batches = await asyncio.to_thread(lambda: list(batches_after(store, self.published)))
            for batch_id, frame in batches:
                try:
                    await front.publish(_as_reader_frame(batch_id, frame))
                except ValueError as err:  # faster than the cluster's top speed: not routable
                    log.error(
                        "wellclear serve: batch %d not published to the log: %s", batch_id, err
                    )
                self.published = batch_id
            if batches:
                value = str(self.published).encode()
                await asyncio.to_thread(put_setting, store, _PUBLISHED, value)
            if time.time() >= next_tick:
                await front.tick(time.time())
                next_tick += period * max(1.0, np.ceil((time.time() - next_tick) / period))
            await asyncio.sleep(min(0.1, max(0.0, next_tick - time.time())))

    async def _deliver(self, js: JetStreamContext) -> None:
        config = api.ConsumerConfig(
            durable_name="wc-service",
            filter_subject=f"{ALERTS}.>",
            deliver_policy=api.DeliverPolicy.ALL,
            ack_policy=api.AckPolicy.ALL,
        )
        await retry(lambda: js.add_consumer(ALERTS_STREAM, config), "the service's consumer")
        sub = await js.pull_subscribe_bind(durable="wc-service", stream=ALERTS_STREAM)
        while True:
            msgs = await fetch_next(sub)
            fresh = [m for m in msgs if m.metadata.sequence.stream > self.alerts_seq]
            if fresh:
                events = await asyncio.to_thread(self._store, [json.loads(m.data) for m in fresh])
                if events:
                    self.live.publish(events)
                self.alerts_seq = fresh[-1].metadata.sequence.stream
                value = str(self.alerts_seq).encode()
                await asyncio.to_thread(put_setting, self.live.store, _ALERTS_SEQ, value)
            if msgs:
                await retry(msgs[-1].ack_sync, "acknowledging alert events")

    def _store(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store the events (with their ``seq``) and keep the open alerts; the events."""
        live = self.live
        events = [live._event(row) for row in rows]  # the fields the service adds to an event
        if live.config.agreement.conflicts.between_parties:
            events = [e for e in events if e["party_1"] != e["party_2"]]
        for e, seq in zip(events, commit_tick(live.store, events, None), strict=True):
            e["seq"] = seq
            if e["event"] == "cleared":
                live.open_alerts.pop(e["alert_id"], None)
            else:
                live.open_alerts[e["alert_id"]] = e
        return events
