"""The alerting candidate search never drops a pair that any level of any preset would raise
(with its alerting or its early alerting time)."""

from __future__ import annotations

import numpy as np
import pytest

from wellclear.alerting.config import preset
from wellclear.alerting.logic import raw_levels
from wellclear.alerting.pairs import candidate_ordered_pairs, may_alert, pair_geometry
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
    geo = pair_geometry(states, i, j)
    alerting: set[tuple[int, int]] = set()
    for early in range(config.max_levels + 1):  # the early alerting time of each level too
        levels = raw_levels(
            config, geo, np.ones(len(i), np.int64), np.full(len(i), early, np.int64)
        ).raw
        alerting |= set(zip(i[levels >= 1].tolist(), j[levels >= 1].tolist(), strict=True))
    assert len(alerting) >= 5  # dense enough to mean something
    assert alerting <= set(zip(i[may_alert(geo, config)], j[may_alert(geo, config)], strict=True))
    ci, cj = candidate_ordered_pairs(states, config)
    near = may_alert(pair_geometry(states, ci, cj), config)
    kept = set(zip(ci[near].tolist(), cj[near].tolist(), strict=True))
    assert alerting <= kept
    assert len(kept) < n * (n - 1)  # and it does prune
