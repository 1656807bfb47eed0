"""The partition of :mod:`wellclear.cluster.cells`: over random traffic (at the antimeridian,
the poles and the equator) the union over cells of the pairs each cell owns is exactly the
single engine's pairs, each once, with the same levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wellclear.alerting.config import preset
from wellclear.cluster.cells import (
    CellGrid,
    assign,
    cell_subject,
    check_speeds,
    owner_cells,
    route,
    subject_cell,
)
from wellclear.cluster.reach import pair_reach_m
from wellclear.engine.assess import EngineSettings, assess
from wellclear.geo import extrapolate

TOP_SPEED = 60.0
MAX_AGE = 20.0
CENTRES = [(0.0, 179.9), (89.9, 10.0), (0.05, 0.05), (-89.95, -170.0), (45.0, -180.0)]


def traffic(seed: int, per_cluster: int = 80, box_deg: float = 0.4) -> pd.DataFrame:
    """Clusters of drones around each centre, one latest report each (ages up to MAX_AGE)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, (lat0, lon0) in enumerate(CENTRES):
        n = per_cluster
        lat = np.clip(lat0 + rng.uniform(-box_deg, box_deg, n), -89.999, 89.999)
        lon = (lon0 + rng.uniform(-box_deg, box_deg, n) + 180.0) % 360.0 - 180.0
        rows.append(
            pd.DataFrame(
                {
                    "id": [f"{k}-{m:03d}-{rng.integers(1000)}" for m in range(n)],
                    "party": rng.choice(["a", "b", "c"], n),
                    "callsign": [f"C{k}{m}" for m in range(n)],
                    "t": 1000.0 - rng.uniform(0.0, MAX_AGE * 0.9, n),
                    "lat": lat,
                    "lon": lon,
                    "alt_m": rng.uniform(60.0, 160.0, n),
                    "gs_mps": rng.uniform(0.0, TOP_SPEED, n),
                    "trk_deg": rng.uniform(0.0, 360.0, n),
                    "vs_mps": rng.uniform(-2.0, 2.0, n),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def alerting_pairs(states: pd.DataFrame, s: EngineSettings) -> pd.DataFrame:
    a = assess(states, s, at=1000.0).alerts
    a = a[a["level"] >= 1]
    return a[["id_1", "id_2", "level", "hmd_m", "taumod_s"]].reset_index(drop=True)


def partitioned_pairs(states: pd.DataFrame, s: EngineSettings, grid: CellGrid) -> pd.DataFrame:
    """Each cell's engine over the reports routed to it, keeping the pairs the cell owns."""
    pos = grid.points(states["lat"], states["lon"])
    home = pd.Series(grid.home(pos), index=states["id"].to_numpy(object))
    row, key = route(grid, pos, np.full_like(pos, np.nan))
    found = []
    for cell in np.unique(home.to_numpy()):
        view = states.iloc[np.sort(row[key == cell])]
        got = alerting_pairs(view, s)
        own = owner_cells(
            got["id_1"], got["id_2"], home[got["id_1"]].to_numpy(), home[got["id_2"]].to_numpy()
        )
        found.append(got[own == cell])
    return pd.concat(found, ignore_index=True)


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_union_of_owned_pairs_is_the_engine_pairs_once(seed: int) -> None:
    s = EngineSettings(alerting=preset("do365"), max_age_s=MAX_AGE)
    reach = pair_reach_m(preset("do365"), TOP_SPEED, MAX_AGE)
    grid = CellGrid(cell_m=reach * 1.05, reach_m=reach)
    states = traffic(seed)
    single = alerting_pairs(states, s)
    parts = partitioned_pairs(states, s, grid)
    key = ["id_1", "id_2"]
    assert not parts.duplicated(key).any(), "a pair reported by two cells"
    merged = single.merge(parts, on=key, how="outer", suffixes=("", "_p"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert (merged["level"] == merged["level_p"]).all()
    np.testing.assert_allclose(merged["hmd_m"], merged["hmd_m_p"], rtol=1e-9, atol=1e-6)
    # the traffic is dense enough to alert, and some alerting pairs straddle a cell border
    cells = grid.home(grid.points(states["lat"], states["lon"]))
    home = dict(zip(states["id"], cells, strict=True))
    across = [home[a] != home[b] for a, b in zip(single["id_1"], single["id_2"], strict=True)]
    assert len(single) > 0 and any(across)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-90, 90), st.floats(-180, 180), st.floats(0.0, 1.0)),
        min_size=2,
        max_size=40,
    )
)
def test_pairs_within_reach_reach_their_owner(points: list[tuple[float, float, float]]) -> None:
    """Brute force: for every pair within R the owner cell receives both reports; the cells
    of the owner rule agree for (i, j) and (j, i)."""
    grid = CellGrid(cell_m=12_000.0, reach_m=10_000.0)
    base = np.array([[p[0], p[1]] for p in points])
    # spread the points within 30 km of the first, so that many are within reach
    lat0, lon0 = base[0]
    bearing = np.degrees(np.arctan2(base[:, 0], base[:, 1] + 1e-9)) % 360.0
    dist = np.array([p[2] for p in points]) * 30_000.0
    lat, lon, _ = extrapolate(np.full(len(base), lat0), np.full(len(base), lon0), bearing, dist)
    pos = grid.points(lat, lon)
    ids = np.array([f"x{k:02d}" for k in range(len(pos))], dtype=object)
    home = grid.home(pos)
    row, key = route(grid, pos, np.full_like(pos, np.nan))
    got = set(zip(row.tolist(), key.tolist(), strict=True))
    i, j = np.triu_indices(len(pos), 1)
    near = np.linalg.norm(pos[i] - pos[j], axis=1) <= grid.reach_m
    i, j = i[near], j[near]
    own = owner_cells(ids[i], ids[j], home[i], home[j])
    assert (own == owner_cells(ids[j], ids[i], home[j], home[i])).all()
    for a, b, c in zip(i, j, own, strict=True):
        assert (a, c) in got and (b, c) in got


def test_route_tells_the_cells_left_behind() -> None:
    grid = CellGrid(cell_m=12_000.0, reach_m=10_000.0)
    before = grid.points([0.0], [179.95])
    after = grid.points([0.0], [-179.5])  # 50 km east, across the antimeridian
    _, now_only = grid.halo(after)
    _, then = grid.halo(before)
    row, key = route(grid, after, before)
    assert set(key.tolist()) == set(now_only.tolist()) | set(then.tolist())
    assert (row == 0).all() and len(np.unique(key)) == len(key)


def test_subjects_round_trip_and_bad_subjects_are_named() -> None:
    grid = CellGrid(cell_m=12_000.0, reach_m=10_000.0)
    keys = grid.home(grid.points([89.99, -89.99, 0.0], [0.0, 120.0, -180.0]))
    for k in keys:
        assert subject_cell(cell_subject(int(k))) == k
    with pytest.raises(ValueError, match=r"wc\.reports\.1\.2"):
        subject_cell("wc.reports.1.2")
    with pytest.raises(ValueError, match="not integers"):
        subject_cell("wc.reports.1.a.3")


def test_cells_move_only_to_a_joining_worker() -> None:
    keys = np.arange(2000, dtype=np.int64) * 7919
    two = assign(keys, ["w1", "w2"])
    three = assign(keys, ["w1", "w2", "w3"])
    moved = two != three
    assert (three[moved] == 2).all()
    assert 0.2 < moved.mean() < 0.45  # about a third moves to the new worker
    back = assign(keys, ["w1", "w2"])
    assert (back == two).all()


def test_bad_input_is_refused_with_its_record() -> None:
    with pytest.raises(ValueError, match="report 1: gs_mps 80"):
        check_speeds([10.0, 80.0], 60.0)
    with pytest.raises(ValueError, match="cell_m must be"):
        CellGrid(cell_m=5_000.0, reach_m=10_000.0)
    grid = CellGrid(cell_m=12_000.0, reach_m=10_000.0)
    with pytest.raises(ValueError, match=r"report 1: position \(95.0"):
        grid.points([0.0, 95.0], [0.0, 0.0])
