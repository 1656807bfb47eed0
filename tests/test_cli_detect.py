"""``wellclear detect`` from the command line: every input schema, missing and invalid values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from wellclear import detect_conflicts, read_states
from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)
from wellclear.schemas import CONFLICTS
from wellclear.units import FPM_MPS, FT_M, KT_MPS

PARIS = (
    Path(__file__).parents[1] / "src" / "wellclear" / "data" / "paris_20211007_1320-1330.json.gz"
)
runner = CliRunner()
T0 = 1_633_613_400  # 2021-10-07T13:30:00Z


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["detect", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


# Two aircraft head-on 20 NM apart on the equator at FL200, 250 kt each, plus one far away.
OPENSKY = (
    (
        "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude,callsign,onground,"
        "lastposupdate\n"
    )
    + """1633613400,AAAAAA,0.0,0.0,128.6111,90.0,0.0,6096.0,6150.0,ALPHA,false,1633613400
1633613400,bbbbbb,0.0,0.33307,128.6111,270.0,0.0,6096.0,6150.0,BRAVO,false,1633613400
1633613400,cccccc,40.0,0.0,128.6111,270.0,0.0,6096.0,6150.0,CHARLIE,false,1633613400
"""
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_opensky_historical_csv(tmp_path: Path) -> None:
    code, out, err = run(str(write(tmp_path, "s.csv", OPENSKY)))
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert list(table.id_1) == ["aaaaaa"] and list(table.id_2) == ["bbbbbb"]
    assert table.tcpa_s[0] == pytest.approx(20 * 1852 / (2 * 128.6111), rel=2e-3)
    assert "3 aircraft used" in err and "1 conflicts" in err


def test_opensky_rest_names(tmp_path: Path) -> None:
    rest = OPENSKY.replace(
        "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude,callsign,onground,lastposupdate",
        "last_contact,icao24,latitude,longitude,velocity,true_track,vertical_rate,baro_altitude,geo_altitude,callsign,on_ground,time_position",
    )
    code, out, err = run(str(write(tmp_path, "rest.csv", rest)))
    assert code == 0, err
    assert out.count("\n") == 2


def traffic_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "timestamp": [
                "2021-10-07T13:29:58",
                "2021-10-07T13:29:59Z",
                "2021-10-07 13:30:00+00:00",
            ],
            "icao24": ["aaaaaa", "bbbbbb", "cccccc"],
            "latitude": [0.0, 0.0, 40.0],
            "longitude": [0.0, 0.33307, 0.0],
            "altitude": [20000.0, 20000.0, 20000.0],
            "groundspeed": [250.0, 250.0, 250.0],
            "track": [90.0, 270.0, 270.0],
            "vertical_rate": [0.0, 0.0, 0.0],
            "callsign": ["A", "B", "C"],
        }
    )


def test_traffic_csv_iso_times_and_ages(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    traffic_frame().to_csv(path, index=False)
    code, out, err = run(str(path))
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert table.age_1_s[0] == pytest.approx(2.0) and table.age_2_s[0] == pytest.approx(1.0)


def test_traffic_json_collection_parquet_and_stdin(tmp_path: Path) -> None:
    frame = traffic_frame()
    frame["timestamp"] = (
        pd.to_datetime(frame.timestamp, utc=True, format="ISO8601").astype("int64") // 10**6
    )
    records = tmp_path / "t.json"
    records.write_text(json.dumps(frame.to_dict(orient="records")))
    parquet = tmp_path / "t.parquet"
    frame.to_parquet(parquet)
    outs = []
    for args, stdin in (
        ([str(records)], None),
        ([str(parquet)], None),
        (["-"], frame.to_csv(index=False)),
    ):
        code, out, err = run(*args, stdin=stdin)
        assert code == 0, err
        outs.append(out)
    tables = [pd.read_csv(pd.io.common.StringIO(o)) for o in outs]
    assert len(tables[0]) == 1
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other, rtol=1e-9)


def test_output_formats(tmp_path: Path) -> None:
    src = write(tmp_path, "s.csv", OPENSKY)
    for ext in ("csv", "jsonl", "parquet"):
        target = tmp_path / f"out.{ext}"
        code, _, err = run(str(src), "--output", str(target))
        assert code == 0, err
        table = (
            pd.read_csv(target)
            if ext == "csv"
            else pd.read_json(target, lines=True)
            if ext == "jsonl"
            else pd.read_parquet(target)
        )
        assert list(table.columns) == CONFLICTS.names
        assert len(table) == 1


def test_missing_values_filled_from_earlier_reports(tmp_path: Path) -> None:
    # a's position (t-4), altitude (t-3) and velocity (t-1) come in separate reports
    text = """timestamp,icao24,latitude,longitude,altitude,groundspeed,track,vertical_rate
