"""``wellclear party add|list|revoke`` against a real store."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from wellclear.cli import app, commands  # noqa: F401  (registers the commands)
from wellclear.store import open_store
from wellclear.store.parties import authenticate

runner = CliRunner()


def test_add_list_revoke(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    added = runner.invoke(app, ["party", "add", "russia", "--db", db])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()
    assert added.stdout.count("\n") == 1 and token.startswith("wc_")
    assert "not stored" in added.stderr
    cell = runner.invoke(app, ["party", "add", "cell", "--role", "cell", "--db", db])
    assert cell.exit_code == 0
    store = open_store(db)
    who = authenticate(store, token)
    assert who is not None and who.name == "russia"
    listed = runner.invoke(app, ["party", "list", "--db", db])
    lines = listed.stdout.strip().splitlines()
    assert lines[0] == "name\trole\tadded\trevoked"
    assert [line.split("\t")[:2] for line in lines[1:]] == [["russia", "party"], ["cell", "cell"]]
    assert runner.invoke(app, ["party", "revoke", "russia", "--db", db]).exit_code == 0
    assert authenticate(store, token) is None
    revoked = runner.invoke(app, ["party", "list", "--db", db]).stdout.splitlines()[1]
    assert revoked.split("\t")[3].endswith("Z")
    store.close()


def test_errors_are_named(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    runner.invoke(app, ["party", "add", "turkey", "--db", db])
    again = runner.invoke(app, ["party", "add", "turkey", "--db", db])
    assert again.exit_code == 2 and "exists already" in again.stderr
    role = runner.invoke(app, ["party", "add", "x", "--role", "admin", "--db", db])
    assert role.exit_code == 2 and "--role 'admin'" in role.stderr
    missing = runner.invoke(app, ["party", "revoke", "nobody", "--db", db])
    assert missing.exit_code == 2 and "no party 'nobody'" in missing.stderr
    bad = runner.invoke(app, ["party", "list", "--db", str(tmp_path / "no" / "w.db")])
    assert bad.exit_code == 2 and "does not exist" in bad.stderr


def test_audit_prints_the_log(tmp_path: Path) -> None:
    from wellclear.store.records import audit

    db = str(tmp_path / "w.db")
    store = open_store(db)
    audit(store, "russia", "POST", "/v1/states", 200)
    audit(store, None, "GET", "/v1/alerts", 401, "missing token")
    store.close()
    out = runner.invoke(app, ["audit", "--db", db])
    assert out.exit_code == 0
    lines = out.stdout.strip().splitlines()
    assert lines[0].split("\t") == ["t", "party", "method", "path", "status", "detail"]
    assert [line.split("\t")[1:5] for line in lines[1:]] == [
        ["russia", "POST", "/v1/states", "200"],
        ["-", "GET", "/v1/alerts", "401"],
    ]
    assert "2 requests" in out.stderr
    later = runner.invoke(app, ["audit", "--db", db, "--since", "2199-01-01T00:00:00Z"])
    assert later.exit_code == 0 and len(later.stdout.strip().splitlines()) == 1
    bad = runner.invoke(app, ["audit", "--db", db, "--since", "yesterday"])
    assert bad.exit_code == 2
