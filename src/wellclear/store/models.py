"""The tables of the store (SQLAlchemy 2 declarative models).

Times are unix seconds (UTC) as floats, as everywhere in wellclear's engine; the service turns
them into ISO 8601 where people read them. Positions are WGS-84 degrees, altitudes metres,
speeds m/s (the states contract of :mod:`wellclear.states`).
"""

from __future__ import annotations

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """The store's tables."""


class Party(Base):
    """A party to the agreement, the deconfliction cell or an observer, with its token.

    The token is ``wc_<key_id>_<secret>``: ``key_id`` is public (it finds the row), only the
    SHA-256 of ``secret`` is kept, and it is compared in constant time.
    """

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_t: Mapped[float] = mapped_column(Float)
    revoked_t: Mapped[float | None] = mapped_column(Float, nullable=True)


class Batch(Base):
    """One acknowledged batch of reports (``POST /v1/states``), its accepted reports kept as
    one Arrow IPC stream (LZ4) in the states contract: one row per batch, not per report or per
    aircraft (an index row per aircraft would cost as much as the reports themselves)."""

    __tablename__ = "batches"
    __table_args__ = (
        Index("ix_batches_t_max", "t_max"),
        Index("ix_batches_party_t_max", "party_id", "t_max"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    received_t: Mapped[float] = mapped_column(Float)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    t_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    t_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class BatchKey(Base):
    """A client's id of a posted batch (``Idempotency-Key``), kept with the batch in its
    transaction: a retried batch is answered with ``answer`` (the original answer as JSON) and
    not stored twice. Keys are per party: one party's key never matches another's batch."""

    __tablename__ = "batch_keys"

    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    answer: Mapped[str] = mapped_column(Text)


class _PairRecord:
    """The two aircraft (1, 2) and their parties, the agreement version that judged them, and
    the rest of the record as JSON."""

    id_1: Mapped[str] = mapped_column(String(64))
    party_1: Mapped[str] = mapped_column(String(64))
    id_2: Mapped[str] = mapped_column(String(64))
    party_2: Mapped[str] = mapped_column(String(64))
    agreement_version: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)


class AlertEvent(_PairRecord, Base):
    """One alert lifecycle event, in full (both aircraft); what each party may see of it is
    decided when it is read. ``seq`` increases in the order events are stored."""

    __tablename__ = "alert_events"
    __table_args__ = (
        Index("ix_alert_events_alert", "alert_id"),
        Index("ix_alert_events_public", "public_id"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(128))
    # the opaque id a party knows the episode by (the service's; None until it fills it in)
    public_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event: Mapped[str] = mapped_column(String(16))
    t: Mapped[float] = mapped_column(Float)
    level: Mapped[int] = mapped_column(Integer)
    level_name: Mapped[str] = mapped_column(String(32))


class AirspaceEvent(Base):
    """One airspace episode event (an aircraft and a volume: proximity, entry, inside), with
    the agreement version that judged it. ``seq`` increases in the order events are stored."""

    __tablename__ = "airspace_events"
    __table_args__ = (Index("ix_airspace_events_episode", "episode_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(16))
    t: Mapped[float] = mapped_column(Float)
    aircraft_id: Mapped[str] = mapped_column(String(64))
    party: Mapped[str] = mapped_column(String(64))
    volume: Mapped[str] = mapped_column(String(128))
    agreement_version: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)


class Acknowledgement(Base):
    """A party's acknowledgement of an alert (``POST /v1/alerts/{alert_id}/ack``)."""

    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(128), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    t: Mapped[float] = mapped_column(Float)


class Incident(_PairRecord, Base):
    """An episode at or above the agreement's reporting level, recorded when it ended."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_public", "public_id"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    public_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    t_start: Mapped[float] = mapped_column(Float)
    t_end: Mapped[float] = mapped_column(Float)


class AuditEntry(Base):
    """One request to the service: who, when, what, with which answer."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    t: Mapped[float] = mapped_column(Float, index=True)
    party: Mapped[str | None] = mapped_column(String(64), nullable=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    status: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)


class Checkpoint(Base):
    """The engine's whole state after a tick (``Engine.save``), so that a restart continues
    its episodes."""

    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tick_t: Mapped[float] = mapped_column(Float)
    saved_t: Mapped[float] = mapped_column(Float)
    last_batch_id: Mapped[int] = mapped_column(Integer)
    last_event_seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[bytes] = mapped_column(LargeBinary)


class Setting(Base):
    """A value the service keeps across restarts (e.g. the key of the public alert ids)."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class AgreementDocument(Base):
    """One version of the agreement, as its parties signed it (YAML), under the SHA-256 of
    its RFC 8785 canonical form (``wellclear.agreement.history``)."""

    __tablename__ = "agreement_documents"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class AgreementStep(Base):
    """One signed step of the agreement's workflow, in order (``seq`` is the step's own)."""

    __tablename__ = "agreement_steps"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    party: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(ForeignKey("agreement_documents.digest"))
    step: Mapped[str] = mapped_column(Text)


class Operation(Base):
    """A planned operation (ASTM F3548 operational intent): its F3548 state, priority, time
    extent, and its volumes and aircraft as JSON (``wellclear.plans``)."""

    __tablename__ = "operations"
    __table_args__ = (Index("ix_operations_party", "party_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    state: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    t_start: Mapped[float] = mapped_column(Float)
    t_end: Mapped[float] = mapped_column(Float)
    agreement_version: Mapped[str] = mapped_column(String(64))
    updated_t: Mapped[float] = mapped_column(Float)
    payload: Mapped[str] = mapped_column(Text)


class PlanNotice(Base):
    """One notice of the planned operations to one recipient (a party's name, or ``cell``):
    a conflict from another's filing, a Contingent operation that meets the recipient's, an
    operation's conformance. Stored before it is pushed; ``id`` increases in the order notices
    are stored, so each recipient's stream is in increasing ids (``Last-Event-ID``)."""

    __tablename__ = "plan_notices"
    __table_args__ = (Index("ix_plan_notices_party_id", "party", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party: Mapped[str] = mapped_column(String(64))
    t: Mapped[float] = mapped_column(Float)
    payload: Mapped[str] = mapped_column(Text)
