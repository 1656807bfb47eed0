"""A worker on NATS JetStream: a :class:`~wellclear.cluster.worker.CellWorker` fed from the log,
its alert state in a key-value bucket, its alert events published exactly once.

**Consuming.** The worker reads its shards' subjects, the tick marks and the memberships of
``WC_REPORTS`` (:mod:`wellclear.cluster.log`) in stream order through a durable pull consumer
``wc-worker-<name>`` (acknowledged, all before it, once a tick is applied). Reports are held
until the next tick (a report routed to two of its shards comes twice: once is ingested), then
the worker steps at the tick.

**Applying a tick** (stream sequence ``s``): the records of the pairs taken over
(:meth:`CellWorker.needs`) are read from the bucket ``wc-alert-state`` as written at the tick
before, waiting for their owner there if it has not written them yet (workers run at their own
pace; a record already rewritten at ``s`` by an earlier run of this worker is taken from the
key's history); the worker steps; each record it returns is written with compare-and-set on
the revision read, unless the stored one was written at ``s`` or later (a tick applied again
writes nothing) and, at the same time, each alert event is published to ``WC_ALERTS`` with
the message id of :func:`~wellclear.cluster.log.event_message`; last, the progress record
``worker.<name>`` (``s``, the tick's time, the workers) is written, and the tick acknowledged.

**Exactly once.** A worker killed anywhere in that sequence restarts from its progress record:
it builds its engine again by replaying its shards from ``replay_s`` before the last applied
tick up to it (:meth:`_rebuild`; :meth:`ClusterSettings.replay_s` covers every usable report and
every raw level the hysteresis uses), takes every owned open episode over at the next tick
(:meth:`CellWorker.take_all_over`), and consumes again from the message after. The ticks after
are applied again: records already written at them are kept, events already published are
dropped by the alerts stream's duplicate window (same ids), the others are written and
published now. So each event is in ``WC_ALERTS`` once, whether the worker died before, during or
after publishing it. The consumer is made again from that sequence (not left to redeliver after
its acknowledgement wait): the worker needs the messages in stream order.

**Reassignment.** A membership message (``wc.members``) changes the workers from there on:
every worker builds its engine again over its new shards exactly as at a restart, from the last
tick it applied before the message (each worker applied that tick before reading the message),
so a shard moved to a worker that joined brings its pairs' episodes from the bucket. A worker
that is no longer a member follows the ticks and owns nothing until it is one again.

Not thread-safe; one asyncio task runs a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence

import nats.errors
import nats.js.errors
import pandas as pd
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.kv import KeyValue

from wellclear.cluster.jslog import fetch_next, last_tick, read_range, retry
from wellclear.cluster.log import (
    ALERTS_STREAM,
    MEMBERS,
    REPORTS_STREAM,
    STATE_BUCKET,
    TICKS,
    ClusterSettings,
    decode_members,
    decode_reports,
    decode_tick,
    event_message,
    shard_subject,
)
from wellclear.cluster.state import PairRecord
from wellclear.cluster.worker import CellWorker

log = logging.getLogger(__name__)


class JetStreamWorker:
    """One worker named ``name`` of the cluster whose log ``js`` holds (see the module
    docstring); :meth:`run` until ``stop`` is set."""

    def __init__(
        self,
        js: JetStreamContext,
        kv: KeyValue,
        name: str,
        settings: ClusterSettings,
        patience_s: float = 120.0,
    ) -> None:
        self.js, self.kv, self.name, self.settings = js, kv, name, settings
        self.patience_s = patience_s
        self.cell: CellWorker | None = None
        self.members: tuple[str, ...] = ()
        self.last: tuple[float, int] | None = None  # the last tick applied (t, seq)
        self.seen = 0  # the last stream sequence applied or held
        self.ticks = 0
        self.events = 0
        self.taken = 0  # episodes taken over from the bucket
        self.duplicates = 0  # events published again after a restart, dropped by the stream
        self._held: list[pd.DataFrame] = []
        self._revisions: dict[str, int] = {}
        self._progress_rev = 0
        self._sub: JetStreamContext.PullSubscription | None = None

    @classmethod
    async def create(
        cls, js: JetStreamContext, name: str, settings: ClusterSettings, patience_s: float = 120.0
    ) -> JetStreamWorker:
        kv = await retry(lambda: js.key_value(STATE_BUCKET), "the alert state bucket")
        return cls(js, kv, name, settings, patience_s)

    @property
    def durable(self) -> str:
        return f"wc-worker-{self.name}"

    # -- start, rebuild ---------------------------------------------------------------------

    async def start(self) -> None:
        """From the progress record (a restart) or the latest membership (a first start)."""
        key = f"worker.{self.name}"
        entry = await self._get(key)
        if entry is not None:
            self._progress_rev = int(entry.revision or 0)
            body = json.loads(entry.value or b"{}")
            self.members = decode_members(json.dumps(body).encode(), f"{STATE_BUCKET}/{key}")
            tick = body.get("tick")
            self.last = None if tick is None else (float(tick), int(body["tick_seq"]))
            await self._rebuild(self.members, int(body["seq"]))
            log.info("worker %s: restarted after message %d", self.name, self.seen)
            return
        while True:
            try:
                m = await retry(
                    lambda: self.js.get_last_msg(REPORTS_STREAM, MEMBERS), "the membership"
                )
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.2)
                continue
            seq = int(m.seq or 0)
            members = decode_members(m.data or b"", f"{REPORTS_STREAM} message {seq}")
            if self.name in members:
                break
            await asyncio.sleep(0.2)
        self.last = await last_tick(self.js, seq)
        await self._rebuild(members, seq)
        await self._write_progress()
        log.info("worker %s: started at message %d among %s", self.name, seq, list(members))

    async def _rebuild(self, members: tuple[str, ...], upto: int) -> None:
        """The engine over the shards of ``members``' assignment, rebuilt by replaying the log up
        to message ``upto``; then the durable consumer from the message after."""
        self.members = members
        self._held = []
        subjects = [TICKS]
        cell = None
        if self.name in members:
            s = self.settings
            cell = CellWorker(self.name, s.engine(), s.grid(), s.shards, members)
            subjects += [shard_subject(k) for k in cell.shards_owned()]
            first = 1
            if self.last is not None:
                before = await last_tick(self.js, upto, self.last[0] - s.replay_s())
                first = 1 if before is None else before[1] + 1
            self.cell = cell
            async for m in read_range(self.js, subjects, first, upto):
                if m.subject == TICKS:
                    self._step_replay(decode_tick(m.data, _where(m)))
                else:
                    self._held.append(decode_reports(m.data, _where(m)))
            self._step_replay(None)
            cell.take_all_over()
        self.cell = cell
        self.seen = upto
        await self._consume_from(upto + 1, [*subjects, MEMBERS])

    def _step_replay(self, t: float | None) -> None:
        """A tick of the replay (``None``: the end: the reports after the last tick)."""
        assert self.cell is not None
        if self._held:
            self.cell.ingest(_once(self._held))
            self._held = []
        if t is not None:
            self.cell.tick(t, 0, {})

    async def _consume_from(self, first: int, subjects: list[str]) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await retry(lambda: self.js.delete_consumer(REPORTS_STREAM, self.durable), "consumer")
        config = api.ConsumerConfig(
            durable_name=self.durable,
            filter_subjects=subjects,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=first,
            ack_policy=api.AckPolicy.ALL,
            ack_wait=60.0,
            max_ack_pending=100_000,
        )
        await retry(lambda: self.js.add_consumer(REPORTS_STREAM, config), "the worker's consumer")
        self._sub = await self.js.pull_subscribe_bind(durable=self.durable, stream=REPORTS_STREAM)

    # -- the loop -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        while not stop.is_set():
            assert self._sub is not None
            for m in await fetch_next(self._sub, 0.5):
                if await self._apply(m):
                    break  # a new membership: the consumer was made again

    async def _apply(self, m: Msg) -> bool:
        seq = m.metadata.sequence.stream
        if seq <= self.seen:
            return False  # delivered again: applied already
        if m.subject == TICKS:
            await self._tick(decode_tick(m.data, _where(m)), seq)
            await retry(m.ack_sync, "acknowledging a tick", self.patience_s)
        elif m.subject == MEMBERS:
            members = decode_members(m.data, _where(m))
            log.info("worker %s: workers %s from message %d", self.name, list(members), seq)
            await self._rebuild(members, seq)
            await self._write_progress()
            return True
        else:
            if self.cell is not None:
                self._held.append(decode_reports(m.data, _where(m)))
            self.seen = seq
        return False

    async def _tick(self, t: float, seq: int) -> None:
        cell = self.cell
        if cell is not None:
            if self._held:
                cell.ingest(_once(self._held))
                self._held = []
            before = cell.engine.last_step
            needed = cell.needs(t)
            self.taken += len(needed)
            got = await asyncio.gather(*(self._record_at(k, before) for k in needed))
            out = cell.tick(t, seq, dict(zip(needed, got, strict=True)))
            # records and events at once: a tick applied again writes neither twice
            events = [{str(k): v for k, v in e.items()} for e in out.events.to_dict("records")]
            await asyncio.gather(
                *(self._write(k, r) for k, r in out.writes.items()),
                *(self._publish(e) for e in events),
            )
            self.events += len(out.events)
        self.last, self.seen = (t, seq), seq
        self.ticks += 1
        await self._write_progress()

    # -- the bucket -----------------------------------------------------------------------------

    async def _get(self, key: str) -> KeyValue.Entry | None:
        try:
            return await retry(lambda: self.kv.get(key), f"reading {key}", self.patience_s)
        except nats.js.errors.KeyNotFoundError:
            return None

    async def _record_at(self, key: str, tick: float | None) -> PairRecord:
        """The record of ``key`` as written at ``tick`` (waiting for its writer)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience_s
        while True:
            entry = await self._get(key)
            if entry is not None:
                record = PairRecord.from_bytes(entry.value or b"", key)
                if record.tick == tick:
                    return record
                if tick is not None and record.tick > tick:
                    history = await retry(lambda: self.kv.history(key), f"history of {key}")
                    for h in reversed(history):
                        old = PairRecord.from_bytes(h.value or b"", key)
                        if old.tick == tick:
                            return old
                    raise RuntimeError(f"alert state {key}: no record of tick {tick} left")
            if loop.time() > deadline:
                raise RuntimeError(
                    f"alert state {key}: not written at tick {tick} within {self.patience_s:g} s "
                    "(its owner then has not applied that tick)"
                )
            await asyncio.sleep(0.02)

    async def _write(self, key: str, record: PairRecord) -> None:
        """Compare-and-set; nothing when the stored record was written at this tick or later."""
        for _ in range(3):
            revision = self._revisions.get(key)
            if revision is None:
                entry = await self._get(key)
                revision = 0 if entry is None else int(entry.revision or 0)
                if entry is not None and PairRecord.from_bytes(entry.value or b"", key).seq >= (
                    record.seq
                ):
                    return
            try:
                self._revisions[key] = await retry(
                    lambda rev=revision: self.kv.update(key, record.to_bytes(), last=rev),  # type: ignore[misc]
                    f"writing {key}",
                    self.patience_s,
                )
                return
            except nats.js.errors.KeyWrongLastSequenceError:
                self._revisions.pop(key, None)  # written elsewhere (or by a lost retry): read
        raise RuntimeError(f"alert state {key}: compare-and-set lost three times at {record.tick}")

    async def _write_progress(self) -> None:
        body = {
            "workers": list(self.members),
            "seq": self.seen,
            "tick": None if self.last is None else self.last[0],
            "tick_seq": 0 if self.last is None else self.last[1],
        }
        data = json.dumps(body).encode()
        key = f"worker.{self.name}"
        try:
            self._progress_rev = await retry(
                lambda: self.kv.update(key, data, last=self._progress_rev), f"writing {key}"
            )
        except nats.js.errors.KeyWrongLastSequenceError:
            entry = await self._get(key)  # a retry whose first try was written: the same body
            if entry is None or entry.value != data:
                raise RuntimeError(f"{key}: written by another process named {self.name}") from None
            self._progress_rev = int(entry.revision or 0)

    async def _publish(self, event: dict[str, object]) -> None:
        subject, payload, msg_id = event_message(event)
        ack = await retry(
            lambda: self.js.publish(
                subject, payload, stream=ALERTS_STREAM, headers={"Nats-Msg-Id": msg_id}
            ),
            f"publishing to {subject}",
            self.patience_s,
        )
        self.duplicates += bool(ack.duplicate)


def _where(m: Msg) -> str:
    return f"{REPORTS_STREAM} message {m.metadata.sequence.stream} ({m.subject})"


def _once(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The reports held, each once (a report routed to two shards of one worker comes twice)."""
    return pd.concat(frames, ignore_index=True).drop_duplicates(ignore_index=True)
