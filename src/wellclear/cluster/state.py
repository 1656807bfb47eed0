"""Alert state shared by the workers: one record per pair, written with compare-and-set.

A record holds the open alert episodes of an unordered pair (one row per ordered pair, the
columns of :data:`wellclear.engine.episodes.ALERT_OPEN_COLUMNS`), the tick it was written at
and the log sequence of that tick (the last applied), so that a worker that takes a pair over
continues its episodes (id, start, highest level, smallest distances) and a worker that
replays a tick it already applied writes nothing. Keys are a hash of the two ids (the key-value
bucket allows few characters); the ids are in the record.

:class:`MemoryStore` is the in-process store (tests, one machine); the JetStream key-value
bucket ``wc-alert-state`` is the store of a cluster (:mod:`wellclear.cluster.jsworker`). A
store raises :class:`StoreConflictError` when the revision read is no longer the latest: two
writers for one pair at one tick, which the owner rule excludes.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Protocol

from wellclear.engine.episodes import ALERT_OPEN_COLUMNS


class StoreConflictError(RuntimeError):
    """A compare-and-set write lost: the record changed since it was read."""


@dataclass(frozen=True)
class PairRecord:
    """The alert state of one unordered pair (see the module docstring)."""

    ids: tuple[str, str]
    tick: float
    seq: int
    episodes: tuple[dict[str, object], ...]

    def to_bytes(self) -> bytes:
        body = {
            "ids": list(self.ids),
            "tick": self.tick,
            "seq": self.seq,
            "episodes": [{k: _plain(v) for k, v in row.items()} for row in self.episodes],
        }
        return json.dumps(body, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes, key: str) -> PairRecord:
        try:
            body = json.loads(data)
            ids = (str(body["ids"][0]), str(body["ids"][1]))
            episodes = tuple(dict(row) for row in body["episodes"])
            record = cls(ids, float(body["tick"]), int(body["seq"]), episodes)
        except (ValueError, KeyError, TypeError, IndexError) as err:
            raise ValueError(f"alert state record {key}: not a pair record ({err})") from None
        for row in episodes:
            missing = [c for c in ALERT_OPEN_COLUMNS if c not in row]
            if missing:
                raise ValueError(f"alert state record {key}: episode lacks fields {missing}")
        return record


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def pair_key(a: str, b: str) -> str:
    """The key of the unordered pair {a, b}."""
    lo, hi = sorted((a, b))
    digest = hashlib.blake2b(f"{lo}\x1f{hi}".encode(), digest_size=16).hexdigest()
    return f"pair.{digest}"


class AlertStore(Protocol):
    """Records by key with revisions (0: no record)."""

    def get(self, key: str) -> tuple[PairRecord | None, int]: ...

    def put(self, key: str, record: PairRecord, revision: int) -> int:
        """Write if the latest revision is still ``revision``; the new revision."""
        ...


@dataclass
class MemoryStore:
    """An in-process :class:`AlertStore` (one thread)."""

    records: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    writes: int = 0

    def get(self, key: str) -> tuple[PairRecord | None, int]:
        if key not in self.records:
            return None, 0
        data, revision = self.records[key]
        return PairRecord.from_bytes(data, key), revision

    def put(self, key: str, record: PairRecord, revision: int) -> int:
        latest = self.records.get(key, (b"", 0))[1]
        if latest != revision:
            raise StoreConflictError(f"alert state {key}: revision {latest}, expected {revision}")
        self.writes += 1
        self.records[key] = (record.to_bytes(), self.writes)
        return self.writes
