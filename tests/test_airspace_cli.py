"""``wellclear airspace``: check (snapshot and --tracks) and show, every output format."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from wellclear.cli import (
    app,
    commands,  # noqa: F401  (registers the commands)
)
from wellclear.schemas import AIRSPACE_NOW, INFRINGEMENTS
from wellclear.simulate.tracks import straight_track

DATA = Path(__file__).parent / "data"
runner = CliRunner()


@pytest.fixture
def hatay_csv(tmp_path: Path) -> Path:
    tr = straight_track(36.7, 35.85, 310.0, 220.0, 4.0, 500.0, party="russia", callsign="RF1")
    out = pd.DataFrame(
        {
            "time": tr["t"],
            "icao24": "abc123",
            "lat": tr["lat"],
            "lon": tr["lon"],
            "velocity": tr["gs_mps"],
            "heading": tr["trk_deg"],
            "vertrate": 0.0,
            "baroaltitude": tr["alt_m"],
            "geoaltitude": tr["alt_m"],
            "callsign": "RF1",
            "party": "russia",
        }
    )
    path = tmp_path / "hatay.csv"
    out.to_csv(path, index=False)
    return path


def test_tracks_csv_columns_and_values(hatay_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    res = runner.invoke(
        app,
        [
            "airspace",
            "check",
            str(hatay_csv),
            "--tracks",
            "--zones",
            "sovereign:TUR",
            "--party-state",
            "russia=RUS",
            "--output",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    ev = pd.read_csv(out)
    assert list(ev.columns) == INFRINGEMENTS.names
    assert ev["volume"].tolist() == ["sovereign:TUR"]
    assert ev["event"].iloc[0] == "infringement"
    assert ev["t_unix"].iloc[0] == pytest.approx(1_448_000_000 + 183.4, abs=1.0)  # entry
    assert ev["entry_time"].iloc[0].startswith("2015-11-20T06:16:2")  # ISO 8601 in CSV
    assert ev["id"].iloc[0] == "abc123" and ev["callsign"].iloc[0] == "RF1"


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".geojson"])
def test_tracks_other_formats(hatay_csv: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"events{suffix}"
    args = [
        "airspace",
        "check",
        str(hatay_csv),
        "--tracks",
        "--output",
        str(out),
        "--zones",
        str(DATA / "levant_borders.geojson"),
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    if suffix == ".parquet":
        ev = pd.read_parquet(out)
    elif suffix == ".jsonl":
        ev = pd.read_json(out, lines=True)
    else:
        doc = json.loads(out.read_text())
        assert {f["geometry"]["type"] for f in doc["features"]} == {"LineString"}
        ev = pd.DataFrame([f["properties"] for f in doc["features"]])
    assert sorted(ev["volume"]) == ["Syria", "Turkey"]


def test_snapshot_check(hatay_csv: Path) -> None:
    res = runner.invoke(
        app,
        [
            "airspace",
            "check",
            str(hatay_csv),
            "--zones",
            "sovereign:TUR",
            "--zones",
            "sovereign:SYR",
            "--at",
            "1448000100",
            "--lookahead",
            "120s",
            "--party-state",
            "russia=RUS",
        ],
    )
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert lines[0].split(",") == AIRSPACE_NOW.names
    rows = {(r.split(",")[3], r.split(",")[5]) for r in lines[1:]}
    assert rows == {("sovereign:SYR", "inside"), ("sovereign:TUR", "entry")}


def test_show_and_errors(tmp_path: Path) -> None:
    res = runner.invoke(app, ["airspace", "show", "sovereign:TUR"])
    assert res.exit_code == 0, res.output
    assert "sovereign:TUR,sovereign,SFC,UNL" in res.stdout
    bad = tmp_path / "bad.txt"
    bad.write_text("AC R\nAN X\nAL 12 furlongs\nAH UNL\nDP 1:00 N 1:00 E\n")
    res = runner.invoke(app, ["airspace", "show", str(bad)])
    assert res.exit_code == 2
    assert "bad.txt:1:" in res.output
    res = runner.invoke(app, ["airspace", "show", "sovereign:XYZ"])
    assert res.exit_code == 2 and "XYZ" in res.output
