"""``wellclear scan`` end to end: formats, windows, Dask, zones, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from wellclear.cli import (
    app,
    commands,  # noqa: F401
)
from wellclear.formats.results import read_result, text_frame
from wellclear.schemas import ENCOUNTERS, EVIDENCE
from wellclear.simulate.flights import Follow, Leg, Plan, fly, sample

T0 = 1_444_000_000.0
runner = CliRunner()


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plans: list[Plan | Follow] = [
        Plan("tgt", "blue", T0, 36.0, 38.0, 6000.0, 200.0, 90.0, (Leg(1500.0),)),
        Follow(
            "icp",
            "red",
            "tgt",
            (
                (T0, 180.0, 20_000.0, 0.0),
                (T0 + 300, 180.0, 900.0, 50.0),
                (T0 + 1300, 200.0, 900.0, 50.0),
                (T0 + 1400, 90.0, 16_000.0, 0.0),
            ),
        ),
        Plan("x", "green", T0 + 200, 36.05, 38.2, 6100.0, 180.0, 180.0, (Leg(900.0),)),
    ]
    frame = sample(fly(plans, dt=1.0), seed=3)
    d = tmp_path_factory.mktemp("in")
    frame.to_parquet(d / "states.parquet", index=False)
    frame.to_csv(d / "states.csv", index=False)
    # a hive-partitioned copy in two files
    shuffled = frame.sample(frac=1.0, random_state=2)
    half = len(shuffled) // 2
    for k, part in enumerate([shuffled.iloc[:half], shuffled.iloc[half:]]):
        (d / f"hive/part={k}").mkdir(parents=True)
        part.to_parquet(d / f"hive/part={k}/data.parquet", index=False)
    return d


def run(*args: str) -> pd.DataFrame:
    res = runner.invoke(app, ["scan", *args])
    assert res.exit_code == 0, res.output
    out = Path(args[args.index("--output") + 1])
    fmt = args[args.index("--format") + 1] if "--format" in args else "parquet"
    return read_result(out / f"encounters.{fmt}", ENCOUNTERS)


def key(enc: pd.DataFrame) -> list[tuple[str, str, str, float]]:
    """Encounters in substance: id, class, airprox and minimum distance to 0.1 m (CSV and
    JSON keep metres to 1 cm)."""
    enc = enc.assign(airprox=enc["airprox"].fillna(""))
    return [(r.encounter_id, r.primary, r.airprox, round(r.h_min_m, 1)) for r in enc.itertuples()]


def test_scan_formats_windows_and_dask_agree(states: Path, tmp_path: Path) -> None:
    base = run(str(states / "states.parquet"), "--output", str(tmp_path / "a"))
    assert "intercept" in set(base["primary"])
    assert (tmp_path / "a/evidence.parquet").exists()
    same = [
        run(str(states / "states.csv"), "--output", str(tmp_path / "b"), "--format", "csv"),
        run(str(states / "hive"), "--output", str(tmp_path / "c"), "--window", "5min"),
        run(
            str(states / "hive"),
            "--output",
            str(tmp_path / "s"),
            "--sort",
            "always",
            "--window",
            "4min",
        ),
        run(str(states / "states.parquet"), "--output", str(tmp_path / "d"), "--format", "json"),
        # one window at a time, and five at once
        run(
            str(states / "hive"),
            "--output",
            str(tmp_path / "w1"),
            "--window",
            "3min",
            "--workers",
            "1",
        ),
        run(
            str(states / "hive"),
            "--output",
            str(tmp_path / "w5"),
            "--window",
            "3min",
            "--workers",
            "5",
        ),
        run(
            str(states / "states.parquet"),
            "--output",
            str(tmp_path / "e"),
            "--dask",
            "--window",
            "7min",
        ),
    ]
    for other in same:
        assert key(other) == key(base)


def test_scan_minima_options(states: Path, tmp_path: Path) -> None:
    tight = run(
        str(states / "states.parquet"),
        "--output",
        str(tmp_path / "t"),
        "--horizontal",
        "0.3nm",
        "--vertical",
        "100ft",
    )
    assert "los" not in set(tight["classes"].str.split(",").sum())


def test_scan_with_zones(states: Path, tmp_path: Path) -> None:
    run(str(states / "states.parquet"), "--output", str(tmp_path / "z"), "--zones", "sovereign:SYR")
    assert (tmp_path / "z/infringements.parquet").exists()


def test_bad_inputs_name_file_and_line(states: Path, tmp_path: Path) -> None:
    text = (states / "states.csv").read_text().splitlines()
    fields = text[5].split(",")
    fields[4] = "north"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*text[:5], ",".join(fields), *text[6:20]]) + "\n")
    res = runner.invoke(app, ["scan", str(bad), "--output", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert f"{bad}:6:" in res.output
    res = runner.invoke(
        app, ["scan", str(bad), "--output", str(tmp_path / "o"), "--invalid", "skip"]
    )
    assert res.exit_code == 0, res.output
    rejects = pd.read_csv(tmp_path / "o/rejects.csv")
    assert rejects["line"].tolist() == [6]
    assert rejects["column"].iloc[0] == "lat" and "not a number" in rejects["reason"].iloc[0]
    trunc = tmp_path / "trunc.parquet"
    trunc.write_bytes((states / "states.parquet").read_bytes()[:3000])
    res = runner.invoke(app, ["scan", str(trunc), "--output", str(tmp_path / "p")])
    assert res.exit_code == 2 and "trunc.parquet" in res.output
    res = runner.invoke(app, ["scan", str(tmp_path / "none.csv"), "--output", str(tmp_path)])
    assert res.exit_code == 2 and "no such file" in res.output
    res = runner.invoke(app, ["scan", str(bad), "--output", str(tmp_path), "--horizontal", "5"])
    assert res.exit_code == 2 and "no unit" in res.output
    res = runner.invoke(app, ["scan", str(bad), "--output", str(tmp_path), "--workers", "-1"])
    assert res.exit_code == 2 and "--workers -1" in res.output


def test_feeds_are_read_and_bad_lines_named(tmp_path: Path) -> None:
    data = Path(__file__).parent / "data"
    res = runner.invoke(
        app, ["scan", str(data / "adsb_lfpg_frames_head.csv"), "--output", str(tmp_path / "f")]
    )
    assert res.exit_code == 0, res.output
    assert "rows, 0 encounters" in res.output
    sbs = tmp_path / "bad.sbs"
    sbs.write_text(
        "MSG,3,1,1,4CA2D6,1,2021/10/07,13:20:00.000,2021/10/07,13:20:00.000,,35000,,,48.9,2.5,"
        ",,0,,0,0\n"
        "MSG,3,1,1,4CA2D6,1,2021/10/07,13:20:05.000,2021/10/07,13:20:05.000,,35000,,,north,2.5,"
        ",,0,,0,0\n"
    )
    res = runner.invoke(app, ["scan", str(sbs), "--output", str(tmp_path / "s")])
    assert res.exit_code == 2
    assert f"{sbs}:2:" in res.output


def _evidence(path: Path) -> pd.DataFrame:
    """The evidence at the precision CSV and JSON keep (text_frame: times as ISO text)."""
    ev = text_frame(read_result(path, EVIDENCE), EVIDENCE)
    cols = ["encounter_id", "id", "t", "lat", "lon", "alt_m", "flag"]
    ev = ev[cols].assign(flag=ev["flag"].astype(object).where(ev["flag"].notna(), ""))
    ev = ev.astype({"encounter_id": str, "id": str, "flag": str})
    return ev.sort_values(["encounter_id", "id", "t"]).reset_index(drop=True)


def test_streamed_evidence_equals_the_dask_evidence(states: Path, tmp_path: Path) -> None:
    """The evidence written batch by batch (one window at a time, every format) holds the same
    rows as the evidence the Dask path gathers in memory; encounters the same."""
    src = str(states / "states.parquet")
    ref_enc = run(src, "--output", str(tmp_path / "dask"), "--dask", "--window", "6min")
    ref = _evidence(tmp_path / "dask/evidence.parquet")
    assert len(ref) > 20 and ref["encounter_id"].nunique() > 1
    for fmt in ("parquet", "csv", "json"):
        out = tmp_path / f"w-{fmt}"
        enc = run(src, "--output", str(out), "--window", "3min", "--format", fmt)
        assert key(enc) == key(ref_enc)
        got = _evidence(out / f"evidence.{fmt}")
        pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("how", ["streamed", "sorted", "csv", "mixed"])
def test_quality_columns_reach_the_airprox_grade_on_every_input_path(
    tmp_path: Path, how: str
) -> None:
    """A near miss between two aircraft whose positions are known to 185 m (NACp 7) only is
    graded D (data quality cannot decide), and the evidence keeps ``nacp``, whichever way the
    scan reads the files: streamed by row group, sorted out of core, CSV, or Parquet with the
    quality column beside a CSV without it (NULL there)."""
    from wellclear.geo import extrapolate

    a = Plan("a", "x", T0, 36.0, 38.0, 3000.0, 150.0, 90.0, (Leg(600.0),))
    lat, lon, _ = extrapolate(
        np.array([36.0]), np.array([38.0]), np.array([90.0]), np.array([45_000.0])
    )
    s_lat, s_lon, _ = extrapolate(lat, lon + 0.0004, np.array([180.0]), np.array([45_000.0]))
    b = Plan("b", "y", T0, float(s_lat[0]), float(s_lon[0]), 3020.0, 150.0, 0.0, (Leg(600.0),))
    frame = sample(fly([a, b]), seed=0).sort_values("t").assign(nacp=7)
    files = []
    if how == "mixed":  # the far aircraft in a CSV without nacp, before the near miss
        far = frame[frame["id"] == "a"].assign(id="far", lat=lambda f: f["lat"] + 3.0)
        far = far.drop(columns="nacp")
        far.to_csv(tmp_path / "far.csv", index=False)
        files.append(str(tmp_path / "far.csv"))
    if how == "csv":
        frame.to_csv(tmp_path / "s.csv", index=False)
        files.append(str(tmp_path / "s.csv"))
    else:
        frame.to_parquet(tmp_path / "s.parquet", index=False)
        files.append(str(tmp_path / "s.parquet"))
    sort = ["--sort", "always"] if how in ("sorted", "mixed") else []
    enc = run(*files, "--output", str(tmp_path / "out"), *sort)
    assert enc["primary"].tolist() == ["nmac"]
    assert enc["airprox"].tolist() == ["D"]
    assert enc["position_uncertainty_m"].iloc[0] == pytest.approx(2 * 185.2)
    ev = pd.read_parquet(tmp_path / "out/evidence.parquet")
    assert len(ev) > 0 and (pd.to_numeric(ev["nacp"]) == 7).all()


def _console(*args: str) -> subprocess.CompletedProcess[str]:
    """The console entry point in a process of its own (it ends with ``os._exit``)."""
    code = "import sys; from wellclear.cli import main; sys.argv[0] = 'wellclear'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300
    )


def test_console_entry_point_flushes_and_exits_with_the_code(states: Path, tmp_path: Path) -> None:
    """The process ends without the interpreter's teardown: its files and messages are whole
    and its exit code is the command's."""
    src = str(states / "states.parquet")
    done = _console("scan", src, "--output", str(tmp_path / "p"))
    assert done.returncode == 0, done.stderr
    assert "wellclear scan:" in done.stderr and "encounters" in done.stderr
    assert key(pd.read_parquet(tmp_path / "p/encounters.parquet")) == key(
        run(src, "--output", str(tmp_path / "r"))
    )
    assert len(pd.read_parquet(tmp_path / "p/evidence.parquet")) > 20
    bad = _console("scan", src, "--output", str(tmp_path / "q"), "--workers", "-1")
    assert bad.returncode == 2 and "--workers -1" in bad.stderr
    usage = _console("scan")  # click's usage error
    assert usage.returncode == 2 and "Missing argument" in usage.stderr
    text = subprocess.run(
        [sys.executable, "-c", "from wellclear.cli import leave; print('out'); leave('why')"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (text.returncode, text.stdout, text.stderr) == (1, "out\n", "why\n")
