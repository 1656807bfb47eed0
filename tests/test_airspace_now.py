"""The air picture against volumes: inside, predicted entry, proximity, distance to boundary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from wellclear.airspace.geometry import GEOD
from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.now import NOW_COLUMNS, NowConfig, check_now
from wellclear.airspace.sovereign import sovereign_volume
from wellclear.airspace.volume import Volume, parse_limit, parse_window
from wellclear.simulate.tracks import straight_track
from wellclear.units import NM_M

T0 = 1_448_000_000.0


def states(rows: list[dict[str, float | str]]) -> pd.DataFrame:
    """One state per aircraft, from (lon, lat, trk, gs, alt, vs, party)."""
    frames = []
    for i, r in enumerate(rows):
        tr = straight_track(
            float(r["lon"]),
            float(r["lat"]),
            float(r.get("trk", 90.0)),
            float(r.get("gs", 200.0)),
            1.0,
            0.0,
            alt_m=float(r.get("alt", 3000.0)),
            vs_mps=float(r.get("vs", 0.0)),
            id=f"a{i}",
            party=str(r.get("party", "x")),
            t0=T0,
        )
        frames.append(tr)
    return pd.concat(frames, ignore_index=True)


BOX = shapely.MultiPolygon([shapely.box(10.0, 45.0, 11.0, 46.0)])


def test_inside_entry_proximity_on_a_box() -> None:
    idx = VolumeIndex([Volume("R1", "restricted", BOX)])
    # 1: inside; 2: 10 km west heading east (entry after 50 s); 3: 1.5 NM north heading south
    # slowly (proximity, closing); 4: 1.5 NM north heading north (not closing); 5: far away
    lon_w, _, _ = GEOD.fwd(10.0, 45.5, 270.0, 10_000.0)
    _, lat_n, _ = GEOD.fwd(10.5, 46.0, 0.0, 1.5 * NM_M)
    st = states(
        [
            {"lon": 10.5, "lat": 45.5},
            {"lon": float(lon_w), "lat": 45.5, "trk": 90.0, "gs": 200.0},
            {"lon": 10.5, "lat": float(lat_n), "trk": 180.0, "gs": 10.0},
            {"lon": 10.5, "lat": float(lat_n), "trk": 0.0, "gs": 10.0},
            {"lon": 30.0, "lat": 10.0},
        ]
    )
    out = check_now(st, idx, T0, NowConfig(lookahead_s=120.0))
    assert list(out.columns) == NOW_COLUMNS
    got = {(r.id, r.status) for r in out.itertuples()}
    assert got == {("a0", "inside"), ("a1", "entry"), ("a2", "proximity")}
    inside = out[out["status"] == "inside"].iloc[0]
    # depth of the centre: distance to the nearest side (east/west at 45.5N: 0.5 deg of lon)
    _, _, d_ew = GEOD.inv(10.5, 45.5, 11.0, 45.5)
    _, _, d_ns = GEOD.inv(10.5, 45.5, 10.5, 46.0)
    assert inside["distance_m"] == pytest.approx(min(d_ew, d_ns), rel=0.01)
    entry = out[out["status"] == "entry"].iloc[0]
    assert entry["time_to_entry_s"] == pytest.approx(50.0, abs=0.5)
    assert entry["entry_lon"] == pytest.approx(10.0, abs=1e-4)
    prox = out[out["status"] == "proximity"].iloc[0]
    assert prox["distance_m"] == pytest.approx(1.5 * NM_M, rel=0.01)
    assert prox["closing_mps"] == pytest.approx(10.0, rel=0.01)


def test_entry_through_floor_and_window() -> None:
    vol = Volume("R2", "restricted", BOX, floor=parse_limit("FL100"), ceiling=parse_limit("FL200"))
    idx = VolumeIndex([vol])
    st = states([{"lon": 10.5, "lat": 45.5, "alt": 2800.0, "vs": 5.0, "gs": 50.0}])
    out = check_now(st, idx, T0)
    assert out["status"].tolist() == ["entry"]
    assert out["time_to_entry_s"].iloc[0] == pytest.approx((3048.0 - 2800.0) / 5.0, abs=1e-6)
    # below the floor and level: nothing
    assert check_now(st.assign(vs_mps=0.0), idx, T0).empty
    # a window opening in 30 s while the aircraft sits inside the band
    win = (T0 + 30.0, T0 + 600.0)
    vol_w = Volume("D2", "danger", BOX, windows=(win,))
    out = check_now(states([{"lon": 10.5, "lat": 45.5}]), VolumeIndex([vol_w]), T0)
    assert out["status"].tolist() == ["entry"]
    assert out["time_to_entry_s"].iloc[0] == pytest.approx(30.0)
    win2 = parse_window("2015-11-20T00:00:00Z/PT1H")
    assert win2[1] - win2[0] == 3600.0


def test_sovereign_binding_now() -> None:
    idx = VolumeIndex([sovereign_volume("TUR")])
    st = states(
        [
            {"lon": 32.85, "lat": 39.93, "party": "turkey"},
            {"lon": 32.85, "lat": 39.93, "party": "russia"},
            {"lon": 32.85, "lat": 39.93, "party": "unknown"},
        ]
    )
    out = check_now(st, idx, T0, NowConfig(party_state={"turkey": "TUR", "russia": "RUS"}))
    assert out[["id", "status"]].values.tolist() == [["a1", "inside"]]
    assert out["distance_m"].iloc[0] > 100_000  # Ankara is deep inside


def test_boundary_distance_against_geodesic_twin() -> None:
    vols = [sovereign_volume(c) for c in ("TUR", "GRC", "CYP")]
    idx = VolumeIndex(vols)
    rng = np.random.default_rng(4)
    lon = rng.uniform(24.0, 36.0, 30)
    lat = rng.uniform(34.5, 41.5, 30)
    for v, vol in enumerate(vols):
        d, _, _ = idx.boundary_distance(v, lon, lat)
        c = shapely.get_coordinates(shapely.segmentize(vol.geometry.boundary, 0.002))
        for i in range(len(lon)):
            _, _, dd = GEOD.inv(np.full(len(c), lon[i]), np.full(len(c), lat[i]), c[:, 0], c[:, 1])
            ref = float(np.min(dd))
            assert d[i] == pytest.approx(ref, rel=0.01, abs=150.0)


def test_empty_and_antimeridian_now() -> None:
    idx = VolumeIndex([sovereign_volume("FJI")])
    out = check_now(states([{"lon": 0.0, "lat": 0.0}]), idx, T0)
    assert out.empty and list(out.columns) == NOW_COLUMNS
    # Taveuni straddles the antimeridian: on both sides, inside
    st = states(
        [
            {"lon": 179.95, "lat": -16.8, "party": "usa"},
            {"lon": -179.95, "lat": -16.8, "party": "usa"},
        ]
    )
    out = check_now(st, idx, T0)
    assert sorted(out.loc[out["status"] == "inside", "id"]) == ["a0", "a1"]


def test_predicted_entry_against_stepping_twin() -> None:
    """Fast prediction against a slow twin: step each path every 0.5 s and test containment."""
    vols = [
        sovereign_volume("TUR"),
        sovereign_volume("SYR"),
        Volume(
            "R-band", "restricted", BOX, floor=parse_limit("FL80"), ceiling=parse_limit("FL120")
        ),
    ]
    idx = VolumeIndex(vols)
    rng = np.random.default_rng(7)
    n = 150
    lon = np.r_[rng.uniform(35.6, 37.0, n - 30), rng.uniform(9.8, 11.2, 30)]
    lat = np.r_[rng.uniform(35.6, 37.0, n - 30), rng.uniform(44.8, 46.2, 30)]
    rows = [
        {
            "lon": float(lon[i]),
            "lat": float(lat[i]),
            "trk": float(rng.uniform(0, 360)),
            "gs": float(rng.uniform(100, 250)),
            "alt": float(rng.uniform(1500, 4500)),
            "vs": float(rng.normal(0, 10)),
            "party": "russia",
        }
        for i in range(n)
    ]
    st = states(rows)
    look = 120.0
    out = check_now(st, idx, T0, NowConfig(lookahead_s=look, party_state={"russia": "RUS"}))
    got = {(r.id, r.volume): r.time_to_entry_s for r in out[out["status"] == "entry"].itertuples()}
    tt = np.arange(0.0, look + 1e-9, 0.5)
    want: dict[tuple[str, str], float] = {}
    for i in range(n):
        x, y, _ = GEOD.fwd(
            np.full(len(tt), lon[i]),
            np.full(len(tt), lat[i]),
            np.full(len(tt), rows[i]["trk"]),
            float(rows[i]["gs"]) * tt,
        )
        alt = float(rows[i]["alt"]) + float(rows[i]["vs"]) * tt
        for vol in vols:
            ins = shapely.contains_xy(vol.geometry, np.asarray(x), np.asarray(y))
            if vol.floor.ref == "FL":
                ins &= (alt >= vol.floor.value_m) & (alt <= vol.ceiling.value_m)
            if not ins[0] and ins.any():
                want[(f"a{i}", vol.name)] = float(tt[np.argmax(ins)])
    assert len(want) >= 10
    assert set(got) == set(want)
    for key, t_in in want.items():
        assert got[key] == pytest.approx(t_in, abs=0.51)
