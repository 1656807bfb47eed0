"""Planned operations, their ASTM F3548-21 states, filing against the others, and what each
party is told.

States (F3548-21 operational intent states, as InterUSS names them): ``Accepted`` (planned and
deconflicted), ``Activated`` (in use, nominal), ``Nonconforming`` (in use, off its volumes),
``Contingent`` (in use, not recoverable), ``Ended``. Filing (:meth:`Plans.file`) checks the new
operation's volumes against the other parties' operations that are not ended and against the
agreement's zones that bind the party. Under the agreement's ``plans`` rules, a conflict with a
higher-priority operation (SCD0015-0025) or, where ``equal_priority: refuse``, with an equal one
(SCD0035-0050) refuses the filing, or accepts it with the conflict recorded; a conflict with a
zone refuses it. Each party concerned is told only the :class:`Conflict`: the intersecting
footprint, altitude band and time window and the other operation's priority, never the other's
mission, other volumes, aircraft or name (the InterUSS discovery model).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from wellclear.agreement.planning import Plans as PlanRules
from wellclear.airspace.volume import Volume
from wellclear.plans.index import VolumeIndex
from wellclear.plans.volumes import PlanError, Volume4D, overlap, parse_volumes

STATES = ("Accepted", "Activated", "Nonconforming", "Contingent", "Ended")
# F3548-21 flows: Accepted -> Activated -> Ended; Activated <-> Nonconforming; both ->
# Contingent; any -> Ended. Nonconforming is set by conformance monitoring, not by a party.
MOVES: Mapping[str, frozenset[str]] = {
    "Accepted": frozenset({"Activated", "Ended"}),
    "Activated": frozenset({"Contingent", "Ended"}),
    "Nonconforming": frozenset({"Contingent", "Ended"}),
    "Contingent": frozenset({"Ended"}),
    "Ended": frozenset(),
}
LIVE = frozenset({"Activated", "Nonconforming", "Contingent"})


@dataclass
class Operation:
    """One party's planned operation: its volumes, priority (higher wins), the aircraft that
    fly it, a free-text mission (its party's alone), its F3548 state."""

    id: str
    party: str
    priority: int
    volumes: list[Volume4D]
    aircraft: tuple[str, ...]
    mission: str = ""
    state: str = "Accepted"
    version: str = ""

    @property
    def t_start(self) -> float:
        return min(v.t_start for v in self.volumes)

    @property
    def t_end(self) -> float:
        return max(v.t_end for v in self.volumes)


@dataclass(frozen=True)
class Conflict:
    """Where and when two operations (or an operation and a zone) meet. ``other`` is the other
    operation's id (``zone:NAME`` for a zone): kept by the service, never shown to the
    operation's party. ``give_way``: whose operation must give way (``own``, ``other``,
    ``both`` for equal priorities)."""

    own: str
    other: str
    other_party: str
    other_priority: int | None
    footprint: BaseGeometry
    alt_lo_m: float
    alt_hi_m: float
    t_start: float
    t_end: float
    give_way: str

    def flipped(self, own_priority: int, own_party: str) -> Conflict:
        """The same conflict as the other operation's party sees it."""
        way = {"own": "other", "other": "own"}.get(self.give_way, self.give_way)
        return replace(
            self,
            own=self.other,
            other=self.own,
            other_party=own_party,
            other_priority=own_priority,
            give_way=way,
        )


@dataclass(frozen=True)
class Decision:
    """A filing's outcome: accepted or not, the conflicts found, why it was refused."""

    operation: Operation
    accepted: bool
    conflicts: tuple[Conflict, ...]
    reason: str = ""


def parse_operation(data: Any, party: str, where: str = "operation") -> Operation:
    """An operation filed as JSON: ``volumes``, ``priority`` (integer), ``aircraft`` (ids),
    ``mission`` (optional text); :class:`PlanError` names the field."""
    if not isinstance(data, Mapping):
        raise PlanError(f"{where}: an operation is an object")
    known = {"volumes", "priority", "aircraft", "mission"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise PlanError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(known))}")
    priority = data.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise PlanError(f"{where}: priority: expected an integer, got {priority!r}")
    aircraft = data.get("aircraft", [])
    if not isinstance(aircraft, Sequence) or not all(isinstance(a, str) for a in aircraft):
        raise PlanError(f"{where}: aircraft: expected a list of aircraft ids")
    mission = data.get("mission", "")
    if not isinstance(mission, str):
        raise PlanError(f"{where}: mission: expected text")
    volumes = parse_volumes(data.get("volumes"), where)
    return Operation(secrets.token_hex(8), party, priority, volumes, tuple(aircraft), mission)


def _give_way(new: int, other: int | None) -> str:
    if other is None or other > new:
        return "own"
    return "both" if other == new else "other"


