"""Incidents: alert episodes between parties that ended at or above the agreement's reporting
level, classified by the same rules as ``wellclear scan``.

When an episode between two parties' aircraft clears (one of its two ordered episodes: the one
whose aircraft 1 has the smaller id), both aircraft's stored reports around it are scanned
(:func:`wellclear.encounters.scan.scan` with the agreement's thresholds); the most severe
encounter of the pair that overlaps the episode is the incident if its class is one the
agreement reports (``reporting.level`` and above). The incident keeps the encounter's row
(minimum separation, times, classes, rules) and its evidence (both tracks around the minimum),
and the agreement version.

Durability: episodes to classify are found from the stored ``cleared`` events after the last
event read (kept in the store), so a crash between an episode's end and its incident only
delays it to the next start; each call reads only the events stored since the last.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.exc import IntegrityError

from wellclear.agreement import Agreement
from wellclear.encounters.scan import encounters_table, scan
from wellclear.service.disclosure import json_value, public_incident_id
from wellclear.store.db import Store
from wellclear.store.records import IncidentRecord, add_incident, events_after
from wellclear.store.reports import tracks

MARGIN_S = 120.0
"""Reports read before the episode's start and after its end."""


@dataclass(frozen=True)
class Episode:
    """An ended alert episode between two aircraft (from its ``cleared`` event)."""

    seq: int
    alert_id: str
    id_1: str
    id_2: str
    party_1: str
    party_2: str
    t_start: float
    t_end: float


def ended(event: dict[str, Any]) -> Episode | None:
    """The episode an event ends, if it is one an incident may come from."""
    if event.get("event") != "cleared" or event.get("party_1") == event.get("party_2"):
        return None
    if str(event["id_1"]) > str(event["id_2"]):
        return None  # the other ordered episode of the pair stands for both
    t_start = event.get("t_start")
    start = float(t_start) if t_start is not None else float(event["t"])
    return Episode(
        int(event["seq"]),
        str(event["alert_id"]),
        str(event["id_1"]),
        str(event["id_2"]),
        str(event["party_1"]),
        str(event["party_2"]),
        start,
        float(event["t"]),
    )


def _states(store: Store, ep: Episode) -> pd.DataFrame:
    return states_around(store, [ep.id_1, ep.id_2], ep.t_start - MARGIN_S, ep.t_end + MARGIN_S)


def states_around(store: Store, ids: list[str], lo: float, hi: float) -> pd.DataFrame:
    """The stored reports of ``ids`` from ``lo`` to ``hi`` as ``scan`` reads states (one
    altitude ``alt_m`` with its source), by aircraft then time."""
    frame = tracks(store, sorted(ids), lo, hi)
    # by aircraft, then time and arrival, as one track after the other was
    frame = frame.sort_values(["id", "t", "batch_id"], kind="stable")
    frame = frame.drop(columns=["batch_id", "t_row"], errors="ignore").reset_index(drop=True)
    baro = frame["alt_baro_m"]
    frame["alt_m"] = baro.where(baro.notna(), frame["alt_geo_m"])
    frame["alt_src"] = np.where(baro.notna(), "baro", "geo")
    return frame.dropna(subset=["lat", "lon", "alt_m"]).reset_index(drop=True)


def classify(store: Store, agreement: Agreement, ep: Episode) -> IncidentRecord | None:
    """The incident of an ended episode, or None when nothing at the reporting level."""
    states = _states(store, ep)
    if states["id"].nunique() < 2:
        return None
    result = scan(states, agreement.scan_config())
    if result.encounters.empty:
        return None
    enc = encounters_table(result.encounters)
    lo, hi = ep.t_start - MARGIN_S, ep.t_end + MARGIN_S
    start = enc["start"].map(pd.Timestamp.timestamp)
    end = enc["end"].map(pd.Timestamp.timestamp)
    mine = enc[(start <= hi) & (end >= lo)]
    reported = agreement.reporting.classes()
    order = {c: k for k, c in enumerate(reversed(reported))}  # most severe first
    best: pd.Series | None = None
    for _, row in mine.iterrows():
        found = [c for c in str(row["classes"]).split(",") if c in order]
        if found and (best is None or min(order[c] for c in found) < best["_rank"]):
            best = row.copy()
            best["_rank"] = min(order[c] for c in found)
            best["_class"] = min(found, key=lambda c: order[c])
    if best is None:
        return None
    encounter_id = best["encounter_id"]
    evidence = result.evidence
    if len(evidence) and "encounter_id" in evidence:
        evidence = evidence[evidence["encounter_id"] == encounter_id]
    details = {
        "alert_id": ep.alert_id,
        "encounter": {k: json_value(v) for k, v in best.items() if not str(k).startswith("_")},
        "evidence": [
            {str(k): json_value(v) for k, v in r.items()}
            for r in evidence.to_dict(orient="records")
        ],
    }
    return IncidentRecord(
        id=ep.alert_id,
        kind=str(best["_class"]),
        t_start=float(pd.Timestamp(best["start"]).timestamp()),
        t_end=float(pd.Timestamp(best["end"]).timestamp()),
        id_1=ep.id_1,
        party_1=ep.party_1,
        id_2=ep.id_2,
        party_2=ep.party_2,
        agreement_version=str(agreement.version),
        details=json.loads(json.dumps(details, default=str)),
    )


def pending(store: Store, after_seq: int) -> tuple[list[Episode], int]:
    """Ended episodes stored after ``after_seq`` (oldest first), and the ``seq`` of the last
    event read (the next call starts there, whether or not an episode ended)."""
    out = []
    events = events_after(store, after_seq, limit=10**9)
    for e in events:
        ep = ended(e)
        if ep is not None:
            out.append(ep)
    return out, int(events[-1]["seq"]) if events else after_seq


def record(store: Store, agreement: Agreement, episodes: list[Episode], key: bytes) -> int:
    """Classify and store the incidents of ``episodes`` (each with the id a party knows it
    by, under the service's ``key``); returns how many were stored."""
    return store_incidents(store, (classify(store, agreement, ep) for ep in episodes), key)


def store_incidents(store: Store, found: Iterable[IncidentRecord | None], key: bytes) -> int:
    """Store the incidents of ``found`` (None: an episode with none), each with the id a party
    knows it by under ``key``; one stored already (classified again after a restart) is left
    as it is. Returns how many were stored."""
    stored = 0
    for incident in found:
        if incident is None:
            continue
        try:
            add_incident(store, incident, public_incident_id(key, incident.id))
            stored += 1
        except IntegrityError:
            pass  # stored already: classified again after a restart
    return stored
