"""The streamed scan of states-contract Parquet and the whole-file reader agree on the same
file: the same rejects (file, line, column, reason), the same exact repeats left out, the same
ids and the same states scanned (issue 12: one road for states, one validator)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wellclear.cli.scan import _read_inputs
from wellclear.encounters.sourcecheck import check_source
from wellclear.encounters.sources import DatasetSource
from wellclear.encounters.streamcheck import shared_keys
from wellclear.encounters.tracks import SCAN_COLUMNS
from wellclear.formats.errors import StatesInputError
from wellclear.formats.states import read_reports

T0 = 1_633_600_000.0
FLOATS = ("lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "trk_deg", "vs_mps")
COMPARED = [*SCAN_COLUMNS, "line"]
# (column, value) of the values past the limits put into the files
ABSURD = [
    ("lat", 95.0),
    ("lon", -540.0),
    ("gs_mps", -3.0),
    ("gs_mps", 2e3),
    ("vs_mps", 1e5),
    ("alt_baro_m", 1e9),
    ("alt_geo_m", -5e3),
    ("lat", np.inf),
    ("vs_mps", -np.inf),
    ("t", np.inf),
    ("t", 4_102_444_800.0),  # 2100 among 2021 data
    ("t", 5e10),  # beyond 1e10 s (not above 1e11: the reader takes that for milliseconds)
]


def contract_file(path: Path, seed: int) -> Path:
    """A states-contract Parquet file with duplicates (same aircraft and time, other position),
    exact repeats, ICAO ids in both cases and padded, explicit NaN and null values, values past
    the limits, missing ids and times, in one of three orders, in small row groups."""
    rng = np.random.default_rng(seed)
    n = 400
    icao = [f"{rng.integers(0, 2**24):06x}" for _ in range(12)] + ["N123AB", "sim-7", "Sim-7"]
    ids = rng.choice(icao, n)
    t = T0 + rng.integers(0, 300, n).astype(float)
    frame = pd.DataFrame(
        {
            "id": ids,
            "party": rng.choice(["red", "blue", "", " red "], n),
            "callsign": rng.choice(["AFR1", " BAW2", ""], n),
            "t": t,
            "lat": rng.uniform(40, 50, n),
            "lon": rng.uniform(-5, 5, n),
            "alt_baro_m": rng.uniform(0, 12_000, n),
            "alt_geo_m": rng.uniform(0, 12_000, n),
            "gs_mps": rng.uniform(0, 300, n),
            "trk_deg": rng.uniform(-20, 380, n),
            "vs_mps": rng.uniform(-20, 20, n),
            "onground": rng.random(n) < 0.05,
        }
    )
    # one report per aircraft and time before the injections (the order must not matter)
    frame = frame.drop_duplicates(["id", "t"]).reset_index(drop=True)
    n = len(frame)
    pick = lambda k: rng.choice(n, k, replace=False)  # noqa: E731
    # duplicates with another position, exact repeats (another speed: still a repeat)
    clash = frame.iloc[pick(6)].copy()
    clash["lat"] += 0.01
    repeat = frame.iloc[pick(6)].copy()
    repeat["gs_mps"] = 123.0
    frame = pd.concat([frame, clash, repeat], ignore_index=True)
    n = len(frame)
    # ICAO ids upper-cased or padded (the same aircraft), a blank id
    rows = pick(30)
    frame.loc[rows[:20], "id"] = frame.loc[rows[:20], "id"].str.upper()
    frame.loc[rows[20:], "id"] = " " + frame.loc[rows[20:], "id"] + " "
    frame = frame.astype({"id": object})
    frame.loc[pick(2), "id"] = "  "
    # values past the limits
    for (column, value), row in zip(ABSURD, pick(len(ABSURD)), strict=True):
        frame.loc[row, column] = value
    frame["alt_m"] = frame["alt_baro_m"]
    frame["alt_src"] = "baro"
    order = seed % 3
    if order == 1:
        frame = frame.sort_values(["t"], kind="stable")
    elif order == 2:
        frame = frame.sort_values(["id", "t"], kind="stable")
    else:
        frame = frame.sample(frac=1.0, random_state=seed)
    frame = frame.reset_index(drop=True)
    n = len(frame)
    # explicit NaN (kept as NaN by from_pandas=False) and null (missing) values
    columns = {}
    for c in frame.columns:
        if c in ("t", *FLOATS, "alt_m"):
            values = frame[c].to_numpy(np.float64).copy()
            nan = rng.random(n) < 0.01
            null = rng.random(n) < (0.005 if c == "t" else 0.05)
            values[nan] = np.nan
            columns[c] = pa.array(values, mask=null & ~nan, from_pandas=False)
        else:
            columns[c] = pa.array(frame[c].tolist())
    pq.write_table(pa.table(columns), path, row_group_size=int(rng.integers(17, 90)))
    return path


def _reject_keys(rejects: pd.DataFrame) -> list[tuple[str, int, str, str]]:
    return [
        (str(r.source), int(r.line), str(r.column), str(r.reason))
        for r in rejects.itertuples(index=False)
    ]


def _states(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[COMPARED].copy()
    for c in ("id", "party", "callsign"):
        out[c] = out[c].astype(str)
    out["onground"] = out["onground"].astype(bool)
    return out.sort_values("line").reset_index(drop=True)


@pytest.mark.parametrize("seed", range(12))
def test_stream_and_reader_agree(tmp_path: Path, seed: int) -> None:
    path = contract_file(tmp_path / f"c{seed}.parquet", seed)
    whole = read_reports([str(path)], invalid="skip")
    source, streamed = check_source(DatasetSource((str(path),)), "skip")
    assert len(whole.rejects) >= len(ABSURD)  # the injections are there
    assert _reject_keys(streamed) == _reject_keys(whole.rejects)
    assert source.checked is not None
    assert source.checked.counted["repeats"] == whole.counts.get("repeats", 0) > 0
    frame, _, rows, counted = _read_inputs([str(path)], "skip", "UTC", None)
    expected = _states(frame)
    lo, hi = source.time_range()
    windows = pd.concat(list(source.windows([(lo, hi + 1.0)], 0.0)), ignore_index=True)
    pd.testing.assert_frame_equal(_states(windows), expected, check_dtype=False)
    read = source.read(lo, hi + 1.0)
    pd.testing.assert_frame_equal(_states(read), expected, check_dtype=False)
    # every row is used, counted or rejected, the same way on both roads
    assert rows == len(expected) + counted["repeats"] + len(whole.rejects)
    assert source.count() == len(windows) + source.checked.counted["repeats"] + len(streamed)
    assert (lo, hi) == (float(expected["t"].min()), float(expected["t"].max()))


@pytest.mark.parametrize("seed", range(3))
def test_stream_and_reader_raise_the_same_first_error(tmp_path: Path, seed: int) -> None:
    path = contract_file(tmp_path / f"e{seed}.parquet", seed)
    with pytest.raises(StatesInputError) as whole:
        read_reports([str(path)])
    with pytest.raises(StatesInputError) as streamed:
        check_source(DatasetSource((str(path),)))
    assert str(streamed.value) == str(whole.value)


def _rows(**given: object) -> dict[str, object]:
    """Columns of a small contract table: ``given`` and plain values for the others."""
    n = len(given["id"])  # type: ignore[arg-type]
    plain = {"party": "a", "callsign": "", "lon": 2.0, "alt_src": "baro", "gs_mps": 100.0}
    plain |= {"alt_m": 1e3, "alt_baro_m": 1e3, "alt_geo_m": 1e3, "trk_deg": 90.0, "vs_mps": 0.0}
    out: dict[str, object] = {c: [v] * n for c, v in plain.items()}
    out["onground"] = [False] * n
    return {**out, **given}


def test_explicit_nan_is_rejected_and_null_is_missing(tmp_path: Path) -> None:
    """Before, the stream took an explicit NaN for a missing value and used the row."""
    lat = pa.array([48.0, np.nan, None], pa.float64(), from_pandas=False)
    table = pa.table(_rows(id=["abc123"] * 3, t=[T0, T0 + 1, T0 + 2], lat=lat))
    path = tmp_path / "nan.parquet"
    pq.write_table(table, path)
    _, rejects = check_source(DatasetSource((str(path),)), "skip")
    assert _reject_keys(rejects) == [(str(path), 2, "lat", "explicit NaN")]


def test_upper_case_icao_is_one_aircraft_and_a_duplicate(tmp_path: Path) -> None:
    """Before, the stream kept 'ABC123' and 'abc123' as two aircraft, and both positions."""
    rows = _rows(id=["ABC123", "abc123", "N123AB", "n123ab"], t=[T0] * 4, lat=[48, 48.1, 47, 47.5])
    path = tmp_path / "case.parquet"
    pq.write_table(pa.table(rows), path)
    source, rejects = check_source(DatasetSource((str(path),)), "skip")
    assert rejects["line"].tolist() == [1, 2]
    assert rejects["reason"].iloc[0].startswith("duplicate report: aircraft abc123 at time")
    assert "also at line 2" in rejects["reason"].iloc[0]
    lo, hi = source.time_range()
    seen = pd.concat(list(source.windows([(lo, hi + 1)], 0.0)))
    assert sorted(seen["id"].astype(str)) == ["N123AB", "n123ab"]  # not ICAO: as written


def _shared_slow(codes: np.ndarray, t: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """The obviously correct twin of shared_keys: every pair compared."""
    out = np.zeros(len(t), dtype=bool)
    for i in range(len(t)):
        for j in range(len(t)):
            if i != j and ok[i] and ok[j] and codes[i] == codes[j] and t[i] == t[j]:
                out[i] = True
    return out


@pytest.mark.parametrize("seed", range(30))
def test_shared_keys_against_its_slow_twin(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    codes = rng.integers(0, 5, n)
    t = rng.integers(0, 8, n).astype(float)
    t[rng.random(n) < 0.1] = -0.0
    ok = rng.random(n) < 0.9
    kind = seed % 3
    if kind:  # in aircraft-then-time or time-then-aircraft order
        order = np.lexsort((t, codes)) if kind == 1 else np.lexsort((codes, t))
        codes, t, ok = codes[order], t[order], ok[order]
    assert shared_keys(codes, t, ok).tolist() == _shared_slow(codes, t, ok).tolist()
