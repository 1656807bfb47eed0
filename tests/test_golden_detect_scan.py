"""Golden files for ``wellclear detect`` and ``wellclear scan`` on the bundled data.

The Paris sample (OpenSky, bundled) and the simulated Syria 2015 scenario
(``wellclear simulate --scenario syria2015``) are run through the commands and compared in
substance with the files in ``tests/data/golden/`` (the same pairs and encounters in the same
order, the same text, classes and flags, numbers within one unit of the last decimal written):
so that a refactor that changes what the commands find fails here. When a change is meant,
``WELLCLEAR_WRITE_GOLDEN=1 pytest tests/test_golden_detect_scan.py`` rewrites the files (and
the diff shows what changed). The files were first checked against the outputs of the commands
before the result contracts (renamed columns, the same rows, numbers within the CSV precision).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from substance import assert_same_substance
from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)
from wellclear.formats.results import read_result, write_result
from wellclear.schemas import CONFLICTS, ENCOUNTERS, EVIDENCE, INFRINGEMENTS, Schema

PARIS = Path(__file__).parents[1] / "src/wellclear/data/paris_20211007_1320-1330.json.gz"
GOLDEN = Path(__file__).parent / "data" / "golden"
WRITE = os.environ.get("WELLCLEAR_WRITE_GOLDEN") == "1"
runner = CliRunner()

DETECT = {
    "detect_paris_1325": ("paris", "--at", "2021-10-07T13:25:00Z"),
    "detect_paris_1330": ("paris", "--at", "2021-10-07T13:30:00Z"),
    "detect_paris_wide": (
        "paris",
        "--at",
        "2021-10-07T13:28:00Z",
        "--horizontal",
        "10nm",
        "--vertical",
        "2000ft",
    ),
    "detect_syria_0820": ("syria", "--at", "1443860400", "--horizontal", "10nm"),
    "detect_syria_0830": ("syria", "--at", "1443861000", "--horizontal", "10nm"),
    "detect_syria_0840": ("syria", "--at", "1443861600", "--horizontal", "10nm"),
}
SCAN: dict[str, tuple[str, ...]] = {
    "paris": ("paris",),
    "syria": ("syria", "--zones", "sovereign:TUR", "--party-state", "russia=RUS,turkey=TUR"),
}
SCAN_TABLES = {
    "paris": (("encounters", ENCOUNTERS),),
    "syria": (("encounters", ENCOUNTERS), ("evidence", EVIDENCE), ("infringements", INFRINGEMENTS)),
}


def run(*args: str) -> None:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    syria = tmp_path_factory.mktemp("syria") / "syria.parquet"
    run("simulate", "--scenario", "syria2015", "--output", str(syria))
    return {"paris": str(PARIS), "syria": str(syria)}


def _portable(frame: pd.DataFrame) -> pd.DataFrame:
    """The evidence's input file by its name only (the test's inputs live in a temporary
    directory)."""
    if "source" not in frame.columns:
        return frame
    names = [None if pd.isna(s) else Path(str(s)).name for s in frame["source"]]
    return frame.assign(source=pd.Series(names, dtype=object, index=frame.index))


def compare(got: Path, name: str, schema: Schema) -> None:
    golden = GOLDEN / f"{name}.csv"
    frame = _portable(read_result(got, schema))
    if WRITE:
        write_result(frame, schema, golden, "csv")
    want = read_result(golden, schema)
    assert len(want) > 0, f"{golden}: a golden file with no rows checks nothing"
    assert_same_substance(frame, want, schema, name)


@pytest.mark.parametrize("name", sorted(DETECT))
def test_detect_golden(inputs: dict[str, str], tmp_path: Path, name: str) -> None:
    source, *options = DETECT[name]
    out = tmp_path / f"{name}.csv"
    run("detect", inputs[source], *options, "--output", str(out))
    compare(out, name, CONFLICTS)


@pytest.mark.parametrize("name", sorted(SCAN))
def test_scan_golden(inputs: dict[str, str], tmp_path: Path, name: str) -> None:
    source, *options = SCAN[name]
    out = tmp_path / "scan"
    run("scan", inputs[source], "--output", str(out), "--format", "csv", *options)
    for table, schema in SCAN_TABLES[name]:
        compare(out / f"{table}.csv", f"scan_{name}_{table}", schema)


def test_substance_is_not_vacuous(inputs: dict[str, str], tmp_path: Path) -> None:
    """Another snapshot, other minima or a moved number are told apart from the golden file."""
    want = read_result(GOLDEN / "detect_paris_1330.csv", CONFLICTS)
    out = tmp_path / "other.csv"
    run("detect", inputs["paris"], "--at", "2021-10-07T13:25:00Z", "--output", str(out))
    with pytest.raises(AssertionError):
        assert_same_substance(read_result(out, CONFLICTS), want, CONFLICTS, "other snapshot")
    moved = want.assign(dcpa_m=want["dcpa_m"] + 0.5)
    with pytest.raises(AssertionError):
        assert_same_substance(moved, want, CONFLICTS, "moved by 0.5 m")
