"""``alert`` and ``airspace check`` account for every input row as ``detect`` does
(``input rows N = U used + C counted (reasons) + R rejected``), take ``--invalid error|skip``
and ``--rejects FILE``, and say on stderr why a result is empty because of a setting."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)

PARIS = Path(__file__).parents[1] / "src/wellclear/data/paris_20211007_1320-1330.json.gz"
T0 = 1_633_613_000
runner = CliRunner()
LINE = re.compile(
    r"input rows (\d+) = (\d+) used \+ (\d+) counted(?: \(([^)]*)\))? \+ (\d+) rejected(;[^;]*"
    r"not accounted for)?"
)


def accounted(output: str) -> tuple[int, int, dict[str, int], int]:
    """``(input, used, counted by reason, rejected)`` of a summary; the sum checked."""
    found = LINE.search(output)
    assert found, output
    rows, used, counted, why, rejected, gap = found.groups()
    assert gap is None, output
    reasons = {}
    for part in (why or "").split(", "):
        if part:
            name, value = part.rsplit(" ", 1)
            reasons[name] = int(value)
    assert sum(reasons.values()) == int(counted)
    assert int(rows) == int(used) + int(counted) + int(rejected)
    return int(rows), int(used), reasons, int(rejected)


def bad_file(tmp_path: Path) -> Path:
    """OpenSky rows: 4 good reports of two aircraft, a blank line, an exact repeat and three
    invalid rows (altitude 1e9 m, a latitude of 95, a duplicate with another position)."""
    head = "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude,onground"
    rows = [
        f"{T0},abc123,48.0,2.0,200,90,0,6000,6050,false",
        f"{T0 + 5},abc123,48.0,2.01,200,90,0,6000,6050,false",
        f"{T0},def456,48.0,2.1,200,270,0,6000,6050,false",
        f"{T0 + 5},def456,48.0,2.09,200,270,0,6000,6050,false",
        "",
        f"{T0 + 5},def456,48.0,2.09,200,270,0,6000,6050,false",  # exact repeat
        f"{T0 + 6},abc123,48.0,2.02,200,90,0,1e9,6050,false",
        f"{T0 + 6},def456,95.0,2.08,200,270,0,6000,6050,false",
        f"{T0 + 3},ABC123,48.3,2.0,200,90,0,6000,6050,false",  # same as the next, elsewhere
        f"{T0 + 3},abc123,48.0,2.005,200,90,0,6000,6050,false",
    ]
    path = tmp_path / "bad.csv"
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    return path


def test_alert_accounts_for_every_paris_row() -> None:
    res = runner.invoke(app, ["alert", str(PARIS), "--step", "10s"])
    assert res.exit_code == 0, res.output
    rows, used, reasons, rejected = accounted(res.stderr)
    assert rows == 16087 and rejected == 0 and used > 0
    assert "between steps" in reasons  # Paris reports come more often than every 10 s
    assert "0 alerts (level >= 1)" in res.stderr


def test_alert_start_and_end_count_the_rows_outside() -> None:
    res = runner.invoke(
        app,
        ["alert", str(PARIS), "--start", "2021-10-07T13:24:00Z", "--end", "2021-10-07T13:25:00Z"],
    )
    assert res.exit_code == 0, res.output
    _, _, reasons, _ = accounted(res.stderr)
    assert reasons["before the start"] > 0 and reasons["after the end"] > 0


def test_alert_invalid_skip_writes_rejects(tmp_path: Path) -> None:
    path = bad_file(tmp_path)
    res = runner.invoke(app, ["alert", str(path)])
    assert res.exit_code == 2 and f"{path}:8: field baroaltitude" in res.output
    target = tmp_path / "skipped.csv"
    res = runner.invoke(app, ["alert", str(path), "--invalid", "skip", "--rejects", str(target)])
    assert res.exit_code == 0, res.output
    rows, used, reasons, rejected = accounted(res.stderr)
    assert (rows, rejected) == (10, 4) and reasons["blank"] == 1 and reasons["repeats"] == 1
    assert used == 4  # every good report is an aircraft's state at one step of 1 s
    assert pd.read_csv(target)["line"].tolist() == [8, 9, 10, 11]
    assert f"4 rejected row(s) written to {target}" in res.stderr
    res = runner.invoke(app, ["alert", str(path), "--invalid", "maybe"])
    assert res.exit_code == 2 and "--invalid must be error or skip" in res.output


def test_alert_says_why_no_report_was_usable(tmp_path: Path) -> None:
    path = tmp_path / "ground.csv"
    head = "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude,onground"
    path.write_text(f"{head}\n{T0},abc123,48.0,2.0,5,90,0,100,150,true\n")
    res = runner.invoke(app, ["alert", str(path)])
    assert res.exit_code == 0, res.output
    assert "no report was usable at any step" in res.stderr
    _, used, reasons, _ = accounted(res.stderr)
    assert used == 0 and reasons == {"unusable at every step": 1}


@pytest.mark.parametrize("mode", [[], ["--tracks"]])
def test_airspace_check_accounts_for_every_paris_row(mode: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    res = runner.invoke(
        app, ["airspace", "check", str(PARIS), *mode, "--zones", "sovereign:FRA", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    rows, used, reasons, rejected = accounted(res.stderr)
    assert rows == 16087 and rejected == 0 and used > 0
    if not mode:
        assert "earlier reports" in reasons and "on ground" in reasons


@pytest.mark.parametrize("mode", [[], ["--tracks"]])
def test_airspace_check_invalid_skip(mode: list[str], tmp_path: Path) -> None:
    path = bad_file(tmp_path)
    args = ["airspace", "check", str(path), *mode, "--zones", "sovereign:FRA"]
    res = runner.invoke(app, [*args, "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2 and f"{path}:8: field baroaltitude" in res.output
    res = runner.invoke(app, [*args, "-o", str(tmp_path / "o.csv"), "--invalid", "skip"])
    assert res.exit_code == 0, res.output
    rows, used, reasons, rejected = accounted(res.stderr)
    assert (rows, rejected) == (10, 4) and reasons["blank"] == 1
    assert used == (4 if mode else 2)  # tracks: every report; snapshot: the latest of each
    assert pd.read_csv(f"{path}.rejects.csv")["line"].tolist() == [8, 9, 10, 11]


def test_airspace_check_says_why_nothing_was_checked(tmp_path: Path) -> None:
    path = tmp_path / "ground.csv"
    head = "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude,onground"
    rows = [f"{T0},abc123,48.0,2.0,5,90,0,100,150,true", f"{T0},def456,48.0,2.1,5,90,0,100,150,1"]
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    out = tmp_path / "o.csv"
    res = runner.invoke(
        app, ["airspace", "check", str(path), "--zones", "sovereign:FRA", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "no aircraft checked at" in res.stderr and "all 2 are stale" in res.stderr
    _, used, reasons, _ = accounted(res.stderr)
    assert used == 0 and reasons == {"on ground": 2}
