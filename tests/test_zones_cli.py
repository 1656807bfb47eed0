"""``--zones A B C`` after one flag, and the warnings of ``scan --zones`` and ``airspace check``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from wellclear.cli import (
    app,
    commands,  # noqa: F401  (registers the commands)
)
from wellclear.cli.zones_option import spread_zones
from wellclear.simulate.tracks import straight_track

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_spread_zones() -> None:
    assert spread_zones(["s.csv", "--zones", "a", "b", "--tracks", "c"]) == [
        "s.csv",
        "--zones",
        "a",
        "--zones",
        "b",
        "--tracks",
        "c",
    ]
    assert spread_zones(["--zones=a", "b", "--zones", "c"]) == [
        "--zones=a",
        "--zones",
        "b",
        "--zones",
        "c",
    ]
    # the value of --zones is taken even if it looks like an option; -- ends the spreading
    assert spread_zones(["--zones", "-odd", "b", "--", "c"]) == [
        "--zones",
        "-odd",
        "--zones",
        "b",
        "--",
        "c",
    ]
    assert spread_zones(["--zones"]) == ["--zones"]


@pytest.fixture
def hatay(tmp_path: Path) -> Path:
    """A Russian-party track out of Syria into Turkey (Hatay), and an unmapped party."""
    a = straight_track(36.7, 35.85, 310.0, 220.0, 4.0, 500.0, party="russia", callsign="RF1")
    b = straight_track(
        36.7, 35.85, 310.0, 220.0, 4.0, 500.0, id="b", party="wagner", callsign="RF2"
    )
    path = tmp_path / "hatay.parquet"
    pd.concat([a, b], ignore_index=True).to_parquet(path)
    return path


@pytest.fixture
def openair(tmp_path: Path) -> Path:
    p = tmp_path / "r.txt"
    p.write_text("AC R\nAN R-HATAY\nAL SFC\nAH FL300\nV X=36:10 N 036:10 E\nDC 3\n")
    return p


def test_check_takes_several_zones_after_one_flag(hatay: Path, openair: Path, tmp_path: Path):
    out = tmp_path / "ev.csv"
    args = ["airspace", "check", str(hatay), "--tracks", "--party-state", "russia=RUS"]
    zones = [str(DATA / "levant_borders.geojson"), str(openair), "sovereign:TUR"]
    res = runner.invoke(app, [*args, "--zones", *zones, "--output", str(out)])
    assert res.exit_code == 0, res.output
    got = set(pd.read_csv(out)["volume"])
    # the repeated-flag form gives the same
    out2 = tmp_path / "ev2.csv"
    rep = [x for z in zones for x in ("--zones", z)]
    res = runner.invoke(app, [*args, *rep, "--output", str(out2)])
    assert res.exit_code == 0, res.output
    assert got == set(pd.read_csv(out2)["volume"])
    assert {"Turkey", "Syria", "R-HATAY", "sovereign:TUR"} <= got
    # the unmapped party is warned about
    assert "party 'wagner' is not mapped to a state" in res.stderr


def test_scan_zones_several_files_and_warns_unmapped(hatay: Path, openair: Path, tmp_path: Path):
    out = tmp_path / "scan"
    res = runner.invoke(
        app,
        [
            "scan",
            str(hatay),
            "--output",
            str(out),
            "--format",
            "csv",
            "--zones",
            "sovereign:TUR",
            str(openair),
            "--party-state",
            "russia=RUS",
        ],
    )
    assert res.exit_code == 0, res.output
    ev = pd.read_csv(out / "infringements.csv")
    assert {"sovereign:TUR", "R-HATAY"} <= set(ev["volume"])
    assert "warning: party 'wagner' is not mapped to a state" in res.stderr
    assert "russia" not in res.stderr


@pytest.mark.parametrize(
    ("zones", "message"),
    [("sovereign:", "no state code"), ("sovereign:FR", "did you mean FRA")],
)
def test_zone_errors_on_the_command_line(hatay: Path, zones: str, message: str) -> None:
    res = runner.invoke(app, ["airspace", "check", str(hatay), "--zones", zones])
    assert res.exit_code == 2 and message in res.stderr
