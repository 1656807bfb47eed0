"""The merge of spans into groups (``merge_runs``), hashed pair keys and group minima."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wellclear.encounters.merge import (
    PAIR,
    check_names,
    first_of_groups,
    merge_runs,
    name_hashes,
    pair_hash,
)


def _reference(key: np.ndarray, s: np.ndarray, e: np.ndarray, gap: float) -> list[set[int]]:
    """Groups as sets of rows, merged the slow way: per key, by start, a row joins the group
    before when it starts less than ``gap`` after the latest end so far."""
    groups: list[set[int]] = []
    for k in np.unique(key):
        rows = sorted(np.flatnonzero(key == k), key=lambda r: (s[r], e[r]))
        end = -np.inf
        for r in rows:
            if s[r] - end >= gap:
                groups.append(set())
            groups[-1].add(int(r))
            end = max(end, e[r])
    return groups


def _spans(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    names = ["a", "B", "c10", "c9", "Ω", "a b"]
    for i, ni in enumerate(names):
        for nj in names[i + 1 :]:
            t = 0.0
            for _ in range(int(rng.integers(1, 8))):
                t += float(rng.uniform(-5.0, 30.0))  # overlapping, touching or apart
                e = t + float(rng.uniform(0.0, 20.0))
                rows.append({"id_i": ni, "id_j": nj, "s": t, "e": e})
                t = e
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)
    return frame.astype({"id_i": "str", "id_j": "str"})


def test_merge_runs_matches_the_slow_merge() -> None:
    rng = np.random.default_rng(8)
    for _ in range(20):
        spans = _spans(rng)
        key = pd.factorize(spans["id_i"] + "\0" + spans["id_j"])[0].astype(np.int64)
        s, e = spans["s"].to_numpy(), spans["e"].to_numpy()
        group, first, start, end = merge_runs(key, s, e, 10.0)
        got = [set(np.flatnonzero(group == g).tolist()) for g in range(start.size)]
        assert sorted(map(sorted, got)) == sorted(map(sorted, _reference(key, s, e, 10.0)))
        for g, rows in enumerate(got):
            assert start[g] == s[list(rows)].min() and end[g] == e[list(rows)].max()
            assert first[g] in rows
        # groups by key, then start; merging the groups again changes nothing (transitive)
        order = np.lexsort((start, key[first]))
        assert np.array_equal(order, np.arange(start.size))
        again = merge_runs(key[first], start, end, 10.0)
        assert np.array_equal(again[0], np.arange(start.size))
    empty = merge_runs(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), 10.0)
    assert all(a.size == 0 for a in empty)


def test_hashed_pair_keys_group_as_the_names_do() -> None:
    spans = _spans(np.random.default_rng(9))
    names = np.unique(np.r_[spans["id_i"], spans["id_j"]].astype(object))
    h = dict(zip(names, name_hashes(names), strict=True))
    hashed = pair_hash(
        np.array([h[n] for n in spans["id_i"]], dtype=np.uint64),
        np.array([h[n] for n in spans["id_j"]], dtype=np.uint64),
    )
    coded = pd.factorize(spans["id_i"] + "\0" + spans["id_j"])[0].astype(np.int64)
    s, e = spans["s"].to_numpy(), spans["e"].to_numpy()
    by_hash = merge_runs(hashed, s, e, 10.0)[0]
    by_name = merge_runs(coded, s, e, 10.0)[0]
    assert by_hash.max() > 20
    # the same partition of the rows, whatever the numbering
    pairs = set(zip(by_hash.tolist(), by_name.tolist(), strict=True))
    assert len(pairs) == by_hash.max() + 1 == by_name.max() + 1
    # names agree within every group; a key shared by two pairs is detected, not merged
    check_names(spans, by_hash)
    shared = merge_runs(np.full(len(spans), 7, dtype=np.int64), s, e, 10.0)[0]
    with pytest.raises(ValueError, match="share a hashed pair key"):
        check_names(spans[PAIR], shared)


def test_first_of_groups_matches_a_sort() -> None:
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
