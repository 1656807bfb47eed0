"""Episodes: the lifecycle of each alert (per ordered pair) and each airspace finding (per
aircraft and volume), tick after tick, with an id that is stable for the whole episode.

An **alert episode** of the ordered pair (ownship ``id_1``, intruder ``id_2``) runs from the
tick at which its level (after hysteresis) becomes >= 1 to the tick at which it is 0 again (or
the pair is no longer assessed). Its events: ``raised`` (0 -> k), ``upgraded``, ``downgraded``
and ``cleared`` (k -> 0). Kept per episode: the level, the highest level so far, the smallest
horizontal distance and vertical distance so far with the time of the smallest horizontal one.
Each event carries the situation of own against other at that tick (range, bearing from own,
altitude difference, closure rate, time to the most severe volume).

An **airspace episode** of (aircraft ``id``, ``volume``) runs while the aircraft has a finding
for the volume (:func:`wellclear.airspace.now.check_now`: ``inside``, ``entry`` predicted,
``proximity``). Its events: ``predicted`` (a finding outside the volume appears), ``entered``
(the status becomes ``inside``), ``exited`` (it was inside and is not), ``cleared`` (a finding
outside the volume ends). Kept: the deepest point inside so far and the smallest gap outside.

Episode ids read ``{t_start:.0f}-{id_1}-{id_2}-{n}`` (alerts) and
``{t_start:.0f}-{id}-{volume}-{n}``
(airspace), ``n`` a counter of the book, so that they are unique and survive a save and restore
(:meth:`AlertBook.get_state`). Updates are vectorised: one join of the open episodes with the
tick's rows, on the pair's ids.

Not thread-safe: the engine's loop owns the books; the frames returned are new.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.engine.assess import pair_situation

_PAIR = ["id_1", "id_2"]
_NAMES = ["callsign_1", "callsign_2", "party_1", "party_2"]

ALERT_OPEN_COLUMNS: dict[str, str] = {
    "alert_id": "object",
    "id_1": "object",
    "id_2": "object",
    "callsign_1": "object",
    "callsign_2": "object",
    "party_1": "object",
    "party_2": "object",
    "t_start": "float64",
    "level": "int64",
    "max_level": "int64",
    "min_distance_m": "float64",
    "min_dalt_m": "float64",
    "t_min_distance": "float64",
}
"""An open alert episode (the book's state): ``min_dalt_m`` is the smallest absolute vertical
distance so far, ``t_min_distance`` the time of the smallest horizontal one (unix s)."""

ALERT_EVENT_COLUMNS = [
    "alert_id",
    "t",
    "event",
    "id_1",
    "callsign_1",
    "party_1",
    "id_2",
    "callsign_2",
    "party_2",
    "from_level",
    "to_level",
    "level_name",
    "hmd_m",
    "taumod_s",
    "min_distance_m",
    "min_dalt_m",
    "t_min_distance",
    "max_level",
    "t_start",
    "range_m",
    "bearing_deg",
    "dalt_m",
    "closure_mps",
    "time_to_los_s",
]
"""An alert event: the first columns are those of ``wellclear.schemas.ALERT_EVENTS`` (``t`` in
unix s); then the episode so far (``min_dalt_m``, ``t_min_distance``, ``max_level``,
``t_start``) and the situation at the event: ``range_m`` (horizontal, m), ``bearing_deg`` (true,
from own to other), ``dalt_m`` (other above own, m), ``closure_mps`` (horizontal closure rate,
negative when opening), ``time_to_los_s`` (time to the most severe level's volume, NaN if none
within the lookahead or unknown)."""


_TEXT = {
    "alert_id", "episode_id", "event", "id_1", "id_2", "callsign_1", "callsign_2", "party_1",
    "party_2", "level_name", "id", "callsign", "party", "volume", "kind", "finding",
    "from_status", "to_status",
}  # fmt: skip
_INTEGER = {"from_level", "to_level", "max_level"}


def _empty_events(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(dtype="object" if c in _TEXT else "int64" if c in _INTEGER else "float64")
            for c in columns
        }
    )


def empty_alert_events() -> pd.DataFrame:
    """An empty table of :data:`ALERT_EVENT_COLUMNS` with their dtypes."""
    return _empty_events(ALERT_EVENT_COLUMNS)


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in columns.items()})


def _event_kind(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    return np.where(
        old == 0,
        "raised",
        np.where(new == 0, "cleared", np.where(new > old, "upgraded", "downgraded")),
    ).astype(object)


class _Book:
    """Open episodes (one row each, ``columns``) and the counter of episode ids."""

    columns: dict[str, str]
    what: str

    def __init__(self) -> None:
        self.open = _empty(self.columns)
        self.counter = 0

    def get_state(self) -> tuple[pd.DataFrame, int]:
        """The open episodes (a copy) and the id counter."""
        return self.open.copy(), self.counter

    def set_state(self, open_episodes: pd.DataFrame, counter: int) -> None:
        """Replace the state by one from :meth:`get_state`."""
        missing = [c for c in self.columns if c not in open_episodes]
        if missing:
            raise ValueError(f"{self.what} episodes: missing columns {missing}")
        self.open = open_episodes[list(self.columns)].astype(self.columns)
        self.counter = int(counter)


class AlertBook(_Book):
    """The open alert episodes and the counter of episode ids (see the module docstring)."""

    columns = ALERT_OPEN_COLUMNS
    what = "alert"

    def __init__(self, level_names: list[str] | None = None) -> None:
        super().__init__()
        self._names = np.asarray(level_names or ["none"], dtype=object)

    def update(self, t: float, alerts: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
        """The events of the tick at ``t``: ``alerts`` is the alerts table of the tick (after
        hysteresis; ``id_1``, ``id_2``, names, ``level``, ``ttv_k``, ``hmd_m``, ``taumod_s``),
        ``states`` the snapshot it was computed on."""
        ttv = sorted((c for c in alerts.columns if c.startswith("ttv_")), key=lambda c: int(c[4:]))
        alerting = alerts["level"].to_numpy(np.int64) >= 1
        if self.open.empty and not alerting.any():
            return empty_alert_events()
        op = {c: self.open[c].to_numpy() for c in ALERT_OPEN_COLUMNS}
        a1 = alerts["id_1"].to_numpy(object)
        a2 = alerts["id_2"].to_numpy(object)
        keys, at_o, at_c = _join(_keys(op["id_1"], op["id_2"]), _keys(a1[alerting], a2[alerting]))
        # the alerting quantities of the tick, also of pairs assessed at level 0 (cleared)
        at_a = pd.Index(_keys(a1, a2)).get_indexer(keys)
        cur = np.flatnonzero(alerting)
        at_cur = _take(cur, at_c, -1)
        new, gone = at_o < 0, at_c < 0
        live = ~gone
        level = alerts["level"].to_numpy(np.int64)
        old_level = _take(op["level"], at_o, 0).astype(np.int64)
        now_level = _take(level, at_cur, 0).astype(np.int64)
        pair = {c: _take(op[c], at_o, None) for c in _PAIR}
        for c, src in (("id_1", a1), ("id_2", a2)):
            pair[c] = np.where(new, _take(src, at_cur, None), pair[c])
        # the names: the tick's where the pair is assessed, else the episode's
        names = {
            c: np.where(gone, _take(op[c], at_o, ""), _take(alerts[c].to_numpy(object), at_cur, ""))
            for c in _NAMES
        }
        alert_id = _take(op["alert_id"], at_o, None)
        t_start = _take(op["t_start"], at_o, t).astype(np.float64)
        if new.any():
            n = self.counter + np.arange(int(new.sum()))
            alert_id[new] = [
                f"{t:.0f}-{a}-{b}-{k}"
                for a, b, k in zip(pair["id_1"][new], pair["id_2"][new], n, strict=True)
            ]
            self.counter += len(n)
        sit = pair_situation(states, pair["id_1"], pair["id_2"])
        rng = sit["range_m"].to_numpy(np.float64)
        dalt = np.abs(sit["dalt_m"].to_numpy(np.float64))
        min_d = _take(op["min_distance_m"], at_o, np.nan).astype(np.float64)
        better = live & ~np.isnan(rng) & ~(rng >= min_d)  # NaN so far: any value is better
        min_d = np.where(better, rng, min_d)
        t_min = np.where(better, t, _take(op["t_min_distance"], at_o, np.nan).astype(np.float64))
        min_v = _take(op["min_dalt_m"], at_o, np.nan).astype(np.float64)
        min_v = np.where(live & ~np.isnan(dalt) & ~(dalt >= min_v), dalt, min_v)
        max_level = np.maximum(_take(op["max_level"], at_o, 0), now_level).astype(np.int64)
        ch = old_level != now_level
        quantities = {
            c: _take(_col(alerts, name), at_a, np.nan).astype(np.float64)
            for c, name in (
                ("hmd_m", "hmd_m"),
                ("taumod_s", "taumod_s"),
                ("ttv", ttv[-1] if ttv else ""),
            )
        }
        events = pd.DataFrame(
            {
                "alert_id": alert_id[ch],
                "t": np.full(int(ch.sum()), t),
                "event": _event_kind(old_level[ch], now_level[ch]),
                "id_1": pair["id_1"][ch],
                "callsign_1": names["callsign_1"][ch],
                "party_1": names["party_1"][ch],
                "id_2": pair["id_2"][ch],
                "callsign_2": names["callsign_2"][ch],
                "party_2": names["party_2"][ch],
                "from_level": old_level[ch],
                "to_level": now_level[ch],
                "level_name": self._names[np.clip(now_level[ch], 0, len(self._names) - 1)],
                "hmd_m": quantities["hmd_m"][ch],
                "taumod_s": quantities["taumod_s"][ch],
                "min_distance_m": min_d[ch],
                "min_dalt_m": min_v[ch],
                "t_min_distance": t_min[ch],
                "max_level": max_level[ch],
                "t_start": t_start[ch],
                **{c: sit[c].to_numpy(np.float64)[ch] for c in sit.columns},
                "time_to_los_s": _finite(quantities["ttv"][ch]),
            }
        )
        self.open = pd.DataFrame(
            {
                "alert_id": alert_id[live],
                **{c: pair[c][live] for c in _PAIR},
                **{c: names[c][live] for c in _NAMES},
                "t_start": t_start[live],
                "level": now_level[live],
                "max_level": max_level[live],
                "min_distance_m": min_d[live],
                "min_dalt_m": min_v[live],
                "t_min_distance": t_min[live],
            }
        )[list(ALERT_OPEN_COLUMNS)]
        return events


def _keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One text key per pair, ordered as the pairs (``\\x1f`` sorts before any printable
    character, so that ``("ab", "z")`` comes before ``("abc", "a")``)."""
    if len(a) == 0:
        return np.empty(0, dtype=object)
    return np.array([f"{x}\x1f{y}" for x, y in zip(a, b, strict=True)], dtype=object)


def _join(held: np.ndarray, now: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The outer join of two key arrays (each without repeats), in key order: the keys and,
    per key, its position in ``held`` and in ``now`` (-1: absent)."""
    in_held = pd.Index(held).get_indexer(now) if len(held) else np.full(len(now), -1)
    extra = now[in_held < 0]
    keys = np.concatenate([held, extra]).astype(object)
    at_held = np.concatenate([np.arange(len(held)), np.full(len(extra), -1)])
    at_now = pd.Index(now).get_indexer(keys) if len(now) else np.full(len(keys), -1)
    order = np.argsort(keys, kind="stable")
    return keys[order], at_held[order], at_now[order]


def _take(values: np.ndarray, at: np.ndarray, fill: object) -> np.ndarray:
    """``values[at]``, ``fill`` where ``at`` is -1: floats for a float ``fill``, integers for an
    integer one, else objects."""
    dtype = np.float64 if isinstance(fill, float) else np.int64 if isinstance(fill, int) else object
    out = np.full(len(at), fill, dtype=dtype)
    ok = at >= 0
    out[ok] = np.asarray(values)[at[ok]]
    return out


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(np.float64) if name in frame else np.full(len(frame), np.nan)


def _finite(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), x, np.nan)
