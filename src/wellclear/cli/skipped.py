"""``--invalid error|skip`` and ``--rejects FILE``, as ``detect`` has them, for every command
that reads states: the policy checked, and the skipped rows written where the user said (by
default beside the first input, ``INPUT.rejects.csv``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from wellclear.cli.detect import default_rejects
from wellclear.formats.states import InvalidPolicy, write_rejects

INVALID_HELP = "error (stop) or skip (write rejects)."
REJECTS_HELP = "Where skipped rows go."


def invalid_policy(invalid: str) -> InvalidPolicy:
    """The policy of ``--invalid``; ``ValueError`` naming the option for another value."""
    if invalid not in ("error", "skip"):
        raise ValueError(f"--invalid must be error or skip, not {invalid!r}")
    return "skip" if invalid == "skip" else "error"


def write_skipped(rejects: pd.DataFrame, target: Path | None, inputs: list[str]) -> None:
    """Write the skipped rows (an empty file when none) and say where, as ``detect`` does."""
    path = target or default_rejects(inputs)
    write_rejects(rejects, path)
    if len(rejects):
        typer.echo(f"wellclear: {len(rejects)} rejected row(s) written to {path}", err=True)
