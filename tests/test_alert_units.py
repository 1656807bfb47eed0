"""Detectors against hand-worked cases, hysteresis sequences, and presets from files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from wellclear.alerting import CD3D, TCAS3D, WCV_TAUMOD, ConfigError, HysteresisTable, preset
from wellclear.alerting.config import load_config
from wellclear.alerting.detectors import PairGeometry
from wellclear.units import FT_M, NM_M

DTHR, ZTHR, TTHR = 0.66 * NM_M, 450 * FT_M, 35.0


def geo(s: tuple[float, float, float], v: tuple[float, float, float]) -> PairGeometry:
    zero = np.zeros((1, 3))
    return PairGeometry(np.array([s], float), np.array([v], float), zero, zero)


def test_wcv_head_on_entry_is_where_taumod_reaches_tthr() -> None:
    det = WCV_TAUMOD(DTHR, ZTHR, TTHR)
    iv = det.intervals(geo((10000.0, 0, 0), (-200.0, 0, 0)), 0.0, 180.0)
    # 1-D: tau_mod(r) = (D^2 - r^2)/(-200 r) = 35  <=>  r^2 - 7000 r - D^2 = 0
    r_in = (7000 + math.sqrt(7000**2 + 4 * DTHR**2)) / 2
    assert iv.time_in[0] == pytest.approx((10000 - r_in) / 200, abs=1e-9)
    assert iv.time_out[0] == pytest.approx((10000 + DTHR) / 200, abs=1e-9)
    assert iv.conflict_before(55.0)[0]


def test_wcv_diverging_and_vertically_separated_never_violate() -> None:
    det = WCV_TAUMOD(DTHR, ZTHR, TTHR)
    assert np.isinf(det.intervals(geo((10000.0, 0, 0), (200.0, 0, 0)), 0, 180).time_to_violation())
    high = geo((10000.0, 0, 300.0), (-200.0, 0, 0))
    assert not det.intervals(high, 0, 180).conflict()[0]
    # closing vertically at 2 m/s from 300 m: inside ZTHR from (300-137.16)/2 s on
    climbing = det.intervals(geo((3000.0, 0, 300.0), (-20.0, 0, -2.0)), 0, 180)
    assert climbing.time_in[0] == pytest.approx((300 - ZTHR) / 2.0)


def test_wcv_inside_now() -> None:
    det = WCV_TAUMOD(DTHR, ZTHR, TTHR)
    iv = det.intervals(geo((500.0, 0, 10.0), (0.0, 0, 0)), 0, 180)
    assert iv.time_in[0] == 0 and iv.time_out[0] == 180


def test_cd3d_crossing_times() -> None:
    iv = CD3D(1000.0, 100.0).intervals(geo((10000.0, 0, 0), (-100.0, 0, 0)), 0, 180)
    assert iv.time_in[0] == pytest.approx(90.0)
    assert iv.time_out[0] == pytest.approx(110.0)
    miss = CD3D(1000.0, 100.0).intervals(geo((10000.0, 1500, 0), (-100.0, 0, 0)), 0, 180)
    assert not miss.conflict()[0]


def test_tcas_ra_uses_sensitivity_level_of_ownship_altitude() -> None:
    # SL 5 (5000-10000 ft): RA tau 25 s, DMOD 0.55 NM; head-on at 300 m/s closure
    zero = np.zeros((1, 3))
    so = np.array([[20000.0, 0, 8000 * FT_M]])
    si = np.array([[0.0, 0, 8000 * FT_M]])
    g = PairGeometry(so, np.array([[-300.0, 0, 0]]), si, zero)
    iv = TCAS3D(ra=True).intervals(g, 0, 180)
    d = 0.55 * NM_M
    r_in = (25 * 300 + math.sqrt((25 * 300) ** 2 + 4 * d**2)) / 2
    assert iv.time_in[0] == pytest.approx((20000 - r_in) / 300, abs=1e-6)
    low = PairGeometry(so * [1, 1, 0] + [0, 0, 500 * FT_M], g.vo, si * 0, zero)
    assert not TCAS3D(ra=True).intervals(low, 0, 180).conflict()[0]  # SL 2: no RA


def run(table: HysteresisTable, raws: list[int], times: list[float]) -> list[int]:
    return [int(table.update([("a", "b")], [r], t)[0]) for r, t in zip(raws, times, strict=True)]


def test_hysteresis_m_of_n_and_persistence() -> None:
    table = HysteresisTable(5.0, 4.0, 2, 4)
    out = run(table, [0, 2, 2, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5, 6])
    # 2 of 4 needs two 2s; after the rise at t=2 the level is held until t=2+4
    assert out == [0, 0, 2, 2, 2, 2, 0]
    # a gap longer than 5 s resets: the first raw level goes straight through
    assert run(table, [3], [20.0]) == [3]
    assert run(table, [0], [20.0]) == [0]  # time not advancing resets too


def test_no_hysteresis_passes_raw_levels() -> None:
    table = HysteresisTable(0.0, 0.0, 0, 0)
    raws = [0, 2, 0, 3, 1, 0]
    assert run(table, raws, [0, 1, 2, 3, 4, 5]) == raws
    assert table.early_alerting_level([("a", "b")], 6.0)[0] == -1


def test_early_alerting_level_is_the_last_output() -> None:
    table = HysteresisTable(5.0, 4.0, 2, 4)
    run(table, [2], [0.0])
    assert table.early_alerting_level([("a", "b"), ("x", "y")], 1.0).tolist() == [2, -1]
    assert table.early_alerting_level([("a", "b")], 6.0)[0] == -1


def test_presets_are_data() -> None:
    do365 = preset("do365")
    assert [a.name for a in do365.alerters] == ["DWC_Phase_I", "DWC_Phase_II", "DWC_Non_Coop"]
    level1 = do365.alerters[0].levels[0]
    assert level1.detector == WCV_TAUMOD(0.66 * NM_M, 700 * FT_M, 35.0, 0.0)
    assert (level1.alerting_time_s, level1.early_alerting_time_s) == (55.0, 75.0)
    assert preset("cylinder").alerters[0].levels[0].detector == CD3D(5 * NM_M, 1000 * FT_M)
    for name in ("do365-sum", "do365-phase2", "do365-noncoop", "tcas"):
        assert preset(name).alerters


def test_user_preset_toml_and_yaml(tmp_path: Path) -> None:
    toml = tmp_path / "mine.toml"
    toml.write_text(
        'lookahead_time = "2 min"\n[[alerters]]\nname = "box"\ncorrective_level = 1\n'
        '[[alerters.levels]]\ndetector = "CD3D"\nD = "3 nm"\nH = "500 ft"\n'
        'alerting_time = "60 s"\nearly_alerting_time = "90 s"\n'
    )
    cfg = load_config(toml)
    assert cfg.lookahead_s == 120.0
    assert cfg.alerters[0].levels[0].detector == CD3D(3 * NM_M, 500 * FT_M)
    yml = tmp_path / "mine.yaml"
    yml.write_text(
        "alerters:\n  - levels:\n      - {detector: CD3D, D: 3 nm, H: 500 ft, "
        "alerting_time: 60 s, early_alerting_time: 90 s, colour: red}\n"
    )
    with pytest.raises(ConfigError, match="colour"):
        load_config(yml)
    yml.write_text(
        "alerters:\n  - levels:\n      - {detector: CD3D, D: 3 furlong, H: 500 ft, "
        "alerting_time: 60 s, early_alerting_time: 90 s}\n"
    )
    with pytest.raises(ConfigError, match="furlong"):
        load_config(yml)
