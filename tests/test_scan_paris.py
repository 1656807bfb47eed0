"""The real Paris sample (OpenSky via ``traffic``): sane encounters, the same with --dask."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from wellclear.cli import app, commands  # noqa: F401
from wellclear.encounters.tracks import FLAGS
from wellclear.units import FT_M

PARIS = Path(__file__).parents[1] / "src/wellclear/data/paris_20211007_1320-1330.json.gz"
runner = CliRunner()


def scan(out: Path, *extra: str) -> pd.DataFrame:
    res = runner.invoke(app, ["scan", str(PARIS), "--output", str(out), *extra])
    assert res.exit_code == 0, res.output
    return pd.read_parquet(out / "encounters.parquet")


def test_paris_sample_sane_and_same_with_dask(tmp_path: Path) -> None:
    enc = scan(tmp_path / "a")
    assert 5 <= len(enc) <= 100
    # airborne only: aircraft reported on the ground take no part
    ev = pd.read_parquet(tmp_path / "a/evidence.parquet")
    assert set(ev["flag"].fillna("")) <= set(FLAGS)
    assert (enc["slant_min_m"] >= enc["h_min_m"] - 1e-6).all()
    assert (enc["duration_s"] > 0).all() and (enc["t_min"] >= enc["start"]).all()
    assert not enc["primary"].isin(["nmac", "intercept"]).any()  # one party: no intercepts
    assert ev["source"].str.endswith(".json.gz").all() and (ev["line"] > 1).all()
    dask = scan(tmp_path / "b", "--dask", "--window", "3min")
    pd.testing.assert_frame_equal(enc, dask)
    terminal = scan(tmp_path / "c", "--terminal")
    assert len(terminal) < len(enc)
    assert (terminal["alt_1_m"] > -500 * FT_M).all()
