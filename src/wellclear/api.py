"""The Python API: states in any recognised form in, documented result tables out.

Every function takes ``source``: a path (CSV, Parquet, JSON, SBS, Mode S, Beast), a
:class:`pandas.DataFrame` in any column set the reader recognises (OpenSky state vectors, the
``traffic`` library's canonical columns, the states contract, also its short form with ``alt_m``
alone), a ``traffic.Traffic`` or ``Flight`` object (its ``.data``), or a list of them. Each is
read by :func:`wellclear.formats.states.read_reports`, validated as every command validates it,
then taken through the engine (:mod:`wellclear.engine`), as the commands do:

- :func:`read_states`: the usable states at one time;
- :func:`assess`: conflicts, alert levels and airspace findings of one snapshot;
- :func:`detect_conflicts`: the conflicts of one snapshot (``wellclear detect``);
- :func:`alert`: alert levels or lifecycle events over a time range (``wellclear alert``);
- :func:`check_airspace`: inside, predicted entries and proximity (``wellclear airspace check``);
- :func:`scan`: every encounter in recorded traffic (``wellclear scan``, in memory);
- :func:`read_zones`: airspace volumes, as ``--zones`` names them.

Result tables follow the contracts of :mod:`wellclear.schemas` (times as UTC timestamps with
``t_unix`` beside the main one) where a contract is published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.load import load_all
from wellclear.airspace.now import NowConfig
from wellclear.airspace.volume import Volume
from wellclear.alerting.config import AlertingConfig, preset
from wellclear.detect.conflicts import Minima
from wellclear.detect.conflicts import detect_conflicts as _detect_snapshot
from wellclear.engine.assess import Assessment, EngineSettings
from wellclear.engine.engine import Engine
from wellclear.engine.run import alert_table, assess_at, run_alerts, step_range
from wellclear.formats.states import InvalidPolicy, read_reports
from wellclear.states import complete_states
from wellclear.timeutil import parse_time
from wellclear.units import parse_duration

if TYPE_CHECKING:
    from wellclear.encounters.config import ScanConfig

__all__ = [
    "alert",
    "assess",
    "check_airspace",
    "detect_conflicts",
    "read_states",
    "read_zones",
    "scan",
]

Time = str | float | datetime | pd.Timestamp
Source = Any  # a path, a DataFrame, a traffic.Traffic or Flight, or a list of them


def _inputs(source: Source) -> list[str | Path | pd.DataFrame]:
    """``source`` as the reader's inputs: objects with a ``.data`` frame (``traffic``) as
    that frame, the short states contract (``alt_m`` only) with its altitudes named."""
    items = source if isinstance(source, (list, tuple)) else [source]
    out: list[str | Path | pd.DataFrame] = []
    for item in items:
        data = getattr(item, "data", None)
        if not isinstance(item, pd.DataFrame) and isinstance(data, pd.DataFrame):
            item = data
        if isinstance(item, pd.DataFrame):
            if "alt_m" in item and not {"alt_baro_m", "alt_geo_m"} & set(item.columns):
                short = complete_states(item)
                item = item.assign(alt_baro_m=short["alt_baro_m"], alt_geo_m=short["alt_geo_m"])
            out.append(item)
        elif isinstance(item, (str, Path)):
            out.append(item)
        else:
            raise TypeError(f"cannot read states from {type(item).__name__}")
    return out


def _reports(source: Source, invalid: InvalidPolicy) -> pd.DataFrame:
    return read_reports(_inputs(source), invalid=invalid).frame


def _time(value: Time | None) -> float | None:
    return None if value is None else parse_time(value)


def _seconds(value: str | float, what: str) -> float:
    seconds = parse_duration(value, what) if isinstance(value, str) else float(value)
    if not seconds > 0:
        raise ValueError(f"{what} must be positive, got {value!r}")
    return seconds


def _alerter(alerter: str | AlertingConfig, hysteresis: bool) -> AlertingConfig:
    config = preset(alerter) if isinstance(alerter, str) else alerter
    return config if hysteresis else config.without_hysteresis()


def read_zones(zones: str | Sequence[str] | Sequence[Volume] | VolumeIndex) -> VolumeIndex:
    """Airspace volumes indexed for checking: ``sovereign:TUR``, ``sovereign:ALL``, GeoJSON or
    OpenAir files (as ``--zones``), volumes, or an index already built."""
    if isinstance(zones, VolumeIndex):
        return zones
    if isinstance(zones, str):
        zones = [zones]
    volumes = [z for z in zones if isinstance(z, Volume)]
    specs = [z for z in zones if isinstance(z, str)]
    return VolumeIndex([*volumes, *load_all(specs)])


def read_states(
    source: Source,
    *,
    at: Time | None = None,
    max_age_s: float = 20.0,
    invalid: InvalidPolicy = "error",
) -> pd.DataFrame:
    """The usable states at ``at`` (default: the latest time in the input), extrapolated there.

    The table follows the states contract of :mod:`wellclear.states` plus ``age_s``;
    ``attrs["counts"]`` says how many aircraft were used, stale, incomplete, on the ground and
    how many rows were rejected; ``attrs["at"]`` is the time (unix s).
    """
    read = read_reports(_inputs(source), invalid=invalid)
    snap, _ = assess_at(read.frame, EngineSettings(alerting=None, max_age_s=max_age_s), _time(at))
    states = snap.states
    rows = read.counts.get("rows", len(read.frame) + len(read.rejects))
    states.attrs["counts"] = {**snap.counts, "rejected": len(read.rejects), "rows": rows}
    states.attrs["at"] = snap.at
    return states


def assess(
    source: Source,
    *,
    at: Time | None = None,
    alerter: str | AlertingConfig | None = "do365",
    minima: Minima | None = None,
    zones: str | Sequence[str] | Sequence[Volume] | VolumeIndex | None = None,
    lookahead_s: float = 120.0,
    party_state: Mapping[str, str] | None = None,
    bind_unknown: bool = False,
    max_age_s: float = 20.0,
    settings: EngineSettings | None = None,
    invalid: InvalidPolicy = "error",
) -> Assessment:
    """Conflicts (with ``minima``, default 5 NM / 1000 ft / 300 s), raw alert levels (no
    hysteresis: one snapshot) and airspace findings (with ``zones``; ``party_state`` maps
    parties to states, ``bind_unknown`` binds traffic of no party) at ``at``.

    ``settings`` replaces the other options when given. The tables are those of
    :class:`wellclear.engine.assess.Assessment` (times in unix seconds).
    """
    if settings is None:
        settings = EngineSettings(
            alerting=None if alerter is None else _alerter(alerter, True),
            minima=minima or Minima(),
            zones=None if zones is None else read_zones(zones),
            now=NowConfig(
                lookahead_s=lookahead_s, party_state=party_state, bind_unknown=bind_unknown
            ),
            max_age_s=max_age_s,
        )
    _, assessment = assess_at(_reports(source, invalid), settings, _time(at))
    return assessment


def detect_conflicts(
    source: Source,
    *,
    at: Time | None = None,
    horizontal_m: float = 9260.0,
    vertical_m: float = 304.8,
    lookahead_s: float = 300.0,
    between_parties: bool = False,
    ownship: Sequence[str] | None = None,
    max_age_s: float = 20.0,
    invalid: InvalidPolicy = "error",
) -> pd.DataFrame:
    """Every pair predicted to lose separation within the lookahead (the columns of
    :data:`wellclear.schemas.CONFLICTS`), from the snapshot at ``at``.

    A snapshot already made (the states of :func:`read_states`, or a table of one state per
    aircraft) is taken as it is when ``at`` is not given; its states of different times are
    brought to the latest of them.
    """
    if _one_state_each(source) and at is None:
        states = complete_states(source)
    else:
        states = read_states(source, at=at, max_age_s=max_age_s, invalid=invalid)
    return _detect_snapshot(
        states,
        horizontal_m=horizontal_m,
        vertical_m=vertical_m,
        lookahead_s=lookahead_s,
        between_parties=between_parties,
        ownship=ownship,
    )


def _one_state_each(source: Source) -> bool:
    """A table of one state per aircraft that is not the reader's: a snapshot already made."""
    if not isinstance(source, pd.DataFrame) or "t_row" in source or "id" not in source:
        return False
    return bool(source["id"].is_unique)


