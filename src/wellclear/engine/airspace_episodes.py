"""Airspace episodes: per (aircraft, volume), from the first finding to the last (see
:mod:`wellclear.engine.episodes` for the lifecycle and the ids).

A live picture holds thousands of aircraft inside some state's airspace at every tick, so the
book is kept as arrays keyed by integers: each aircraft id and volume name has a code (a hash
look-up in C, :class:`_Codes`), the key of a pair is ``code(id) * n + code(volume)``, and a
tick's join of the open episodes with its findings is a merge of sorted integers. What users
see is in the order of the texts, as before: the events of a tick and :attr:`AirspaceBook.open`
are sorted by (id, volume), and new episodes are numbered in that order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.engine.episodes import _Book, _empty_events, _take

AIRSPACE_OPEN_COLUMNS: dict[str, str] = {
    "episode_id": "object",
    "id": "object",
    "volume": "object",
    "callsign": "object",
    "party": "object",
    "kind": "object",
    "finding": "object",
    "status": "object",
    "t_start": "float64",
    "t_entered": "float64",
    "max_depth_m": "float64",
    "min_gap_m": "float64",
}
"""An open airspace episode: ``finding`` is the volume's event kind (``infringement`` or
``crossing``), ``t_entered`` the first time inside (NaN: not yet), ``max_depth_m`` the deepest
point inside so far, ``min_gap_m`` the smallest distance to the boundary outside."""

AIRSPACE_EVENT_COLUMNS = [
    "episode_id",
    "t",
    "event",
    "id",
    "callsign",
    "party",
    "volume",
    "kind",
    "finding",
    "from_status",
    "to_status",
    "lat",
    "lon",
    "alt_m",
    "distance_m",
    "time_to_entry_s",
    "t_start",
    "t_entered",
    "max_depth_m",
    "min_gap_m",
]
"""An airspace event (``t`` unix s): ``from_status``/``to_status`` are ``inside``, ``entry``,
``proximity`` or empty (no finding); position and ``distance_m`` (depth inside, gap outside)
at the event, NaN on ``cleared``/``exited`` when the aircraft is no longer assessed."""

_TEXTS = ("id", "volume", "callsign", "party", "kind", "finding", "status")
_FOUND = ("lat", "lon", "alt_m", "distance_m", "time_to_entry_s")
_VOLUME_STRIDE = 1 << 20
_FORGET_AT = 4096
"""Codes are forgotten (and made again for the open episodes) when more than this and more
than four times the open episodes' aircraft are held: the memory follows the open episodes."""


def empty_airspace_events() -> pd.DataFrame:
    """An empty table of :data:`AIRSPACE_EVENT_COLUMNS` with their dtypes."""
    return _empty_events(AIRSPACE_EVENT_COLUMNS)


def _objects(column: pd.Series, *, text: bool = False) -> np.ndarray:
    """A column as an object array; with ``text``, every value as its text (an id, a name)."""
    values = column.to_numpy(object)
    if text and pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = np.array([str(v) for v in values], dtype=object)
    return values


_STATUS = np.array(["inside", "entry", "proximity", ""], dtype=object)
"""Statuses by code (``-1``, the last: no finding), codes ranked by urgency."""


def _status_codes(status: np.ndarray) -> np.ndarray:
    return np.select([status == "inside", status == "entry", status == "proximity"], [0, 1, 2], -1)


