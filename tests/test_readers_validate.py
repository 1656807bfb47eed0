"""The one road for states: every file type a reader meets, the physical limits, duplicates and
ICAO case, each ending in ``FILE:LINE: field NAME: reason`` or a reject, never a traceback."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wellclear.formats.errors import StatesInputError
from wellclear.formats.states import read_reports
from wellclear.formats.validate import LIMITS, RowChecker, check_states, normalise_ids

HEADER = "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude,callsign"
T = 1_633_613_400


def row(ident: str, **over: object) -> str:
    values: dict[str, object] = {
        "time": T,
        "icao24": ident,
        "lat": 1.0,
        "lon": 2.0,
        "velocity": 100.0,
        "heading": 90.0,
        "vertrate": 0.0,
        "baroaltitude": 6000.0,
        "geoaltitude": 6100.0,
        "callsign": "X",
    }
    values.update(over)
    return ",".join(str(v) for v in values.values())


def csv_file(tmp_path: Path, *rows: str, name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def first_error(path: Path | str) -> str:
    with pytest.raises(StatesInputError) as info:
        read_reports(path)
    return str(info.value)


@pytest.mark.parametrize(
    ("over", "field", "reason"),
    [
        ({"baroaltitude": 1e9}, "baroaltitude", "altitude outside [-1500, 40000] m"),
        ({"geoaltitude": -5000}, "geoaltitude", "altitude outside"),
        ({"vertrate": 1e5}, "vertrate", "vertical rate beyond +-300 m/s"),
        ({"velocity": 3000}, "velocity", "ground speed above 1500 m/s"),
        ({"lat": 95}, "lat", "latitude outside +-90"),
        ({"lon": 540}, "lon", "longitude outside +-180"),
        ({"time": 0}, "time", "more than 366 days from the data's median time"),
        ({"time": 4.2e9}, "time", "more than 366 days"),
    ],
)
def test_physical_limits_name_file_line_field(
    tmp_path: Path, over: dict[str, object], field: str, reason: str
) -> None:
    path = csv_file(tmp_path, row("aaaaaa"), row("bbbbbb", **over), row("cccccc"))
    message = first_error(path)
    assert message.startswith(f"{path}:3: field {field}:") and reason in message
    skipped = read_reports(path, invalid="skip")
    assert list(skipped.frame["id"]) == ["aaaaaa", "cccccc"]
    assert skipped.rejects["line"].tolist() == [3]
    assert skipped.counts["rows"] == 3 == skipped.counts["states"] + skipped.counts["rejected"]


def test_limits_are_inclusive_and_missing_is_not_invalid() -> None:
    check = RowChecker(3)
    top = np.array([LIMITS.alt_max_m, np.nan, LIMITS.alt_min_m])
    check_states(check, {"alt_m": top, "vs_mps": np.array([300.0, -300.0, np.nan])})
    assert not check.bad.any()
    check_states(check, {"alt_m": np.nextafter(top, np.inf)})
    assert check.bad.tolist() == [True, False, False]


def test_states_contract_values_are_validated(tmp_path: Path) -> None:
    """The contract (what simulate writes) takes the same checks as every schema."""
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "t": [T] * 4,
            "lat": [1.0, 95.0, 1.0, 1.0],
            "lon": [1.0, 1.0, 540.0, 1.0],
            "alt_baro_m": [1000.0, 1000.0, 1000.0, np.inf],
            "alt_geo_m": np.nan,
            "gs_mps": [100.0, 100.0, 100.0, -5.0],
            "trk_deg": 0.0,
            "vs_mps": 0.0,
        }
    )
    path = tmp_path / "c.parquet"
    frame.to_parquet(path)
    result = read_reports(path, invalid="skip")
    assert result.frame["id"].tolist() == ["a"]
    assert result.rejects["column"].tolist() == ["lat", "lon", "alt_baro_m"]


def test_duplicate_reports_are_reported_not_resolved_by_order(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        row("aaaaaa"),
        row("AAAAAA", lat=1.5),  # the same ICAO address in upper case
        row("bbbbbb"),
        row("bbbbbb"),  # an exact repeat: counted, one kept
        row("Drone1"),
        row("drone1", lat=1.5),  # not an ICAO address: another aircraft
    )
    message = first_error(path)
    assert f"{path}:2: field icao24: duplicate report: aircraft aaaaaa" in message
    assert "also at line 3" in message
    result = read_reports(path, invalid="skip")
    assert result.rejects["line"].tolist() == [2, 3]
    assert sorted(result.frame["id"]) == ["Drone1", "bbbbbb", "drone1"]
    assert result.counts["repeats"] == 1
    assert result.counts["rows"] == 6 == 3 + 1 + 2


def test_icao_addresses_compare_case_insensitively_other_ids_do_not() -> None:
    ids = np.array(["4CA2D6", "4ca2d6", "N123AB", "Abcdef0", "abcDEF"], dtype=object)
    assert normalise_ids(ids).tolist() == ["4ca2d6", "4ca2d6", "N123AB", "Abcdef0", "abcdef"]


def test_ragged_lines_quoted_newlines_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                row("aaaaaa"),
                row("bbbbbb") + ",extra",
                row("cccccc", callsign='"two\nlines"'),
                "",
                row("dddddd", lat="north"),
            ]
        )
        + "\n"
    )
    message = first_error(path)
    assert message.startswith(f"{path}:3: field fields: expected 10 fields")
    result = read_reports(path, invalid="skip")
    # the quoted newline makes the row two physical lines: the next rows keep their lines
    assert result.rejects["line"].tolist() == [3, 7]
    assert result.rejects["column"].tolist() == ["fields", "lat"]
    assert result.frame["line"].tolist() == [2, 4]
    assert result.counts == {"rows": 5, "blank": 1, "states": 2, "rejected": 2}


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: b"\xef\xbb\xbf" + text.encode(),  # byte-order mark
        lambda text: text.replace("\n", "\r").encode(),  # CR-only line ends
        lambda text: text.replace("\n", "\r\n").encode(),
    ],
)
def test_bom_and_line_ends(tmp_path: Path, encode: object) -> None:
    text = "\n".join([HEADER, row("aaaaaa"), row("bbbbbb", lat=95)]) + "\n"
    path = tmp_path / "e.csv"
    path.write_bytes(encode(text))  # type: ignore[operator]
    assert first_error(path).startswith(f"{path}:3: field lat:")
    assert read_reports(path, invalid="skip").frame["id"].tolist() == ["aaaaaa"]


def test_non_utf8_line_is_rejected_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    body = [HEADER, row("aaaaaa"), row("bbbbbb", callsign="CAF\xc9"), row("cccccc")]
    path.write_bytes(("\n".join(body) + "\n").encode("latin-1"))
    message = first_error(path)
    assert message.startswith(f"{path}:3:") and "not UTF-8" in message
    result = read_reports(path, invalid="skip")
    assert result.frame["id"].tolist() == ["aaaaaa", "cccccc"]
    assert result.counts["rows"] == 3


@pytest.mark.parametrize("names", [("lat", "lat"), ("lat", "LAT"), ("lat", " Lat ")])
def test_duplicate_column_names(tmp_path: Path, names: tuple[str, str]) -> None:
    path = tmp_path / "d.csv"
    path.write_text(HEADER + f",{names[1]}\n" + row("aaaaaa") + ",3\n")
    message = first_error(path)
    assert message.startswith(f"{path}:1: field lat: duplicate column name")


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    records = [{"timestamp": T, "icao24": "aaaaaa", "latitude": 1.0}] * 200
    data = gzip.compress(json.dumps(records).encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) // 2])
    message = first_error(path)
    assert message.startswith(f"{path}:") and "truncated or corrupt gzip" in message


def test_random_bytes_are_a_typed_error(tmp_path: Path) -> None:
    noise = np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    for suffix in (".csv", ".parquet", ".json", ".json.gz", ".jsonl"):
        path = tmp_path / f"noise{suffix}"
        path.write_bytes(noise)
        assert first_error(path).startswith(str(path))


def test_json_booleans_and_objects_where_numbers_belong(tmp_path: Path) -> None:
    good = {
        "timestamp": T,
        "icao24": "aaaaaa",
        "latitude": 1.0,
        "longitude": 2.0,
        "altitude": 30000,
        "groundspeed": 400,
        "track": 90,
        "vertical_rate": 0,
    }
    records = [good, {**good, "icao24": "bbbbbb", "latitude": True}]
    records.append({**good, "icao24": "cccccc", "altitude": {"ft": 3}})
    path = tmp_path / "j.json"
    path.write_text(json.dumps(records))
    assert first_error(path).startswith(f"{path}:2: field latitude: not a number: a boolean")
    result = read_reports(path, invalid="skip")
    assert result.rejects["line"].tolist() == [2, 3]  # records counted from 1
    assert "not a number" in result.rejects["reason"].iloc[1]
    # a whole column of booleans is refused too
    path.write_text(json.dumps([{**good, "longitude": False}]))
    assert "field longitude: not a number: a boolean" in first_error(path)


@pytest.mark.parametrize(
    ("column", "array", "reason"),
    [
        ("lat", pa.array([True, False]), "not a number: a boolean"),
        ("lat", pa.array([b"\x01", b"\x02"]), "not a number"),
        ("lat", pa.array([[1.0], [2.0]]), "not a number"),
        ("lat", pa.array([{"a": 1}, {"a": 2}]), "not a number"),
        ("lat", pa.array([pd.Timestamp("2021-01-01")] * 2), "not a number"),
    ],
)
def test_parquet_column_types(tmp_path: Path, column: str, array: pa.Array, reason: str) -> None:
    table = pa.table(
        {
            "id": ["a", "b"],
            "t": [float(T), float(T)],
            "lat": [1.0, 2.0],
            "lon": [1.0, 2.0],
            "alt_baro_m": [1000.0, 1000.0],
            "gs_mps": [100.0, 100.0],
            "trk_deg": [0.0, 0.0],
            "vs_mps": [0.0, 0.0],
        }
    )
    table = table.set_column(table.schema.get_field_index(column), column, array)
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    message = first_error(path)
    assert message.startswith(f"{path}:1: field {column}:") and reason in message


def test_parquet_decimals_and_datetimes_are_read(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": ["a"],
            "t": pa.array([pd.Timestamp(T, unit="s")]),
            "lat": pa.array([Decimal("1.5")], pa.decimal128(5, 2)),
            "lon": [1.0],
            "alt_baro_m": [1000.0],
            "gs_mps": [100.0],
            "trk_deg": [0.0],
            "vs_mps": [0.0],
        }
    )
    path = tmp_path / "ok.parquet"
    pq.write_table(table, path)
    frame = read_reports(path).frame
    assert frame["lat"].tolist() == [1.5] and frame["t"].tolist() == [T]


def test_a_row_of_several_megabytes(tmp_path: Path) -> None:
    big = "Y" * 3_000_000
    path = csv_file(tmp_path, row("aaaaaa", callsign=big), row("bbbbbb", lat="x" * 3_000_000))
    message = first_error(path)
    assert message.startswith(f"{path}:3: field lat: not a number") and len(message) < 400
    result = read_reports(path, invalid="skip")
    assert len(result.frame["callsign"].iloc[0]) == 3_000_000
    assert len(result.rejects["raw"].iloc[0]) < 300


def test_opensky_rest_states_all_as_the_api_returns_it(tmp_path: Path) -> None:
    vector = ["4b1806", "SWR123  ", "Switzerland", T - 1, T, 8.5, 47.4, 10000.0, False]
    vector += [200.0, 90.0, -5.0, None, 10100.0, "1000", False, 0]
    bad = [*vector, 1]  # 18 fields (with the category), at latitude 95
    bad[0], bad[6] = "4b1807", 95.0
    answer = {"time": T, "states": [vector, bad]}
    path = tmp_path / "states_all.json"
    path.write_text(json.dumps(answer))
    assert first_error(path).startswith(f"{path}:2: field latitude: latitude outside")
    result = read_reports(path, invalid="skip")
    first = result.frame.iloc[0]
    assert (first["id"], first["callsign"], first["t"], first["t_row"]) == (
        "4b1806",
        "SWR123",
        T - 1,
        T,
    )
    assert first["alt_baro_m"] == 10000.0 and first["vs_mps"] == -5.0


def test_readsb_aircraft_json(tmp_path: Path) -> None:
    from wellclear.units import FPM_MPS, FT_M, KT_MPS

    data = {
        "now": T + 0.5,
        "messages": 100,
        "aircraft": [
            {
                "hex": "3C6586",
                "flight": "DLH4AB ",
                "alt_baro": 35000,
                "alt_geom": 35500,
                "gs": 450.0,
                "track": 270.0,
                "baro_rate": -64,
                "lat": 50.0,
                "lon": 8.0,
                "seen_pos": 1.5,
            },
            {
                "hex": "3c6587",
                "alt_baro": "ground",
                "gs": 10.0,
                "track": 0.0,
                "lat": 50.03,
                "lon": 8.57,
            },
            {"hex": "3c6588", "alt_baro": 12000},  # no position: counted by the snapshot
        ],
    }
    path = tmp_path / "aircraft.json"
    path.write_text(json.dumps(data))
    frame = read_reports(path).frame
    air = frame.iloc[0]
    assert air["id"] == "3c6586" and air["t"] == T - 1.0
    assert air["alt_baro_m"] == pytest.approx(35000 * FT_M)
    assert air["gs_mps"] == pytest.approx(450 * KT_MPS)
    assert air["vs_mps"] == pytest.approx(-64 * FPM_MPS)
    assert bool(frame.iloc[1]["onground"]) and np.isnan(frame.iloc[1]["alt_baro_m"])
    assert len(frame) == 3
