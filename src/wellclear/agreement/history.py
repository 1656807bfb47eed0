"""An agreement's history as one file: every version's document and every signed step.

The file is JSON: ``{"documents": {SHA256: YAML text}, "steps": [step, ...]}``; it is written to
a temporary name and renamed. :func:`verify` checks it whole, offline: each document's hash
against the steps that sign it, the chain of steps, every signature by the party's key in the
agreement, and the workflow's rules (:mod:`~wellclear.agreement.workflow`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wellclear.agreement.model import Agreement
from wellclear.agreement.signing import sign
from wellclear.agreement.source import AgreementError
from wellclear.agreement.workflow import State, Step, WorkflowError, apply, signed, unsigned


@dataclass
class History:
    """Documents (YAML text by the SHA-256 of their canonical form) and steps, in order."""

    documents: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    base: Path | None = None

    # -- reading and writing ----------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> History:
        """Read a history file (:class:`WorkflowError` names the file and what is wrong)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WorkflowError(f"{path}: no such file") from None
        except (OSError, ValueError) as err:
            raise WorkflowError(f"{path}: not a history file ({err})") from None
        return cls.from_json(data, str(path), path.resolve().parent)

    @classmethod
    def from_json(cls, data: object, name: str, base: Path | None = None) -> History:
        if not isinstance(data, dict) or set(data) != {"documents", "steps"}:
            raise WorkflowError(f"{name}: expected an object with documents and steps")
        docs, steps = data["documents"], data["steps"]
        if not isinstance(docs, dict) or not all(isinstance(v, str) for v in docs.values()):
            raise WorkflowError(f"{name}: documents: expected an object of YAML texts")
        if not isinstance(steps, list):
            raise WorkflowError(f"{name}: steps: expected a list")
        parsed = [Step.from_json(s, f"{name}: steps[{i}]") for i, s in enumerate(steps)]
        return cls(dict(docs), parsed, base)

    def to_json(self) -> dict[str, object]:
        return {"documents": self.documents, "steps": [asdict(s) for s in self.steps]}

    def save(self, path: Path) -> None:
        """Write the file whole: a temporary name, then renamed over ``path``."""
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n", "utf-8")
        os.replace(tmp, path)

    # -- checking ---------------------------------------------------------------------------

    def parsed(self) -> dict[str, Agreement]:
        """Each document validated, under the hash it is filed under (:func:`verify` compares
        that with its own hash)."""
        out = {}
        for digest, text in self.documents.items():
            try:
                out[digest] = Agreement.from_yaml(text, f"document {digest[:12]}", self.base)
            except AgreementError as err:
                raise WorkflowError(f"document {digest}: not a valid agreement: {err}") from None
        return out

    def verify(self) -> State:
        """The state after every step, everything checked (see the module docstring)."""
        docs = self.parsed()
        state = State()
        for step in self.steps:
            apply(state, step, docs)
        used = {s.digest for s in self.steps}
        extra = sorted(set(docs) - used)
        if extra:
            raise WorkflowError(f"document {extra[0]}: signed by no step")
        return state

    # -- adding a step ----------------------------------------------------------------------

    def add(
        self,
        action: str,
        party: str,
        key: Ed25519PrivateKey,
        document: Agreement | str | None = None,
        reason: str | None = None,
        t: datetime | None = None,
    ) -> Step:
        """Sign and append the next step (checked as :func:`verify` would). ``document``: the
        new version's YAML (draft, counter); otherwise the step is about the version that is
        proposed (answers), in force (suspend) or last in force (withdraw)."""
        state = self.verify()
        docs = self.parsed()
        if isinstance(document, str):
            text = document
            doc = Agreement.from_yaml(text, "new version", self.base)
        elif isinstance(document, Agreement):
            doc, text = document, document.to_yaml()
        else:
            doc, text = docs[_current(state, action)], None
        when = (t or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")
        step = unsigned(state, action, party, doc, when, reason)
        step = signed(step, sign(key, step.message()))
        docs[step.digest] = doc
        apply(state, step, docs)
        if text is not None:
            self.documents[step.digest] = text
        self.steps.append(step)
        return step


def _current(state: State, action: str) -> str:
    """The version an answer, suspension or withdrawal is about."""
    if action in ("suspend",):
        found = state.in_force
    elif action == "withdraw":
        found = state.in_force or state.last_in_force
    elif action == "propose":
        found = next((d for d, v in state.versions.items() if v.status == "draft"), None)
    else:
        proposed = [d for d, v in state.versions.items() if v.status == "proposed"]
        suspended = [d for d, v in state.versions.items() if v.status == "suspended"]
        found = (proposed or suspended)[-1] if proposed or suspended else None
    if found is None:
        raise WorkflowError(f"{action}: no version to {action} ({state.status})")
    return found