@dataclass
class Plans:
    """Every party's operations, their index and conflicts; the agreement's rules and zones.
    ``revision`` increases with every load, accepted filing and party's change of state (what
    conformance monitoring rebuilds its table on, :class:`~wellclear.plans.conformance.Monitor`).
    Not thread-safe: the service serialises calls."""

    rules: PlanRules
    zones: Sequence[Volume] = ()
    party_state: Mapping[str, str] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    conflicts: dict[str, list[Conflict]] = field(default_factory=dict)
    index: VolumeIndex = field(default_factory=VolumeIndex)
    revision: int = 0

    def check(self, op: Operation) -> list[Conflict]:
        """The conflicts of ``op`` with the other parties' operations (not ended) and with
        the zones that bind its party."""
        found: list[Conflict] = []
        for v in op.volumes:
            for key, other_v in self.index.candidates(v):
                other = self.operations[key]
                if other.party == op.party or other.id == op.id or other.state == "Ended":
                    continue
                met = overlap(v, other_v)
                if met is not None:
                    way = _give_way(op.priority, other.priority)
                    found.append(Conflict(op.id, other.id, other.party, other.priority, *met, way))
            for zone in self.zones:
                if zone.event == "crossing" or not zone.binds_party(op.party, self.party_state):
                    continue
                zv = Volume4D(
                    zone.geometry, zone.floor.value_m, zone.ceiling.value_m, v.t_start, v.t_end, {}
                )
                met = overlap(v, zv)
                if met is not None:
                    found.append(Conflict(op.id, f"zone:{zone.name}", "", None, *met, "own"))
        return found

    def load(self, ops: Sequence[Operation], conflicts: Mapping[str, list[Conflict]]) -> None:
        """Operations accepted before (a restart), with their recorded conflicts, unchecked."""
        for op in ops:
            self.operations[op.id] = op
            if op.state != "Ended":
                self.index.add(op.id, op.volumes)
        self.conflicts.update({k: list(v) for k, v in conflicts.items()})
        self.index.build()
        self.revision += 1

    def file(self, op: Operation, now: float) -> Decision:
        """Check ``op`` and, unless the rules refuse it, keep it as Accepted with its
        conflicts recorded on both sides."""
        notice = self.rules.notice
        if notice is not None and op.t_start - now < notice.s:
            return Decision(op, False, (), f"filed with less notice than {notice.text}")
        return self._keep(op)

    def change(self, op_id: str, new: Operation, now: float) -> Decision:
        """A party's new version of its operation ``op_id`` (new volumes, priority, aircraft
        or mission; its id and state kept), checked as a filing is (the notice only while it
        is Accepted); unless the rules refuse it (the old version then stays), it replaces
        the old, whose conflicts are forgotten on both sides."""
        old = self.operations[op_id]
        if old.state == "Ended":
            raise PlanError(f"operation {op_id}: Ended, it cannot change")
        new.id, new.state = op_id, old.state
        notice = self.rules.notice
        if old.state == "Accepted" and notice is not None and new.t_start - now < notice.s:
            return Decision(new, False, (), f"changed with less notice than {notice.text}")
        return self._keep(new, replacing=True)

    def _keep(self, op: Operation, replacing: bool = False) -> Decision:
        conflicts = self.check(op)
        reason = self._refusal(op, conflicts)
        if reason:
            return Decision(op, False, tuple(conflicts), reason)
        if replacing:
            self._forget(op.id)
        self.operations[op.id] = op
        self.index.add(op.id, op.volumes)
        self.conflicts[op.id] = conflicts
        self.revision += 1
        for c in conflicts:
            if c.other in self.operations:
                self.conflicts.setdefault(c.other, []).append(c.flipped(op.priority, op.party))
        return Decision(op, True, tuple(conflicts))

    def _forget(self, op_id: str) -> None:
        """``op_id``'s conflicts, on both sides."""
        self.conflicts.pop(op_id, None)
        for cs in self.conflicts.values():
            cs[:] = [c for c in cs if c.other != op_id]

    def _refusal(self, op: Operation, conflicts: list[Conflict]) -> str:
        for c in conflicts:
            if c.other_priority is None:
                return f"conflicts with a zone ({c.other.removeprefix('zone:')})"
            if c.give_way == "own" and self.rules.lower_priority == "refuse":
                return f"conflicts with a higher-priority operation (priority {c.other_priority})"
            if c.give_way == "both" and self.rules.equal_priority == "refuse":
                return "conflicts with an operation of equal priority"
        return ""

    def move(self, op_id: str, state: str) -> Operation:
        """A party's own change of state (Activated, Contingent, Ended)."""
        op = self.operations[op_id]
        if state not in MOVES[op.state]:
            allowed = ", ".join(sorted(MOVES[op.state])) or "none"
            raise PlanError(f"operation {op_id}: {op.state} cannot become {state} ({allowed})")
        op.state = state
        self.revision += 1
        if state == "Ended":
            self.index.remove(op_id)
            self._forget(op_id)
        return op

    def concerned(self, op_id: str) -> set[str]:
        """The parties whose operations ``op_id`` meets (to announce it Contingent)."""
        return {c.other_party for c in self.conflicts.get(op_id, []) if c.other_party}


def footprint_json(geometry: BaseGeometry) -> dict[str, Any]:
    """A footprint as GeoJSON (lon, lat), coordinates rounded to 1e-6 degree."""
    return shapely.geometry.mapping(shapely.set_precision(geometry, 1e-6))
