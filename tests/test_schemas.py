"""The result contracts: conform, check and the writers of each format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellclear.formats.results import iso_text, write_result
from wellclear.schemas import (
    ALERT_EVENTS,
    ALERTS,
    SCHEMAS,
    Column,
    Schema,
    SchemaError,
    check,
    conform,
    timestamps,
    unix_seconds,
)

T0 = 1443859200.0  # 2015-10-03T08:00:00Z


def alerts_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "t": [T0, T0 + 0.25],
            "id_1": ["a", "b"],
            "callsign_1": ["RFF1", None],
            "party_1": ["russia", "turkey"],
            "id_2": ["b", "a"],
            "callsign_2": [None, "RFF1"],
            "party_2": ["turkey", "russia"],
            "level": [1, 3],
            "level_name": ["preventive", "warning"],
            "ttv_2": [12.3456789, np.nan],
            "ttv_1": [1.0, 2.0],
            "hmd_m": [1234.56789, 0.0],
            "taumod_s": [np.nan, 3.14159],
        }
    )


def test_conform_orders_types_and_adds_t_unix() -> None:
    out = conform(alerts_frame(), ALERTS)
    assert list(out.columns) == [
        "t",
        "t_unix",
        "id_1",
        "callsign_1",
        "party_1",
        "id_2",
        "callsign_2",
        "party_2",
        "level",
        "level_name",
        "ttv_1",
        "ttv_2",
        "hmd_m",
        "taumod_s",
    ]
    assert str(out["t"].dtype) == "datetime64[ns, UTC]"
    assert out["t"].iloc[0] == pd.Timestamp("2015-10-03T08:00:00Z")
    assert out["t_unix"].tolist() == [T0, T0 + 0.25]
    assert out["level"].dtype == np.int64
    assert check(out, ALERTS) == []


def test_conform_refuses_undocumented_and_missing_columns() -> None:
    frame = alerts_frame()
    with pytest.raises(SchemaError, match="ownship not in the contract"):
        conform(frame.assign(ownship="a"), ALERTS)
    with pytest.raises(SchemaError, match="column level_name is missing"):
        conform(frame.drop(columns="level_name"), ALERTS)
    with pytest.raises(SchemaError, match="column level: 1 missing"):
        conform(frame.assign(level=[1, None]), ALERTS)
    with pytest.raises(SchemaError, match="expected integers"):
        conform(frame.assign(level=[1.5, 2.0]), ALERTS)


def test_optional_columns_are_added_empty() -> None:
    events = pd.DataFrame(
        {
            "alert_id": ["a-b-1"],
            "t": [T0],
            "event": ["raised"],
            "id_1": ["a"],
            "callsign_1": [""],
            "party_1": ["x"],
            "id_2": ["b"],
            "callsign_2": [""],
            "party_2": ["y"],
            "from_level": [0],
            "to_level": [2],
            "level_name": ["corrective"],
        }
    )
    out = conform(events, ALERT_EVENTS)
    assert check(out, ALERT_EVENTS) == []
    assert out["hmd_m"].isna().all() and out["min_distance_m"].isna().all()


def test_check_names_what_differs() -> None:
    out = conform(alerts_frame(), ALERTS)
    bad = out.drop(columns="hmd_m").assign(level=out["level"].astype(float), extra=1)
    problems = check(bad, ALERTS)
    assert "extra: not in the contract" in problems
    assert "hmd_m: missing" in problems
    assert "level: dtype float64, the contract says int64" in problems


def test_timestamps_round_trip_to_the_microsecond() -> None:
    seconds = np.array([T0, T0 + 0.1, T0 + 1e-6, np.nan, 1633613400.123456])
    stamps = timestamps(seconds)
    assert stamps.isna().tolist() == [False, False, False, True, False]
    back = unix_seconds(stamps)
    np.testing.assert_allclose(back[~np.isnan(seconds)], seconds[~np.isnan(seconds)], atol=1e-6)
    text = iso_text(stamps).tolist()
    assert text == [
        "2015-10-03T08:00:00Z",
        "2015-10-03T08:00:00.1Z",
        "2015-10-03T08:00:00.000001Z",
        None,
        "2021-10-07T13:30:00.123456Z",
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_writers_round_trip(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"alerts.{fmt}"
    write_result(alerts_frame(), ALERTS, path, fmt)
    if fmt == "csv":
        text = path.read_text()
        header, first, second = text.splitlines()
        assert header.split(",")[:2] == ["t", "t_unix"]
        assert first.startswith("2015-10-03T08:00:00Z,1443859200.0,a,RFF1,russia,b,,turkey,1,")
        assert "12.346" in first and "1234.57" in first and "12.3456789" not in first
        assert second.startswith("2015-10-03T08:00:00.25Z,1443859200.25,")
        back = pd.read_csv(path)
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert rows[0]["t"] == "2015-10-03T08:00:00Z" and rows[0]["callsign_2"] is None
        assert rows[1]["ttv_2"] is None and rows[0]["ttv_2"] == 12.346
        back = pd.DataFrame(rows)
    else:
        back = pd.read_parquet(path)
        assert str(back["t"].dtype).endswith("UTC]")
        assert check(back, ALERTS) == []
        assert back["ttv_2"].iloc[0] == 12.3456789  # Parquet keeps every bit
    assert back["level"].tolist() == [1, 3]
    assert back["t_unix"].tolist() == [T0, T0 + 0.25]


def test_schema_records_are_well_formed() -> None:
    for schema in SCHEMAS.values():
        assert schema.columns and schema.description
        for c in schema.columns:
            assert c.meaning, f"{schema.name}.{c.name} has no meaning"
            if c.dtype == "float64":
                assert c.unit, f"{schema.name}.{c.name}: a number needs its unit"
        if schema.main_time:
            assert schema.column(schema.main_time).dtype == "timestamp"
    with pytest.raises(ValueError, match="dtype"):
        Column("x", "float", "m", "bad dtype")
    with pytest.raises(ValueError, match="twice"):
        Schema("s", "d", (Column("x", "str", "", "a"), Column("x", "str", "", "b")))


def random_frame(schema: Schema, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows of every column of ``schema`` (families: two members), values of its dtype
    with missing values where the dtype allows them; times as unix seconds."""
    rng = np.random.default_rng(seed)
    out: dict[str, object] = {}
    for c in schema.columns:
        names = [c.name.replace("{k}", str(k)) for k in (1, 2)] if c.family else [c.name]
        for name in names:
            if name == "t_unix":
                continue  # made by conform from the main time
            if c.dtype == "timestamp":
                v = T0 + rng.uniform(0, 86_400, n)
                v[rng.random(n) < 0.2] = np.nan
            elif c.dtype == "float64":
                v = rng.normal(0, 10.0 ** rng.integers(-3, 9), n)
                v[rng.random(n) < 0.2] = np.nan
            elif c.dtype == "int64":
                v = rng.integers(0, 1000, n)
            elif c.dtype == "bool":
                v = rng.random(n) < 0.5
            else:
                v = np.array([f'x{k}, "q"' if k % 3 else None for k in range(n)], object)
            out[name] = v
    if schema.main_time and schema.main_time in out:
        out[schema.main_time] = T0 + np.arange(n, dtype=float) / 8  # never missing
    return pd.DataFrame(out)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_contract_round_trips_through_every_format(
    tmp_path: Path, name: str, fmt: str
) -> None:
    """Written and read back (read_result), every contract gives its frame again: times to the
    microsecond, numbers to the decimals written, text (commas, quotes) and flags exactly."""
    from substance import assert_same_substance
    from wellclear.formats.results import read_result

    schema = SCHEMAS[name]
    frame = conform(random_frame(schema, 40, seed=len(name)), schema)
    assert check(frame, schema) == []
    path = tmp_path / f"{name}.{fmt}"
    write_result(frame, schema, path, fmt)
    back = read_result(path, schema)
    assert check(back, schema) == []
    assert_same_substance(back, frame, schema, f"{name}.{fmt}")
    if schema.main_time:
        np.testing.assert_array_equal(back["t_unix"], frame["t_unix"])
