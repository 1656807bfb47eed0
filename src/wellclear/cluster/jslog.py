"""The log on a NATS JetStream server or cluster: creating it, the front that publishes to it,
and reading it back (see :mod:`wellclear.cluster.log` for its layout).

Every call that a broker node's failure can interrupt (a leader election, a reconnect) is
retried (:func:`retry`) until ``patience_s``: a publish carries a message id, so that one
repeated after a lost acknowledgement is dropped by the stream's duplicate window.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import nats.errors
import nats.js.errors
import pandas as pd
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

from wellclear.cluster.log import (
    ALERTS,
    ALERTS_STREAM,
    CONFIG_BUCKET,
    DUPLICATE_WINDOW_S,
    MEMBERS,
    REPORTS,
    REPORTS_STREAM,
    STATE_BUCKET,
    TICKS,
    ClusterSettings,
    decode_tick,
    encode_members,
    encode_reports,
    encode_tick,
    report_msg_id,
    shard_subject,
)
from wellclear.cluster.publish import Router

T = TypeVar("T")
#: Errors after which a call is tried again: the broker is electing a leader or reconnecting.
TRANSIENT: tuple[type[BaseException], ...] = (
    TimeoutError,  # nats.errors.TimeoutError and the fetches' own
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.StaleConnectionError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
    nats.js.errors.NoStreamResponseError,
)
_names = itertools.count()


def server_options(servers: str, forever: bool = True) -> dict[str, Any]:
    """``nats.connect`` options for ``nats://[user:password@]host:port[,...]``: the login of
    the first URL given for every server, also those the cluster tells of (without it they
    refuse the reconnect), reconnecting for ever (a broker node may go and come back); not
    ``forever``: each server tried once (a short command fails rather than waits)."""
    urls = [s.strip() for s in servers.split(",") if s.strip()]
    if not urls:
        raise ValueError(f"{servers!r}: no NATS server")
    login = urlsplit(urls[0])
    options: dict[str, Any] = {"servers": urls, "reconnect_time_wait": 0.2}
    if forever:
        options["max_reconnect_attempts"] = -1
    else:
        options["allow_reconnect"], options["connect_timeout"] = False, 5
        options["error_cb"] = _unheard  # the caller names the servers when none answers
    if login.username is not None:
        options["user"], options["password"] = (
            unquote(login.username),
            unquote(login.password or ""),
        )
    return options


async def _unheard(err: Exception) -> None:
    """The connection errors of a short command, told by the command itself."""


async def retry(call: Callable[[], Awaitable[T]], what: str, patience_s: float = 60.0) -> T:
    """``call()`` until it succeeds or ``patience_s`` have passed (then the last error, named)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience_s
    while True:
        try:
            return await call()
        except TRANSIENT as err:
            if loop.time() > deadline:
                raise RuntimeError(
                    f"{what}: no answer from JetStream in {patience_s:g} s ({err!r})"
                ) from err
            await asyncio.sleep(0.1)


async def open_log(js: JetStreamContext, settings: ClusterSettings, replicas: int = 1) -> None:
    """Create the streams and buckets (``replicas`` copies, file storage) and record the
    settings; an existing log with other settings is refused."""
    for name, subjects in (
        (REPORTS_STREAM, [f"{REPORTS}.*", TICKS, MEMBERS]),
        (ALERTS_STREAM, [f"{ALERTS}.>"]),
    ):
        await js.add_stream(
            name=name,
            subjects=subjects,
            duplicate_window=DUPLICATE_WINDOW_S,
            num_replicas=replicas,
            storage=api.StorageType.FILE,
        )
    await js.create_key_value(bucket=STATE_BUCKET, history=5, replicas=replicas)
    kv = await js.create_key_value(bucket=CONFIG_BUCKET, history=1, replicas=replicas)
    try:
        await kv.create("settings", settings.to_bytes())
    except nats.js.errors.KeyWrongLastSequenceError:
        held = ClusterSettings.from_bytes((await kv.get("settings")).value or b"")
        if held != settings:
            raise ValueError(
                f"the log holds other cluster settings ({held}); asked for {settings}"
            ) from None


