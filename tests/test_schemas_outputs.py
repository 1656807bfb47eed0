"""Every command's output against its result contract (:mod:`wellclear.schemas`).

Each command is run on the bundled Paris sample or the simulated Syria 2015 scenario in each
output format it writes; every column of the output must be in its schema, in its order, with
the documented dtype (Parquet) or written form (CSV, JSON: ISO 8601 times, numbers with at
most the contract's decimals, booleans), and every schema column must be there.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from substance import written_problems
from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)
from wellclear.schemas import (
    AIRSPACE_NOW,
    ALERT_EVENTS,
    ALERTS,
    CONFLICTS,
    ENCOUNTERS,
    EVIDENCE,
    INFRINGEMENTS,
    REJECTS,
    Schema,
)
from wellclear.states import STATES_COLUMNS

PARIS = Path(__file__).parents[1] / "src/wellclear/data/paris_20211007_1320-1330.json.gz"
ZONES = ["--zones", "sovereign:TUR", "sovereign:SYR", "--party-state", "russia=RUS,turkey=TUR"]
runner = CliRunner()


def run(*args: str) -> None:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output


@pytest.fixture(scope="module")
def syria(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("syria") / "syria.parquet"
    run("simulate", "--scenario", "syria2015", "--output", str(path))
    frame = pd.read_parquet(path)
    assert list(frame.columns) == list(STATES_COLUMNS)  # simulate writes the states contract
    return path


def assert_contract(path: Path, schema: Schema) -> None:
    assert path.exists(), path
    problems = written_problems(path, schema)
    assert not problems, f"{path.name} against {schema.name}: {problems}"


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_detect(tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"conflicts.{ext}"
    run(
        "detect", str(PARIS), "--at", "2021-10-07T13:28:00Z", "--horizontal", "10nm", "-o", str(out)
    )
    assert_contract(out, CONFLICTS)


def test_detect_rejects(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    src.write_text(
        "id,t,lat,lon,alt_m,gs_mps,trk_deg,vs_mps\n"
        "a,100,0.0,0.0,3000,200,90,0\n"
        "b,100,95.0,0.0,3000,200,270,0\n"  # latitude out of range
        "c,100,0.0,0.05,3000,200,270,0\n"
    )
    rejects = tmp_path / "rejects.csv"
    run("detect", str(src), "--invalid", "skip", "--rejects", str(rejects))
    assert_contract(rejects, REJECTS)


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_scan(syria: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "scan"
    run("scan", str(syria), "--output", str(out), "--format", fmt, *ZONES)
    for name, schema in (
        ("encounters", ENCOUNTERS),
        ("evidence", EVIDENCE),
        ("infringements", INFRINGEMENTS),
    ):
        assert_contract(out / f"{name}.{fmt}", schema)


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet", "geojson"])
def test_airspace_check(syria: Path, tmp_path: Path, ext: str) -> None:
    now = tmp_path / f"now.{ext}"
    run("airspace", "check", str(syria), *ZONES, "--at", "1443860400", "-o", str(now))
    assert_contract(now, AIRSPACE_NOW)
    tracks = tmp_path / f"tracks.{ext}"
    run("airspace", "check", str(syria), "--tracks", *ZONES, "-o", str(tracks))
    assert_contract(tracks, INFRINGEMENTS)


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_alert(tmp_path: Path, ext: str) -> None:
    span = ["--alerter", "cylinder", "--start", "2021-10-07T13:25:00Z"]
    levels = tmp_path / f"alerts.{ext}"
    run("alert", str(PARIS), *span, "--end", "2021-10-07T13:25:10Z", "-o", str(levels))
    assert_contract(levels, ALERTS)
    events = tmp_path / f"events.{ext}"
    run("alert", str(PARIS), *span, "--end", "2021-10-07T13:26:00Z", "--events", "-o", str(events))
    assert_contract(events, ALERT_EVENTS)


def test_the_check_fails_on_a_wrong_file(tmp_path: Path) -> None:
    """The contract check is not vacuous: a column renamed, a time as unix seconds, 17 digits,
    a missing column are each found."""
    good = tmp_path / "good.csv"
    run("detect", str(PARIS), "--at", "2021-10-07T13:30:00Z", "-o", str(good))
    frame = pd.read_csv(good, dtype=str, keep_default_na=False)
    assert written_problems(good, CONFLICTS) == []
    cases = {
        "renamed": frame.rename(columns={"id_1": "id1"}),
        "unix": frame.assign(t=frame["t_unix"]),
        "digits": frame.assign(dcpa_m="1234.56789012345678"),
        "missing": frame.drop(columns=["los"]),
        "order": frame[[*frame.columns[1:], frame.columns[0]]],
    }
    for name, bad in cases.items():
        path = tmp_path / f"{name}.csv"
        bad.to_csv(path, index=False)
        assert written_problems(path, CONFLICTS), name


def test_engine_airspace_events(syria: Path) -> None:
    """The live engine's airspace episodes (what the service will publish) in their contract:
    every column documented, none missing, on the Syria scenario's incursions."""
    import numpy as np

    from wellclear.airspace.index import VolumeIndex
    from wellclear.airspace.load import load_all
    from wellclear.airspace.now import NowConfig
    from wellclear.airspace.volume import parse_party_state
    from wellclear.engine.assess import EngineSettings
    from wellclear.engine.engine import Engine
    from wellclear.schemas import AIRSPACE_EVENTS, check, conform

    mapping = parse_party_state("russia=RUS,turkey=TUR")
    settings = EngineSettings(
        zones=VolumeIndex(load_all(["sovereign:TUR"])),
        now=NowConfig(party_state=mapping),
    )
    engine = Engine(settings)
    engine.ingest(pd.read_parquet(syria))
    parts = [engine.step(float(t)).airspace_events for t in 1443859200.0 + np.arange(0, 1800, 10)]
    events = pd.concat([p for p in parts if len(p)], ignore_index=True)
    assert {"entered", "exited"} <= set(events["event"])
    conformed = conform(events, AIRSPACE_EVENTS)
    assert check(conformed, AIRSPACE_EVENTS) == []
    assert conformed["t_unix"].tolist() == events["t"].tolist()
