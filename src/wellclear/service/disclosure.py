"""What each caller may see: the agreement's sharing level applied to alert events and the
picture.

An alert event is computed for an ordered pair (aircraft 1 the ownship, 2 the intruder), so
each side of a conflict gets its own episode, from its own side. A ``party`` sees the events
whose aircraft 1 is its own: ``own`` (its aircraft's id and callsign) and ``other`` minimised by
the sharing level, built from a whitelist so that nothing else can leak:

``conflicts-only``
    ``bearing_deg`` (true, from own to other), ``range_m``, ``dalt_m`` (other above own),
    ``closure_mps``, ``time_to_los_s``: where the other aircraft is while the alert lasts,
    as air traffic control's traffic information says it; nothing that identifies it or its
    party;
``coarse``
    adds the other party's name;
``full``
    adds the other aircraft's ``id`` and ``callsign``.

The agreement may quantise bearing (``clock``: to the nearest 30 degrees; or a step), range and
altitude. The ``cell`` and ``observer`` roles see every event in full.

The engine's episode ids name both aircraft; a party gets an opaque ``alert_id`` instead, the
HMAC-SHA256 of the episode id under the service's key (kept in the store, so stable across
restarts), which cannot be turned back into the other aircraft's id.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from wellclear.agreement import Agreement
from wellclear.store.parties import Principal
from wellclear.timeutil import iso

FULL_ROLES = ("cell", "observer")


def _number(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if not math.isfinite(v) else v


def _step(value: float | None, step: float | None) -> float | None:
    if value is None or step is None or step <= 0:
        return value
    return round(value / step) * step


def _bearing(value: float | None, agreement: Agreement) -> float | None:
    q = agreement.sharing.quantise.bearing
    if value is None or q is None:
        return value
    step = 30.0 if q == "clock" else q.deg
    return (round(value / step) * step) % 360.0


def sees(principal: Principal, event: Mapping[str, Any]) -> bool:
    """Whether ``principal`` receives ``event`` at all."""
    return principal.role in FULL_ROLES or event.get("party_1") == principal.name


def full_event(event: Mapping[str, Any], agreement: Agreement) -> dict[str, Any]:
    """The event as the cell sees it: every field, times as ISO 8601 with ``t_unix``."""
    out = {k: json_value(v) for k, v in event.items()}
    out["t_unix"] = out.get("t")
    out["t"] = iso(float(event["t"]))
    out.setdefault("frequencies_mhz", list(agreement.frequencies_mhz()))
    out.setdefault("agreement_version", str(agreement.version))
    return out


def public_alert_id(key: bytes, episode_id: str) -> str:
    """The id a party knows an alert episode by (see the module docstring)."""
    return "a" + hmac.new(key, episode_id.encode(), hashlib.sha256).hexdigest()[:24]


def party_event(event: Mapping[str, Any], agreement: Agreement, key: bytes) -> dict[str, Any]:
    """The event as the party of aircraft 1 sees it (see the module docstring)."""
    level = agreement.sharing.level
    q = agreement.sharing.quantise
    other: dict[str, Any] = {
        "bearing_deg": _bearing(_number(event.get("bearing_deg")), agreement),
        "range_m": _step(_number(event.get("range_m")), None if q.range is None else q.range.m),
        "dalt_m": _step(_number(event.get("dalt_m")), None if q.altitude is None else q.altitude.m),
        "closure_mps": _number(event.get("closure_mps")),
        "time_to_los_s": _number(event.get("time_to_los_s")),
    }
    if level in ("coarse", "full"):
        other["party"] = str(event.get("party_2", ""))
    if level == "full":
        other["id"] = str(event.get("id_2", ""))
        other["callsign"] = str(event.get("callsign_2", ""))
    out: dict[str, Any] = {
        "alert_id": public_alert_id(key, str(event["alert_id"])),
        "event": str(event["event"]),
        "t": iso(float(event["t"])),
        "t_unix": float(event["t"]),
        "level": int(event.get("to_level", event.get("level", 0))),
        "level_name": str(event.get("level_name", "")),
        "own": {"id": str(event["id_1"]), "callsign": str(event.get("callsign_1", ""))},
        "other": other,
        "frequencies_mhz": list(agreement.frequencies_mhz()),
        "agreement_version": str(event.get("agreement_version", agreement.version)),
        "agreement_status": str(event.get("agreement_status", "in force")),
    }
    if "seq" in event:
        out["seq"] = int(event["seq"])
    return out


def view_event(
    principal: Principal, event: Mapping[str, Any], agreement: Agreement, key: bytes
) -> dict[str, Any] | None:
    """What ``principal`` receives of ``event`` (None: nothing)."""
    if not sees(principal, event):
        return None
    if principal.role in FULL_ROLES:
        return full_event(event, agreement)
    return party_event(event, agreement, key)


_PICTURE_FULL = [
    "id",
    "party",
    "callsign",
    "t",
    "lat",
    "lon",
    "alt_m",
    "gs_mps",
    "trk_deg",
    "vs_mps",
]


def view_picture(
    principal: Principal,
    states: pd.DataFrame,
    delayed: pd.DataFrame | None,
    agreement: Agreement,
) -> list[dict[str, Any]]:
    """The air picture as ``principal`` may see it: its own aircraft in full; the others
    not at all (``conflicts-only``), on the agreement's grid from ``delayed`` (the picture
    ``delay`` ago) without identity (``coarse``), or in full (``full``)."""
    cols = [c for c in _PICTURE_FULL if c in states]
    if principal.role in FULL_ROLES:
        return records(states[cols])
    own = states[states["party"] == principal.name][cols]
    out = records(own)
    level = agreement.sharing.level
    if level == "full":
        out += records(states[states["party"] != principal.name][cols])
    elif level == "coarse" and delayed is not None and len(delayed):
        others = delayed[delayed["party"] != principal.name]
        grid = agreement.sharing.grid.deg if agreement.sharing.grid is not None else 0.1
        coarse = pd.DataFrame(
            {
                "lat": np.round(others["lat"].to_numpy(float) / grid) * grid,
                "lon": np.round(others["lon"].to_numpy(float) / grid) * grid,
                "alt_m": np.round(others["alt_m"].to_numpy(float) / 30.48) * 30.48,
                "t": others["t"].to_numpy(float),
            }
        )
        out += [{**r, "coarse": True} for r in records(coarse)]
    return out


def json_value(v: Any) -> Any:
    """A value as JSON holds it: numpy scalars as Python's, timestamps as ISO 8601 (UTC),
    NaN and infinities as null."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, pd.Timestamp):
        return v.isoformat().replace("+00:00", "Z")
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects: NaN as null, ``t`` as ISO 8601 with ``t_unix`` beside it."""
    rows = frame.to_dict(orient="records")
    out = []
    for row in rows:
        rec = {str(k): json_value(v) for k, v in row.items()}
        if "t" in rec and rec["t"] is not None:
            rec["t_unix"] = rec["t"]
            rec["t"] = iso(float(rec["t"]))
        out.append(rec)
    return out


def public_incident_id(key: bytes, incident_id: str) -> str:
    """The id a party knows an incident by (opaque, as its alerts)."""
    return "i" + hmac.new(key, f"incident:{incident_id}".encode(), hashlib.sha256).hexdigest()[:24]


def incident_id_for(principal: Principal, incident_id: str, key: bytes) -> str:
    """The id ``principal`` knows an incident by (opaque for a party, as its alerts)."""
    if principal.role in FULL_ROLES:
        return incident_id
    return public_incident_id(key, incident_id)


# what a party gets of its own aircraft's samples (not the encounter id: it names the other)
_OWN_EVIDENCE = (
    "id",
    "callsign",
    "t",
    "t_unix",
    "lat",
    "lon",
    "alt_m",
    "gs_mps",
    "trk_deg",
    "vs_mps",
    "flag",
)
_SEPARATION = ("t_min", "h_min_m", "dz_min_m", "slant_min_m", "los_s", "nmac_s", "airprox")
# what every role gets of an airspace incident: the scan's infringement row, less the aircraft
_AIRSPACE = ("volume", "kind", "event", "entry_time", "exit_time", "dwell_s", "max_depth_m")


def view_incident(
    principal: Principal, incident: Any, agreement: Agreement, key: bytes
) -> dict[str, Any] | None:
    """What ``principal`` may see of a stored incident (None: nothing): the cell and observers
    everything; a party the incidents its aircraft were in, minimised as its alerts are: its
    own aircraft and track, the separation reached and the class, and of the other aircraft only
    what the sharing level discloses (its party at ``coarse``, id and callsign at ``full``)."""
    parties = (incident.party_1, incident.party_2)
    if principal.role not in FULL_ROLES and principal.name not in parties:
        return None
    encounter = incident.details.get("encounter", {})
    out: dict[str, Any] = {
        "incident_id": incident_id_for(principal, incident.id, key),
        "kind": incident.kind,
        "t_start": iso(incident.t_start),
        "t_end": iso(incident.t_end),
        "agreement_version": incident.agreement_version,
        "separation": {k: encounter.get(k) for k in _SEPARATION if k in encounter},
    }
    infringement = incident.details.get("infringement")
    if infringement is not None:  # an airspace incident: the volume is the agreement's, public
        out["airspace"] = {k: infringement.get(k) for k in _AIRSPACE if k in infringement}
    if principal.role in FULL_ROLES:
        out.update(
            id_1=incident.id_1,
            party_1=incident.party_1,
            id_2=incident.id_2,
            party_2=incident.party_2,
            encounter=encounter,
            evidence=incident.details.get("evidence", []),
        )
        return out
    mine = 1 if incident.party_1 == principal.name else 2
    own_id = incident.id_1 if mine == 1 else incident.id_2
    other_id = incident.id_2 if mine == 1 else incident.id_1
    other_party = incident.party_2 if mine == 1 else incident.party_1
    evidence = [
        {k: r.get(k) for k in _OWN_EVIDENCE if k in r}
        for r in incident.details.get("evidence", [])
        if r.get("id") == own_id
    ]
    callsign = next((r.get("callsign") for r in evidence if r.get("callsign")), "")
    out["own"] = {"id": own_id, "callsign": callsign}
    other: dict[str, Any] = {}
    level = agreement.sharing.level
    if infringement is not None:
        level = "conflicts-only"  # no other aircraft: nothing of another party to tell
    if level in ("coarse", "full"):
        other["party"] = other_party
    if level == "full":
        other["id"] = other_id
        other["callsign"] = next(
            (
                str(v)
                for k, v in encounter.items()
                if k.startswith("callsign_") and encounter.get("id_" + k[-1]) == other_id
            ),
            "",
        )
    out["other"] = other
    out["evidence"] = evidence
    return out