def _airspace_kind(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The event of each pair from its status codes before and after the tick ("": none)."""
    was_in, is_in = old == 0, new == 0
    out = np.full(len(old), "", dtype=object)
    out[is_in & ~was_in] = "entered"
    out[was_in & ~is_in] = "exited"
    out[(old < 0) & (new >= 0) & ~is_in] = "predicted"
    out[(old >= 0) & ~was_in & (new < 0)] = "cleared"
    return out


def _text_order(ids: np.ndarray, volumes: np.ndarray) -> np.ndarray:
    """The order of the pairs (id, volume) as texts (code points, id first)."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.intp)
    return np.lexsort((volumes.astype(str), ids.astype(str)))


class _Codes:
    """Integer codes of texts, stable until :meth:`forget`; look-ups hash in C."""

    def __init__(self) -> None:
        self._index = pd.Index(np.zeros(0, dtype=object), dtype=object)

    def __len__(self) -> int:
        return len(self._index)

    def codes(self, texts: np.ndarray) -> np.ndarray:
        """The code of each text, giving new texts the next codes."""
        out = np.asarray(self._index.get_indexer(pd.Index(texts, dtype=object)), dtype=np.int64)
        miss = out < 0
        if miss.any():
            new = pd.unique(texts[miss])
            self._index = self._index.append(pd.Index(new, dtype=object))
            out[miss] = self._index.get_indexer(pd.Index(texts[miss], dtype=object))
        return out

    def forget(self) -> None:
        """Forget every code."""
        self._index = pd.Index(np.zeros(0, dtype=object), dtype=object)


class AirspaceBook(_Book):
    """The open airspace episodes and the counter of their ids (see the module docstring)."""

    columns = AIRSPACE_OPEN_COLUMNS
    what = "airspace"

    def __init__(self) -> None:
        self._ids = _Codes()
        self._vols = _Codes()
        self._key = np.zeros(0, dtype=np.int64)
        self._code = np.zeros(0, dtype=np.int64)  # status codes of the open episodes
        self._held: dict[str, np.ndarray] = {}
        self._frame: pd.DataFrame | None = None
        super().__init__()

    @property
    def open(self) -> pd.DataFrame:
        """The open episodes, one row each (:data:`AIRSPACE_OPEN_COLUMNS`), sorted by (id,
        volume)."""
        if self._frame is None:
            held = self._held
            order = _text_order(held["id"], held["volume"])
            self._frame = pd.DataFrame(
                {c: pd.Series(held[c][order], dtype=d) for c, d in self.columns.items()}
            )
        return self._frame

    @open.setter
    def open(self, frame: pd.DataFrame) -> None:
        self._held = {
            c: (
                _objects(frame[c], text=c in ("id", "volume"))
                if d == "object"
                else frame[c].to_numpy(np.float64)
            )
            for c, d in self.columns.items()
        }
        self._ids.forget()
        self._vols.forget()
        self._rekey()

    def _rekey(self) -> None:
        """Codes for the open episodes again, and the held arrays in key order."""
        key = self._pairs(self._held["id"], self._held["volume"])
        order = np.argsort(key, kind="stable")
        self._key = key[order]
        self._held = {c: a[order] for c, a in self._held.items()}
        self._code = _status_codes(self._held["status"])
        self._frame = None

    def _pairs(self, ids: np.ndarray, volumes: np.ndarray) -> np.ndarray:
        # volumes are few: a generous fixed stride keeps old keys valid as codes are added
        v = self._vols.codes(volumes)
        if len(self._vols) > _VOLUME_STRIDE:
            raise ValueError(f"more than {_VOLUME_STRIDE} volumes in one airspace book")
        return self._ids.codes(ids) * _VOLUME_STRIDE + v

    def update(self, t: float, findings: pd.DataFrame) -> pd.DataFrame:
        """The events of the tick at ``t`` from its :func:`check_now` findings.

        A pair found more than once in the tick keeps its most urgent finding (inside, then
        entry, then proximity). The open episodes after the tick are exactly the pairs found,
        so the book's new arrays are the tick's, with what each episode carries over.
        """
        if not len(self._key) and not len(findings):
            return empty_airspace_events()
        held = self._held
        cur = {c: _objects(findings[c], text=c in ("id", "volume")) for c in _TEXTS[:5]}
        cur["finding"] = _objects(findings["event"])
        cur["status"] = _objects(findings["status"])
        c_all = self._pairs(cur["id"], cur["volume"])
        rank = _status_codes(cur["status"])
        if (rank < 0).any():
            bad = cur["status"][np.flatnonzero(rank < 0)[0]]
            raise ValueError(f"airspace finding with status {bad!r}: not one of {_STATUS[:3]}")
        order = np.lexsort((rank, c_all))
        first = order[np.r_[True, c_all[order][1:] != c_all[order][:-1]]] if len(order) else order
        key = c_all[first]  # sorted, each pair once
        cur = {c: a[first] for c, a in cur.items()}
        now_code = rank[first]
        found = {c: findings[c].to_numpy(np.float64)[first] for c in _FOUND}
        # each found pair's open episode (-1: a new one), and the open episodes not found
        pos = np.searchsorted(self._key, key)
        at = np.where(pos < len(self._key), pos, 0)
        was = (pos < len(self._key)) & (self._key[at] == key) if len(self._key) else pos < 0
        at = np.where(was, at, -1)
        gone = np.ones(len(self._key), dtype=bool)
        gone[at[was]] = False
        held_code = self._code
        old_code = _take(held_code, at, -1)
        old, now = _STATUS[old_code], cur["status"]
        episode = _take(held["episode_id"], at, "")
        t_start = _take(held["t_start"], at, t)
        if not was.all():
            fresh = np.flatnonzero(~was)
            fresh = fresh[_text_order(cur["id"][fresh], cur["volume"][fresh])]
            n = self.counter + np.arange(len(fresh))
            episode[fresh] = [
                f"{t:.0f}-{a}-{v}-{k}"
                for a, v, k in zip(cur["id"][fresh], cur["volume"][fresh], n, strict=True)
            ]
            self.counter += len(fresh)
        dist = found["distance_m"]
        inside = now_code == 0
        t_in = _take(held["t_entered"], at, np.nan)
        t_in = np.where(inside & np.isnan(t_in), t, t_in)
        depth = _take(held["max_depth_m"], at, np.nan)
        depth = np.where(inside & ~np.isnan(dist) & ~(dist <= depth), dist, depth)
        gap = _take(held["min_gap_m"], at, np.nan)
        gap = np.where(~inside & ~np.isnan(dist) & ~(dist >= gap), dist, gap)
        kind = _airspace_kind(old_code, now_code)
        ch = np.flatnonzero(kind != "")
        g = np.flatnonzero(gone)
        nan = np.full(len(g), np.nan)
        events = pd.DataFrame(
            {
                "episode_id": np.r_[episode[ch], held["episode_id"][g]],
                "t": np.full(len(ch) + len(g), t),
                "event": np.r_[kind[ch], _airspace_kind(held_code[g], np.full(len(g), -1))],
                **{c: np.r_[cur[c][ch], held[c][g]] for c in _TEXTS[:6]},
                "from_status": np.r_[old[ch], held["status"][g]],
                "to_status": np.r_[now[ch], np.full(len(g), "", dtype=object)],
                **{c: np.r_[found[c][ch], nan] for c in _FOUND},
                "t_start": np.r_[t_start[ch], held["t_start"][g]],
                "t_entered": np.r_[t_in[ch], held["t_entered"][g]],
                "max_depth_m": np.r_[depth[ch], held["max_depth_m"][g]],
                "min_gap_m": np.r_[gap[ch], held["min_gap_m"][g]],
            }
        )
        if len(events) > 1:
            events = events.iloc[_text_order(events["id"].to_numpy(), events["volume"].to_numpy())]
        self._held = {"episode_id": episode, **cur, "t_start": t_start, "t_entered": t_in}
        self._held |= {"max_depth_m": depth, "min_gap_m": gap}
        self._key, self._code = key, now_code
        self._frame = None
        if len(self._ids) > max(_FORGET_AT, 4 * len(self._key)):
            self._ids.forget()
            self._rekey()
        return events[AIRSPACE_EVENT_COLUMNS].reset_index(drop=True)
