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

One :class:`HysteresisTable` holds the state of every pair; it is plain data updated in place
by :meth:`HysteresisTable.update`, not thread-safe: exactly one owner (the alerting loop or the
live engine) may call it, and readers must copy what they need.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
State = dict[str, "np.ndarray | float | int | list[str]"]

_ARRAYS = ("queue", "max", "init", "last_time", "last_value")


class HysteresisTable:
    """Hysteresis state of many pairs, keyed by any hashable pair key."""

    def __init__(self, hysteresis_s: float, persistence_s: float, m: int, n: int) -> None:
        self.hysteresis_s = float(hysteresis_s)
        self.persistence_s = float(persistence_s)
        self.m = int(m)
        self.n = int(n)
        self._index: dict[Hashable, int] = {}
        width = max(self.n, 1)
        self._queue = np.full((0, width), -1, dtype=np.int64)
        self._max = np.empty(0, dtype=np.int64)
        self._init = np.empty(0, dtype=np.float64)
        self._last_time = np.empty(0, dtype=np.float64)
        self._last_value = np.empty(0, dtype=np.int64)

    @property
    def mofn_valid(self) -> bool:
        """M-of-N is active (0 < M <= N)."""
        return 0 < self.m <= self.n

    def __len__(self) -> int:
        return len(self._index)

    def pair_keys(self) -> list[Hashable]:
        """Every pair with a state."""
        return list(self._index)

    def _rows(self, keys: Sequence[Hashable]) -> IntArray:
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

    def last(self, keys: Sequence[Hashable], now: float) -> tuple[IntArray, FloatArray]:
        """Last output level and its time for each key (-1 and NaN where unknown)."""
        value = np.full(len(keys), -1, dtype=np.int64)
        when = np.full(len(keys), np.nan)
        for k, key in enumerate(keys):
            row = self._index.get(key)
            if row is not None:
                value[k] = self._last_value[row]
                when[k] = self._last_time[row]
        return value, when

    def early_alerting_level(self, keys: Sequence[Hashable], now: float) -> IntArray:
        """The level for which the early alerting time applies now, per key (-1: none).

        That is the pair's last output, if it was produced before ``now`` and recently enough
        that the history is kept (DAIDALUS clears all hysteresis when the ownship's time jumps
        by more than the hysteresis time, so the early time never applies without hysteresis).
        """
        value, when = self.last(keys, now)
        gap = now - when
        recent = ~np.isnan(when) & (gap > 0) & (gap <= self.hysteresis_s)
        return np.where(recent, value, -1)

    def update(self, keys: Sequence[Hashable], raw: npt.ArrayLike, now: float) -> IntArray:
        """Feed raw levels at time ``now`` for ``keys``; return the output levels."""
        raw_a = np.asarray(raw, dtype=np.int64)
        rows = self._rows(keys)
        if len(rows) == 0:
            return np.empty(0, dtype=np.int64)
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

    def forget_before(self, t: float) -> None:
        """Drop pairs whose last step is older than ``t`` (their history would reset anyway)."""
        keep = [(k, r) for k, r in self._index.items() if self._last_time[r] >= t]
        rows = np.array([r for _, r in keep], dtype=np.int64)
        self._index = {k: i for i, (k, _) in enumerate(keep)}
        self._queue = self._queue[rows]
        self._max = self._max[rows]
        self._init = self._init[rows]
        self._last_time = self._last_time[rows]
        self._last_value = self._last_value[rows]

    def get_state(self) -> State:
        """The whole state as plain arrays, lists and numbers (no pickle), pairs as codes into
        ``ids``: ``set_state`` of a fresh table continues exactly as this one would.

        Keys must be pairs of strings (ownship id, intruder id).
        """
        keys = list(self._index)
        if any(not (isinstance(k, tuple) and len(k) == 2) for k in keys):
            raise TypeError("get_state needs pair keys (ownship id, intruder id)")
        names = sorted({str(x) for k in keys for x in k})  # type: ignore[attr-defined]
        code = {name: c for c, name in enumerate(names)}
        rows = np.array(list(self._index.values()), dtype=np.int64)
        return {
            "hysteresis_s": self.hysteresis_s,
            "persistence_s": self.persistence_s,
            "m": self.m,
            "n": self.n,
            "ids": names,
            "code_1": np.array([code[str(k[0])] for k in keys], dtype=np.int64),  # type: ignore[index]
            "code_2": np.array([code[str(k[1])] for k in keys], dtype=np.int64),  # type: ignore[index]
            **{name: getattr(self, f"_{name}")[rows].copy() for name in _ARRAYS},
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
        names = [str(x) for x in state["ids"]]  # type: ignore[attr-defined]
        c1 = np.asarray(state["code_1"], dtype=np.int64)
        c2 = np.asarray(state["code_2"], dtype=np.int64)
        arrays = {name: np.asarray(state[name]) for name in _ARRAYS}
        n = len(c1)
        width = max(self.n, 1)
        for name, a in arrays.items():
            want = (n, width) if name == "queue" else (n,)
            if a.shape != want:
                raise ValueError(
                    f"hysteresis state: field {name!r} has shape {a.shape}, not {want}"
                )
        if len(c2) != n or (
            n and (min(c1.min(), c2.min()) < 0 or max(c1.max(), c2.max()) >= len(names))
        ):
            raise ValueError("hysteresis state: fields 'code_1'/'code_2' do not index 'ids'")
        self._index = {(names[a], names[b]): r for r, (a, b) in enumerate(zip(c1, c2, strict=True))}
        self._queue = arrays["queue"].astype(np.int64, copy=True)
        self._max = arrays["max"].astype(np.int64, copy=True)
        self._init = arrays["init"].astype(np.float64, copy=True)
        self._last_time = arrays["last_time"].astype(np.float64, copy=True)
        self._last_value = arrays["last_value"].astype(np.int64, copy=True)

    def clear(self) -> None:
        """Forget every pair (DAIDALUS ``clearHysteresis``)."""
        self.forget_before(np.inf)
