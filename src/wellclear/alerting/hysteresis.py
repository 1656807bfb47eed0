"""Alerting hysteresis: M-of-N, reset after a gap, persistence, per pair across time steps.

After DAIDALUS ``HysteresisData`` and ``MofN``. For every pair (ownship, intruder) the table
keeps the last N raw levels, the highest raw level since the last reset, the time of the last
rise and the last output. At each step:

1. the history resets (to M copies of the new raw level and N-M empty slots) when the pair has no
   history, when time does not advance, or when more than ``hysteresis_s`` passed since its last
   step;
2. M-of-N: the output is the highest level L such that at least M of the last N raw levels are
   >= L;
3. persistence: after a rise, a lower M-of-N value is ignored for ``persistence_s``.

With M = N = 0 (``--no-hysteresis``) the raw level goes through unchanged.

Pairs are int64 keys ``code_1 * 2**32 + code_2`` of two aircraft codes given by the table's
:class:`IdCodes` (a persistent id -> integer map); the states are rows of arrays sorted by key,
so that a step joins its pairs with one ``np.searchsorted``. The methods taking pairs of ids
(``update``, ``last``, ``early_alerting_level``) encode them first.

*Quiet* pairs: a history whose raw levels are all 0 (or empty) and whose last output is 0 gives
the same outputs as a history of zeros however long, so an owner that knows when each pair was
last stepped (:class:`~wellclear.alerting.pairs.PairAlerter`, from the aircraft's presence) may
drop quiet rows (:meth:`HysteresisTable.drop_quiet`) and bring a pair back as a quiet history
stepped at that time (``update_keys(..., last_time=...)``): the table then holds the pairs
that alert or are about to, not every pair ever evaluated.

One :class:`HysteresisTable` holds the state of every pair; it is plain data updated in place,
not thread-safe: exactly one owner (the alerting loop or the live engine) may call it, and
readers must copy what they need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
State = dict[str, "np.ndarray | float | int | list[str]"]

_ARRAYS = ("queue", "max", "init", "last_time", "last_value")
_SHIFT = np.int64(32)
_LOW = np.int64((1 << 32) - 1)


def pair_keys(code_1: npt.ArrayLike, code_2: npt.ArrayLike) -> IntArray:
    """Int64 keys of ordered pairs of aircraft codes (each below 2**31)."""
    a = np.asarray(code_1, dtype=np.int64)
    b = np.asarray(code_2, dtype=np.int64)
    return np.asarray((a << _SHIFT) | b, dtype=np.int64)


def key_codes(keys: IntArray) -> tuple[IntArray, IntArray]:
    """The two aircraft codes of pair keys."""
    return keys >> _SHIFT, keys & _LOW


class IdCodes:
    """A persistent map from aircraft id (text) to a small integer code, in order of arrival."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self._names = np.asarray(list(names), dtype=object)
        self._index = pd.Index(self._names)
        if not self._index.is_unique:
            raise ValueError("ids: duplicate names in the code table")

    def __len__(self) -> int:
        return len(self._names)

    @property
    def names(self) -> npt.NDArray[np.object_]:
        """Id of each code."""
        return self._names

    def encode(self, ids: npt.ArrayLike) -> IntArray:
        """Codes of ``ids``, new ids getting the next codes."""
        ids_a = np.asarray(ids, dtype=object)
        codes = np.asarray(self._index.get_indexer(ids_a), dtype=np.int64)
        new = codes < 0
        if new.any():
            fresh = pd.unique(ids_a[new])
            if len(self._names) + len(fresh) >= 2**31:
                raise OverflowError("ids: more than 2**31 distinct aircraft")
            self._names = np.concatenate([self._names, np.asarray(fresh, dtype=object)])
            self._index = pd.Index(self._names)
            codes[new] = self._index.get_indexer(ids_a[new])
        return codes

    def keep(self, mask: BoolArray) -> IntArray:
        """Keep the codes where ``mask`` holds, renumbered in the same order; returns the new
        code of each old one (-1: dropped). Order is kept, so sorted pair keys stay sorted."""
        remap = np.where(mask, np.cumsum(mask) - 1, -1).astype(np.int64)
        self._names = self._names[mask]
        self._index = pd.Index(self._names)
        return remap


