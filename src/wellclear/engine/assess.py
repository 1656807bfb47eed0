"""One assessment of a snapshot: conflicts, alert levels, airspace; the pure function every
command calls.

:func:`assess` takes states all at one time (a snapshot, the contract of
:mod:`wellclear.states`) and :class:`EngineSettings`, and returns an :class:`Assessment`:

- ``conflicts``: predicted losses of separation (:func:`wellclear.detect.conflicts.detect`,
  its columns), when ``settings.minima`` is given;
- ``alerts``: the alert level of every ordered pair (ownship ``id_1``, intruder ``id_2``)
  that is a candidate, raw (no hysteresis: the level of this snapshot alone, DAIDALUS with
  hysteresis disabled), when ``settings.alerting`` is given; columns :data:`ALERT_COLUMNS`
  (``t`` in unix seconds; :func:`wellclear.schemas.conform` with ``schemas.ALERTS`` turns it
  into the published table);
- ``airspace``: who is inside a volume now, who will enter within the lookahead and who is
  near a boundary (:func:`wellclear.airspace.now.check_now`, its columns), when
  ``settings.zones`` is given.

The engine (:class:`wellclear.engine.engine.Engine`) calls the same code with its alerter,
which keeps the hysteresis; everything else is the same road.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.now import NowConfig, check_now
from wellclear.alerting.config import AlertingConfig, preset
from wellclear.alerting.detectors import TCAS3D
from wellclear.alerting.pairs import PairAlerter, pair_geometry
from wellclear.detect.conflicts import CONFLICT_COLUMNS, Minima, detect
from wellclear.states import bring_to_common_time, complete_states

FloatArray = npt.NDArray[np.float64]

ALERT_COLUMNS = ["t", "id_1", "id_2", "callsign_1", "callsign_2", "party_1", "party_2"]
"""The leading columns of an alerts table; then ``level``, ``level_name``, ``ttv_1``.. (s),
``hmd_m``, ``taumod_s`` as :class:`wellclear.alerting.pairs.PairAlerter` gives them."""


def _default_alerting() -> AlertingConfig:
    return preset("do365")


@dataclass(frozen=True)
class EngineSettings:
    """What the engine computes and with which parameters (SI units).

    ``alerting``: the alerter (a preset or a preset file, :mod:`wellclear.alerting.config`;
    ``None``: no alert levels); ``minima``: conflict prediction (``None``: no conflicts);
    ``zones``: the airspace volumes (``None``: no airspace) checked with ``now``;
    ``max_age_s``: the oldest usable report. An agreement (:mod:`wellclear.agreement`)
    converts into these five fields.
    """

    alerting: AlertingConfig | None = field(default_factory=_default_alerting)
    minima: Minima | None = None
    zones: VolumeIndex | None = None
    now: NowConfig = field(default_factory=NowConfig)
    max_age_s: float = 20.0

    def __post_init__(self) -> None:
        if not 0.0 < self.max_age_s <= 3600.0:  # False for NaN
            raise ValueError(f"max_age_s must be positive and at most 1 h, got {self.max_age_s}")

    def fingerprint(self) -> dict[str, object]:
        """What a saved engine state depends on (checked on restore)."""
        a = self.alerting
        return {
            "alerting": None if a is None else repr(a),
            "max_age_s": self.max_age_s,
            "zones": None if self.zones is None else [v.name for v in self.zones.volumes],
        }


@dataclass(frozen=True)
class Assessment:
    """The assessment of one snapshot at ``at`` (unix s); see the module docstring."""

    at: float
    states: pd.DataFrame
    conflicts: pd.DataFrame
    alerts: pd.DataFrame
    airspace: pd.DataFrame


def level_names(config: AlertingConfig, alerter: int = 1) -> list[str]:
    """Names of levels 0..n of alerter ``alerter`` (1-based): ``none``, then ``preventive``,
    ``corrective``, ``warning`` for a three-level alerter whose corrective level is 2 (RTCA
    DO-365B), ``TA``, ``RA`` for TCAS II, ``conflict`` for a single level, else ``level_k``."""
    a = config.alerters[alerter - 1]
    n = a.most_severe_level
    if n and all(isinstance(t.detector, TCAS3D) for t in a.levels):
        return ["none", *("RA" if getattr(t.detector, "ra", False) else "TA" for t in a.levels)]
    if n == 3 and a.corrective_level == 2:
        return ["none", "preventive", "corrective", "warning"]
    if n == 1:
        return ["none", "conflict"]
    return ["none", *(f"level_{k}" for k in range(1, n + 1))]


def name_levels(
    levels: npt.ArrayLike, config: AlertingConfig, alerter: npt.ArrayLike | None = None
) -> npt.NDArray[np.object_]:
    """The name of each level (by the alerter of each row, default alerter 1)."""
    lv = np.asarray(levels, dtype=np.int64)
    which = np.ones(len(lv), dtype=np.int64) if alerter is None else np.asarray(alerter)
    out = np.empty(len(lv), dtype=object)
    for k in np.unique(which) if len(lv) else []:
        names = np.asarray(level_names(config, int(k)), dtype=object)
        sel = which == k
        out[sel] = names[np.clip(lv[sel], 0, len(names) - 1)]
    return out


def alerts_table(
    states: pd.DataFrame, levels: pd.DataFrame, config: AlertingConfig
) -> pd.DataFrame:
    """A :class:`PairAlerter` frame with the pair naming of the result contracts: ``id_1``
    (ownship), ``id_2`` (intruder) with callsigns and parties, ``level_name`` beside
    ``level``, then the alerting quantities."""
    frame = levels.rename(columns={"ownship": "id_1", "intruder": "id_2"})
    ids = _text(states["id"])
    where = pd.Index(ids)
    id_1 = frame["id_1"].to_numpy(object)
    id_2 = frame["id_2"].to_numpy(object)
    i, j = where.get_indexer(pd.Index(id_1)), where.get_indexer(pd.Index(id_2))
    cols: dict[str, npt.ArrayLike] = {
        "t": frame["t"].to_numpy(np.float64) if len(frame) else np.empty(0),
        "id_1": id_1,
        "id_2": id_2,
    }
    for k, idx in (("1", i), ("2", j)):
        for name in ("callsign", "party"):
            values = _text(states[name])
            cols[f"{name}_{k}"] = np.where(idx >= 0, values[np.maximum(idx, 0)], "")
    level = frame["level"].to_numpy(np.int64)
    alerter = None
    if "alerter" in states and len(j):
        alerter = states["alerter"].fillna(1).to_numpy(np.int64)[np.maximum(j, 0)]
    cols["level"] = level
    cols["level_name"] = name_levels(level, config, alerter)
    for c in frame.columns:
        if c not in cols:
            cols[c] = frame[c].to_numpy()
    return pd.DataFrame(cols)


def _text(column: pd.Series) -> npt.NDArray[np.object_]:
    """A text column as Python strings (the states' ids and names are text already)."""
    values = column.to_numpy(object)
    if len(values) and not all(isinstance(v, str) for v in values[:1]):
        values = column.astype(str).to_numpy(object)
    return values


def pair_situation(states: pd.DataFrame, id_1: npt.ArrayLike, id_2: npt.ArrayLike) -> pd.DataFrame:
    """Own (``id_1``) against other (``id_2``) now, in own's tangent frame (DAIDALUS's):
    ``range_m`` (horizontal), ``bearing_deg`` (true, from own to other), ``dalt_m`` (other
    above own, common altitude reference), ``closure_mps`` (rate at which the horizontal range
    shrinks; negative when opening). NaN where either aircraft is not in ``states``."""
    a = np.asarray(id_1, dtype=object)
    b = np.asarray(id_2, dtype=object)
    where = pd.Index(_text(states["id"]))
    i, j = where.get_indexer(pd.Index(a)), where.get_indexer(pd.Index(b))
    ok = (i >= 0) & (j >= 0)
    out = {k: np.full(len(a), np.nan) for k in ("range_m", "bearing_deg", "dalt_m", "closure_mps")}
    if ok.any():
        g = pair_geometry(states, i[ok], j[ok])
        d = g.si - g.so
        v = g.vi - g.vo
        rng = np.hypot(d[:, 0], d[:, 1])
        safe = np.where(rng > 0, rng, 1.0)
        out["range_m"][ok] = rng
        out["bearing_deg"][ok] = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0
        out["dalt_m"][ok] = d[:, 2]
        out["closure_mps"][ok] = np.where(
            rng > 0, -(d[:, 0] * v[:, 0] + d[:, 1] * v[:, 1]) / safe, 0.0
        )
    return pd.DataFrame(out)


def _common_time(states: pd.DataFrame, at: float | None) -> tuple[pd.DataFrame, float]:
    states = complete_states(states)
    if at is None:
        at = float(np.nanmax(states["t"].to_numpy(np.float64))) if len(states) else 0.0
    return bring_to_common_time(states, at).reset_index(drop=True), float(at)


def assess_with(
    states: pd.DataFrame,
    settings: EngineSettings,
    at: float | None,
    alerter: PairAlerter | None,
) -> Assessment:
    """:func:`assess` with the alert levels from ``alerter`` (which may keep hysteresis)."""
    states, at = _common_time(states, at)
    if settings.minima is not None and len(states):
        conflicts = detect(states, settings.minima).conflicts
    else:
        conflicts = pd.DataFrame(columns=list(CONFLICT_COLUMNS))
    if alerter is not None:
        levels = alerter.step(states, at)
        alerts = alerts_table(states, levels, alerter.config)
    else:
        alerts = pd.DataFrame({c: pd.Series(dtype=object) for c in ALERT_COLUMNS})
        alerts["t"] = alerts["t"].astype(np.float64)
        alerts["level"] = pd.Series(dtype=np.int64)
        alerts["level_name"] = pd.Series(dtype=object)
    if settings.zones is not None:
        airspace = check_now(states, settings.zones, at, settings.now)
    else:
        airspace = pd.DataFrame()
    return Assessment(at, states, conflicts, alerts, airspace)


def assess(
    states: pd.DataFrame, settings: EngineSettings, *, at: float | None = None
) -> Assessment:
    """Conflicts, raw alert levels and airspace findings of one snapshot (see the module
    docstring). ``states`` at different times are first brought to ``at`` (default: the
    latest ``t``) along their great circles."""
    a = settings.alerting
    alerter = None if a is None else PairAlerter(a.without_hysteresis())
    return assess_with(states, settings, at, alerter)
