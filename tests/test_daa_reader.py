"""The .daa reader: forms, units, and bad input reported with file and line."""

from __future__ import annotations

import pytest

from wellclear.formats.daa import DaaDecodeError, parse_daa
from wellclear.formats.errors import DecodeError
from wellclear.units import FPM_MPS, FT_M, KT_MPS, NM_M

GOOD = """# comment
lookahead_time = 120 [s]
NAME sx sy sz vx vy vz time
[none] [nmi] [nmi] [ft] [knot] [knot] [fpm] [s]
Own, 0.0, 0.0, 1000, 100, 0, 500, 0
", 0.1, 0.0, 1000, 100, 0, 500, 1
Intr, 5.0, 0.0, 1000, -100, 0, 0, 0
Intr, 4.9, 0.0, 1000, -100, 0, 0, 1
"""


def test_grouped_rows_quote_units_and_parameters() -> None:
    sc = parse_daa(GOOD.splitlines(), "g.daa")
    assert sc.names == ("Own", "Intr") and sc.ownship == "Own" and not sc.latlon
    assert sc.parameters["lookahead_time"] == ("120", "s")
    own1 = sc.records.iloc[1]
    assert own1["name"] == "Own" and own1["t"] == 1.0
    assert own1["sx_m"] == pytest.approx(0.1 * NM_M)
    assert own1["alt_m"] == pytest.approx(1000 * FT_M)
    assert own1["vx_mps"] == pytest.approx(100 * KT_MPS)
    assert own1["vz_mps"] == pytest.approx(500 * FPM_MPS)


def test_defaults_without_units_line_and_track_form() -> None:
    sc = parse_daa(["NAME lat lon alt trk gs vs time", "A 1 2 100 90 100 0 0"], "x")
    row = sc.records.iloc[0]
    assert row["lat"] == 1 and row["vx_mps"] == pytest.approx(100 * KT_MPS)
    assert abs(row["vy_mps"]) < 1e-9


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("NAME sx sy sz vx vy vz colour\nA 1 2 3 4 5 6 7", 1, "colour"),
        ("NAME sx sy sz vx vy vz time\n[none] [nmi] [nmi] [ft] [knot] [] [fpm] [s]", 2, "vy"),
        (
            "NAME sx sy sz vx vy vz time\n[none] [nmi] [nmi] [ft] [knot] [furlong] [fpm] [s]",
            2,
            "vy",
        ),
        ("NAME sx sy sz vx vy vz time\nA 1 2 three 4 5 6 7", 2, "alt"),
        ("NAME sx sy sz vx vy vz time\nA 1 2 3 4 5 6 7\nA 1 2 3 4 5 6 5", 3, "time"),
        ("NAME sx sy sz vx vy vz s_EW_std\nA 1 2 3 4 5 6 7", 2, "s_EW_std"),
        ("NAME sx sy sz vx vy time\nA 1 2 3 4 5 6", 1, "vs"),
    ],
)
def test_bad_input_names_file_line_and_column(text: str, line: int, field: str) -> None:
    with pytest.raises(DaaDecodeError) as info:
        parse_daa(text.splitlines(), "bad.daa")
    err = info.value
    assert isinstance(err, DecodeError) and isinstance(err, ValueError)
    assert (err.file, err.line, err.field) == ("bad.daa", line, field)
    assert f"bad.daa:{line}" in str(err)


def test_wrong_field_count() -> None:
    with pytest.raises(DaaDecodeError, match="expected 8 fields"):
        parse_daa(["NAME sx sy sz vx vy vz time", "A 1 2 3"], "f")
