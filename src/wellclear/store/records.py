"""Alert events, acknowledgements, incidents, the audit log and engine checkpoints.

Alert events are stored in full, both aircraft and both parties, with a ``seq`` that increases
in the order they are stored: a subscriber's ``Last-Event-ID`` is the last ``seq`` it received,
and :func:`events_after` gives exactly what came after. What a party may see of an event is
decided by the service when it reads it, not here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from wellclear.store.db import Store, StoreError, now
from wellclear.store.models import (
    Acknowledgement,
    AirspaceEvent,
    AlertEvent,
    AuditEntry,
    Checkpoint,
    Incident,
    Setting,
)

_EVENT_FIELDS = (
    "alert_id",
    "event",
    "t",
    "level",
    "level_name",
    "id_1",
    "party_1",
    "id_2",
    "party_2",
    "agreement_version",
)


def _event_rows(
    events: Iterable[Mapping[str, Any]], public: Callable[[str], str] | None
) -> list[dict[str, Any]]:
    rows = []
    for e in events:
        missing = [f for f in _EVENT_FIELDS if f not in e]
        if missing:
            raise StoreError(f"alert event lacks {', '.join(missing)}: {dict(e)!r}")
        row = {f: e[f] for f in _EVENT_FIELDS}
        row["public_id"] = None if public is None else public(str(e["alert_id"]))
        row["payload"] = json.dumps({k: v for k, v in e.items() if k not in _EVENT_FIELDS})
        rows.append(row)
    return rows


def append_events(store: Store, events: Iterable[Mapping[str, Any]]) -> list[int]:
    """Store alert events (each a mapping with the fields of :class:`AlertEvent`; anything
    else goes into its JSON payload) in one transaction; returns their ``seq``, in order."""
    return commit_tick(store, events, None)


@dataclass(frozen=True)
class TickState:
    """An engine checkpoint: the tick, the last batch the engine had ingested, its state."""

    tick_t: float
    last_batch_id: int
    state: bytes


def commit_tick(
    store: Store,
    events: Iterable[Mapping[str, Any]],
    checkpoint: TickState | None,
    public: Callable[[str], str] | None = None,
    airspace: Iterable[Mapping[str, Any]] = (),
) -> list[int]:
    """A tick's alert events, its airspace events and, if given, the engine's checkpoint
    after it, in one transaction: a restart from the checkpoint never raises again what was
    stored (the newest two checkpoints are kept). ``public`` gives the opaque id a party knows
    an episode by, kept with each event for :func:`has_event`. Returns the alert events'
    ``seq``, in order."""
    rows = _event_rows(events, public)
    air = [_airspace_row(e) for e in airspace]
    with store.engine.begin() as conn:
        seqs: list[int] = []
        if rows:
            result = conn.execute(insert(AlertEvent).returning(AlertEvent.seq), rows)
            seqs = sorted(int(s) for s in result.scalars())
        if air:
            conn.execute(insert(AirspaceEvent), air)
        if checkpoint is not None:
            conn.execute(
                insert(Checkpoint),
                {
                    "tick_t": checkpoint.tick_t,
                    "saved_t": now(),
                    "last_batch_id": checkpoint.last_batch_id,
                    "last_event_seq": seqs[-1] if seqs else 0,
                    "state": checkpoint.state,
                },
            )
            keep = select(Checkpoint.id).order_by(Checkpoint.id.desc()).limit(2).subquery()
            conn.execute(delete(Checkpoint).where(Checkpoint.id.not_in(select(keep.c.id))))
        return seqs


_AIRSPACE_FIELDS = {
    "episode_id": "episode_id",
    "event": "event",
    "t": "t",
    "aircraft_id": "id",
    "party": "party",
    "volume": "volume",
    "agreement_version": "agreement_version",
}


def _airspace_row(e: Mapping[str, Any]) -> dict[str, Any]:
    missing = [f for f in _AIRSPACE_FIELDS.values() if f not in e]
    if missing:
        raise StoreError(f"airspace event lacks {', '.join(missing)}: {dict(e)!r}")
    row = {column: e[f] for column, f in _AIRSPACE_FIELDS.items()}
    kept = set(_AIRSPACE_FIELDS.values())
    row["payload"] = json.dumps({k: v for k, v in e.items() if k not in kept})
    return row


def airspace_events_after(store: Store, seq: int = 0, limit: int = 10_000) -> list[dict[str, Any]]:
    """Airspace events stored after ``seq``, oldest first (as the engine gave them, with
    ``seq``)."""
    query = select(AirspaceEvent).where(AirspaceEvent.seq > seq).order_by(AirspaceEvent.seq)
    with store.sessions() as session:
        out = []
        for r in session.scalars(query.limit(limit)):
            e = {f: getattr(r, column) for column, f in _AIRSPACE_FIELDS.items()}
            out.append({"seq": r.seq, **e, **json.loads(r.payload)})
        return out


def _event(row: AlertEvent) -> dict[str, Any]:
    out: dict[str, Any] = {"seq": row.seq, **{f: getattr(row, f) for f in _EVENT_FIELDS}}
    out.update(json.loads(row.payload))
    return out


def events_after(
    store: Store, seq: int = 0, party: str | None = None, limit: int = 10_000
) -> list[dict[str, Any]]:
    """Events stored after ``seq``, oldest first; with ``party``, only those where one of the
    two aircraft is that party's."""
    query = select(AlertEvent).where(AlertEvent.seq > seq)
    if party is not None:
        query = query.where(or_(AlertEvent.party_1 == party, AlertEvent.party_2 == party))
    query = query.order_by(AlertEvent.seq).limit(limit)
    with store.sessions() as session:
        return [_event(r) for r in session.scalars(query)]


