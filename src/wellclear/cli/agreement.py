"""``wellclear agreement``: check an agreement document, show it in full, print its schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wellclear.cli import app

if TYPE_CHECKING:
    from wellclear.agreement import Agreement

agreement_app = typer.Typer(
    name="agreement",
    help="The agreed safety procedures (docs/agreement.md): check, show, schema.",
    no_args_is_help=True,
)
app.add_typer(agreement_app, name="agreement")

FileArg = Annotated[Path, typer.Argument(help="Agreement file (YAML) or a built-in name.")]


def _load(file: Path) -> Agreement | None:
    """The agreement of ``file``, or ``None`` after printing each of its problems."""
    from wellclear.agreement import AgreementError
    from wellclear.cli.agreement_option import load_agreement

    try:
        return load_agreement(file)
    except AgreementError as err:
        for problem in err.problems:
            typer.echo(f"wellclear: error: {problem}", err=True)
        return None


@agreement_app.command("check")
def check_command(
    files: Annotated[list[Path], typer.Argument(help="Agreement files (YAML) or built-in names.")],
) -> None:
    """Validate each agreement; print its id, version and digest, or every problem found."""
    failed = False
    for file in files:
        a = _load(file)
        if a is None:
            failed = True
            continue
        typer.echo(
            f"{file}: valid: {a.id} version {a.version}, {len(a.parties)} parties, "
            f"{len(a.airspace.zones)} zones, sharing {a.sharing.level}, sha256 {a.digest()}"
        )
    if failed:
        raise typer.Exit(2)


@agreement_app.command("show")
def show_command(file: FileArg) -> None:
    """Print the agreement with every default written out (quantities as written)."""
    a = _load(file)
    if a is None:
        raise typer.Exit(2)
    typer.echo(a.to_yaml(), nl=False)


@agreement_app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of an agreement document."""
    from wellclear.agreement import json_schema

    typer.echo(json_schema(), nl=False)