async def read_settings(js: JetStreamContext, patience_s: float = 60.0) -> ClusterSettings:
    """The settings the log was opened with (waiting for it to be opened)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience_s
    while True:
        try:
            kv = await js.key_value(CONFIG_BUCKET)
            return ClusterSettings.from_bytes((await kv.get("settings")).value or b"")
        except (nats.js.errors.NotFoundError, *TRANSIENT):  # type: ignore[misc]
            if loop.time() > deadline:
                raise RuntimeError(f"no cluster log opened ({CONFIG_BUCKET}/settings)") from None
            await asyncio.sleep(0.2)


class LogFront:
    """The front's side: each batch of reports to its shards, then tick marks and memberships
    (one front per log: the router keeps each aircraft's previous position; not thread-safe)."""

    def __init__(self, js: JetStreamContext, settings: ClusterSettings, patience_s: float = 60.0):
        self.js = js
        self.settings = settings
        self.patience_s = patience_s
        s = settings
        self.router = Router(s.grid(), s.top_speed_mps, s.shards, s.block)

    async def _publish(self, subject: str, payload: bytes, msg_id: str | None) -> int:
        headers = None if msg_id is None else {"Nats-Msg-Id": msg_id}
        ack = await retry(
            lambda: self.js.publish(subject, payload, stream=REPORTS_STREAM, headers=headers),
            f"publishing to {subject}",
            self.patience_s,
        )
        return int(ack.seq)

    async def publish(self, reports: pd.DataFrame) -> int:
        """Publish a batch (refused whole, naming the report, where one is faster than the top
        speed); the number of messages."""
        routed = self.router.route(reports)
        calls = []
        for shard, rows in sorted(routed.items()):
            subject = shard_subject(shard)
            payload = encode_reports(reports.iloc[rows])
            calls.append(self._publish(subject, payload, report_msg_id(subject, payload)))
        await asyncio.gather(*calls)
        return len(calls)

    async def tick(self, t: float) -> int:
        """A tick mark at ``t``; its stream sequence."""
        return await self._publish(TICKS, encode_tick(t), f"tick.{float(t)!r}")

    async def members(self, workers: Sequence[str]) -> int:
        """The workers from here on; its stream sequence."""
        return await self._publish(MEMBERS, encode_members(workers), None)


async def fetch_next(sub: JetStreamContext.PullSubscription, wait_s: float = 1.0) -> list[Msg]:
    """The next messages of a pull consumer: waits up to ``wait_s`` for one, then takes those
    that follow within 50 ms (a fetch of many waits for all of them or its expiry: the first
    message would wait that long); empty when none came."""
    try:
        first = await sub.fetch(1, timeout=wait_s)
    except TRANSIENT:
        return []  # nothing new (or a broker node is changing hands)
    try:
        return first + await sub.fetch(511, timeout=0.05)
    except TRANSIENT:
        return first


async def read_range(
    js: JetStreamContext, subjects: Sequence[str], first: int, last: int
) -> AsyncIterator[Msg]:
    """The messages of ``subjects`` with stream sequences ``first .. last`` (all already in
    the stream), in order, through a temporary consumer."""
    if first > last:
        return
    config = api.ConsumerConfig(
        name=f"wc-read-{asyncio.get_running_loop().time():.0f}-{next(_names)}",
        filter_subjects=list(subjects),
        deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=max(first, 1),
        ack_policy=api.AckPolicy.NONE,
        inactive_threshold=60.0,
        mem_storage=True,
        num_replicas=1,
    )
    info = await retry(lambda: js.add_consumer(REPORTS_STREAM, config), "a replay consumer")
    if not info.num_pending:
        await _drop(js, str(info.name))
        return
    sub = await js.pull_subscribe_bind(consumer=info.name, stream=REPORTS_STREAM)
    try:
        while True:
            try:
                msgs = await sub.fetch(512, timeout=2.0)
            except TRANSIENT:  # nothing more, or the consumer not ready yet (503)
                now = await retry(sub.consumer_info, "the replay consumer")
                delivered = 0 if now.delivered is None else now.delivered.stream_seq
                if now.num_pending == 0 or delivered >= last:
                    return  # nothing more up to ``last``
                continue
            for m in msgs:
                if m.metadata.sequence.stream > last:
                    return
                yield m
                if m.metadata.sequence.stream == last or m.metadata.num_pending == 0:
                    return
    finally:
        await sub.unsubscribe()
        await _drop(js, str(info.name))


async def _drop(js: JetStreamContext, consumer: str) -> None:
    """Delete a replay consumer; one not found (or not answered) goes by itself after its
    inactive threshold."""
    with contextlib.suppress(nats.js.errors.NotFoundError, *TRANSIENT):
        await js.delete_consumer(REPORTS_STREAM, consumer)


async def last_tick(
    js: JetStreamContext, at_most_seq: int, at_most_t: float = float("inf")
) -> tuple[float, int] | None:
    """``(t, seq)`` of the last tick mark with sequence ``<= at_most_seq`` and time
    ``<= at_most_t`` (ticks increase in both), found by bisection; ``None`` if there is none."""

    async def next_tick(seq: int) -> tuple[float, int] | None:
        try:
            m = await retry(
                lambda: js.get_msg(REPORTS_STREAM, seq=seq, subject=TICKS, next=True),
                "reading a tick mark",
            )
        except nats.js.errors.NotFoundError:
            return None
        return decode_tick(m.data or b"", f"{REPORTS_STREAM} message {m.seq}"), int(m.seq or 0)

    lo, hi, found = 1, at_most_seq, None
    while lo <= hi:
        mid = (lo + hi) // 2
        tick = await next_tick(mid)
        if tick is not None and tick[1] <= at_most_seq and tick[0] <= at_most_t:
            found, lo = tick, tick[1] + 1
        else:
            hi = mid - 1
    return found
