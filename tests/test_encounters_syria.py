"""The built-in October 2015 Syria scenario, classified as it was built (issue 5)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from wellclear.cli import app, commands  # noqa: F401
from wellclear.units import NM_M

runner = CliRunner()


def test_syria_scenario_end_to_end(tmp_path: Path) -> None:
    states = tmp_path / "syria.parquet"
    res = runner.invoke(app, ["simulate", "--output", str(states)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            "scan",
            str(states),
            "--output",
            str(out),
            "--zones",
            "sovereign:TUR",
            "--party-state",
            "russia=RUS,turkey=TUR",
        ],
    )
    assert res.exit_code == 0, res.output
    enc = pd.read_parquet(out / "encounters.parquet")
    by_pair = {(r.id_1, r.id_2): r for r in enc.itertuples()}
    # the escort out of Turkish airspace is an intercept by the lead F-16
    assert by_pair[("rus301", "tur161")].primary == "intercept"
    assert "intercept: tur161" in by_pair[("rus301", "tur161")].rules
    # the Su-24s pass within a few miles of the drone: not an intercept
    drone = enc[(enc["id_1"] == "a4f001") & enc["id_2"].str.startswith("rus24")]
    assert len(drone) >= 2
    assert (drone["primary"] == "los").all()
    assert drone["h_min_m"].min() < 3 * NM_M
    # same-party formations are not intercepts
    for pair in (("ae0151", "ae0152"), ("rus241", "rus242"), ("tur161", "tur162")):
        assert "intercept" not in by_pair[pair].classes
    inf = pd.read_parquet(out / "infringements.parquet")
    su30 = inf[inf["id"] == "rus301"]
    assert len(su30) == 1 and 20 < su30.iloc[0]["dwell_s"] < 300


def test_report_is_self_contained(tmp_path: Path) -> None:
    states = tmp_path / "syria.csv"
    assert runner.invoke(app, ["simulate", "--output", str(states)]).exit_code == 0
    out = tmp_path / "out"
    res = runner.invoke(app, ["scan", str(states), "--output", str(out), "--format", "csv"])
    assert res.exit_code == 0, res.output
    html_path = tmp_path / "report.html"
    res = runner.invoke(app, ["report", str(out), "--output", str(html_path), "--max-plots", "3"])
    assert res.exit_code == 0, res.output
    text = html_path.read_text()
    assert text.count("<svg class='curve'") == 3 and text.count("<svg class='map'") == 4
    assert "<script>" in text and "http" not in text.replace("http-equiv", "")
    enc = pd.read_csv(out / "encounters.csv")
    assert all(e in text for e in enc["encounter_id"])
    res = runner.invoke(app, ["report", str(tmp_path), "--output", str(html_path)])
    assert res.exit_code == 2 and "run wellclear scan" in res.output
