"""``wellclear agreement keygen|draft|propose|answer|history|suspend|withdraw|verify``: the
agreement's signed workflow on a history file (:mod:`wellclear.agreement.history`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from wellclear.cli.agreement import agreement_app

if TYPE_CHECKING:
    from wellclear.agreement.history import History
    from wellclear.agreement.workflow import State

HistoryArg = Annotated[Path, typer.Argument(help="History file (JSON) of the agreement.")]
PartyOpt = Annotated[str, typer.Option("--party", help="The party that signs the step.")]
KeyOpt = Annotated[Path, typer.Option("--key", help="The party's Ed25519 private key (PEM).")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (reject, suspend...).")]


def _fail(err: Exception) -> typer.Exit:
    typer.echo(f"wellclear: error: {err}", err=True)
    return typer.Exit(2)


def _step(
    history: Path,
    action: str,
    party: str,
    key: Path,
    document: Path | None = None,
    reason: str | None = None,
    new: bool = False,
) -> None:
    from wellclear.agreement.history import History
    from wellclear.agreement.signing import SigningKeyError, load_private
    from wellclear.agreement.source import AgreementError
    from wellclear.agreement.workflow import WorkflowError

    try:
        if new and history.exists():
            raise WorkflowError(f"{history}: exists already (draft starts a history)")
        h = History(base=history.resolve().parent) if new else History.load(history)
        text = None if document is None else document.read_text(encoding="utf-8")
        step = h.add(action, party, load_private(key), text, reason)
        h.save(history)
        state = h.verify()
    except (WorkflowError, AgreementError, SigningKeyError, OSError) as err:
        raise _fail(err) from None
    typer.echo(f"{history}: {step.label()} signed; {state.status}")


@agreement_app.command("keygen")
def keygen_command(
    out: Annotated[Path, typer.Argument(help="Private key file to write (PEM).")],
) -> None:
    """Make an Ed25519 key pair: the private key to OUT, the public key (for the agreement's
    ``parties[].key``) printed."""
    from wellclear.agreement.signing import generate, private_pem, public_b64

    if out.exists():
        raise _fail(FileExistsError(f"{out}: exists already"))
    key = generate()
    out.write_bytes(private_pem(key))
    out.chmod(0o600)
    typer.echo(public_b64(key))


@agreement_app.command("draft")
def draft_command(
    history: HistoryArg,
    document: Annotated[Path, typer.Option("--document", help="The agreement (YAML).")],
    party: PartyOpt,
    key: KeyOpt,
) -> None:
    """Start a history with a draft version, signed by its drafter."""
    _step(history, "draft", party, key, document, new=True)


@agreement_app.command("propose")
def propose_command(history: HistoryArg, party: PartyOpt, key: KeyOpt) -> None:
    """Propose the draft to the other parties."""
    _step(history, "propose", party, key)


@agreement_app.command("answer")
def answer_command(
    history: HistoryArg,
    answer: Annotated[Literal["accept", "reject", "counter"], typer.Argument()],
    party: PartyOpt,
    key: KeyOpt,
    reason: ReasonOpt = None,
    document: Annotated[
        Path | None, typer.Option("--document", help="counter: the new version (YAML).")
    ] = None,
) -> None:
    """Answer the proposed version: accept, reject (--reason) or counter (--document)."""
    if answer == "counter" and document is None:
        raise _fail(ValueError("counter: --document gives the new version"))
    _step(history, answer, party, key, document, reason)


@agreement_app.command("suspend")
def suspend_command(
    history: HistoryArg, party: PartyOpt, key: KeyOpt, reason: ReasonOpt = None
) -> None:
    """Suspend the version in force (the party's own accept lifts it)."""
    _step(history, "suspend", party, key, reason=reason)


@agreement_app.command("withdraw")
def withdraw_command(
    history: HistoryArg, party: PartyOpt, key: KeyOpt, reason: ReasonOpt = None
) -> None:
    """Withdraw from the agreement: it ends."""
    _step(history, "withdraw", party, key, reason=reason)


def _verified(history: Path) -> tuple[History, State]:
    from wellclear.agreement.history import History
    from wellclear.agreement.workflow import WorkflowError

    try:
        h = History.load(history)
        return h, h.verify()
    except WorkflowError as err:
        raise _fail(err) from None


@agreement_app.command("history")
def history_command(history: HistoryArg) -> None:
    """Print every step (verified) and the state of each version."""
    h, state = _verified(history)
    for s in h.steps:
        why = f": {s.reason}" if s.reason else ""
        typer.echo(f"{s.seq:>3}  {s.t}  {s.party:<12} {s.action:<8} version {s.version}{why}")
    for v in state.versions.values():
        typer.echo(f"version {v.version}: {v.status} (sha256 {v.digest})")
    typer.echo(state.status)


@agreement_app.command("verify")
def verify_command(history: HistoryArg) -> None:
    """Check a whole history offline: documents' hashes, the chain, every signature."""
    _h, state = _verified(history)
    typer.echo(f"{history}: verified, {state.steps} steps; {state.status}")
