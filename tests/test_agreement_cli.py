"""``wellclear agreement`` and ``--agreement`` on the commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from wellclear.agreement import Agreement, json_schema
from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_valid_and_invalid(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\nconflicts:\n  horizontal: 5\n  vertical: 1000ft\n")
    code, out, err = run("agreement", "check", "syria2015", str(bad))
    assert code == 2
    digest = Agreement.builtin("syria2015").digest()
    assert out == (
        f"syria2015: valid: syria2015 version 2015-10-20, 3 parties, 1 zones, "
        f"sharing conflicts-only, sha256 {digest}\n"
    )
    assert err.startswith(f"wellclear: error: {bad}:4: conflicts.horizontal: length '5' has no")


def test_show_writes_a_document_that_loads_back(tmp_path: Path) -> None:
    code, out, _ = run("agreement", "show", "syria2015")
    assert code == 0
    again = Agreement.from_yaml(out, base=Agreement.builtin("syria2015").base)
    assert again == Agreement.builtin("syria2015")
    code, _, err = run("agreement", "show", str(tmp_path / "none.yaml"))
    assert code == 2 and "none.yaml: no such file" in err


def test_schema() -> None:
    code, out, _ = run("agreement", "schema")
    assert code == 0 and out == json_schema()
    assert json.loads(out)["title"] == "Agreement"
