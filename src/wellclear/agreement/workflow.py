"""The agreement's workflow: signed steps, one chain per agreement, and its state.

A party **drafts** a version (a document), **proposes** it; each other party answers **accept**,
**reject** (with a reason) or **counter** (a new version, proposed by the one who counters); a
version is **in force** once every party of that version has accepted it (the proposer by
proposing). A party may **suspend** the version in force (no version is then in force; its own
``accept`` of the suspended version lifts the suspension) or **withdraw** (the agreement ends).

Every step is signed with its party's Ed25519 key (:mod:`~wellclear.agreement.signing`) over the
RFC 8785 canonical form (:mod:`~wellclear.agreement.canonical`) of the step, which holds the
SHA-256 of the canonical document (:meth:`Agreement.digest`) and the hash of the step before
it, so that no step can be changed, dropped or reordered unseen. The key is the one the
step's own version of the document gives the party; a step of a party without a key there, or
signed by another key, is refused by name (:func:`replay`).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from wellclear.agreement.canonical import canonical
from wellclear.agreement.model import Agreement
from wellclear.agreement.signing import verify

Action = Literal["draft", "propose", "accept", "reject", "counter", "suspend", "withdraw"]
ACTIONS: tuple[str, ...] = (
    "draft",
    "propose",
    "accept",
    "reject",
    "counter",
    "suspend",
    "withdraw",
)
NEW_VERSION = ("draft", "counter")


class WorkflowError(ValueError):
    """A step that the workflow refuses, or a history that does not verify (names the step)."""


@dataclass(frozen=True)
class Step:
    """One signed step. ``digest``: the document's SHA-256 the step is about; ``previous``: the
    SHA-256 of the step before (its canonical form, signature included; empty for the first);
    ``t``: ISO 8601 UTC; ``signature``: base64 Ed25519 over :meth:`message`."""

    seq: int
    action: str
    party: str
    agreement: str
    version: str
    digest: str
    previous: str
    t: str
    reason: str | None = None
    signature: str = ""

    def body(self) -> dict[str, Any]:
        """The signed fields."""
        out = asdict(self)
        del out["signature"]
        return out

    def message(self) -> bytes:
        """What is signed: the RFC 8785 canonical form of :meth:`body`."""
        return canonical(self.body())

    def hash(self) -> str:
        """SHA-256 of the whole step (signature included): the next step's ``previous``."""
        return hashlib.sha256(canonical(asdict(self))).hexdigest()

    def label(self) -> str:
        return f"step {self.seq} ({self.action} of version {self.version} by {self.party})"

    @classmethod
    def from_json(cls, data: Any, where: str) -> Step:
        if not isinstance(data, dict):
            raise WorkflowError(f"{where}: a step is an object")
        names = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - names)
        missing = sorted(names - set(data) - {"reason"})
        if unknown or missing:
            raise WorkflowError(f"{where}: unknown fields {unknown}, missing {missing}")
        for name in names - {"seq", "reason"}:
            if not isinstance(data[name], str):
                raise WorkflowError(f"{where}: {name}: expected a string, got {data[name]!r}")
        if not isinstance(data["seq"], int) or isinstance(data["seq"], bool):
            raise WorkflowError(f"{where}: seq: expected an integer, got {data['seq']!r}")
        return cls(**data)


@dataclass
class VersionState:
    """One version of the document: its status and who has accepted it."""

    version: str
    digest: str
    status: str  # draft, proposed, rejected, countered, in force, superseded, suspended
    by: str
    accepted: set[str] = field(default_factory=set)
    reason: str | None = None


@dataclass
class State:
    """What a history says now: the version in force (None while suspended or withdrawn), the
    last version that was in force, the status of each version."""

    agreement: str | None = None
    versions: dict[str, VersionState] = field(default_factory=dict)
    in_force: str | None = None
    last_in_force: str | None = None
    suspended_by: str | None = None
    withdrawn_by: str | None = None
    last_hash: str = ""
    steps: int = 0

    @property
    def status(self) -> str:
        if self.withdrawn_by:
            return f"withdrawn by {self.withdrawn_by}"
        if self.suspended_by:
            return f"suspended by {self.suspended_by}"
        if self.in_force:
            return f"in force: version {self.versions[self.in_force].version}"
        return "no version in force"


def _parties(doc: Agreement) -> dict[str, str | None]:
    return {p.name: p.key for p in doc.parties}