def last_events(store: Store, alert_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The newest stored event of each of ``alert_ids`` (those with none are left out)."""
    ids = sorted(set(alert_ids))
    out: dict[str, dict[str, Any]] = {}
    for k in range(0, len(ids), 500):
        query = (
            select(AlertEvent)
            .where(AlertEvent.alert_id.in_(ids[k : k + 500]))
            .order_by(AlertEvent.seq)
        )
        with store.sessions() as session:
            for row in session.scalars(query):
                out[row.alert_id] = _event(row)
    return out


def has_event(
    store: Store, *, alert_id: str | None = None, public_id: str | None = None, party_1: str = ""
) -> bool:
    """Whether an event of the episode ``alert_id``, or of the episode a party knows as
    ``public_id`` whose aircraft 1 is ``party_1``'s, is stored (one indexed look-up)."""
    query = select(AlertEvent.seq)
    if public_id is not None:
        query = query.where(AlertEvent.public_id == public_id, AlertEvent.party_1 == party_1)
    else:
        query = query.where(AlertEvent.alert_id == alert_id)
    with store.engine.connect() as conn:
        return conn.execute(query.limit(1)).first() is not None


def fill_public_ids(
    store: Store, alert_public: Callable[[str], str], incident_public: Callable[[str], str]
) -> int:
    """Give the events and incidents stored without a ``public_id`` (before the schema had
    one) theirs, from the service's functions of their ids; returns how many rows."""
    filled = 0
    for model, column, public in (
        (AlertEvent, AlertEvent.alert_id, alert_public),
        (Incident, Incident.id, incident_public),
    ):
        with store.engine.begin() as conn:
            missing = select(column).where(model.public_id.is_(None)).distinct()
            for k in sorted(str(r[0]) for r in conn.execute(missing)):
                result = conn.execute(update(model).where(column == k).values(public_id=public(k)))
                filled += int(result.rowcount or 0)
    return filled


def last_seq(store: Store) -> int:
    """The newest event's ``seq`` (0 when none)."""
    with store.sessions() as session:
        return int(session.scalar(select(func.coalesce(func.max(AlertEvent.seq), 0))) or 0)


def acknowledge(store: Store, alert_id: str, party_id: int) -> None:
    """Record a party's acknowledgement of an alert."""
    with store.sessions.begin() as session:
        session.add(Acknowledgement(alert_id=alert_id, party_id=party_id, t=now()))


@dataclass(frozen=True)
class IncidentRecord:
    """An ended episode at or above the reporting level, as stored."""

    id: str
    kind: str
    t_start: float
    t_end: float
    id_1: str
    party_1: str
    id_2: str
    party_2: str
    agreement_version: str
    details: dict[str, Any]


def add_incident(store: Store, incident: IncidentRecord, public_id: str | None = None) -> None:
    """Store an incident (its id is the episode's: storing it again is an error), with the
    opaque id a party knows it by."""
    with store.sessions.begin() as session:
        session.add(
            Incident(
                id=incident.id,
                public_id=public_id,
                kind=incident.kind,
                t_start=incident.t_start,
                t_end=incident.t_end,
                id_1=incident.id_1,
                party_1=incident.party_1,
                id_2=incident.id_2,
                party_2=incident.party_2,
                agreement_version=incident.agreement_version,
                payload=json.dumps(incident.details),
            )
        )


def incidents(store: Store, party: str | None = None) -> list[IncidentRecord]:
    """Stored incidents by start; with ``party``, those its aircraft were in."""
    query = select(Incident)
    if party is not None:
        query = query.where(or_(Incident.party_1 == party, Incident.party_2 == party))
    with store.sessions() as session:
        rows = list(session.scalars(query.order_by(Incident.t_start, Incident.id)))
    return [_incident(r) for r in rows]


def find_incident(
    store: Store, *, incident_id: str | None = None, public_id: str | None = None, party: str = ""
) -> IncidentRecord | None:
    """The incident ``incident_id``, or the one ``party``'s aircraft were in that it knows as
    ``public_id`` (one indexed look-up); None: no such incident."""
    query = select(Incident)
    if public_id is not None:
        query = query.where(
            Incident.public_id == public_id,
            or_(Incident.party_1 == party, Incident.party_2 == party),
        )
    else:
        query = query.where(Incident.id == incident_id)
    with store.sessions() as session:
        row = session.scalars(query.limit(1)).first()
        return None if row is None else _incident(row)


def _incident(r: Incident) -> IncidentRecord:
    return IncidentRecord(
        r.id,
        r.kind,
        r.t_start,
        r.t_end,
        r.id_1,
        r.party_1,
        r.id_2,
        r.party_2,
        r.agreement_version,
        json.loads(r.payload),
    )


@dataclass(frozen=True)
class AuditRecord:
    """One request: when (unix s), who (None: no valid token), what, the answer's status."""

    t: float
    party: str | None
    method: str
    path: str
    status: int
    detail: str = ""


def audit(
    store: Store, party: str | None, method: str, path: str, status: int, detail: str = ""
) -> None:
    """Append one request to the audit log."""
    append_audit(store, [AuditRecord(now(), party, method, path, status, detail)])


def append_audit(store: Store, records: Iterable[AuditRecord]) -> None:
    """Append requests to the audit log in one transaction."""
    rows = [r.__dict__ for r in records]
    if rows:
        with store.engine.begin() as conn:
            conn.execute(insert(AuditEntry), rows)


def audit_log(store: Store, since: float = 0.0) -> list[AuditEntry]:
    """The audit log from ``since`` (unix s), oldest first."""
    query = select(AuditEntry).where(AuditEntry.t >= since).order_by(AuditEntry.id)
    with store.sessions() as session:
        return list(session.scalars(query))


def latest_checkpoint(store: Store) -> Checkpoint | None:
    """The newest checkpoint, if any."""
    with store.sessions() as session:
        return session.scalars(select(Checkpoint).order_by(Checkpoint.id.desc())).first()


def secret(store: Store, name: str, size: int = 32) -> bytes:
    """A random secret kept in the store under ``name``: made on first use, the same after
    every restart (two processes asking at once get the same one)."""
    kept = get_setting(store, name)
    if kept is not None:
        return kept
    try:
        with store.sessions.begin() as session:
            session.add(Setting(name=name, value=os.urandom(size)))
    except IntegrityError:
        pass  # made meanwhile by another process
    made = get_setting(store, name)
    assert made is not None
    return made


def get_setting(store: Store, name: str) -> bytes | None:
    """A value kept under ``name`` (None: none)."""
    with store.sessions() as session:
        row = session.get(Setting, name)
        return None if row is None else row.value


def put_setting(store: Store, name: str, value: bytes) -> None:
    """Keep ``value`` under ``name`` (replacing it)."""
    with store.sessions.begin() as session:
        row = session.get(Setting, name)
        if row is None:
            session.add(Setting(name=name, value=value))
        else:
            row.value = value
