"""The live engine: reports in, at each tick the assessment and the events of that tick.

:class:`Engine` holds an :class:`~wellclear.engine.picture.AirPicture`, the alerter with its
hysteresis (:class:`wellclear.alerting.pairs.PairAlerter`) and the episode books
(:mod:`wellclear.engine.episodes`). :meth:`Engine.step` takes the snapshot at ``now``, assesses it
(:func:`wellclear.engine.assess.assess_with`: conflicts, alert levels with hysteresis, airspace)
and turns the levels and findings into episode events. Ticks must advance in time.

:meth:`Engine.save` writes the whole state (picture, hysteresis, episodes, last tick) as bytes
that :meth:`Engine.restore` reads back: a zip archive (no pickle) holding ``header.json`` (format
name and version, the settings it was made with, numbers and id lists) and one Arrow IPC file
per table and one ``.npy`` file per array. A restored engine continues exactly as the saved one
would have; restoring with other settings (alerter, max age) is refused.

Concurrency: one owner calls :meth:`ingest`, :meth:`step` and :meth:`save` (the service's tick
task); the frames of a :class:`StepResult` are new and may be read from any thread.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from wellclear.alerting.pairs import PairAlerter
from wellclear.engine.airspace_episodes import AirspaceBook, empty_airspace_events
from wellclear.engine.assess import Assessment, EngineSettings, assess_with, level_names
from wellclear.engine.episodes import AlertBook, empty_alert_events
from wellclear.engine.picture import AirPicture, Ingested, Source
from wellclear.formats.states import InvalidPolicy

FORMAT = "wellclear-engine-state"
VERSION = 1

# a picture is pruned when at least this many reports (and a quarter of them) can go
_PRUNE_AT_LEAST = 1000


@dataclass(frozen=True)
class StepResult:
    """One tick: the assessment (alert levels after hysteresis), the alert events
    (:data:`~wellclear.engine.episodes.ALERT_EVENT_COLUMNS`), the airspace events
    (:data:`~wellclear.engine.airspace_episodes.AIRSPACE_EVENT_COLUMNS`) and the snapshot's counts
    (aircraft used, stale, incomplete, on the ground)."""

    assessment: Assessment
    events: pd.DataFrame
    airspace_events: pd.DataFrame
    counts: dict[str, int]


class Engine:
    """The air picture, alert hysteresis and episodes of a live run (see the module docstring)."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.picture = AirPicture(settings.max_age_s)
        a = settings.alerting
        self.alerter = None if a is None else PairAlerter(a)
        self.alerts = AlertBook(level_names(a) if a is not None else None)
        self.airspace = AirspaceBook()
        self.last_step: float | None = None

    def use_settings(self, settings: EngineSettings) -> None:
        """Run on ``settings`` from the next step (a new agreement version comes into force
        between ticks); with another alerter its hysteresis starts afresh, the episodes go on."""
        a = settings.alerting
        if a != self.settings.alerting:
            self.alerter = None if a is None else PairAlerter(a)
        self.settings = settings

    def ingest(self, reports: Source, *, invalid: InvalidPolicy = "error") -> Ingested:
        """Add a batch of reports (see :meth:`AirPicture.ingest`)."""
        return self.picture.ingest(reports, invalid=invalid)

    def step(self, now: float) -> StepResult:
        """The assessment at ``now`` and the events since the last tick."""
        now = float(now)
        if not np.isfinite(now):
            raise ValueError(f"step time must be finite, got {now}")
        if self.last_step is not None and now <= self.last_step:
            raise ValueError(f"step at {now} is not after the last step at {self.last_step}")
        snap = self.picture.snapshot(now)
        assessment = assess_with(snap.states, self.settings, now, self.alerter)
        if self.alerter is not None:
            events = self.alerts.update(now, assessment.alerts, assessment.states)
        else:
            events = empty_alert_events()
        if self.settings.zones is not None:
            air = self.airspace.update(now, assessment.airspace)
        else:
            air = empty_airspace_events()
        self.last_step = now
        self.picture.prune(now, at_least=max(_PRUNE_AT_LEAST, self.picture.n_reports // 4))
        return StepResult(assessment, events, air, dict(snap.counts))

    # -- state ---------------------------------------------------------------------------

    def save(self) -> bytes:
        """The whole state as bytes (see the module docstring)."""
        tables: dict[str, pd.DataFrame] = {"picture": self.picture.get_state()}
        alerts_open, alerts_n = self.alerts.get_state()
        air_open, air_n = self.airspace.get_state()
        tables["alert_episodes"] = alerts_open
        tables["airspace_episodes"] = air_open
        scalars: dict[str, object] = {}
        arrays: dict[str, np.ndarray] = {}
        if self.alerter is not None:
            for name, value in self.alerter.get_state().items():
                if isinstance(value, np.ndarray):
                    arrays[name] = value
                elif isinstance(value, (list, tuple)):
                    scalars[name] = [str(v) for v in value]
                else:
                    scalars[name] = value.item() if isinstance(value, np.generic) else value
        header = {
            "format": FORMAT,
            "version": VERSION,
            "settings": self.settings.fingerprint(),
            "last_step": self.last_step,
            "alert_counter": alerts_n,
            "airspace_counter": air_n,
            "hysteresis": scalars if self.alerter is not None else None,
            "arrays": sorted(arrays),
            "tables": sorted(tables),
        }
        buf = io.BytesIO()
        # stored, not deflated: the tables are compressed by Arrow (zstd), faster than zlib
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("header.json", json.dumps(header, indent=1))
            for name, frame in tables.items():
                z.writestr(f"{name}.arrow", _arrow_bytes(frame))
            for name, a in arrays.items():
                out = io.BytesIO()
                np.save(out, np.ascontiguousarray(a), allow_pickle=False)
                z.writestr(f"hysteresis/{name}.npy", out.getvalue())
        return buf.getvalue()

    @classmethod
    def restore(cls, data: bytes, settings: EngineSettings) -> Engine:
        """An engine with ``settings`` in the state that :meth:`save` wrote."""
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
            header = json.loads(z.read("header.json"))
        except (zipfile.BadZipFile, KeyError, ValueError) as err:
            raise ValueError(f"not a saved engine state: {err}") from None
        if header.get("format") != FORMAT:
            raise ValueError(f"not a saved engine state (format {header.get('format')!r})")
        if header.get("version") != VERSION:
            raise ValueError(
                f"saved engine state version {header.get('version')}, this wellclear reads "
                f"version {VERSION}"
            )
        mine = json.loads(json.dumps(settings.fingerprint()))
        if header["settings"] != mine:
            differ = sorted(k for k in mine if header["settings"].get(k) != mine[k])
            raise ValueError(f"saved engine state made with other settings: {', '.join(differ)}")
        engine = cls(settings)
        with z:
            tables = {name: _arrow_frame(z.read(f"{name}.arrow")) for name in header["tables"]}
            arrays = {
                name: np.load(io.BytesIO(z.read(f"hysteresis/{name}.npy")), allow_pickle=False)
                for name in header["arrays"]
            }
        engine.picture.set_state(tables["picture"])
        engine.alerts.set_state(tables["alert_episodes"], header["alert_counter"])
        engine.airspace.set_state(tables["airspace_episodes"], header["airspace_counter"])
        if engine.alerter is not None and header["hysteresis"] is not None:
            engine.alerter.set_state({**header["hysteresis"], **arrays})
        last = header["last_step"]
        engine.last_step = None if last is None else float(last)
        return engine


def _arrow_bytes(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _arrow_frame(data: bytes) -> pd.DataFrame:
    table = pa.ipc.open_stream(pa.BufferReader(data)).read_all()
    return table.to_pandas()
