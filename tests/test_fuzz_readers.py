"""Fuzzing the one road for states: valid files of every reader, mutated (bytes flipped,
truncated, columns swapped, values replaced by extremes), read with both policies. The result
is either a valid read (every state within the validator's limits, every reject naming its file
and line, the rows accounted for) or a typed error naming the file; never another exception.

``FUZZ_EXAMPLES`` (environment) sets the examples per test: a few dozen here, thousands in
``benchmarks/fuzz.py``.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellclear.formats.errors import DecodeError
from wellclear.formats.states import read_reports
from wellclear.formats.validate import LIMITS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=EXAMPLES <= 50,  # the bounded run in `make test` is the same every time
)
DATA = Path(__file__).parent / "data"
T = 1_633_613_400
LFPG = (49.0, 2.55)  # the receiver of the raw frames (Paris CDG)


def _opensky_csv() -> bytes:
    rows = ["time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,geoaltitude,callsign"]
    for k in range(6):
        rows.append(
            f"{T + k},{'abcde' + str(k)},{45 + k / 10},{2 + k / 10},200,90,0,9000,9100,X{k}"
        )
    return ("\n".join(rows) + "\n").encode()


def _traffic_json() -> bytes:
    records = [
        {
            "timestamp": f"2021-10-07T13:30:{k:02d}Z",
            "icao24": f"4ca2d{k}",
            "latitude": 48.0 + k / 100,
            "longitude": 2.0,
            "altitude": 30000,
            "groundspeed": 400,
            "track": 180.0,
            "vertical_rate": -500,
            "callsign": "AFR1",
        }
        for k in range(6)
    ]
    return json.dumps(records).encode()


def _contract(kind: str) -> bytes:
    frame = pd.DataFrame(
        {
            "id": [f"a{k}" for k in range(6)],
            "party": "red",
            "callsign": "",
            "t": T + np.arange(6.0),
            "lat": 36.0,
            "lon": np.linspace(36, 37, 6),
            "alt_baro_m": 5000.0,
            "alt_geo_m": np.nan,
            "gs_mps": 150.0,
            "trk_deg": 90.0,
            "vs_mps": 0.0,
            "onground": False,
        }
    )
    out = io.BytesIO()
    if kind == "parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False)
    return out.getvalue()


def _opensky_rest() -> bytes:
    vector = ["4b1806", "SWR1", "CH", T, T, 8.5, 47.4, 10000.0, False, 200.0, 90.0, 0.0]
    vector += [None, 10100.0, "1000", False, 0]
    other = ["4b1807", *vector[1:6], 47.5, *vector[7:]]
    return json.dumps({"time": T, "states": [vector, other]}).encode()


def _readsb() -> bytes:
    plane = {"hex": "3c6586", "alt_baro": 35000, "gs": 450, "track": 270, "lat": 50, "lon": 8}
    return json.dumps({"now": T, "aircraft": [plane, {**plane, "hex": "3c6587"}]}).encode()


def _sbs() -> bytes:
    when = "2021/10/07,13:30:0{s}"
    line = f"MSG,3,1,1,4CA2D6,1,{when}.000,{when}.000,,35000,,,48.{{s}},2.5,,,0,0,0,0"
    vel = f"MSG,4,1,1,4CA2D6,1,{when}.500,{when}.500,,,450,90.0,,,-64,,,,,0"
    return ("\n".join(x.format(s=s) for s in range(5) for x in (line, vel)) + "\n").encode()


SEEDS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "opensky-csv": (".csv", _opensky_csv),
    "traffic-json": (".json", _traffic_json),
    "contract-csv": (".csv", lambda: _contract("csv")),
    "contract-parquet": (".parquet", lambda: _contract("parquet")),
    "opensky-rest": (".json", _opensky_rest),
    "readsb": (".json", _readsb),
    "sbs": (".sbs", _sbs),
    "frames": (
        ".csv",
        lambda: b"\n".join((DATA / "adsb_lfpg_frames_head.csv").read_bytes().split(b"\n")[:700]),
    ),
    "beast": (".bin", lambda: (DATA / "sample_dump1090.beast.bin").read_bytes()),
}

EXTREMES = ["1e308", "-1e308", "inf", "-inf", "nan", "", "1e9", "-0", "true", "{}", "[]"]
EXTREMES += ["99999999999999999999999", "\x00", "\u00e9", "x" * 5000, "1e-320", "-1", "2100-01-01"]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, bytes]:
    """A seed file and one to three mutations of it."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    suffix, make = SEEDS[name]
    data = make()
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["flip", "truncate", "swap", "extreme", "insert"]))
        if how == "flip" and data:
            for _ in range(draw(st.integers(1, 8))):
                at = draw(st.integers(0, len(data) - 1))
                data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif how == "truncate" and data:
            data = data[: draw(st.integers(0, len(data)))]
        elif how == "insert":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
        elif how in ("swap", "extreme") and suffix != ".bin" and suffix != ".parquet":
            text = data.decode("utf-8", errors="replace").split("\n")
            cells = [line.split(",") for line in text]
            r = draw(st.integers(0, len(cells) - 1))
            if how == "swap" and len(cells[0]) > 1:  # two columns swapped in every line
                i, j = (
                    draw(st.integers(0, len(cells[0]) - 1)),
                    draw(st.integers(0, len(cells[0]) - 1)),
                )
                for c in cells:
                    if max(i, j) < len(c):
                        c[i], c[j] = c[j], c[i]
            elif cells[r]:
                cells[r][draw(st.integers(0, len(cells[r]) - 1))] = draw(st.sampled_from(EXTREMES))
            data = "\n".join(",".join(c) for c in cells).encode()
        elif how == "extreme" and suffix == ".parquet":
            try:
                frame = pd.read_parquet(io.BytesIO(data))
            except Exception:  # already mutated past reading: nothing to replace
                continue
            column = draw(st.sampled_from(list(frame.columns)))
            value = draw(st.sampled_from([1e308, -np.inf, np.nan, 1e9, -1.0, True, "x", None]))
            frame[column] = frame[column].astype(object)
            frame.loc[draw(st.integers(0, len(frame) - 1)), column] = value
            out = io.BytesIO()
            try:
                frame.to_parquet(out, index=False)
            except Exception:  # a mixed column Arrow cannot write: keep the file as it was
                continue
            data = out.getvalue()
    return name, suffix, data


