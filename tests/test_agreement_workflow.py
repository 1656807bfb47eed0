"""The agreement as a signed, versioned document: RFC 8785 canonical form, Ed25519 steps, the
workflow's states, offline verification of a whole history and refusal of tampering, by the
library and by ``wellclear agreement``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wellclear.agreement import Agreement
from wellclear.agreement.canonical import CanonicalError, canonical
from wellclear.agreement.history import History
from wellclear.agreement.signing import generate, public_b64, sign
from wellclear.agreement.workflow import WorkflowError
from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)

KEYS = {p: generate() for p in ("russia", "usa")}


def document(version: int, horizontal: str = "5NM", keys: dict[str, str] | None = None) -> str:
    keys = keys or {p: public_b64(k) for p, k in KEYS.items()}
    return (
        f"id: syria\nversion: {version}\nparties:\n"
        f"  - {{name: russia, state: RUS, key: {keys['russia']}}}\n"
        f"  - {{name: usa, state: USA, key: {keys['usa']}}}\n"
        f"conflicts: {{horizontal: {horizontal}}}\n"
    )


def in_force_history() -> History:
    h = History()
    h.add("draft", "russia", KEYS["russia"], document(1))
    h.add("propose", "russia", KEYS["russia"])
    h.add("counter", "usa", KEYS["usa"], document(2, "3NM"))
    h.add("accept", "russia", KEYS["russia"])
    return h


# --- RFC 8785 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [  # RFC 8785 Appendix B
        (0.0, "0"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9007199254740992.0, "9007199254740992"),
        (295147905179352830000.0, "295147905179352830000"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (333333333.3333333, "333333333.3333333"),
        (-1.5, "-1.5"),
    ],
)
def test_numbers_as_ecmascript_writes_them(number: float, text: str) -> None:
    assert canonical(number).decode() == text


def test_keys_sorted_by_utf16_code_units_and_strings_escaped() -> None:
    # RFC 8785 §3.2.3: the example's order
    data = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\x80": 6, "\xf6": 7}
    order = list(json.loads(canonical(data)))
    assert order == ["\r", "1", "\x80", "\xf6", "\u20ac", "\U0001f600", "\ufb33"]
    assert canonical({"a": 'x"\\\n\x1f'}) == b'{"a":"x\\"\\\\\\n\\u001f"}'
    for bad in (math.nan, math.inf, {1: 2}, object()):
        with pytest.raises(CanonicalError):
            canonical(bad)


def test_digest_ignores_layout_and_defaults_but_not_values() -> None:
    a = Agreement.from_yaml(document(1))
    relaid = Agreement.from_yaml(document(1).replace("conflicts: {horizontal: 5NM}", ""))
    assert a.digest() == relaid.digest()  # 5NM is the default, written out in both
    assert a.digest() != Agreement.from_yaml(document(1, "4NM")).digest()


# --- the workflow -------------------------------------------------------------------------


def test_draft_counter_accept_in_force_suspend_resume_withdraw() -> None:
    h = in_force_history()
    state = h.verify()
    v2 = Agreement.from_yaml(document(2, "3NM")).digest()
    assert state.in_force == v2 and state.status == "in force: version 2"
    assert [v.status for v in state.versions.values()] == ["countered", "in force"]
    h.add("suspend", "russia", KEYS["russia"], reason="the strike of 7 April")
    state = h.verify()
    assert state.in_force is None and state.last_in_force == v2
    assert state.status == "suspended by russia"
    with pytest.raises(WorkflowError, match="not proposed"):
        h.add("accept", "usa", KEYS["usa"])  # only the suspending party lifts it
    h.add("accept", "russia", KEYS["russia"])
    assert h.verify().in_force == v2
    h.add("withdraw", "usa", KEYS["usa"])
    state = h.verify()
    assert state.in_force is None and state.status == "withdrawn by usa"
    with pytest.raises(WorkflowError, match="withdrawn by usa"):
        h.add("draft", "russia", KEYS["russia"], document(3))


def test_rules_refuse_out_of_order_steps() -> None:
    h = History()
    h.add("draft", "russia", KEYS["russia"], document(1))
    with pytest.raises(WorkflowError, match="only its drafter"):
        h.add("propose", "usa", KEYS["usa"])
    h.add("propose", "russia", KEYS["russia"])
    with pytest.raises(WorkflowError, match="gives its reason"):
        h.add("reject", "usa", KEYS["usa"])
    with pytest.raises(WorkflowError, match="version 1 exists already"):
        h.add("counter", "usa", KEYS["usa"], document(1, "3NM"))
    h.add("reject", "usa", KEYS["usa"], reason="5 NM is too far over the Euphrates")
    state = h.verify()
    assert state.in_force is None and state.versions[h.steps[0].digest].status == "rejected"


# --- tampering ----------------------------------------------------------------------------


def test_tampered_document_is_refused_by_name() -> None:
    h = in_force_history()
    digest = h.steps[2].digest
    h.documents[digest] = h.documents[digest].replace("3NM", "1NM")
    with pytest.raises(
        WorkflowError,
        match=r"step 3 \(counter of version 2 by usa\): the "
        r"document of version 2 was changed",
    ):
        h.verify()


def test_tampered_step_and_removed_step_are_refused() -> None:
    h = in_force_history()
    data = h.to_json()
    steps = data["steps"]
    assert isinstance(steps, list)
    steps[3]["t"] = "2015-10-20T00:00:00Z"
    with pytest.raises(WorkflowError, match=r"step 4 .*signature refused"):
        History.from_json(data, "h").verify()
    h = in_force_history()
    del h.steps[1]
    with pytest.raises(WorkflowError, match="expected step 2"):
        h.verify()


def test_signature_by_a_key_not_in_the_agreement_is_refused() -> None:
    intruder = generate()
    h = History()
    h.add("draft", "russia", KEYS["russia"], document(1))
    with pytest.raises(
        WorkflowError,
        match=r"step 2 \(propose of version 1 by russia\): "
        r"signature refused: not made by russia's key",
    ):
        h.add("propose", "russia", intruder)
    step = h.steps[0]
    forged = type(step)(**{**step.body(), "party": "turkey", "signature": ""})
    forged = type(step)(**{**forged.body(), "signature": sign(intruder, forged.message())})
    h.steps[0] = forged
    with pytest.raises(WorkflowError, match="'turkey' is not a party to version 1"):
        h.verify()


# --- the command line ---------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_workflow_and_offline_verify(tmp_path: Path) -> None:
    pubs = {}
    for party in ("russia", "usa"):
        code, out, _ = run("agreement", "keygen", str(tmp_path / f"{party}.pem"))
        assert code == 0
        pubs[party] = out.strip()
    (tmp_path / "v1.yaml").write_text(document(1, keys=pubs))
    (tmp_path / "v2.yaml").write_text(document(2, "3NM", keys=pubs))
    hist = str(tmp_path / "history.json")

    def as_(party: str) -> list[str]:
        return ["--party", party, "--key", str(tmp_path / f"{party}.pem")]

    steps = [
        ["draft", hist, "--document", str(tmp_path / "v1.yaml"), *as_("russia")],
        ["propose", hist, *as_("russia")],
        ["answer", hist, "counter", "--document", str(tmp_path / "v2.yaml"), *as_("usa")],
        ["answer", hist, "accept", *as_("russia")],
        ["suspend", hist, "--reason", "Shayrat", *as_("russia")],
    ]
    for args in steps:
        code, out, err = run("agreement", *args)
        assert code == 0, err
    assert out.endswith("signed; suspended by russia\n")
    code, out, _ = run("agreement", "verify", hist)
    assert (code, out) == (0, f"{hist}: verified, 5 steps; suspended by russia\n")
    code, out, _ = run("agreement", "history", hist)
    assert "russia       suspend  version 2: Shayrat" in out
    assert "version 2: suspended" in out
    data = json.loads(Path(hist).read_text())
    first = next(iter(data["documents"]))
    data["documents"][first] = data["documents"][first].replace("5NM", "6NM")
    Path(hist).write_text(json.dumps(data))
    code, _, err = run("agreement", "verify", hist)
    assert code == 2 and "step 1 (draft of version 1 by russia): the document" in err
    code, _, err = run("agreement", "propose", hist, *as_("usa"))
    assert code == 2 and "was changed" in err
