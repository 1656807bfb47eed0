"""``clean`` sorts and deduplicates on integer id codes: the same rows as the pandas sort."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.encounters.config import ScanConfig
from wellclear.encounters.tracks import build_tracks, clean
from wellclear.simulate.flights import fly, sample
from wellclear.simulate.scenarios import random_plans


def test_clean_matches_the_pandas_sort_and_dedup() -> None:
    states = sample(fly(random_plans(12, 900.0, seed=2), dt=2.0), seed=2, max_dt=9.0)
    rng = np.random.default_rng(2)
    names = np.array(["b7", "B7", "a", "é1", "a10", "a9", "z", "Ω", "ab", "a b", "7", "_x"])
    code = pd.factorize(states["id"])[0] % names.size
    states = states.assign(id=names[code])
    # repeated (id, t) rows (first kept), rows out of order
    extra = states.sample(n=200, random_state=1).assign(lat=lambda f: f["lat"] + 0.01)
    states = pd.concat([states, extra], ignore_index=True)
    states = states.iloc[rng.permutation(len(states))].reset_index(drop=True)
    cfg = ScanConfig()
    got = clean(states, cfg)
    ref = states.dropna(subset=["t", "lat", "lon"])
    ref = ref.assign(id=ref["id"].astype(str)).sort_values(["id", "t"], kind="stable")
    ref = ref.drop_duplicates(subset=["id", "t"], keep="first").reset_index(drop=True)
    pd.testing.assert_frame_equal(got.drop(columns=["flag"]), ref, check_exact=True)
    tracks = build_tracks(states, cfg)
    # ``row`` points into the input table (tracks.frame), which is not reordered
    assert tracks.frame is states
    names = tracks.frame["id"].to_numpy()[tracks.row].astype(str)
    ids, codes = np.unique(names, return_inverse=True)
    assert list(tracks.ids) == list(ids)
    assert np.array_equal(tracks.code, codes)
