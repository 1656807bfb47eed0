"""Incidents of airspace infringements: an airspace episode of the live engine that ended after
its aircraft was inside a volume that binds it is classified by the rules of ``wellclear scan``
(:func:`wellclear.encounters.zones.infringements` over the aircraft's stored track around the
episode, against that volume of the agreement), and recorded with the agreement version that
judged the episode. The incident's evidence is the aircraft's own track around it; its
``infringement`` is the scan's row (volume, entry and exit, dwell, depth).

Durability as for the incidents of encounters (:mod:`wellclear.service.incidents`): episodes to
classify are found from the stored airspace events after the last one classified.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from wellclear.agreement import Agreement
from wellclear.encounters.scan import FrameSource
from wellclear.encounters.zones import infringements
from wellclear.service.disclosure import json_value
from wellclear.service.incidents import MARGIN_S, states_around, store_incidents
from wellclear.store.db import Store
from wellclear.store.records import IncidentRecord, airspace_events_after


@dataclass(frozen=True)
class AirEpisode:
    """An ended airspace episode whose aircraft was inside the volume (its last event:
    ``exited``, or ``cleared`` when the aircraft left the picture)."""

    seq: int
    episode_id: str
    id: str
    party: str
    volume: str
    t_start: float
    t_end: float
    agreement_version: str


def pending(store: Store, after_seq: int) -> tuple[list[AirEpisode], int]:
    """Ended episodes with a time inside, stored after ``after_seq`` (oldest first), and the
    ``seq`` of the last airspace event read."""
    events = airspace_events_after(store, after_seq, limit=10**9)
    out = []
    for e in events:
        if e.get("to_status") or e.get("t_entered") is None:
            continue  # not the end of an episode (``exited`` or ``cleared``), or never inside
        start = e.get("t_start")
        out.append(
            AirEpisode(
                int(e["seq"]),
                str(e["episode_id"]),
                str(e["id"]),
                str(e["party"]),
                str(e["volume"]),
                float(start if start is not None else e["t_entered"]),
                float(e["t"]),
                str(e["agreement_version"]),
            )
        )
    return out, int(events[-1]["seq"]) if events else after_seq


def classify(store: Store, agreement: Agreement, ep: AirEpisode) -> IncidentRecord | None:
    """The incident of an ended airspace episode, or None when the scan finds no
    infringement of its volume by its aircraft around it."""
    volumes = [v for v in agreement.zones() if v.name == ep.volume]
    lo, hi = ep.t_start - MARGIN_S, ep.t_end + MARGIN_S
    states = states_around(store, [ep.id], lo, hi)
    if not volumes or states.empty:
        return None
    found = infringements(
        FrameSource(states),
        [],
        agreement.scan_config(),
        hi - lo,
        agreement.party_state() or None,
        volumes=volumes,
        bind_unknown=agreement.airspace.bind_unknown,
    )
    if found.empty:
        return None
    found = found[found["id"].astype(str) == ep.id]
    entry = pd.to_numeric(found["entry_time"], errors="coerce")  # unix s
    found = found[(entry <= hi)].assign(_entry=entry)
    if found.empty:
        return None
    row = found.sort_values(["dwell_s", "_entry"], ascending=[False, True]).iloc[0]
    exit_time = pd.to_numeric(row["exit_time"], errors="coerce")
    t_end = ep.t_end if pd.isna(exit_time) else float(exit_time)
    evidence = states[(states["t"] >= float(row["_entry"]) - MARGIN_S)]
    details = {
        "episode_id": ep.episode_id,
        "infringement": {
            str(k): json_value(v) for k, v in row.items() if not str(k).startswith("_")
        },
        "evidence": [
            {str(k): json_value(v) for k, v in r.items()}
            for r in evidence.assign(flag="").to_dict(orient="records")
        ],
    }
    return IncidentRecord(
        id=f"airspace:{ep.episode_id}",
        kind=str(row["event"]),
        t_start=float(row["_entry"]),
        t_end=float(t_end),
        id_1=ep.id,
        party_1=ep.party,
        id_2=ep.volume,
        party_2="",  # a volume, not an aircraft: no other party sees the incident
        agreement_version=ep.agreement_version,
        details=json.loads(json.dumps(details, default=str)),
    )


def record(store: Store, agreement: Agreement, episodes: list[AirEpisode], key: bytes) -> int:
    """Classify and store the incidents of ``episodes``; returns how many were stored."""
    return store_incidents(store, (classify(store, agreement, ep) for ep in episodes), key)


__all__ = ["AirEpisode", "classify", "pending", "record"]
