"""``assign`` (integer pair codes and bisection) against the as-of join it replaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wellclear.encounters.merge import (
    PAIR,
    assign,
    check_names,
    first_of_groups,
    group_spans,
    name_hashes,
    pair_hash,
)


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


def _spans(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    names = ["a", "B", "c10", "c9", "Ω", "a b"]
    for i, ni in enumerate(names):
        for nj in names[i + 1 :]:
            t = 0.0
            for _ in range(int(rng.integers(1, 6))):
                t += float(rng.uniform(0.0, 30.0))
                e = t + float(rng.uniform(0.1, 20.0))
                rows.append({"kind": "prox", "id_i": ni, "id_j": nj, "s": t, "e": e})
                t = e
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)
    return frame.astype({"id_i": "str", "id_j": "str"})


def test_hashed_pair_keys_group_as_the_names_do() -> None:
    spans = _spans(np.random.default_rng(8))
    names = np.unique(np.r_[spans["id_i"], spans["id_j"]].astype(object))
    h = dict(zip(names, name_hashes(names), strict=True))
    hashed = spans.assign(
        pair=pair_hash(
            np.array([h[n] for n in spans["id_i"]], dtype=np.uint64),
            np.array([h[n] for n in spans["id_j"]], dtype=np.uint64),
        )
    )
    by_name = group_spans(spans, 10.0)
    by_hash = group_spans(hashed, 10.0)
    assert len(by_name) > 20
    key = [*PAIR, "start"]
    pd.testing.assert_frame_equal(
        by_hash.drop(columns="pair").sort_values(key).reset_index(drop=True),
        by_name.sort_values(key).reset_index(drop=True),
    )
    # the same group for every span, whichever key found it
    g_name = by_name.iloc[assign(spans, by_name, "s")][key].reset_index(drop=True)
    g_hash = by_hash.iloc[assign(hashed, by_hash, "s")][key].reset_index(drop=True)
    pd.testing.assert_frame_equal(g_name, g_hash)
    # a hash shared by two different pairs is detected, not merged
    clash = hashed.assign(pair=np.int64(7))
    merged = group_spans(clash, 10.0)
    with pytest.raises(ValueError, match="share a hashed pair key"):
        check_names(clash, assign(clash, merged, "s"))
    check_names(hashed, assign(hashed, by_hash, "s"))  # distinct keys: nothing to report


def testfirst_of_groups_matches_a_sort() -> None:
    rng = np.random.default_rng(21)
    for _ in range(20):
        n = int(rng.integers(1, 400))
        gidx = np.sort(rng.choice(60, n)).astype(np.int64)
        gidx = rng.permutation(gidx)
        k1 = rng.integers(0, 4, n).astype(float)  # many ties
        k2 = rng.integers(0, 3, n).astype(float)
        order = np.lexsort((np.arange(n), k2, k1, gidx))
        g = gidx[order]
        ref = order[np.r_[True, g[1:] != g[:-1]]]
        np.testing.assert_array_equal(first_of_groups(gidx, k1, k2), ref)
