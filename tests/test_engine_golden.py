"""Golden files of ``alert --events`` and ``airspace check`` on the bundled Paris sample, the
Python API against the command line, and the engine against the road the commands took before
it (a snapshot per step, the alerter, the level changes), compared in substance: the same rows
and text, numbers within 1e-6.

``WELLCLEAR_WRITE_GOLDEN=1 pytest tests/test_engine_golden.py`` rewrites the golden files.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import wellclear
from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.load import load_all
from wellclear.airspace.now import check_now
from wellclear.alerting.config import preset
from wellclear.alerting.pairs import PairAlerter, level_events
from wellclear.cli import app, commands  # noqa: F401  (registers the commands)
from wellclear.formats.states import read_reports
from wellclear.snapshot import snapshot

PARIS = Path(wellclear.__file__).parent / "data" / "paris_20211007_1320-1330.json.gz"
GOLDEN = Path(__file__).parent / "data" / "golden"
ZONES = GOLDEN / "paris_zones.geojson"
WINDOW = ["--start", "2021-10-07T13:20:00Z", "--end", "2021-10-07T13:24:00Z"]
runner = CliRunner()


def same_in_substance(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """The same columns and rows; text equal, numbers equal within 1e-6 (relative 1e-9)."""
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for c in want.columns:
        a, b = got[c], want[c]
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            np.testing.assert_allclose(
                a.to_numpy(np.float64), b.to_numpy(np.float64), rtol=1e-9, atol=1e-6, err_msg=c
            )
        else:
            assert a.fillna("").astype(str).tolist() == b.fillna("").astype(str).tolist(), c


def _cli(*args: str) -> pd.DataFrame:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return pd.read_csv(io.StringIO(res.stdout))


def _golden(name: str, got: pd.DataFrame) -> None:
    path = GOLDEN / name
    if os.environ.get("WELLCLEAR_WRITE_GOLDEN"):
        got.to_csv(path, index=False)
    same_in_substance(got, pd.read_csv(path))


@pytest.fixture(scope="module")
def events_cli() -> pd.DataFrame:
    return _cli("alert", str(PARIS), "--alerter", "cylinder", "--events", *WINDOW)


@pytest.fixture(scope="module")
def levels_cli() -> pd.DataFrame:
    return _cli("alert", str(PARIS), "--alerter", "cylinder", *WINDOW)


def test_alert_events_golden(events_cli: pd.DataFrame) -> None:
    assert {"raised", "cleared"} <= set(events_cli["event"])
    # each episode: one id from raised to cleared, the same pair throughout
    for _, ep in events_cli.groupby("alert_id"):
        assert ep["event"].iloc[0] == "raised" and ep[["id_1", "id_2"]].nunique().max() == 1
    _golden("paris_alert_events_cylinder.csv", events_cli)


def test_airspace_check_golden() -> None:
    got = _cli("airspace", "check", str(PARIS), "--zones", str(ZONES), "--bind-unknown")
    assert {"inside"} <= set(got["status"])
    _golden("paris_airspace_check.csv", got)


def test_airspace_check_as_before_the_engine() -> None:
    """The command against a snapshot and check_now called by hand (the road it took)."""
    frame = read_reports(PARIS).frame
    snap = snapshot(frame, None, 20.0)
    index = VolumeIndex(load_all([str(ZONES)]))
    from wellclear.airspace.now import NowConfig

    want = check_now(snap.states, index, snap.at, NowConfig(bind_unknown=True))
    got = _cli("airspace", "check", str(PARIS), "--zones", str(ZONES), "--bind-unknown")
    assert got["id"].astype(str).tolist() == want["id"].tolist()
    assert got["status"].tolist() == want["status"].tolist()
    # written to 1 cm
    np.testing.assert_allclose(got["distance_m"], want["distance_m"], rtol=1e-9, atol=0.005)


def test_alert_as_before_the_engine(levels_cli: pd.DataFrame, events_cli: pd.DataFrame) -> None:
    """Levels and events of the engine against a fresh snapshot per step, the alerter and the
    level changes, as ``wellclear alert`` computed them before the engine."""
    frame = read_reports(PARIS).frame
    config = preset("cylinder")
    alerter = PairAlerter(config)
    history: dict[tuple[str, str], int] = {}
    log, rows = [], []
    t0 = 1633612800.0
    for k in range(241):
        now = t0 + k
        states = snapshot(frame, now, 20.0).states
        out = alerter.step(states, now)
        log.extend(level_events(history, out))
        rows.append(out[out["level"] >= 1])
    before = pd.concat(rows).sort_values(["t", "ownship", "intruder"], kind="stable")
    levels = levels_cli
    assert len(levels) == len(before) > 0
    assert levels["id_1"].tolist() == before["ownship"].tolist()
    assert levels["id_2"].tolist() == before["intruder"].tolist()
    assert levels["level"].tolist() == before["level"].tolist()
    np.testing.assert_allclose(levels["t_unix"], before["t"])
    np.testing.assert_allclose(levels["hmd_m"], before["hmd_m"], atol=0.005)  # 2 decimals
    old = pd.DataFrame(log).sort_values(["t", "ownship", "intruder"], kind="stable")
    events = events_cli
    assert events["event"].tolist() == old["event"].tolist()
    assert events["id_1"].tolist() == old["ownship"].tolist()
    assert events["from_level"].tolist() == old["from"].tolist()
    assert events["to_level"].tolist() == old["to"].tolist()


def test_api_equals_the_command_line(events_cli: pd.DataFrame, levels_cli: pd.DataFrame) -> None:
    start, end = WINDOW[1], WINDOW[3]
    api = wellclear.alert(PARIS, alerter="cylinder", events=True, start=start, end=end)
    assert str(api["t"].dtype) == "datetime64[ns, UTC]" or "UTC" in str(api["t"].dtype)
    text = io.StringIO()
    from wellclear.formats.results import write_csv
    from wellclear.schemas import ALERT_EVENTS

    write_csv(api, ALERT_EVENTS, text)
    same_in_substance(pd.read_csv(io.StringIO(text.getvalue())), events_cli)
    levels = wellclear.alert(PARIS, alerter="cylinder", start=start, end=end)
    cli_levels = levels_cli
    assert levels["id_1"].tolist() == cli_levels["id_1"].tolist()
    np.testing.assert_allclose(levels["t_unix"], cli_levels["t_unix"])
    np.testing.assert_allclose(levels["ttv_1"], cli_levels["ttv_1"], atol=5e-4)
    air = wellclear.check_airspace(PARIS, str(ZONES), bind_unknown=True)
    cli_air = _cli("airspace", "check", str(PARIS), "--zones", str(ZONES), "--bind-unknown")
    assert air["id"].tolist() == cli_air["id"].astype(str).tolist()
    np.testing.assert_allclose(air["distance_m"], cli_air["distance_m"], atol=0.005)


def test_api_takes_traffic_and_opensky_tables() -> None:
    """The same answer from the contract, from ``traffic``'s canonical columns, and from an
    object with a ``.data`` frame (``traffic.Traffic``)."""
    frame = read_reports(PARIS).frame
    at = "2021-10-07T13:25:00Z"
    traffic_cols = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(frame["t_row"], unit="s", utc=True),
            "icao24": frame["id"],
            "callsign": frame["callsign"],
            "latitude": frame["lat"],
            "longitude": frame["lon"],
            "altitude": frame["alt_baro_m"] / 0.3048,
            "geoaltitude": frame["alt_geo_m"] / 0.3048,
            "groundspeed": frame["gs_mps"] * 3600 / 1852,
            "track": frame["trk_deg"],
            "vertical_rate": frame["vs_mps"] / 0.3048 * 60,
            "onground": frame["onground"],
        }
    )

    class Traffic:
        data = traffic_cols

    a = wellclear.assess(PARIS, at=at)
    b = wellclear.assess(Traffic(), at=at)
    assert len(a.states) == len(b.states) > 0
    np.testing.assert_allclose(
        a.states.sort_values("id")["lat"], b.states.sort_values("id")["lat"], atol=1e-9
    )
    assert a.alerts[["id_1", "id_2", "level"]].equals(b.alerts[["id_1", "id_2", "level"]])
    c = wellclear.detect_conflicts(traffic_cols, at=at)
    d = wellclear.detect_conflicts(PARIS, at=at)
    assert c.shape == d.shape


def test_api_refuses_a_time_outside_the_data() -> None:
    for call in (
        lambda: wellclear.read_states(PARIS, at="2021-10-07T12:00:00Z"),
        lambda: wellclear.assess(PARIS, at="2021-10-07T12:00:00Z"),
        lambda: wellclear.check_airspace(PARIS, str(ZONES), at="2021-10-07T14:00:00Z"),
        lambda: wellclear.alert(PARIS, start="2021-10-07T14:00:00Z", end="2021-10-07T14:10:00Z"),
    ):
        with pytest.raises(ValueError, match="outside the data"):
            call()


def test_api_scan_equals_the_command(tmp_path: Path) -> None:
    res = runner.invoke(app, ["scan", str(PARIS), "-o", str(tmp_path), "--format", "csv"])
    assert res.exit_code == 0, res.output
    cli = pd.read_csv(tmp_path / "encounters.csv")
    api = wellclear.scan(PARIS)
    assert len(api) == len(cli) > 0
    assert api["id_1"].tolist() == cli["id_1"].astype(str).tolist()
    np.testing.assert_allclose(api["t_unix"], cli["t_unix"])
    assert wellclear.Agreement.builtin("syria2015").party_state()["turkey"] == "TUR"