def alert(
    source: Source,
    *,
    start: Time | None = None,
    end: Time | None = None,
    step: str | float = 1.0,
    events: bool = False,
    alerter: str | AlertingConfig = "do365",
    hysteresis: bool = True,
    max_age_s: float = 20.0,
    invalid: InvalidPolicy = "error",
) -> pd.DataFrame:
    """Alert levels (level >= 1) of every ordered pair at each step from ``start`` to ``end``
    (default: the first and last report), or with ``events`` their lifecycle events; the
    tables of ``wellclear alert`` (:data:`wellclear.schemas.ALERTS`,
    :data:`wellclear.schemas.ALERT_EVENTS`). ``step``: seconds or a duration (``"1s"``).
    """
    reports = _reports(source, invalid)
    dt = _seconds(step, "step")
    ticks = step_range(reports, _time(start), _time(end), dt, max_age_s)
    config = _alerter(alerter, hysteresis)
    engine = Engine(EngineSettings(alerting=config, max_age_s=max_age_s))
    run = run_alerts(engine, reports, ticks, events=events)
    return alert_table(run.table, events)


def check_airspace(
    source: Source,
    zones: str | Sequence[str] | Sequence[Volume] | VolumeIndex,
    *,
    at: Time | None = None,
    lookahead_s: float = 120.0,
    party_state: Mapping[str, str] | None = None,
    bind_unknown: bool = False,
    max_age_s: float = 20.0,
    invalid: InvalidPolicy = "error",
) -> pd.DataFrame:
    """Who is inside a volume at ``at`` (default: the latest report), who will enter within
    ``lookahead_s`` and who is near a boundary: the table of ``wellclear airspace check``
    (:func:`wellclear.airspace.now.check_now`)."""
    settings = EngineSettings(
        alerting=None,
        zones=read_zones(zones),
        now=NowConfig(lookahead_s=lookahead_s, party_state=party_state, bind_unknown=bind_unknown),
        max_age_s=max_age_s,
    )
    _, assessment = assess_at(_reports(source, invalid), settings, _time(at))
    return assessment.airspace


def scan(
    source: Source, *, config: ScanConfig | None = None, invalid: InvalidPolicy = "error"
) -> pd.DataFrame:
    """Every encounter in recorded traffic (close approach, loss of separation, NMAC, ...):
    the table of ``wellclear scan`` (:data:`wellclear.schemas.ENCOUNTERS`), scanned in memory;
    ``config`` as the command's options (default: its defaults)."""
    from wellclear.encounters.scan import encounters_table
    from wellclear.encounters.scan import scan as scan_states

    states = complete_states(_reports(source, invalid))
    return encounters_table(scan_states(states, config).encounters)