1633613396,aaaaaa,0.0,0.0,,,,
1633613397,aaaaaa,,,20000,,,
1633613399,aaaaaa,,,,250,90,0
1633613400,bbbbbb,0.0,0.33307,20000,250,270,0
1633613370,cccccc,1.0,1.0,20000,250,270,0
1633613400,cccccc,,,,250,270,0
"""
    code, out, err = run(str(write(tmp_path, "gaps.csv", text)))
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert list(table.id_1) == ["aaaaaa"]
    assert table.age_1_s[0] == pytest.approx(4.0)  # extrapolated from the time of its position
    # c's position is 30 s older than its latest report: not filled, c is incomplete
    assert "2 aircraft used" in err and "1 incomplete" in err


def test_stale_and_ground_are_counted(tmp_path: Path) -> None:
    text = OPENSKY + "1633613300,dddddd,0.0,0.1,100,90,0,6096,6150,OLD,false,1633613300\n"
    text += "1633613400,eeeeee,0.0,0.2,10,90,0,0,0,GND,true,1633613400\n"
    code, _, err = run(str(write(tmp_path, "s.csv", text)))
    assert code == 0
    assert "3 aircraft used, 1 stale, 0 incomplete, 1 on ground, 0 rejected" in err


@pytest.mark.parametrize(
    ("bad_line", "column", "reason"),
    [
        ("1633613400,dddddd,abc,0.0,100,90,0,6096,6150,X,false,1633613400", "lat", "not a number"),
        ("1633613400,dddddd,NaN,0.0,100,90,0,6096,6150,X,false,1633613400", "lat", "explicit NaN"),
        ("1633613400,dddddd,0.0,0.0,inf,90,0,6096,6150,X,false,1633613400", "velocity", "infinite"),
        (
            "1633613400,dddddd,91.0,0.0,100,90,0,6096,6150,X,false,1633613400",
            "lat",
            "latitude outside",
        ),
        (
            "1633613400,dddddd,0.0,-180.5,100,90,0,6096,6150,X,false,1633613400",
            "lon",
            "longitude outside",
        ),
        (
            "1633613400,dddddd,0.0,0.0,-1,90,0,6096,6150,X,false,1633613400",
            "velocity",
            "negative speed",
        ),
        (
            "1633613400,dddddd,0.0,0.0,100,90,0,6096,6150,X,maybe,1633613400",
            "onground",
            "not a boolean",
        ),
    ],
)
def test_invalid_values_stop_with_file_line_column(
    tmp_path: Path, bad_line: str, column: str, reason: str
) -> None:
    path = write(tmp_path, "bad.csv", OPENSKY + bad_line + "\n")
    code, out, err = run(str(path))
    assert code == 2 and out == ""
    assert f"{path}:5: field {column}:" in err and reason in err
    # with --invalid skip the row is written out with its line and reason, the rest goes on
    rejects = tmp_path / "rej.csv"
    code, out, err = run(str(path), "--invalid", "skip", "--rejects", str(rejects))
    assert code == 0 and "1 rejected" in err and out.count("\n") == 2
    table = pd.read_csv(rejects)
    assert list(table.line) == [5] and list(table.column) == [column] and reason in table.reason[0]


def test_skip_default_rejects_path(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", OPENSKY + "x,dddddd,0,0,1,1,1,1,1,X,false,x\n")
    code, _, _ = run(str(path), "--invalid", "skip")
    assert code == 0
    assert pd.read_csv(tmp_path / "bad.csv.rejects.csv").line.tolist() == [5]


def test_missing_required_column(tmp_path: Path) -> None:
    text = OPENSKY.replace(",velocity,", ",speed,")
    code, _, err = run(str(write(tmp_path, "nocol.csv", text)))
    assert code == 2 and "nocol.csv:1: field velocity" in err and "missing required" in err


@pytest.mark.parametrize("option", ["--horizontal", "--vertical", "--lookahead"])
def test_bare_numbers_are_refused(tmp_path: Path, option: str) -> None:
    code, _, err = run(str(write(tmp_path, "s.csv", OPENSKY)), option, "5")
    assert code == 2 and "no unit" in err


def test_units_are_converted(tmp_path: Path) -> None:
    src = str(write(tmp_path, "s.csv", OPENSKY))
    _, a, _ = run(src, "--horizontal", "9.26km", "--vertical", "304.8m", "--lookahead", "5min")
    _, b, _ = run(src)
    assert a == b
    _, c, _ = run(src, "--lookahead", "30s")
    assert c.count("\n") == 1  # header only: t_in is about 108 s


def test_party_labels_between_parties_and_warning(tmp_path: Path) -> None:
    frame = pd.read_csv(pd.io.common.StringIO(OPENSKY))
    frame["party"] = ["red", "red", "blue"]
    extra = frame.iloc[[0]].assign(time=1633613390, lastposupdate=1633613390, party="blue")
    path = tmp_path / "p.csv"
    pd.concat([extra, frame]).to_csv(path, index=False)
    code, out, err = run(str(path), "--between-parties")
    assert code == 0 and out.count("\n") == 1  # a and b are both red
    assert "aaaaaa carries several party labels: blue, red" in err


def test_paris_snapshot_cli_equals_api() -> None:
    code, out, err = run(str(PARIS), "--at", "2021-10-07T13:30:00Z")
    assert code == 0, err
    cli = pd.read_csv(pd.io.common.StringIO(out), dtype={"id_1": str, "id_2": str})
    api = detect_conflicts(read_states(PARIS, at="2021-10-07 13:30"))
    assert len(api) >= 1
    assert list(cli.id_1) == list(api.id_1) and list(cli.id_2) == list(api.id_2)
    # CSV keeps seconds to 1 ms and metres to 1 cm (wellclear.schemas.DECIMALS)
    np.testing.assert_allclose(cli.t_in_s, api.t_in_s, rtol=0, atol=5e-4)
    np.testing.assert_allclose(cli.dcpa_m, api.dcpa_m, rtol=0, atol=5e-3)


def test_read_states_units_and_counts() -> None:
    states = read_states(PARIS, at=T0)
    assert states.attrs["counts"]["used"] == len(states) > 10
    assert (states.t == T0).all() and (states.age_s >= 0).all() and (states.age_s <= 20).all()
    raw = pd.read_json(PARIS, dtype=False)
    row = states.iloc[0]
    mine = raw[raw.icao24 == row.id].iloc[-1]
    assert row.gs_mps == pytest.approx(mine.groundspeed * KT_MPS, rel=1e-9) or row.age_s > 0
    assert abs(row.vs_mps) <= 6000 * FPM_MPS and row.alt_m > 0
    assert row.alt_src == "baro"
    assert row.alt_baro_m == pytest.approx(row.alt_m) and row.alt_m < 45000 * FT_M


def test_states_contract_is_an_input_schema(tmp_path: Path) -> None:
    from wellclear.simulate.snapshots import box_traffic

    states = box_traffic(300, side_m=100_000.0, seed=2, level=False)
    path = tmp_path / "contract.csv"
    states.drop(columns=["age_s"]).to_csv(path, index=False)
    code, out, err = run(str(path), "--at", "0")
    assert code == 0, err
    cli = pd.read_csv(pd.io.common.StringIO(out), dtype={"id_1": str, "id_2": str})
    api = detect_conflicts(states)
    assert len(api) > 5
    assert list(cli.id_1) == list(api.id_1) and list(cli.id_2) == list(api.id_2)
    np.testing.assert_allclose(cli.t_in_s, api.t_in_s, rtol=0, atol=5e-4)


def test_short_states_contract_with_one_altitude(tmp_path: Path) -> None:
    from wellclear.simulate.snapshots import box_traffic

    states = box_traffic(200, side_m=80_000.0, seed=3, level=False)
    short = states[["id", "t", "lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps"]]
    full = detect_conflicts(states)
    assert len(full) > 5
    # straight into the detector, and through the reader
    pd.testing.assert_frame_equal(
        detect_conflicts(short).drop(columns=["party_1", "party_2", "callsign_1", "callsign_2"]),
        full.drop(columns=["party_1", "party_2", "callsign_1", "callsign_2"]),
    )
    path = tmp_path / "short.parquet"
    short.to_parquet(path)
    via_reader = detect_conflicts(read_states(path, at=0.0))
    assert list(via_reader.id_1) == list(full.id_1) and list(via_reader.id_2) == list(full.id_2)
    with pytest.raises(ValueError, match="lacks column"):
        detect_conflicts(short.drop(columns=["alt_m"]))


def test_each_altitude_is_extrapolated_from_its_own_time(tmp_path: Path) -> None:
    # geometric altitude only at t-10, barometric at t: baro must not be moved by 10 s of climb
    text = (
        "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude,lastposupdate\n"
        "1633613390,aaaaaa,0.0,0.0,100,90,10,3000,3050,1633613390\n"
        "1633613400,aaaaaa,0.0,0.01,100,90,10,3100,,1633613400\n"
    )
    states = read_states(write(tmp_path, "alt.csv", text), at=1633613400)
    row = states.iloc[0]
    assert row.alt_baro_m == pytest.approx(3100.0)
    assert row.alt_geo_m == pytest.approx(3050.0 + 10 * 10.0)
