"""SBS-1/BaseStation reader: units, merging per aircraft, time zones, bad lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wellclear.formats.feeds import REJECT_COLUMNS, detect_kind, read_feed
from wellclear.formats.sbs import SbsError, read_sbs
from wellclear.states import STATES_COLUMNS, check_states

# 2024-07-06 08:00:00 in Paris (CEST, UTC+2) is 06:00:00 UTC = 1720245600.
T_PARIS = 1720245600.0

LOG = """\
MSG,1,1,1,4CA2D6,1,2024/07/06,08:00:00.000,2024/07/06,08:00:00.010,RYR123  ,,,,,,,,,,,0
MSG,4,1,1,4CA2D6,1,2024/07/06,08:00:00.500,2024/07/06,08:00:00.510,,,450,90.0,,,-1024,,,,,0
MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,37000,,,49.01,2.55,,,0,0,0,0
STA,,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,RM

MSG,5,1,1,4CA2D6,1,2024/07/06,08:00:15.000,2024/07/06,08:00:15.010,,37025,,,,,,,0,,0,0
MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:20.000,2024/07/06,08:00:20.010,,,,,49.02,2.60,,,0,0,0,0
MSG,3,1,1,3C6444,1,2024/07/06,08:00:20.500,2024/07/06,08:00:20.510,,3000,,,48.90,2.40,,,0,0,0,0
MSG,1,1,1,3C6444,1,2024/07/06,08:00:21.000,2024/07/06,08:00:21.010,DLH4AB,,,,,,,,,,,0
MSG,2,1,1,3C6445,1,2024/07/06,08:00:21.000,2024/07/06,08:00:21.010,,,12,270,49.00,2.57,,,,,,-1
MSG,3,1,1,3C6445,1,2024/07/06,08:00:22.000,2024/07/06,08:00:22.010,,,,,,,,,0,0,0,-1
"""


def write(tmp_path: Path, text: str, name: str = "feed.sbs") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_units_and_velocity_merge(tmp_path: Path) -> None:
    states = read_sbs(write(tmp_path, LOG), tz="Europe/Paris").states
    check_states(states)
    first = states.iloc[0]
    assert first["id"] == "4ca2d6" and first["line"] == 3
    assert first["t"] == pytest.approx(T_PARIS + 1.0)
    assert first["alt_baro_m"] == pytest.approx(37000 * 0.3048)
    assert first["alt_m"] == first["alt_baro_m"] and first["alt_src"] == "baro"
    assert first["gs_mps"] == pytest.approx(450 * 1852 / 3600)
    assert first["trk_deg"] == 90.0
    assert first["vs_mps"] == pytest.approx(-1024 * 0.3048 / 60)
    assert first["callsign"] == "RYR123"
    assert first["party"] == "unknown" and first["source"].endswith("feed.sbs")
    assert not first["onground"]


def test_stale_velocity_not_used_and_altitude_from_msg5(tmp_path: Path) -> None:
    states = read_sbs(write(tmp_path, LOG), tz="Europe/Paris").states
    second = states[(states["id"] == "4ca2d6") & (states["line"] == 7)].iloc[0]
    assert np.isnan(second["gs_mps"])  # the MSG,4 is 19.5 s old, max age 10 s
    assert second["alt_baro_m"] == pytest.approx(37025 * 0.3048)  # from the MSG,5 5 s earlier
    wider = read_sbs(write(tmp_path, LOG), tz="Europe/Paris", max_age_s=30.0).states
    assert wider.loc[wider["line"] == 7, "gs_mps"].iloc[0] == pytest.approx(231.5)


def test_callsign_before_first_identification_and_surface(tmp_path: Path) -> None:
    result = read_sbs(write(tmp_path, LOG))
    states = result.states.set_index("line")
    assert states.loc[8, "callsign"] == "DLH4AB"  # its MSG,1 comes later
    surface = states.loc[10]
    assert surface["onground"] and surface["gs_mps"] == pytest.approx(12 * 1852 / 3600)
    assert np.isnan(surface["alt_m"]) and surface["alt_src"] == ""
    assert list(result.states.columns[: len(STATES_COLUMNS)]) == list(STATES_COLUMNS)
    assert result.counts["positions"] == 4
    assert result.counts["no_position"] == 1  # the MSG,3 on line 11 has no lat/lon
    assert result.counts["other_messages"] == 1 and result.counts["blank"] == 1


def test_time_zone(tmp_path: Path) -> None:
    utc = read_sbs(write(tmp_path, LOG)).states
    paris = read_sbs(write(tmp_path, LOG), tz="Europe/Paris").states
    np.testing.assert_allclose(utc["t"] - paris["t"], 7200.0)
    assert utc["t"].iloc[0] == pytest.approx(1720252801.0)  # 08:00:01 UTC


def test_time_without_milliseconds(tmp_path: Path) -> None:
    line = "MSG,3,1,1,4CA2D6,1,2024/07/06,06:00:01,2024/07/06,06:00:01,,100,,,49,2,,,0,0,0,0\n"
    assert read_sbs(write(tmp_path, line)).states["t"].iloc[0] == 1720245601.0


BAD_LINES = [
    ("MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06", "fields"),
    ("MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,3x000,,,49,2,,,0,0,0,0",
     "altitude"),
    ("MSG,3,1,1,4CA2Z6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,30000,,,49,2,,,0,0,0,0",
     "hex_ident"),
    ("MSG,3,1,1,4CA2D6,1,2024-07-06,08:00:01.000,2024/07/06,08:00:01.010,,30000,,,49,2,,,0,0,0,0",
     "date_generated"),
    ("MSG,3,1,1,4CA2D6,1,2024/07/06,25:00:01.000,2024/07/06,08:00:01.010,,30000,,,49,2,,,0,0,0,0",
     "time_generated"),
    ("MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,30000,,,95,2,,,0,0,0,0",
     "lat"),
    ("MSG,9,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,30000,,,49,2,,,0,0,0,0",
     "transmission_type"),
    ("\x00\x17garbage", "message_type"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "field"), BAD_LINES)
def test_bad_line_names_file_line_field(tmp_path: Path, bad: str, field: str) -> None:
    lines = LOG.splitlines()
    lines.insert(4, bad)  # becomes line 5
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(SbsError) as info:
        read_sbs(path)
    assert info.value.line == 5 and info.value.field == field
    assert str(info.value).startswith(f"{path}:5: field {field}:")
    assert isinstance(info.value, ValueError)

    result = read_sbs(path, invalid="skip")
    assert list(result.rejects.columns) == REJECT_COLUMNS
    assert result.rejects[["line", "column"]].values.tolist() == [[5, field]]
    assert result.rejects["raw"].iloc[0] == bad
    assert len(result.states) == 4  # the good lines are all there
    assert result.counts["rejected"] == 1


def test_nonexistent_local_time_is_rejected(tmp_path: Path) -> None:
    # 2024-03-31 02:30 does not exist in Paris (clocks jump from 02:00 to 03:00)
    line = "MSG,3,1,1,4CA2D6,1,2024/03/31,02:30:00.000,2024/03/31,02:30:00,,100,,,49,2,,,0,0,0,0\n"
    with pytest.raises(SbsError, match="does not exist"):
        read_sbs(write(tmp_path, line), tz="Europe/Paris")


def test_read_feed_detects_sbs(tmp_path: Path) -> None:
    path = write(tmp_path, LOG, "feed.txt")
    assert detect_kind(path) == "sbs"
    result = read_feed(path, tz="Europe/Paris")
    assert result.states["t"].iloc[0] == pytest.approx(T_PARIS + 1.0)
