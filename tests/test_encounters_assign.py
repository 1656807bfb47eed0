"""``assign`` (integer pair codes and bisection) against the as-of join it replaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wellclear.encounters.merge import PAIR, assign


def _reference(frame: pd.DataFrame, groups: pd.DataFrame, time: str) -> np.ndarray:
    keys = {"id_i": object, "id_j": object}
    g = groups.astype(keys).assign(gidx=np.arange(len(groups)), start=groups["start"].astype(float))
    left = frame[[*PAIR, time]].astype(keys).assign(_row=np.arange(len(frame)))
    left = left.sort_values(time, kind="stable")
    g = g.sort_values("start", kind="stable")
    m = pd.merge_asof(
        left, g[[*PAIR, "start", "end", "gidx"]], left_on=time, right_on="start", by=PAIR
    )
    return m.sort_values("_row")["gidx"].to_numpy().astype(np.int64)


def test_assign_matches_the_as_of_join() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for i in range(30):
        for j in range(i + 1, 30, 7):
            t = 0.0
            for _ in range(rng.integers(1, 5)):
                t += rng.uniform(11.0, 500.0)
                e = t + rng.uniform(0.0, 300.0)
                rows.append((f"a{i}", f"a{j}", t, e))
                t = e
    groups = pd.DataFrame(rows, columns=["id_i", "id_j", "start", "end"]).sample(
        frac=1, random_state=1
    )
    groups = groups.reset_index(drop=True)
    pick = rng.integers(0, len(groups), 5000)
    u = rng.uniform(0.0, 1.0, pick.size)
    u[:50] = 0.0  # at the start and the end of a group
    u[50:100] = 1.0
    g = groups.iloc[pick]
    frame = pd.DataFrame(
        {
            "id_i": pd.array(g["id_i"].to_numpy(), dtype="string[pyarrow]"),
            "id_j": g["id_j"].to_numpy(),
            "s": g["start"].to_numpy() + u * (g["end"] - g["start"]).to_numpy(),
        }
    )
    got = assign(frame, groups, "s")
    assert np.array_equal(got, _reference(frame, groups, "s"))
    assert np.array_equal(got, pick)


def test_assign_rejects_a_row_outside_every_group() -> None:
    groups = pd.DataFrame({"id_i": ["a"], "id_j": ["b"], "start": [10.0], "end": [20.0]})
    for pair, s in ((("a", "b"), 25.0), (("a", "b"), 5.0), (("a", "c"), 15.0)):
        frame = pd.DataFrame({"id_i": [pair[0]], "id_j": [pair[1]], "s": [s]})
        with pytest.raises(AssertionError):
            assign(frame, groups, "s")