class HysteresisTable:
    """Hysteresis state of many pairs, keyed by int64 pair keys (see :func:`pair_keys`)."""

    def __init__(self, hysteresis_s: float, persistence_s: float, m: int, n: int) -> None:
        self.hysteresis_s = float(hysteresis_s)
        self.persistence_s = float(persistence_s)
        self.m = int(m)
        self.n = int(n)
        self.ids = IdCodes()
        self._width = max(self.n, 1)
        self._set_rows(
            np.empty(0, dtype=np.int64),
            np.full((0, self._width), -1, dtype=np.int64),
            np.empty(0, dtype=np.int64),
            np.empty(0, dtype=np.float64),
            np.empty(0, dtype=np.float64),
            np.empty(0, dtype=np.int64),
        )

    def _set_rows(
        self,
        keys: IntArray,
        queue: IntArray,
        mx: IntArray,
        init: FloatArray,
        last_time: FloatArray,
        last_value: IntArray,
    ) -> None:
        self._keys = keys
        self._queue = queue
        self._max = mx
        self._init = init
        self._last_time = last_time
        self._last_value = last_value

    def _take(self, rows: IntArray | BoolArray) -> None:
        self._set_rows(
            self._keys[rows],
            self._queue[rows],
            self._max[rows],
            self._init[rows],
            self._last_time[rows],
            self._last_value[rows],
        )

    @property
    def mofn_valid(self) -> bool:
        """M-of-N is active (0 < M <= N)."""
        return 0 < self.m <= self.n

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> IntArray:
        """Sorted pair keys of every pair with a state (a view: do not modify)."""
        return self._keys

    @property
    def last_times(self) -> FloatArray:
        """Time of each row's last step, in the order of :attr:`keys` (a view)."""
        return self._last_time

    def pair_keys(self) -> list[tuple[str, str]]:
        """Every pair with a state, as (ownship id, intruder id)."""
        a, b = key_codes(self._keys)
        names = self.ids.names
        return list(zip(names[a].tolist(), names[b].tolist(), strict=True))

    def encode_pairs(self, keys: Sequence[tuple[str, str]]) -> IntArray:
        """Int64 keys of pairs of ids (new ids get codes)."""
        if not len(keys):
            return np.empty(0, dtype=np.int64)
        flat = self.ids.encode([x for key in keys for x in key])
        return pair_keys(flat[0::2], flat[1::2])

    def rows_of(self, keys: IntArray) -> IntArray:
        """Row of each key (-1 where the pair has no state)."""
        pos = np.searchsorted(self._keys, keys)
        pos_c = np.minimum(pos, max(len(self._keys) - 1, 0))
        hit = (pos < len(self._keys)) & (self._keys[pos_c] == keys) if len(self._keys) else pos < 0
        return np.where(hit, pos, -1).astype(np.int64)

    def _insert(self, keys: IntArray, last_time: FloatArray) -> None:
        """New rows for ``keys`` (not in the table, distinct): quiet histories last stepped at
        ``last_time`` (NaN: never, so that the first update resets)."""
        k = len(keys)
        keys_all = np.concatenate([self._keys, keys])
        order = np.argsort(keys_all, kind="stable")
        self._set_rows(
            keys_all[order],
            np.concatenate([self._queue, np.zeros((k, self._width), dtype=np.int64)])[order],
            np.concatenate([self._max, np.zeros(k, dtype=np.int64)])[order],
            np.concatenate([self._init, np.full(k, np.nan)])[order],
            np.concatenate([self._last_time, np.asarray(last_time, dtype=np.float64)])[order],
            np.concatenate([self._last_value, np.zeros(k, dtype=np.int64)])[order],
        )

    def last_keys(self, keys: IntArray) -> tuple[IntArray, FloatArray]:
        """Last output level and its time for each key (-1 and NaN where unknown)."""
        rows = self.rows_of(keys)
        known = rows >= 0
        safe = np.where(known, rows, 0)
        if not len(self._keys):
            return np.full(len(keys), -1, dtype=np.int64), np.full(len(keys), np.nan)
        value = np.where(known, self._last_value[safe], -1).astype(np.int64)
        when = np.where(known, self._last_time[safe], np.nan)
        return value, when

    def early_alerting_level_keys(self, keys: IntArray, now: float) -> IntArray:
        """The level for which the early alerting time applies now, per key (-1: none).

        That is the pair's last output, if it was produced before ``now`` and recently enough
        that the history is kept (DAIDALUS clears all hysteresis when the ownship's time jumps
        by more than the hysteresis time, so the early time never applies without hysteresis).
        """
        value, when = self.last_keys(keys)
        gap = now - when
        recent = ~np.isnan(when) & (gap > 0) & (gap <= self.hysteresis_s)
        return np.where(recent, value, -1).astype(np.int64)

    def update_keys(
        self,
        keys: IntArray,
        raw: npt.ArrayLike,
        now: float,
        last_time: FloatArray | None = None,
    ) -> IntArray:
        """Feed raw levels at ``now`` for ``keys``; return the output levels (a key given twice
        is one pair: the last of its levels is kept).

        A key without a state starts as a quiet history last stepped at ``last_time`` (per
        key; NaN or None: never, so its history resets).
        """
        raw_a = np.asarray(raw, dtype=np.int64)
        rows = self.rows_of(keys)
        new = rows < 0
        if new.any():
            fresh, first = np.unique(keys[new], return_index=True)
            when = np.full(len(fresh), np.nan) if last_time is None else last_time[new][first]
            self._insert(fresh, when)
            rows = self.rows_of(keys)
        if len(rows) == 0:
            return np.empty(0, dtype=np.int64)
        return self._update_rows(rows, raw_a, now)

    def _update_rows(self, rows: IntArray, raw_a: IntArray, now: float) -> IntArray:
        last_t = self._last_time[rows]
        reset = np.isnan(last_t) | (now <= last_t) | (now - last_t > self.hysteresis_s)
        queue = self._queue[rows]
        mx = self._max[rows]
        init = self._init[rows]
        last_v = self._last_value[rows]
        if reset.any():
            fill = np.where(np.arange(queue.shape[1]) < self.m, raw_a[:, None], -1)
            queue = np.where(reset[:, None], fill, queue)
            mx = np.where(reset, raw_a, mx)
            init = np.where(reset, np.nan, init)
            last_v = np.where(reset, -1, last_v)
        if self.mofn_valid:
            mx = np.maximum(mx, raw_a)
            queue = np.concatenate([queue[:, 1:], raw_a[:, None]], axis=1)
            value = np.full(len(rows), -1, dtype=np.int64)
            top = int(mx.max()) if len(mx) else -1
            for level in range(top, -1, -1):
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
        self._queue[rows] = queue
        self._max[rows] = mx
        self._init[rows] = new_init
        self._last_time[rows] = now
        self._last_value[rows] = new_last
        return np.asarray(new_last, dtype=np.int64)

    def update(self, keys: Sequence[tuple[str, str]], raw: npt.ArrayLike, now: float) -> IntArray:
        """:meth:`update_keys` for pairs of ids."""
        return self.update_keys(self.encode_pairs(keys), raw, now)

    def last(self, keys: Sequence[tuple[str, str]], now: float) -> tuple[IntArray, FloatArray]:
        """:meth:`last_keys` for pairs of ids."""
        return self.last_keys(self.encode_pairs(keys))

    def early_alerting_level(self, keys: Sequence[tuple[str, str]], now: float) -> IntArray:
        """:meth:`early_alerting_level_keys` for pairs of ids."""
        return self.early_alerting_level_keys(self.encode_pairs(keys), now)

    def quiet(self) -> BoolArray:
        """Rows whose history is all zeros or empty and whose last output is 0."""
        return np.asarray((self._queue <= 0).all(axis=1) & (self._last_value == 0))

    def drop_quiet(self) -> None:
        """Drop quiet rows (only for an owner that brings them back with their last step time,
        see the module docstring)."""
        keep = ~self.quiet()
        if not keep.all():
            self._take(keep)

    def forget_before(self, t: float) -> None:
        """Drop pairs whose last step is older than ``t`` (their history would reset anyway)."""
        keep = self._last_time >= t
        if not keep.all():
            self._take(keep)

    def clear(self) -> None:
        """Forget every pair (DAIDALUS ``clearHysteresis``)."""
        self._take(np.zeros(len(self._keys), dtype=bool))

    def recode(self, remap: IntArray) -> None:
        """Apply an id renumbering (from :meth:`IdCodes.keep`): pairs of a dropped id go."""
        a, b = key_codes(self._keys)
        keep = (remap[a] >= 0) & (remap[b] >= 0)
        self._take(keep)
        a, b = key_codes(self._keys)
        self._keys = pair_keys(remap[a], remap[b])

    def get_state(self) -> State:
        """The whole state as plain arrays, lists and numbers (no pickle), pairs as codes into
        ``ids``: ``set_state`` of a fresh table continues exactly as this one would."""
        a, b = key_codes(self._keys)
        return {
            "hysteresis_s": self.hysteresis_s,
            "persistence_s": self.persistence_s,
            "m": self.m,
            "n": self.n,
            "ids": [str(x) for x in self.ids.names],
            "code_1": a.copy(),
            "code_2": b.copy(),
            **{name: getattr(self, f"_{name}").copy() for name in _ARRAYS},
        }

    def set_state(self, state: Mapping[str, object]) -> None:
        """Replace the whole state by one from :meth:`get_state` (same parameters required)."""
        for name, mine in (
            ("hysteresis_s", self.hysteresis_s),
            ("persistence_s", self.persistence_s),
            ("m", self.m),
            ("n", self.n),
        ):
            if name not in state:
                raise ValueError(f"hysteresis state: missing field {name!r}")
            if float(state[name]) != float(mine):  # type: ignore[arg-type]
                raise ValueError(
                    f"hysteresis state: field {name!r} is {state[name]}, this table has {mine}"
                )
        missing = [k for k in ("ids", "code_1", "code_2", *_ARRAYS) if k not in state]
        if missing:
            raise ValueError(f"hysteresis state: missing fields {missing}")
        ids = IdCodes([str(x) for x in state["ids"]])  # type: ignore[attr-defined]
        c1 = np.asarray(state["code_1"], dtype=np.int64)
        c2 = np.asarray(state["code_2"], dtype=np.int64)
        arrays = {name: np.asarray(state[name]) for name in _ARRAYS}
        n = len(c1)
        for name, a in arrays.items():
            want = (n, self._width) if name == "queue" else (n,)
            if a.shape != want:
                raise ValueError(
                    f"hysteresis state: field {name!r} has shape {a.shape}, not {want}"
                )
        codes = np.concatenate([c1, c2])
        if len(c2) != n or (n and (codes.min() < 0 or codes.max() >= len(ids))):
            raise ValueError("hysteresis state: fields 'code_1'/'code_2' do not index 'ids'")
        keys = pair_keys(c1, c2)
        order = np.argsort(keys, kind="stable")
        if n and (np.diff(keys[order]) == 0).any():
            raise ValueError("hysteresis state: a pair appears twice")
        self.ids = ids
        self._set_rows(
            keys[order],
            arrays["queue"].astype(np.int64)[order],
            arrays["max"].astype(np.int64)[order],
            arrays["init"].astype(np.float64)[order],
            arrays["last_time"].astype(np.float64)[order],
            arrays["last_value"].astype(np.int64)[order],
        )
