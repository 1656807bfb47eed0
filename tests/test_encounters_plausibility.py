"""The plausibility stage: each rule on a made-up track, the compiled flags against a slow
reference written from the rules (``reference_flags``), the scan never resting an NMAC or an
airprox A/B on flagged samples, and the real glitches of the ``traffic`` quickstart sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellclear.encounters.config import ScanConfig
from wellclear.encounters.plausibility import aerodromes, flagged_at_minimum
from wellclear.encounters.scan import FrameSource, scan, scan_source
from wellclear.encounters.tracks import FLAGS, build_tracks, clean
from wellclear.formats.states import read_reports
from wellclear.geo import ecef
from wellclear.units import FT_M, KT_MPS

# 4,707 rows of the traffic library's quickstart sample (OpenSky Network data, see
# tests/data/README.md): the 13 aircraft of the 8 NMACs of the whole sample, 4 min either side
GLITCHES = Path(__file__).parent / "data/quickstart_nmac_glitches.json.gz"

# --- the rules, slowly ---------------------------------------------------------------------------


def _impossible(
    p: np.ndarray, alt: np.ndarray, t: np.ndarray, a: int, b: int, cfg: ScanConfig
) -> bool:
    step = max(t[b] - t[a], 1e-3)
    return bool(
        np.linalg.norm(p[b] - p[a]) / step > cfg.max_speed_mps
        or abs(alt[b] - alt[a]) / step > cfg.max_climb_mps
    )


def _surface(row: pd.Series, cfg: ScanConfig) -> bool:
    if not row["gs_mps"] < cfg.surface_speed_mps:
        return False
    lat, lon, elev = aerodromes()
    d = np.linalg.norm(
        ecef(lat, lon) - ecef(np.array([row["lat"]]), np.array([row["lon"]])), axis=1
    )
    return bool(((d <= cfg.surface_radius_m) & (row["alt_m"] < elev + cfg.surface_height_m)).any())


def reference_flags(frame: pd.DataFrame, cfg: ScanConfig) -> np.ndarray:
    """The flags of the deduplicated states ``frame`` sorted by (id, t) whose ``flag`` holds
    ``onground`` / ``no_altitude`` / ``""``: the rules of the plausibility stage one by one."""
    flag = frame["flag"].to_numpy(object).copy()
    ids = frame["id"].to_numpy(object)
    t_all = frame["t"].to_numpy(np.float64)
    p_all = ecef(frame["lat"].to_numpy(np.float64), frame["lon"].to_numpy(np.float64))
    gs_all = frame["gs_mps"].to_numpy(np.float64)
    for name in pd.unique(ids):
        rows = np.flatnonzero(ids == name)
        cand = [r for r in rows if flag[r] == ""]
        pre = {}
        for k, r in enumerate(rows):
            if flag[r] != "":
                continue
            pre[r] = "surface" if _surface(frame.iloc[r], cfg) else ""
            if k > 0:
                q = rows[k - 1]
                dt = t_all[r] - t_all[q]
                moved = np.linalg.norm(p_all[r] - p_all[q])
                if (
                    dt <= cfg.max_gap_s
                    and moved <= cfg.frozen_tolerance_m
                    and gs_all[r] * dt >= cfg.frozen_min_m
                ):
                    pre[r] = "frozen"
        n = len(cand)
        t = t_all[cand]
        p = p_all[cand]
        alt = frame["alt_m"].to_numpy(np.float64)[cand]
        near = [False] + [t[j] - t[j - 1] <= cfg.max_gap_s for j in range(1, n)] + [False]
        bad = [False] + [near[j] and _impossible(p, alt, t, j - 1, j, cfg) for j in range(1, n)]
        bad.append(False)
        out = [""] * n
        for j in range(n):
            both_or_gap = (bad[j] or not near[j]) and (bad[j + 1] or not near[j + 1])
            if both_or_gap and (near[j] or near[j + 1]):
                out[j] = "jump"
                if bad[j] and bad[j + 1] and not _impossible(p, alt, t, j - 1, j + 1, cfg):
                    before = j >= 2 and bad[j - 1] and t[j + 1] - t[j - 2] <= cfg.max_gap_s
                    after = j + 2 < n and bad[j + 2] and t[j + 2] - t[j - 1] <= cfg.max_gap_s
                    if before or after:
                        out[j] = "duplicate_transponder"
        # islands of two or more samples: a and b consistent, every leg between possible
        for a in range(n):
            for b in range(a + 3, n):
                if t[b] - t[a] > cfg.max_gap_s:
                    break
                inner = all(near[k] and not bad[k] for k in range(a + 2, b))
                if bad[a + 1] and bad[b] and inner and not _impossible(p, alt, t, a, b, cfg):
                    for k in range(a + 1, b):
                        out[k] = out[k] or "jump"
        for j, r in enumerate(cand):
            if pre[r] == "frozen":
                out[j] = "frozen"
            elif out[j] == "" and pre[r] == "surface":
                out[j] = "surface"
            flag[r] = out[j]
    return flag


# --- made-up tracks ------------------------------------------------------------------------------


def _track(
    name: str,
    lat: np.ndarray,
    lon: np.ndarray,
    alt: np.ndarray,
    t0: float = 1.6e9,
    gs: float = 200.0,
) -> pd.DataFrame:
    n = lat.size
    return pd.DataFrame(
        {
            "id": name,
            "party": "p",
            "callsign": name,
            "t": t0 + np.arange(n, dtype=np.float64),
            "lat": lat,
            "lon": lon,
            "alt_m": alt,
            "alt_baro_m": alt,
            "gs_mps": gs,
            "trk_deg": 90.0,
            "vs_mps": 0.0,
            "onground": False,
        }
    )


def _east(n: int, lat0: float, lon0: float, gs: float = 200.0) -> tuple[np.ndarray, np.ndarray]:
    """Due east at ``gs`` m/s, one sample a second (small-step rhumb line)."""
    step = gs / (111_320.0 * np.cos(np.radians(lat0)))
    lon = (lon0 + step * np.arange(n) + 180.0) % 360.0 - 180.0
    return np.full(n, lat0), lon


def _flags_of(states: pd.DataFrame, cfg: ScanConfig | None = None) -> dict[str, list[str]]:
    got = clean(states, cfg or ScanConfig())
    return {k: list(g["flag"]) for k, g in got.groupby("id")}


@pytest.mark.parametrize(("lat0", "lon0"), [(45.0, 10.0), (0.0, 179.995), (89.5, -60.0)])
def test_each_rule_on_a_made_up_track(lat0: float, lon0: float) -> None:
    n = 60
    lat, lon = _east(n, lat0, lon0)
    alt = np.full(n, 9000.0)
    # frozen: samples 20-29 repeat sample 19's position
    f_lat, f_lon = lat.copy(), lon.copy()
    f_lat[20:30], f_lon[20:30] = lat[19], lon[19]
    # an island: samples 30-32 at 20 km (a 3-sample altitude glitch)
    i_alt = alt.copy()
    i_alt[30:33] = 20_000.0
    # two aircraft under one address: from sample 20 on, every other sample 50 km north
    d_lat = lat.copy()
    d_lat[21:40:2] += 0.45
    # a lasting step: from sample 30 on, the altitude is 6 km higher
    s_alt = alt.copy()
    s_alt[30:] += 6000.0
    states = pd.concat(
        [
            _track("frozen", f_lat, f_lon, alt),
            _track("island", lat, lon, i_alt),
            _track("twins", d_lat, lon, alt),
            _track("step", lat, lon, s_alt),
        ],
        ignore_index=True,
    )
    flags = _flags_of(states)
    assert flags["frozen"][:20] == [""] * 20 and flags["frozen"][20:30] == ["frozen"] * 10
    assert set(flags["frozen"][30:]) == {""}
    assert flags["island"][30:33] == ["jump"] * 3
    assert set(flags["island"][:30] + flags["island"][33:]) == {""}
    assert set(flags["twins"][21:39]) == {"duplicate_transponder"}
    assert set(flags["twins"][:20] + flags["twins"][41:]) == {""}
    assert set(flags["step"]) == {""}
    tracks = build_tracks(states, ScanConfig())
    step = np.flatnonzero(tracks.ids == "step")[0]
    seg = tracks.seg_next[tracks.code == step]
    assert not seg[29] and seg[:29].all() and seg[30:-1].all()  # cut at the step only


def test_surface_movement_near_an_aerodrome_only() -> None:
    cfg = ScanConfig()
    lat, lon = _east(30, 49.0097, 2.52, gs=8.0)  # taxiing at Paris-CDG (elevation 392 ft)
    taxi = _track("taxi", lat, lon, np.full(30, 100.0), gs=8.0)
    high = _track("slow_high", lat, lon, np.full(30, 1500.0), gs=8.0)  # a hovering helicopter
    lat, lon = _east(30, 47.5, 4.0, gs=8.0)
    away = _track("slow_away", lat, lon, np.full(30, 100.0), gs=8.0)  # no aerodrome within 3 NM
    lat, lon = _east(30, 49.0097, 2.52, gs=70.0)
    landing = _track("landing", lat, lon, np.full(30, 100.0), gs=70.0)
    flags = _flags_of(pd.concat([taxi, high, away, landing], ignore_index=True), cfg)
    assert set(flags["taxi"]) == {"surface"}
    assert set(flags["slow_high"]) == set(flags["slow_away"]) == set(flags["landing"]) == {""}
    assert 392 * FT_M + cfg.surface_height_m > 100.0 and cfg.surface_speed_mps < 31 * KT_MPS


def _glitchy(seed: int) -> pd.DataFrame:
    """Generated traffic with every kind of glitch sprinkled at random."""
    from wellclear.simulate.flights import fly, sample
    from wellclear.simulate.scenarios import random_plans

    states = sample(fly(random_plans(30, 600.0, seed=seed), dt=2.0), seed=seed, max_dt=6.0)
    states = states.sort_values(["id", "t"], kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    n = len(states)
    lat = states["lat"].to_numpy().copy()
    lon = states["lon"].to_numpy().copy()
    alt = states["alt_m"].to_numpy().copy()
    gs = states["gs_mps"].to_numpy().copy()
    same = np.r_[False, states["id"].to_numpy()[1:] == states["id"].to_numpy()[:-1]]
    for k in rng.choice(np.flatnonzero(same), 40, replace=False):  # frozen runs of 1-6
        stop = min(n, k + int(rng.integers(1, 7)))
        lat[k:stop], lon[k:stop] = lat[k - 1], lon[k - 1]
    for k in rng.choice(n - 5, 20, replace=False):  # islands of 1-4 samples
        alt[k : k + int(rng.integers(1, 5))] += rng.choice([-1.0, 1.0]) * 15_000.0
    for k in rng.choice(n - 12, 5, replace=False):  # two aircraft under one address
        lat[k : k + 12 : 2] += 0.5
    for k in rng.choice(n - 30, 5, replace=False):  # a lasting step
        alt[k : k + 30] += 8000.0
    slow = rng.choice(n, 30, replace=False)  # slow and low at Paris-CDG: jumps there
    lat[slow], lon[slow], alt[slow], gs[slow] = 49.0, 2.55, 50.0, 5.0
    states = states.assign(lat=lat, lon=lon, alt_m=alt, alt_baro_m=alt, gs_mps=gs)
    t0 = float(states["t"].min())
    lat, lon = _east(300, 49.0097, 2.52, gs=8.0)  # taxiing there, a few reports not on ground
    taxi = _track("taxi", lat, lon, np.full(300, 100.0), t0=t0, gs=8.0)
    taxi["onground"] = rng.random(300) < 0.8
    states = pd.concat([states, taxi], ignore_index=True)
    n = len(states)
    ground = states["onground"].to_numpy().copy()
    ground[rng.random(n) < 0.02] = True
    alt_nan = states["alt_m"].to_numpy().copy()
    alt_nan[rng.random(n) < 0.02] = np.nan
    return states.assign(onground=ground, alt_m=alt_nan)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_flags_match_the_reference(seed: int) -> None:
    cfg = ScanConfig()
    states = _glitchy(seed)
    got = clean(states, cfg)
    base = got.assign(flag=np.where(got["flag"].isin(["onground", "no_altitude"]), got["flag"], ""))
    ref = reference_flags(base, cfg)
    assert list(got["flag"]) == list(ref)
    counts = got["flag"].value_counts()
    for name in ("frozen", "jump", "duplicate_transponder", "surface", "onground"):
        assert counts.get(name, 0) > 0, name
    assert set(got["flag"]) <= set(FLAGS)


def test_windows_give_the_flags_and_encounters_of_the_whole() -> None:
    cfg = ScanConfig()
    states = _glitchy(4)
    whole = scan(states, cfg)
    streamed = scan_source(FrameSource(states), cfg, window_s=120.0)
    pd.testing.assert_frame_equal(whole.encounters, streamed.encounters)
    pd.testing.assert_frame_equal(whole.evidence, streamed.evidence)
    assert whole.flagged == streamed.flagged
    # every deduplicated sample with a position is counted once, clean or flagged
    flags = clean(states, cfg)["flag"].value_counts()
    assert whole.flagged == {f: int(flags.get(f, 0)) for f in FLAGS[1:]}
    assert int(whole.flags.sum()) == len(clean(states, cfg))


def _pair_on_frozen(freeze: bool) -> pd.DataFrame:
    """Two aircraft crossing at the same altitude at t0 + 60 s; with ``freeze`` the second one
    reports its position of t0 + 50 s until t0 + 70 s (its minimum rests on stale samples)."""
    lat_a, lon_a = _east(121, 45.0, 10.0 - 60 * 200.0 / (111_320.0 * np.cos(np.radians(45.0))))
    a = _track("a", lat_a, lon_a, np.full(121, 9000.0))
    lat_b = 45.0 + (np.arange(121) - 60) * 150.0 / 111_320.0
    lon_b = np.full(121, 10.0)
    if freeze:
        lat_b[51:70] = lat_b[50]
    b = _track("b", lat_b, lon_b, np.full(121, 9010.0), gs=150.0).assign(trk_deg=0.0)
    return pd.concat([a, b], ignore_index=True)


def test_no_nmac_nor_airprox_a_on_flagged_samples() -> None:
    cfg = ScanConfig()
    clean_pass = scan(_pair_on_frozen(False), cfg).encounters
    assert list(clean_pass["primary"]) == ["nmac"] and list(clean_pass["airprox"]) == ["A"]
    result = scan(_pair_on_frozen(True), cfg)
    enc = result.encounters
    assert len(enc) == 1 and "nmac" not in enc["classes"].iloc[0]
    assert enc["airprox"].iloc[0] == "D"
    assert "nmac withheld: minimum interpolated over more than 5 s" in enc["rules"].iloc[0]
    assert "b frozen x19" in enc["rules"].iloc[0]
    assert result.flagged["frozen"] == 19
    ev = result.evidence
    assert (ev.loc[ev["flag"] == "frozen", "id"] == "b").all()


def test_flagged_at_minimum_brackets_each_aircraft() -> None:
    enc = pd.DataFrame(
        {"wg": [0, 1], "t_min": [10.0, 10.0], "id_i": ["a", "a"], "id_j": ["b", "b"]}
    )
    ev = pd.DataFrame(
        {
            "wg": [0, 0, 0, 0, 1, 1, 1, 1],
            "id": ["a", "a", "a", "b", "a", "a", "a", "b"],
            "t": [2.0, 9.0, 12.0, 10.0, 9.0, 10.5, 11.0, 10.0],
            "flag": ["", "jump", "", "", "", "frozen", "", ""],
        }
    )
    got = flagged_at_minimum(enc, ev, bridge_s=5.0)
    assert got[0].endswith("(a jump x1)") and got[1] == ""  # a 2 s bridge rests on clean data


def test_quickstart_glitches_are_no_longer_nmac() -> None:
    """Before the stage, these 13 aircraft gave 8 NMACs (airprox A): landed aircraft whose last
    airborne position was repeated for minutes, one of them 11.5 km up after a jump from 76 m."""
    states = read_reports([str(GLITCHES)]).frame
    states["alt_m"] = states["alt_baro_m"]  # the sample has barometric altitudes only
    result = scan(states, ScanConfig())
    enc = result.encounters
    assert not enc["classes"].str.contains("nmac").any()
    assert not enc["airprox"].isin(["A", "B"]).any()
    assert result.flagged["frozen"] > 1000
    samples = clean(states, ScanConfig())
    jumped = samples[(samples["id"] == "3944e1") & (samples["alt_m"] > 11_000)]
    assert len(jumped) > 30 and set(jumped["flag"]) == {"frozen"}
