"""Every input row is used, counted by reason, or rejected; a gap is said, never hidden."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)
from wellclear.formats.result import accounting

DATA = Path(__file__).parent / "data"
PARIS = Path(__file__).parents[1] / "src/wellclear/data/paris_20211007_1320-1330.json.gz"
runner = CliRunner()


def _sum(text: str) -> tuple[int, int, dict[str, int], int]:
    m = re.search(r"input rows (\d+) = (\d+) used \+ (\d+) counted(?: \(([^)]*)\))? \+ (\d+)", text)
    assert m is not None, text
    reasons = {}
    for part in (m[4] or "").split(", "):
        if part:
            name, n = part.rsplit(" ", 1)
            reasons[name] = int(n)
    assert sum(reasons.values()) == int(m[3])
    assert "not accounted for" not in text
    return int(m[1]), int(m[2]), reasons, int(m[5])


def test_the_sum_is_checked() -> None:
    assert accounting(10, 6, 1, {"blank": 3}) == (
        "input rows 10 = 6 used + 3 counted (blank 3) + 1 rejected"
    )
    assert accounting(10, 6, 1, {"blank": 1}).endswith("; 2 rows not accounted for")


def test_detect_accounts_for_every_row() -> None:
    res = runner.invoke(app, ["detect", str(PARIS), "--at", "2021-10-07T13:25:00Z"])
    assert res.exit_code == 0
    rows, used, reasons, rejected = _sum(res.stderr)
    assert rows == 16087 and used == 21 and rejected == 0
    assert rows == used + sum(reasons.values())
    assert reasons["after the snapshot"] > 0 and reasons["earlier reports"] > 0


def test_scan_accounts_for_every_row_in_summary_and_manifest(tmp_path: Path) -> None:
    frames = DATA / "adsb_lfpg_frames_head.csv"
    out = tmp_path / "o"
    res = runner.invoke(
        app, ["scan", str(PARIS), str(frames), "--output", str(out), "--invalid", "skip"]
    )
    assert res.exit_code == 0, res.output
    rows, used, reasons, rejected = _sum(res.output)
    assert rows == used + sum(reasons.values()) + rejected
    assert reasons and rejected > 0  # frames without position, undecodable frames
    body = json.loads((out / "manifest.json").read_text())["rows"]
    assert body["input"] == rows and body["used"] == used and body["rejected"] == rejected
    assert body["counted"] == {k.replace(" ", "_"): v for k, v in reasons.items()}
    assert sum(body["flagged"].values()) > 0  # Paris has taxiing and frozen samples
    assert "left out of the minima as implausible" in res.output
