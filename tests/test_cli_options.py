"""Every option value is checked at the edge: finite, in range, with its unit, inside the data.

Each case ends with exit code 2 and a message naming the option, never a traceback, an endless
loop or a silent empty answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)

runner = CliRunner()

# two aircraft head-on on the equator, reported every 10 s for a minute (2021-10-07T13:30Z on)
HEADER = "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude,callsign,onground"
ROWS = [
    f"{1633613400 + k},{ident},0.0,{lon - sign * k * 0.00116:.5f},128.6,{trk},0.0,6096,6150,"
    f"{ident.upper()},false"
    for k in range(0, 61, 10)
    for ident, lon, sign, trk in (("aaaaaa", 0.0, -1, 90.0), ("bbbbbb", 0.33, 1, 270.0))
]


@pytest.fixture
def states(tmp_path: Path) -> Path:
    path = tmp_path / "s.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n")
    return path


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    assert "Traceback" not in res.output
    return res.exit_code, res.output


def test_the_inputs_are_good(states: Path, tmp_path: Path) -> None:
    """The cases below fail for their option, not for their input."""
    assert _run("detect", str(states))[0] == 0
    assert _run("alert", str(states), "--output", str(tmp_path / "a.csv"))[0] == 0
    zone = tmp_path / "z.geojson"
    zone.write_text(ZONE)
    assert _run("airspace", "check", str(states), "--zones", str(zone))[0] == 0


ZONE = (
    '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Z"},'
    '"geometry":{"type":"Polygon","coordinates":[[[0.1,-0.1],[0.2,-0.1],[0.2,0.1],[0.1,0.1],'
    "[0.1,-0.1]]]}}]}"
)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--at", "nan"], "not a time: 'nan'"),
        (["--at", "inf"], "not a time: 'inf'"),
        (["--at", "1e12"], "outside 1970-2199"),
        (["--at", "2021-10-07T12:00:00Z"], "--at: snapshot time 2021-10-07T12:00:00Z is outside"),
        (["--at", "2021-10-07T14:00:00Z"], "reports from 2021-10-07T13:30:00Z to"),
        (["--max-age", "20"], "--max-age '20' has no unit"),
        (["--max-age", "0s"], "--max-age must be positive"),
        (["--max-age", "2h"], "--max-age '2h' is longer than the limit"),
        (["--lookahead", "-5s"], "--lookahead must be positive"),
        (["--lookahead", "1e9s"], "--lookahead '1e9s' is longer than the limit of 1 h"),
        (["--lookahead", "300"], "--lookahead '300' has no unit"),
        (["--horizontal", "nanm"], "--horizontal"),
        (["--horizontal", "0nm"], "--horizontal must be positive"),
        (["--vertical", "1e9ft"], "--vertical '1e9ft' is larger than the limit of 10000 ft"),
        (["--ownship", "cccccc"], "--ownship: ownship cccccc not in the picture"),
    ],
)
def test_detect_options(states: Path, args: list[str], says: str) -> None:
    code, text = _run("detect", str(states), *args)
    assert code == 2 and says in text, text


def test_an_ownship_in_any_case_of_its_icao_address(states: Path) -> None:
    code, text = _run("detect", str(states), "--ownship", "AAAAAA")
    assert code == 0 and "aaaaaa" in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--start", "nan"], "not a time: 'nan'"),
        (["--end", "inf"], "not a time: 'inf'"),
        (["--end", "1e12"], "outside 1970-2199"),
        (["--start", "2021-10-08T00:00:00Z"], "--end 2021-10-07T13:31:00Z is before --start"),
        (["--start", "2020-01-01T00:00:00Z", "--end", "2020-01-02T00:00:00Z"], "outside the data"),
        (["--start", "1633000000", "--step", "0.1s"], "more than 864,000 steps"),
        (["--step", "0s"], "--step must be positive"),
        (["--step", "1"], "--step '1' has no unit"),
        (["--max-age", "-1s"], "--max-age must be positive"),
    ],
)
def test_alert_options(states: Path, args: list[str], says: str) -> None:
    code, text = _run("alert", str(states), *args)
    assert code == 2 and says in text, text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--max-gap", "0s"], "--max-gap must be positive"),
        (["--lookahead", "-1s"], "--lookahead must be positive"),
        (["--lookahead", "120"], "--lookahead '120' has no unit"),
        (["--at", "nan"], "not a time"),
        (["--at", "2021-10-07T12:00:00Z"], "--at 2021-10-07T12:00:00Z is outside the data"),
    ],
)
def test_airspace_options(states: Path, tmp_path: Path, args: list[str], says: str) -> None:
    zone = tmp_path / "z.geojson"
    zone.write_text(ZONE)
    code, text = _run("airspace", "check", str(states), "--zones", str(zone), *args)
    assert code == 2 and says in text, text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--max-gap", "0s"], "--max-gap must be positive"),
        (["--merge-gap", "-1s"], "--merge-gap must be positive"),
        (["--window", "0s"], "--window must be positive"),
        (["--horizontal", "5"], "--horizontal '5' has no unit"),
    ],
)
def test_scan_options(states: Path, tmp_path: Path, args: list[str], says: str) -> None:
    code, text = _run("scan", str(states), "--output", str(tmp_path / "o"), *args)
    assert code == 2 and says in text, text
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_simulate_needs_units(tmp_path: Path) -> None:
    code, text = _run("simulate", "--output", str(tmp_path / "s.parquet"), "--min-dt", "1")
    assert code == 2 and "--min-dt '1' has no unit" in text


@pytest.mark.parametrize("command", ["detect", "alert", "airspace", "simulate"])
def test_output_paths_are_errors_naming_the_path(
    states: Path, tmp_path: Path, command: str
) -> None:
    zone = tmp_path / "z.geojson"
    zone.write_text(ZONE)
    before = {
        "detect": ["detect", str(states)],
        "alert": ["alert", str(states)],
        "airspace": ["airspace", "check", str(states), "--zones", str(zone)],
        "simulate": ["simulate", "--scenario", "random", "--aircraft", "2", "--duration", "60s"],
    }[command]
    missing = tmp_path / "nowhere" / "out.csv"
    # /proc refuses new files even to root; a directory is not a file
    for target, says in (
        (missing, f"{missing}: no such directory"),
        (tmp_path, f"{tmp_path}: is a directory"),
        (Path("/proc/wellclear-out.csv"), "/proc/wellclear-out.csv: cannot write"),
    ):
        code, text = _run(*before, "--output", str(target))
        assert code == 2 and says in text, (target, text)
    assert not list(tmp_path.glob(".*partial*"))
