"""The log of a cluster on NATS JetStream: its settings, subjects, streams and messages.

One stream, ``WC_REPORTS`` (R3 in a cluster, file storage), holds in one order:

- ``wc.reports.<shard>``: a batch of reports (the states contract) routed to the shard
  (:class:`wellclear.cluster.publish.Router`), as an Arrow IPC stream;
- ``wc.ticks``: a tick mark ``{"t": unix s}``: the workers step there, over exactly the reports
  published before it;
- ``wc.members``: the workers sharing the shards from there on ``{"workers": [...]}``.

Alert events go to the stream ``WC_ALERTS``, subject ``wc.alerts.<party>.<pair>`` (the party
of the ownship, ``id_1``), as JSON with a ``Nats-Msg-Id`` of the event (ordered pair, time,
kind): a tick applied twice (after a ``kill -9``) publishes the same ids, which the stream's
duplicate window drops. The per-pair alert state and each worker's progress are in the
key-value bucket ``wc-alert-state``. The settings every worker and the front share are the
record ``settings`` of the bucket ``wc-cluster``, written by whoever creates the log.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd
import pyarrow as pa

from wellclear.alerting.config import preset
from wellclear.cluster.cells import CellGrid
from wellclear.cluster.reach import view_reach_m
from wellclear.engine.assess import EngineSettings

#: The fields every report of the log carries (what routing needs; the engine checks the rest:
#: the states contract, or the reader's frame with ``t_row``, ``source`` and ``line``).
REPORT_FIELDS = ["id", "party", "t", "lat", "lon", "gs_mps"]

REPORTS_STREAM = "WC_REPORTS"
ALERTS_STREAM = "WC_ALERTS"
STATE_BUCKET = "wc-alert-state"
CONFIG_BUCKET = "wc-cluster"
REPORTS = "wc.reports"
TICKS = "wc.ticks"
MEMBERS = "wc.members"
ALERTS = "wc.alerts"
#: Seconds within which a message published again with the same id is dropped.
DUPLICATE_WINDOW_S = 600.0
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class ClusterSettings:
    """What the front and every worker must agree on (SI units): the alerter preset, the oldest
    usable report, the top ground speed the halo is sized for, the longest tick interval, the
    number of shards and the block of cells per shard (:func:`wellclear.cluster.cells.shard_of`),
    the cell side (default: the halo radius)."""

    alerting: str = "do365"
    max_age_s: float = 10.0
    top_speed_mps: float = 30.0
    tick_s: float = 1.0
    shards: int = 16
    block: int = 1
    cell_m: float | None = None

    def engine(self) -> EngineSettings:
        return EngineSettings(alerting=preset(self.alerting), max_age_s=self.max_age_s)

    def grid(self) -> CellGrid:
        reach = view_reach_m(preset(self.alerting), self.top_speed_mps, self.max_age_s, self.tick_s)
        return CellGrid(cell_m=reach if self.cell_m is None else self.cell_m, reach_m=reach)

    def replay_s(self) -> float:
        """How far back (s) a worker that (re)builds its engine replays its shards: every report
        still usable and every raw level the hysteresis still uses at the next tick."""
        hysteresis = max(preset(self.alerting).hysteresis_s, 0.0)
        return hysteresis + self.max_age_s + 2.0 * self.tick_s + 1.0

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> ClusterSettings:
        try:
            return cls(**json.loads(data))
        except (ValueError, TypeError) as err:
            raise ValueError(f"cluster settings ({CONFIG_BUCKET}/settings): {err}") from None


def shard_subject(shard: int) -> str:
    return f"{REPORTS}.{int(shard)}"


def subject_shard(subject: str) -> int:
    """The shard of a report subject (a clear error for any other subject)."""
    head, _, tail = subject.rpartition(".")
    if head != REPORTS or not tail.isdigit():
        raise ValueError(f"subject {subject!r} is not a report subject {REPORTS}.<shard>")
    return int(tail)


def encode_reports(reports: pd.DataFrame) -> bytes:
    """A batch of reports (every column) as an Arrow IPC stream."""
    table = pa.Table.from_pandas(reports, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def decode_reports(data: bytes, where: str) -> pd.DataFrame:
    """The reports of a message (``where`` names it in errors: stream, sequence, subject)."""
    try:
        frame = pa.ipc.open_stream(pa.BufferReader(data)).read_all().to_pandas()
    except (pa.ArrowInvalid, OSError) as err:
        raise ValueError(f"{where}: not an Arrow IPC batch of reports ({err})") from None
    missing = [c for c in REPORT_FIELDS if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: reports lack fields {missing}")
    return frame


def encode_tick(t: float) -> bytes:
    return json.dumps({"t": float(t)}).encode()


def decode_tick(data: bytes, where: str) -> float:
    try:
        t = float(json.loads(data)["t"])
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{where}: not a tick mark {{'t': unix s}} ({err})") from None
    if not math.isfinite(t):
        raise ValueError(f"{where}: tick time {t} is not finite")
    return t


def encode_members(workers: Sequence[str]) -> bytes:
    names = check_members(workers)
    return json.dumps({"workers": list(names)}).encode()


def decode_members(data: bytes, where: str) -> tuple[str, ...]:
    try:
        names = json.loads(data)["workers"]
        if not isinstance(names, list):
            raise TypeError("workers is not a list")
        return check_members([str(n) for n in names])
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{where}: not a membership {{'workers': [...]}} ({err})") from None


def check_members(workers: Sequence[str]) -> tuple[str, ...]:
    names = tuple(workers)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"workers must be unique and at least one, got {list(names)}")
    bad = [n for n in names if not _TOKEN.match(n)]
    if bad:
        raise ValueError(f"worker names must be letters, digits, '-' or '_', got {bad}")
    return names


def token(value: str, what: str) -> str:
    """``value`` as one subject token (refused, naming ``what``, where it cannot be one)."""
    if not _TOKEN.match(value):
        raise ValueError(f"{what} {value!r}: a subject token takes letters, digits, '-' or '_'")
    return value


def event_message(event: dict[str, object]) -> tuple[str, bytes, str]:
    """``(subject, payload, message id)`` of one alert event (a row of the engine's events)."""
    a, b = str(event["id_1"]), str(event["id_2"])
    pair = hashlib.blake2b(f"{a}\x1f{b}".encode(), digest_size=12).hexdigest()
    party = token(str(event["party_1"]), f"alert event {a}/{b}: party_1")
    t = float(event["t"])  # type: ignore[arg-type]
    body = {k: (v.item() if hasattr(v, "item") else v) for k, v in event.items()}
    return f"{ALERTS}.{party}.{pair}", json.dumps(body).encode(), f"{pair}.{t!r}.{event['event']}"


def report_msg_id(subject: str, payload: bytes) -> str:
    """The id of a report batch: its content, so that a retried publish is dropped once."""
    return hashlib.blake2b(subject.encode() + b"\x00" + payload, digest_size=16).hexdigest()