def apply(state: State, step: Step, documents: dict[str, Agreement]) -> State:
    """``state`` after ``step`` (checked: chain, document hash, signer's key, workflow rule);
    :class:`WorkflowError` names the step and what is wrong. ``state`` is changed in place."""
    where = step.label()
    if step.seq != state.steps + 1:
        raise WorkflowError(f"{where}: expected step {state.steps + 1}")
    if step.previous != state.last_hash:
        raise WorkflowError(f"{where}: does not follow the step before it (steps changed)")
    if step.action not in ACTIONS:
        raise WorkflowError(f"{where}: unknown action; expected one of {', '.join(ACTIONS)}")
    doc = documents.get(step.digest)
    if doc is None:
        raise WorkflowError(f"{where}: no document with sha256 {step.digest}")
    if doc.digest() != step.digest:
        raise WorkflowError(
            f"{where}: the document of version {step.version} was changed: its sha256 is "
            f"{doc.digest()}, the signed one {step.digest}"
        )
    if str(doc.version) != step.version or doc.id != step.agreement:
        raise WorkflowError(f"{where}: the document is {doc.id} version {doc.version}")
    keys = _parties(doc)
    if step.party not in keys:
        raise WorkflowError(f"{where}: {step.party!r} is not a party to version {step.version}")
    key = keys[step.party]
    if key is None:
        raise WorkflowError(f"{where}: {step.party} has no key in version {step.version}")
    if not verify(key, step.signature, step.message()):
        raise WorkflowError(
            f"{where}: signature refused: not made by {step.party}'s key in version "
            f"{step.version} ({key}), or the step was changed"
        )
    _rule(state, step, doc)
    state.steps = step.seq
    state.last_hash = step.hash()
    return state


def _rule(state: State, step: Step, doc: Agreement) -> None:
    where = step.label()
    if state.withdrawn_by:
        raise WorkflowError(f"{where}: the agreement was withdrawn by {state.withdrawn_by}")
    if state.agreement not in (None, step.agreement):
        raise WorkflowError(f"{where}: the history is of agreement {state.agreement}")
    state.agreement = step.agreement
    v = state.versions.get(step.digest)
    if step.action in NEW_VERSION:
        if v is not None or any(x.version == step.version for x in state.versions.values()):
            raise WorkflowError(f"{where}: version {step.version} exists already")
        if step.action == "counter":
            open_ = [x for x in state.versions.values() if x.status == "proposed"]
            if not open_:
                raise WorkflowError(f"{where}: no proposed version to counter")
            for x in open_:
                x.status = "countered"
        status = "draft" if step.action == "draft" else "proposed"
        accepted = set() if step.action == "draft" else {step.party}
        state.versions[step.digest] = VersionState(step.version, step.digest, status, step.party)
        state.versions[step.digest].accepted = accepted
        _maybe_in_force(state, state.versions[step.digest], doc)
        return
    if v is None:
        raise WorkflowError(f"{where}: version {step.version} was never drafted")
    if step.action == "propose":
        if v.status != "draft" or v.by != step.party:
            raise WorkflowError(f"{where}: only its drafter proposes a draft (it is {v.status})")
        v.status = "proposed"
        v.accepted = {step.party}
    elif step.action == "accept":
        if v.status == "suspended" and state.suspended_by == step.party:
            v.status = "in force"
            state.in_force, state.suspended_by = v.digest, None
            return
        if v.status != "proposed":
            raise WorkflowError(f"{where}: version {v.version} is {v.status}, not proposed")
        v.accepted.add(step.party)
    elif step.action == "reject":
        if v.status != "proposed":
            raise WorkflowError(f"{where}: version {v.version} is {v.status}, not proposed")
        if not step.reason:
            raise WorkflowError(f"{where}: a rejection gives its reason")
        v.status, v.reason = "rejected", step.reason
    elif step.action == "suspend":
        if state.in_force != v.digest:
            raise WorkflowError(f"{where}: version {v.version} is not in force")
        v.status, state.in_force, state.suspended_by = "suspended", None, step.party
        v.reason = step.reason
    elif step.action == "withdraw":
        if v.digest not in (state.in_force, state.last_in_force):
            raise WorkflowError(f"{where}: withdraw from the version in force (or last in force)")
        state.withdrawn_by, state.in_force = step.party, None
        v.reason = step.reason
    _maybe_in_force(state, v, doc)


def _maybe_in_force(state: State, v: VersionState, doc: Agreement) -> None:
    if v.status == "proposed" and v.accepted >= set(_parties(doc)):
        if state.in_force is not None:
            state.versions[state.in_force].status = "superseded"
        v.status = "in force"
        state.in_force = state.last_in_force = v.digest
        state.suspended_by = None


def replay(steps: list[Step], documents: dict[str, Agreement]) -> State:
    """The state after every step, each checked (:func:`apply`)."""
    state = State()
    for step in steps:
        apply(state, step, documents)
    return state


def unsigned(
    state: State, action: str, party: str, doc: Agreement, t: str, reason: str | None
) -> Step:
    """The next step, to be signed (:func:`signed`)."""
    return Step(
        seq=state.steps + 1,
        action=action,
        party=party,
        agreement=doc.id,
        version=str(doc.version),
        digest=doc.digest(),
        previous=state.last_hash,
        t=t,
        reason=reason,
    )


def signed(step: Step, signature: str) -> Step:
    return replace(step, signature=signature)