def check_read(path: Path, invalid: str) -> None:
    """The property: a valid read or a typed error naming the file."""
    try:
        result = read_reports(path, invalid=invalid, reference=LFPG)  # type: ignore[arg-type]
    except DecodeError as exc:
        assert str(exc).startswith(str(path)), str(exc)
        assert exc.line is None or exc.line >= 1
        return
    states = result.frame
    if len(states):
        lat, lon = states["lat"].to_numpy(np.float64), states["lon"].to_numpy(np.float64)
        assert not (np.abs(lat) > 90).any() and not (np.abs(lon) > 180).any()
        for column in ("alt_baro_m", "alt_geo_m"):
            alt = states[column].to_numpy(np.float64)
            assert not ((alt < LIMITS.alt_min_m) | (alt > LIMITS.alt_max_m)).any()
        assert not (np.abs(states["vs_mps"].to_numpy(np.float64)) > LIMITS.vs_max_mps).any()
        gs = states["gs_mps"].to_numpy(np.float64)
        assert not ((gs < 0) | (gs > LIMITS.gs_max_mps)).any()
        assert np.isfinite(states["t"].to_numpy(np.float64)).all()
        assert (states["id"].astype(str) != "").all()
    if invalid == "error":
        assert result.rejects.empty
    for rej in result.rejects.itertuples():
        assert rej.source == str(path) and int(rej.line) >= 1 and rej.reason
    c = result.counts
    assert c["states"] == len(states) and c["rejected"] == len(result.rejects)
    if path.suffix in (".csv", ".json", ".parquet") and "frames" not in path.name:
        assert c["rows"] == c["states"] + c["rejected"] + c.get("blank", 0) + c.get("repeats", 0)


@FUZZ
@given(case=mutated(), invalid=st.sampled_from(["error", "skip"]))
def test_mutated_inputs_read_or_fail_with_file_and_line(
    case: tuple[str, str, bytes], invalid: str
) -> None:
    name, suffix, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}{suffix}"
        path.write_bytes(data)
        check_read(path, invalid)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_seed_is_a_valid_read(name: str, tmp_path: Path) -> None:
    """The fuzzer starts from files every reader reads whole (else it would test little)."""
    suffix, make = SEEDS[name]
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(make())
    result = read_reports(path, reference=LFPG)
    assert len(result.frame) >= 1 and result.rejects.empty
