"""``wellclear report`` on the renamed scan outputs: every format read back through the
contracts, and a directory of the old pair naming refused with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)

runner = CliRunner()


@pytest.fixture(scope="module")
def syria(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("syria") / "syria.parquet"
    res = runner.invoke(app, ["simulate", "--scenario", "syria2015", "--output", str(path)])
    assert res.exit_code == 0, res.output
    return path


def scan(syria: Path, out: Path, fmt: str) -> None:
    res = runner.invoke(app, ["scan", str(syria), "--output", str(out), "--format", fmt])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_report_reads_every_format(syria: Path, tmp_path: Path, fmt: str) -> None:
    scan(syria, tmp_path / "scan", fmt)
    html = tmp_path / "report.html"
    res = runner.invoke(
        app, ["report", str(tmp_path / "scan"), "-o", str(html), "--max-plots", "2"]
    )
    assert res.exit_code == 0, res.output
    text = html.read_text()
    assert "data-count='encounters'>9<" in text and "2015-10-03 08:10:00 UTC" in text
    assert text.count("<svg class='curve'") == 2 and "callsign 1" in text and "RSD241" in text


def test_report_refuses_the_old_pair_naming(syria: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan"
    scan(syria, out, "csv")
    path = out / "encounters.csv"
    header, body = path.read_text().split("\n", 1)
    old = header.replace("_1", "_i").replace("_2", "_j")  # same length: the manifest still fits
    assert len(old) == len(header) and "id_i" in old
    path.write_text(old + "\n" + body)
    res = runner.invoke(app, ["report", str(out), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2
    assert "earlier wellclear" in res.output and "run wellclear scan again" in res.output
