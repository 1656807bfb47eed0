"""Decoders spread over processes give the states of one merger over the whole feed: a real
receiver's frames, batch after batch (CPR pairs and carried messages across batches), through
one :class:`ModeSMerger` and through a :class:`DecoderPool` of three workers."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellclear.feeds.bits import with_address
from wellclear.feeds.merge import ModeSMerger
from wellclear.feeds.pool import DecoderPool, shard_of

FRAMES = Path(__file__).parent / "data" / "adsb_lfpg_frames_head.csv"


def test_a_pool_gives_the_states_of_one_merger() -> None:
    src = pd.read_csv(FRAMES, dtype={"frame": str})
    one_aircraft = src["frame"].str.lower().tolist()
    # the receiver's one aircraft and four others with its frames, 0.3 s apart
    copies = [one_aircraft] + [with_address(one_aircraft, 0x3C0000 + k) for k in range(4)]
    times = [src["timestamp"].to_numpy(np.float64) + 0.3 * k for k in range(5)]
    order = np.argsort(np.concatenate(times), kind="stable")
    t = np.concatenate(times)[order]
    hexes = [h for copy in copies for h in copy]
    hexes = [hexes[i] for i in order]
    cuts = np.linspace(0, len(hexes), 6).astype(int)
    one = ModeSMerger("test")
    single, pooled = [], []
    with DecoderPool("test", workers=3) as pool:
        for a, b in itertools.pairwise(cuts):
            line = np.arange(1, b - a + 1, dtype=np.int64)
            single.append(one.decode(t[a:b], hexes[a:b], line))
            pooled.append(pool.decode(t[a:b], hexes[a:b], line))
    for s, p in zip(single, pooled, strict=True):
        pd.testing.assert_frame_equal(s.states, p.states)
        assert s.counts == p.counts
    assert sum(len(s.states) for s in single) > 500
    assert pd.concat([s.states for s in single])["id"].nunique() == 5
    assert len(set(shard_of(hexes, 3).tolist())) == 3  # every worker had frames


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DecoderPool("test", workers=0)
