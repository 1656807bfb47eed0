"""The array hysteresis and PairAlerter held against the dict-based table they replace.

``ReferenceTable`` is the hysteresis table as it was (one dict entry per pair, grown by
``np.vstack``), kept here as the slow, obviously correct twin. PairAlerter is compared with it
fed every ordered pair of the aircraft present at each step, unpruned, as DAIDALUS computes
them: the fast path prunes, drops quiet histories and brings them back, and must give the same
level for every pair at every step.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from wellclear.alerting import HysteresisTable, preset
from wellclear.alerting.logic import raw_levels
from wellclear.alerting.pairs import PairAlerter, pair_geometry
from wellclear.formats.states import read_reports
from wellclear.simulate.flights import fly, sample
from wellclear.simulate.scenarios import random_plans
from wellclear.snapshot import snapshot


class ReferenceTable:
    """The dict-based hysteresis table (wellclear before the array rewrite)."""

    def __init__(self, hysteresis_s: float, persistence_s: float, m: int, n: int) -> None:
        self.hysteresis_s, self.persistence_s, self.m, self.n = hysteresis_s, persistence_s, m, n
        self._index: dict[Hashable, int] = {}
        self._queue = np.full((0, max(n, 1)), -1, dtype=np.int64)
        self._max = np.empty(0, dtype=np.int64)
        self._init = np.empty(0)
        self._last_time = np.empty(0)
        self._last_value = np.empty(0, dtype=np.int64)

    def _rows(self, keys: Sequence[Hashable]) -> np.ndarray:
        rows = np.empty(len(keys), dtype=np.int64)
        new = 0
        for k, key in enumerate(keys):
            row = self._index.get(key)
            if row is None:
                row = len(self._index)
                self._index[key] = row
                new += 1
            rows[k] = row
        if new:
            self._queue = np.vstack([self._queue, np.full((new, self._queue.shape[1]), -1)])
            self._max = np.concatenate([self._max, np.full(new, -1)])
            self._init = np.concatenate([self._init, np.full(new, np.nan)])
            self._last_time = np.concatenate([self._last_time, np.full(new, np.nan)])
            self._last_value = np.concatenate([self._last_value, np.full(new, -1)])
        return rows

    def early_alerting_level(self, keys: Sequence[Hashable], now: float) -> np.ndarray:
        value = np.full(len(keys), -1, dtype=np.int64)
        when = np.full(len(keys), np.nan)
        for k, key in enumerate(keys):
            row = self._index.get(key)
            if row is not None:
                value[k], when[k] = self._last_value[row], self._last_time[row]
        gap = now - when
        recent = ~np.isnan(when) & (gap > 0) & (gap <= self.hysteresis_s)
        return np.where(recent, value, -1)

    def update(self, keys: Sequence[Hashable], raw: npt.ArrayLike, now: float) -> np.ndarray:
        raw_a = np.asarray(raw, dtype=np.int64)
        rows = self._rows(keys)
        if len(rows) == 0:
            return np.empty(0, dtype=np.int64)
        last_t = self._last_time[rows]
        reset = np.isnan(last_t) | (now <= last_t) | (now - last_t > self.hysteresis_s)
        queue, mx = self._queue[rows], self._max[rows]
        init, last_v = self._init[rows], self._last_value[rows]
        if reset.any():
            fill = np.where(np.arange(queue.shape[1]) < self.m, raw_a[:, None], -1)
            queue = np.where(reset[:, None], fill, queue)
            mx = np.where(reset, raw_a, mx)
            init = np.where(reset, np.nan, init)
            last_v = np.where(reset, -1, last_v)
        if 0 < self.m <= self.n:
            mx = np.maximum(mx, raw_a)
            queue = np.concatenate([queue[:, 1:], raw_a[:, None]], axis=1)
            value = np.full(len(rows), -1, dtype=np.int64)
            for level in range(int(mx.max()), -1, -1):
                count = (queue >= level).sum(axis=1)
                hit = (value < 0) & (level <= mx) & (count >= self.m)
                value = np.where(hit, level, value)
            value = np.where(mx < 0, mx, value)
        else:
            value = raw_a
        invalid = raw_a < 0
        persist = (
            ~np.isnan(init)
            & (last_v > 0)
            & (value < last_v)
            & (now >= init)
            & (now - init < self.persistence_s)
        )
        rise = (value > 0) & (value > last_v)
        new_init = np.where(invalid, np.nan, np.where(~persist & rise, now, init))
        new_last = np.where(invalid, raw_a, np.where(persist, last_v, np.maximum(0, value)))
        self._queue[rows], self._max[rows], self._init[rows] = queue, mx, new_init
        self._last_time[rows], self._last_value[rows] = now, new_last
        return np.asarray(new_last, dtype=np.int64)

    def forget_before(self, t: float) -> None:
        keep = [(k, r) for k, r in self._index.items() if self._last_time[r] >= t]
        rows = np.array([r for _, r in keep], dtype=np.int64)
        self._index = {k: i for i, (k, _) in enumerate(keep)}
        self._queue, self._max = self._queue[rows], self._max[rows]
        self._init, self._last_time = self._init[rows], self._last_time[rows]
        self._last_value = self._last_value[rows]


PARAMS = [(5.0, 4.0, 2, 4), (3.0, 2.0, 1, 1), (6.0, 0.0, 3, 5), (0.0, 0.0, 0, 0), (4.0, 6.0, 2, 2)]


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("seed", range(4))
def test_table_agrees_with_reference(params: tuple[float, float, int, int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    fast, slow = HysteresisTable(*params), ReferenceTable(*params)
    pairs = [(f"a{k}", f"b{k % 7}") for k in range(40)]
    now = 0.0
    changed = 0
    for step in range(300):
        # mostly 1 s steps; gaps past the hysteresis time, repeated and backward times
        now += float(rng.choice([1.0, 1.0, 1.0, 0.5, 2.0, 7.0, 0.0, -1.0]))
        pick = rng.random(len(pairs)) < rng.uniform(0.2, 1.0)
        keys = [p for p, ok in zip(pairs, pick, strict=True) if ok]
        raw = rng.choice([0, 0, 0, 1, 2, 3, -1], len(keys))
        early_f = fast.early_alerting_level(keys, now)
        early_s = slow.early_alerting_level(keys, now)
        assert early_f.tolist() == early_s.tolist(), step
        out_f = fast.update(keys, raw, now)
        out_s = slow.update(keys, raw, now)
        assert out_f.tolist() == out_s.tolist(), step
        changed += int((out_f != np.maximum(raw, 0)).sum())
        if step % 17 == 0:
            fast.forget_before(now - params[0])
            slow.forget_before(now - params[0])
            assert len(fast) == len(slow._index)
        if step % 50 == 25:  # a restored table continues the same
            restored = HysteresisTable(*params)
            restored.set_state(fast.get_state())
            fast = restored
    if params[2] > 0 and (params[2] > 1 or params[1] > 0):
        assert changed > 0  # hysteresis did change levels, so the comparison means something


@pytest.fixture(scope="module")
def steps() -> list[tuple[float, pd.DataFrame]]:
    plans = random_plans(70, 600.0, seed=11, radius_deg=0.2)
    frame = read_reports([sample(fly(plans, dt=1.0), seed=11, min_dt=1.0, max_dt=4.0)]).frame
    t0 = float(frame["t_row"].min()) + 250.0
    rng = np.random.default_rng(5)
    out = []
    now = t0
    for _ in range(45):
        now += float(rng.choice([1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 8.0]))
        states = snapshot(frame, now, 20.0).states
        # aircraft missing from some steps (a feed drops them), alerter 2 or invalid for a few
        states = states[rng.random(len(states)) > 0.08].reset_index(drop=True)
        # altitudes squeezed into a few hundred metres, for many encounters among few aircraft
        for col in ("alt_m", "alt_baro_m", "alt_geo_m"):
            states[col] = 5000.0 + 0.05 * (states[col] - 5000.0)
        states["vs_mps"] *= 0.05
        states["alerter"] = rng.choice([1, 1, 1, 1, 2, 7], len(states))
        out.append((now, states))
    return out


def _all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    off = ii != jj
    return ii[off].ravel(), jj[off].ravel()


@pytest.mark.parametrize("name", ["do365", "tcas", "do365-phase2", "do365-sum", "cylinder"])
def test_pair_alerter_agrees_with_unpruned_reference(
    steps: list[tuple[float, pd.DataFrame]], name: str
) -> None:
    config = preset(name)
    fast = PairAlerter(config)
    slow = ReferenceTable(
        config.hysteresis_s, config.persistence_s, config.alerting_m, config.alerting_n
    )
    alerting = 0
    for k, (now, states) in enumerate(steps):
        ids = states["id"].to_numpy(str)
        i, j = _all_pairs(len(states))
        keys = list(zip(ids[i], ids[j], strict=True))
        alerter = states["alerter"].to_numpy(np.int64)[j]
        early = slow.early_alerting_level(keys, now)
        raw = raw_levels(config, pair_geometry(states, i, j), alerter, early).raw
        ok = raw >= 0
        want = slow.update([key for key, v in zip(keys, ok, strict=True) if v], raw[ok], now)
        slow.forget_before(now - config.hysteresis_s - 1e-9)
        expected = {
            key: int(lv)
            for key, lv in zip([kk for kk, v in zip(keys, ok, strict=True) if v], want, strict=True)
            if lv
        }
        frame = fast.step(states, now)
        got = {
            (o, t): int(lv)
            for o, t, lv in zip(frame["ownship"], frame["intruder"], frame["level"], strict=True)
            if lv
        }
        assert got == expected, k
        alerting += len(expected)
        if k == 20:  # restored midway, it continues the same
            restored = PairAlerter(config)
            restored.set_state(fast.get_state())
            fast = restored
        assert len(fast.table) <= max(4 * len(expected), 50)
    assert alerting > 20


def test_state_follows_alerting_pairs(steps: list[tuple[float, pd.DataFrame]]) -> None:
    """The table holds the non-quiet histories only: far fewer rows than pairs evaluated."""
    alerter = PairAlerter(preset("do365"))
    evaluated = 0
    for now, states in steps:
        frame = alerter.step(states, now)
        evaluated = max(evaluated, len(frame))
        assert alerter.table.quiet().sum() == 0
        hot = int((frame["level"] >= 1).sum())
        assert len(alerter.table) <= 3 * hot + 20
    assert evaluated > 5 * max(len(alerter.table), 1)


def test_ids_of_aircraft_long_gone_are_forgotten() -> None:
    """Aircraft that come and go: the code table stays bounded and levels stay exact."""
    from wellclear.simulate.snapshots import box_traffic

    config = preset("do365")
    fast = PairAlerter(config)
    slow = ReferenceTable(
        config.hysteresis_s, config.persistence_s, config.alerting_m, config.alerting_n
    )
    pair = box_traffic(2, side_m=1.0, seed=1)  # two aircraft a few metres apart: alerting
    pair["id"] = ["keep-a", "keep-b"]
    pair["alt_m"] = pair["alt_baro_m"] = 8000.0
    seen = 0
    for k in range(150):
        crowd = box_traffic(40, side_m=3_000_000.0, seed=100 + k)
        crowd["id"] = [f"s{k}-{x}" for x in range(40)]
        seen += 40
        states = pd.concat([pair, crowd], ignore_index=True)
        now = float(k)
        ids = states["id"].to_numpy(str)
        i, j = _all_pairs(len(states))
        keys = list(zip(ids[i], ids[j], strict=True))
        early = slow.early_alerting_level(keys, now)
        raw = raw_levels(config, pair_geometry(states, i, j), np.ones(len(i), np.int64), early).raw
        want = slow.update(keys, raw, now)
        slow.forget_before(now - config.hysteresis_s - 1e-9)
        frame = fast.step(states, now)
        rows = zip(frame["ownship"], frame["intruder"], frame["level"], strict=True)
        got = {(o, t): int(v) for o, t, v in rows if v}
        assert got == {key: int(v) for key, v in zip(keys, want, strict=True) if v}, k
        assert got  # the close pair alerts throughout
    assert len(fast.table.ids) < 0.75 * seen  # forgotten: the crowds of more than 64 steps ago
    restored = PairAlerter(config)
    restored.set_state(fast.get_state())
    pd.testing.assert_frame_equal(restored.step(states, 150.0), fast.step(states, 150.0))
