"""The daa and alert commands."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import wellclear.cli.alert  # noqa: F401  (registers the commands)
from wellclear.cli import app

DATA = Path(__file__).parent / "data" / "daidalus"
runner = CliRunner()


def test_daa_writes_daidalus_csv(tmp_path: Path) -> None:
    out = tmp_path / "v600.csv"
    res = runner.invoke(app, ["daa", str(DATA / "V600_0_120.daa"), "--output", str(out)])
    assert res.exit_code == 0, res.output
    mine = out.read_text().splitlines()
    gold = (DATA / "outputs" / "V600_0_120__DO_365B_no_SUM.csv").read_text().splitlines()
    assert mine[:2] == gold[:2] and len(mine) == len(gold)
    assert [m.split(", ")[4] for m in mine] == [g.split(", ")[4] for g in gold]


def test_daa_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.daa"
    bad.write_text("NAME sx sy sz vx vy vz time\nA 1 2 x 4 5 6 7\n")
    res = runner.invoke(app, ["daa", str(bad)])
    assert res.exit_code == 2 and "bad.daa:2" in res.output
    res = runner.invoke(app, ["daa", str(DATA / "H1.daa"), "--alerter", "nope"])
    assert res.exit_code == 2 and "nope" in res.output


def _two_aircraft(path: Path) -> None:
    rows = []
    for t in range(0, 121):
        for ident, lon0, kt, hdg, lat in (
            ("aaaaaa", -74.20, 120, 90.0, 40.67),
            ("bbbbbb", -74.00, 180, 270.0, 40.675),
        ):
            mps = kt * 1852 / 3600
            dlon = np.degrees(mps * t / (6371000 * np.cos(np.radians(lat))))
            rows.append(
                {
                    "time": 1.7e9 + t,
                    "icao24": ident,
                    "lat": lat,
                    "lon": lon0 + (dlon if hdg == 90 else -dlon),
                    "velocity": mps,
                    "heading": hdg,
                    "vertrate": 0.0,
                    "baroaltitude": 4572.0,
                    "geoaltitude": 4600.0,
                    "onground": False,
                }
            )
    pd.DataFrame(rows).to_csv(path, index=False)


def test_alert_levels_and_events(tmp_path: Path) -> None:
    states = tmp_path / "two.csv"
    _two_aircraft(states)
    out = tmp_path / "levels.csv"
    res = runner.invoke(app, ["alert", str(states), "--output", str(out)])
    assert res.exit_code == 0, res.output
    levels = pd.read_csv(out)
    assert set(levels["level"]) <= {1, 2, 3} and levels["level"].max() == 3
    a = levels[levels["id_1"] == "aaaaaa"]["level"].tolist()
    b = levels[levels["id_1"] == "bbbbbb"]["level"].tolist()
    assert a == b  # same alerter both ways: the pair alerts symmetrically
    ev_out = tmp_path / "events.csv"
    res = runner.invoke(app, ["alert", str(states), "--events", "--output", str(ev_out)])
    assert res.exit_code == 0, res.output
    events = pd.read_csv(ev_out)
    first = events[events["id_1"] == "aaaaaa"]["event"].tolist()
    assert first[0] == "raised" and first[-1] == "cleared"
    res = runner.invoke(app, ["alert", str(states), "--step", "0s"])
    assert res.exit_code == 2


def test_alert_start_end_accept_iso_and_unix(tmp_path: Path) -> None:
    states = tmp_path / "two.csv"
    _two_aircraft(states)
    unix = runner.invoke(
        app, ["alert", str(states), "--start", "1700000030", "--end", "1700000090"]
    )
    iso = runner.invoke(
        app,
        ["alert", str(states), "--start", "2023-11-14T22:13:50Z", "--end", "2023-11-14T22:14:50"],
    )
    assert unix.exit_code == 0 and iso.exit_code == 0, iso.output
    levels = pd.read_csv(io.StringIO(unix.stdout))
    assert levels["t_unix"].min() >= 1.7e9 + 30 and levels["t_unix"].max() <= 1.7e9 + 90
    assert unix.stdout == iso.stdout
    bad = runner.invoke(app, ["alert", str(states), "--start", "yesterday"])
    assert bad.exit_code == 2 and "not a time" in bad.stderr
