"""The compiled ``build_tracks`` and ``window_evidence`` against the pandas implementation they
replaced (copied below as ``_reference_*``): same clean samples, flags, paths and evidence."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from test_encounters_plausibility import reference_flags
from wellclear.encounters import tracks as tracks_module
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.merge import (
    EVIDENCE_COLUMNS,
    _first_at_or_after,
    _last_at_or_before,
    min_pieces,
    window_evidence,
)
from wellclear.encounters.pieces import scan_pieces
from wellclear.encounters.tracks import FLAGS, build_tracks, clean
from wellclear.geo import ecef, velocity_ecef
from wellclear.simulate.flights import fly, sample
from wellclear.simulate.scenarios import random_plans
from wellclear.states import check_states

# --- the implementation before the compiled one (tracks.py and merge.window_evidence) ----------


def _reference_legs_impossible(frame: pd.DataFrame, cfg: ScanConfig) -> tuple[Any, Any]:
    t = frame["t"].to_numpy(np.float64)
    same = np.zeros(len(frame), dtype=bool)
    ids = frame["id"].to_numpy()
    same[1:] = ids[1:] == ids[:-1]
    dt = np.diff(t, prepend=np.nan)
    near = same & (dt <= cfg.max_gap_s)
    p = ecef(frame["lat"].to_numpy(np.float64), frame["lon"].to_numpy(np.float64))
    dist = np.zeros(len(frame))
    dist[1:] = np.linalg.norm(p[1:] - p[:-1], axis=1)
    alt = frame["alt_m"].to_numpy(np.float64)
    dz = np.abs(np.diff(alt, prepend=np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        fast = dist / np.maximum(dt, 1e-3) > cfg.max_speed_mps
        steep = np.nan_to_num(dz / np.maximum(dt, 1e-3)) > cfg.max_climb_mps
    return near & (fast | steep), near


def _reference_clean(states: pd.DataFrame, cfg: ScanConfig) -> pd.DataFrame:
    check_states(states)
    frame = states.dropna(subset=["t", "lat", "lon"])
    frame = frame.assign(id=frame["id"].astype(str))
    code = pd.factorize(frame["id"], sort=True)[0]
    t = frame["t"].to_numpy(np.float64)
    order = np.lexsort((t, code))
    code, t = code[order], t[order]
    dup = np.zeros(order.size, dtype=bool)
    dup[1:] = (code[1:] == code[:-1]) & (t[1:] == t[:-1])
    frame = frame.iloc[order[~dup]].reset_index(drop=True)
    flag = np.full(len(frame), "", dtype=object)
    has_alt = frame["alt_m"].notna().to_numpy().copy()
    flag[~has_alt] = "no_altitude"
    ground = frame["onground"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    flag[ground] = "onground"
    has_alt &= ~ground
    sub = frame[has_alt]
    bad_in, near_in = _reference_legs_impossible(sub, cfg)
    bad_out = np.append(bad_in[1:], False)
    near_out = np.append(near_in[1:], False)
    legs = near_in.astype(int) + near_out.astype(int)
    bad = (bad_in | ~near_in) & (bad_out | ~near_out) & (legs > 0)
    idx = np.flatnonzero(has_alt)
    flag[idx[bad]] = "jump"
    # the plausibility stage, from its own slow reference (the jump rule above is part of it)
    frame["flag"] = np.where(ground | ~frame["alt_m"].notna().to_numpy(), flag, "")
    frame["flag"] = reference_flags(frame, cfg)
    return frame


def _reference_build_tracks(states: pd.DataFrame, cfg: ScanConfig) -> dict[str, Any]:
    frame = _reference_clean(states, cfg)
    good = (frame["flag"] == "").to_numpy()
    sub = frame[good]
    names = sub["id"].to_numpy(object)
    new = np.r_[True, names[1:] != names[:-1]] if names.size else np.zeros(0, dtype=bool)
    ids = names[new]
    code = np.cumsum(new) - 1
    t = sub["t"].to_numpy(np.float64)
    lat = sub["lat"].to_numpy(np.float64)
    lon = sub["lon"].to_numpy(np.float64)
    pos = ecef(lat, lon)
    n = t.size
    seg_next = np.zeros(n, dtype=bool)
    if n > 1:
        seg_next[:-1] = (code[1:] == code[:-1]) & (np.diff(t) <= cfg.max_gap_s)
        # a leg between clean samples that is still impossible is not interpolated across
        step = np.maximum(np.diff(t), 1e-3)
        fast = np.linalg.norm(np.diff(pos, axis=0), axis=1) / step > cfg.max_speed_mps
        steep = np.abs(np.diff(sub["alt_m"].to_numpy(np.float64))) / step > cfg.max_climb_mps
        seg_next[:-1] &= ~(fast | steep)
    gs = sub["gs_mps"].to_numpy(np.float64)
    trk = sub["trk_deg"].to_numpy(np.float64)
    vel = velocity_ecef(lat, lon, np.nan_to_num(gs), np.nan_to_num(trk))
    has_v = ~(np.isnan(gs) | np.isnan(trk))
    alt = sub["alt_m"].to_numpy(np.float64)
    vs = sub["vs_mps"].to_numpy(np.float64)
    chord = np.zeros((n, 3))
    chord_z = np.zeros(n)
    if n > 1:
        dt = np.where(seg_next[:-1], np.diff(t), 1.0)
        chord[:-1] = (pos[1:] - pos[:-1]) / dt[:, None]
        chord_z[:-1] = np.diff(alt) / dt
    prev_ok = np.concatenate([[False], seg_next[:-1]])
    chord_in = np.concatenate([np.zeros((1, 3)), chord[:-1]])[:n]
    chord_z_in = np.concatenate([[0.0], chord_z[:-1]])[:n]
    vel_out = np.where(has_v[:, None], vel, chord)
    vel_in = np.where(has_v[:, None], vel, np.where(prev_ok[:, None], chord_in, chord))
    has_vs = ~np.isnan(vs)
    vz_out = np.where(has_vs, vs, chord_z)
    vz_in = np.where(has_vs, vs, np.where(prev_ok, chord_z_in, chord_z))
    return {
        "frame": frame,
        "ids": ids.astype(object),
        "code": code.astype(np.int64),
        "t": t,
        "pos": pos,
        "vel_out": vel_out,
        "vel_in": vel_in,
        "alt": alt,
        "alt_baro": sub["alt_baro_m"].to_numpy(np.float64),
        "vz_out": vz_out,
        "vz_in": vz_in,
        "seg_next": seg_next,
        "row": np.flatnonzero(good).astype(np.int64),
    }


def _reference_window_evidence(
    frame: pd.DataFrame, best: pd.DataFrame, cfg: ScanConfig
) -> pd.DataFrame:
    cols = [c for c in EVIDENCE_COLUMNS if c in frame.columns]
    if best.empty:
        return pd.DataFrame(columns=["wg", *cols])
    ids = frame["id"].to_numpy()
    t = frame["t"].to_numpy(np.float64)
    first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if ids.size else np.zeros(0, int)
    last = np.append(first[1:], ids.size)
    names = np.stack([best["id_i"].to_numpy(object), best["id_j"].to_numpy(object)], axis=1)
    k = pd.Index(ids[first]).get_indexer(names.ravel())
    if (k < 0).any():
        raise KeyError("an aircraft of a piece is not in the window")
    t_min = np.repeat(best["t_min"].to_numpy(np.float64), 2)
    s = _first_at_or_after(t, first[k], last[k], t_min - cfg.evidence_s)
    e = _last_at_or_before(t, first[k], last[k], t_min + cfg.evidence_s) + 1
    e = np.maximum(e, s)
    cnt = e - s
    idx = np.repeat(s, cnt) + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    out = frame.iloc[idx][cols].reset_index(drop=True)
    out.insert(0, "wg", np.repeat(np.repeat(np.arange(len(best)), 2), cnt))
    return out


# --- traffic with everything the cleaning handles ------------------------------------------------


def _traffic(seed: int = 2) -> pd.DataFrame:
    """Generated traffic made hard: mixed-case and unicode names, aircraft moved across the
    antimeridian and near the north pole, missing gs/trk/vs and altitudes, rows on the ground,
    an impossible jump, rows without position, repeated (id, t) rows, all shuffled."""
    states = sample(fly(random_plans(50, 900.0, seed=2), dt=2.0), seed=2, max_dt=9.0)
    rng = np.random.default_rng(seed)
    names = np.array(
        ["b7", "B7", "a", "é1", "a10", "a9", "z", "Ω", "ab", "a b", "7", "_x", "Zz", "zZ", "ü"]
    )
    code = pd.factorize(states["id"])[0]
    states = states.assign(id=np.where(code < names.size, names[code % names.size], states["id"]))
    lat = states["lat"].to_numpy().copy()
    lon = states["lon"].to_numpy().copy()
    # aircraft 20-24 across the antimeridian, 25-29 within a degree or two of the pole
    anti = (code >= 20) & (code < 25)
    lon[anti] = (lon[anti] + 177.0 + 180.0) % 360.0 - 180.0
    polar = (code >= 25) & (code < 30)
    lat[polar] = np.minimum(lat[polar] + 38.0, 89.999)
    states = states.assign(lat=lat, lon=lon)
    n = len(states)
    for c, frac in (("gs_mps", 0.05), ("trk_deg", 0.05), ("vs_mps", 0.1), ("alt_m", 0.02)):
        col = states[c].to_numpy().copy()
        col[rng.random(n) < frac] = np.nan
        states[c] = col
    # runs of missing velocity (chords at both ends of a gap)
    gs = states["gs_mps"].to_numpy().copy()
    gs[(code == 3) & (np.arange(n) % 7 < 4)] = np.nan
    states["gs_mps"] = gs
    ground = states["onground"].to_numpy().copy()
    ground[rng.random(n) < 0.02] = True
    states["onground"] = ground
    # an impossible jump: one sample of one aircraft 2 degrees away; one of another 30 km up
    rows_a = np.flatnonzero(code == 1)
    states.loc[rows_a[len(rows_a) // 2], "lat"] += 2.0
    rows_b = np.flatnonzero(code == 2)
    states.loc[rows_b[len(rows_b) // 3], "alt_m"] += 30_000.0
    # rows without a position or a time (dropped)
    for c in ("t", "lat", "lon"):
        col = states[c].to_numpy().copy()
        col[rng.choice(n, 5, replace=False)] = np.nan
        states[c] = col
    # repeated (id, t): the first one is kept, whatever its content
    extra = states.sample(n=300, random_state=seed).assign(lat=lambda f: f["lat"] + 0.01)
    extra.loc[extra.index[:50], "alt_m"] = np.nan
    states = pd.concat([states, extra], ignore_index=True)
    # out of order
    return states.iloc[rng.permutation(len(states))].reset_index(drop=True)


def _assert_same(got: Any, ref: dict[str, Any]) -> None:
    assert list(got.ids) == list(ref["ids"])
    for name in ("code", "t", "alt", "alt_baro", "seg_next"):
        np.testing.assert_array_equal(getattr(got, name), ref[name], err_msg=name)
    for name in ("pos", "vel_out", "vel_in", "vz_out", "vz_in"):
        a, b = getattr(got, name), ref[name]
        scale = max(float(np.abs(b).max(initial=0.0)), 1.0)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * scale, err_msg=name)
    # the party, callsign and every other column of each clean sample, found by ``row``
    frame = ref["frame"]
    for c in frame.columns.drop("flag"):
        want = frame[c].to_numpy()[ref["row"]]
        have = got.frame[c].to_numpy()[got.row]
        if c == "id":
            have = have.astype(str).astype(object)
        pd.testing.assert_series_equal(
            pd.Series(have, name=c), pd.Series(want, name=c), check_dtype=False
        )


@pytest.mark.parametrize("seed", [2, 5])
def test_build_tracks_matches_the_reference(seed: int) -> None:
    states = _traffic(seed)
    cfg = ScanConfig()
    ref = _reference_build_tracks(states, cfg)
    got = build_tracks(states, cfg)
    flags = ref["frame"]["flag"].value_counts()
    assert flags["jump"] >= 2 and flags["no_altitude"] > 0 and flags["onground"] > 0
    _assert_same(got, ref)
    # every deduplicated sample, sorted by (id, t), with its flag
    frame = ref["frame"]
    np.testing.assert_array_equal(got.all_t, frame["t"].to_numpy())
    assert list(np.asarray(FLAGS, dtype=object)[got.all_flag]) == list(frame["flag"])
    ids = got.frame["id"].astype(str).to_numpy(object)[got.all_row]
    assert list(ids) == list(frame["id"])
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    np.testing.assert_array_equal(got.all_start, np.append(starts, ids.size))
    assert list(got.all_ids) == list(ids[starts])


def test_clean_matches_the_reference() -> None:
    states = _traffic(3)
    cfg = ScanConfig(max_gap_s=20.0, max_speed_mps=300.0, max_climb_mps=50.0)
    pd.testing.assert_frame_equal(clean(states, cfg), _reference_clean(states, cfg))
    _assert_same(build_tracks(states, cfg), _reference_build_tracks(states, cfg))


def test_object_and_arrow_strings_give_the_same_tracks() -> None:
    states = _traffic(4)
    cfg = ScanConfig()
    objects = states.astype({c: object for c in ("id", "party", "callsign", "alt_src")})
    ref = _reference_build_tracks(objects, cfg)
    _assert_same(build_tracks(objects, cfg), ref)
    _assert_same(build_tracks(states, cfg), ref)


def test_edge_inputs() -> None:
    cfg = ScanConfig()
    states = _traffic(2)
    for frame in (
        states.iloc[:0],
        states.iloc[:1],
        states[states["id"] == "a"],
        states.assign(onground=True),
        states.assign(alt_m=np.nan),
        states.assign(gs_mps=np.nan, vs_mps=np.nan),
        states.assign(t=np.floor(states["t"] / 30.0) * 30.0),  # many repeated times
        states.set_index(np.arange(len(states))[::-1] * 3),  # an index that is not positional
        states.sort_values("t", kind="stable"),  # time order: no aircraft to sort again
        states.assign(id=pd.factorize(states["id"])[0] % 40),  # integer ids, compared as text
        # tracks beyond the range of the compiled sine (the library's is used) and within it
        states.assign(trk_deg=states["trk_deg"] + 360.0 * np.where(states.index % 2, 1e4, 1e6)),
    ):
        _assert_same(build_tracks(frame, cfg), _reference_build_tracks(frame, cfg))
        pd.testing.assert_frame_equal(clean(frame, cfg), _reference_clean(frame, cfg))


def test_threads_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    states = _traffic(6)
    cfg = ScanConfig()
    one = build_tracks(states, cfg, threads=1)
    monkeypatch.setattr(tracks_module, "RECORD_BLOCK", 100)  # many blocks of records
    moved = states.assign(lat=states["lat"] + 1.0, trk_deg=states["trk_deg"] + 5.0)
    for threads in (2, 7):
        build_tracks(moved, cfg, threads=1)  # other records in this thread's kept buffer
        other = build_tracks(states, cfg, threads=threads)
        for name in ("code", "t", "pos", "vel_out", "vel_in", "vz_in", "seg_next", "row"):
            np.testing.assert_array_equal(getattr(one, name), getattr(other, name), err_msg=name)
        for name in ("all_row", "all_t", "all_flag", "alt", "alt_baro", "vz_out"):
            np.testing.assert_array_equal(getattr(one, name), getattr(other, name), err_msg=name)


def test_window_evidence_matches_the_reference() -> None:
    states = _traffic(2)
    cfg = ScanConfig(proximity_horizontal_m=30_000.0)
    tracks = build_tracks(states, cfg)
    found = scan_pieces(tracks, cfg)
    assert not found.pieces.empty
    # the window-group minima are the smallest pieces of their groups
    low = min_pieces(found.pieces, found.pieces["wg"].to_numpy())
    assert len(found.groups) == len(low) > 5
    np.testing.assert_array_equal(found.groups["t_min"].to_numpy(), low["t_min"].to_numpy())
    t = found.pieces["t_min"].to_numpy()
    g = found.groups.iloc[found.pieces["wg"].to_numpy()]
    assert ((g["start"].to_numpy() <= t) & (t <= g["end"].to_numpy())).all()
    ref = _reference_window_evidence(_reference_clean(states, cfg), found.groups, cfg)
    got = window_evidence(tracks, found.groups, cfg)
    assert len(got) > 100 and (got["flag"] != "").any()
    pd.testing.assert_frame_equal(got, ref)
    # no minima: the empty table with the same columns
    none = found.groups.iloc[:0]
    assert list(window_evidence(tracks, none, cfg).columns) == list(got.columns)


def test_records_buffer_is_reused_below_the_cap_only() -> None:
    """A thread keeps one records buffer for its windows (no fresh mapping each time), but
    not one for a table larger than the cap (a whole frame scanned at once)."""
    from wellclear.encounters import tracks

    a = tracks._records_buffer(1000)
    b = tracks._records_buffer(800)
    assert a.shape == (1000, 12) and b.shape == (800, 12)
    assert np.shares_memory(a, b)
    big = tracks._records_buffer(tracks._KEEP_ROWS + 1)
    assert big.shape[0] == tracks._KEEP_ROWS + 1
    assert not np.shares_memory(big, tracks._records_buffer(1000))
    assert np.shares_memory(a, tracks._records_buffer(1000))


def test_id_codes_of_categories_equal_factorized_text() -> None:
    """Ids read as a dictionary (a categorical column, categories unsorted and some unused)
    get the codes and names that factorizing their text gives; with a missing id, the text
    path is taken."""
    from wellclear.encounters.tracks import id_codes

    text = ["z9", "Äb", "a1", "", "a1", "z9", "b2", "a10"]
    cats = pd.CategoricalDtype(["b2", "unused", "z9", "a10", "Äb", "a1", "", "also unused"])
    ids = pd.Series(text, dtype=cats)
    codes, names = id_codes(ids)
    ref_codes, ref_names = pd.factorize(pd.Series(text, dtype="str"), sort=True)
    np.testing.assert_array_equal(codes, ref_codes)
    assert list(names) == list(ref_names) == sorted(set(text))
    assert codes.dtype == np.int64 and names.dtype == object
    missing = pd.Series(["b", None, "a"], dtype=pd.CategoricalDtype(["b", "a"]))
    codes, names = id_codes(missing)
    ref_codes, ref_names = pd.factorize(missing.astype(str), sort=True)
    np.testing.assert_array_equal(codes, ref_codes)
    assert list(names) == list(ref_names)
