"""The alerting candidate search never drops a pair that any level of any preset would raise."""

from __future__ import annotations

import numpy as np
import pytest

from wellclear.alerting.config import preset
from wellclear.alerting.logic import raw_levels
from wellclear.alerting.pairs import candidate_ordered_pairs, pair_geometry
from wellclear.simulate.snapshots import box_traffic, cap_traffic


@pytest.mark.parametrize("name", ["do365", "do365-phase2", "do365-noncoop", "tcas", "cylinder"])
@pytest.mark.parametrize("where", ["box", "pole", "antimeridian"])
def test_pruned_pairs_hold_every_alert(name: str, where: str) -> None:
    if where == "box":
        states = box_traffic(400, side_m=60_000.0, seed=4, level=False)
    else:
        center = (89.7, 0.0) if where == "pole" else (0.0, 180.0)
        states = cap_traffic(400, area_per_aircraft_m2=8e6, center=center, seed=4, level=False)
    config = preset(name)
    n = len(states)
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    off = ii != jj
    i, j = ii[off].ravel(), jj[off].ravel()
    levels = raw_levels(
        config, pair_geometry(states, i, j), np.ones(len(i), np.int64), np.zeros(len(i), np.int64)
    ).raw
    alerting = set(zip(i[levels >= 1].tolist(), j[levels >= 1].tolist(), strict=True))
    assert len(alerting) >= 5  # dense enough to mean something
    ci, cj = candidate_ordered_pairs(states, config)
    kept = set(zip(ci.tolist(), cj.tolist(), strict=True))
    assert alerting <= kept
    assert len(kept) < n * (n - 1)  # and it does prune
