"""Engine save/restore: a run interrupted and restored at random ticks gives the same events as
an uninterrupted run; reports fed tick by tick (as a live service gets them) give the same
events as the whole file ingested at once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.load import load_zones
from wellclear.alerting.config import preset
from wellclear.engine.assess import EngineSettings
from wellclear.engine.engine import Engine
from wellclear.formats.states import read_reports
from wellclear.simulate.flights import fly, sample
from wellclear.simulate.scenarios import random_plans

DT = 2.0
N_STEPS = 150


@pytest.fixture(scope="module")
def scenario() -> pd.DataFrame:
    plans = random_plans(80, 600.0, seed=3, radius_deg=0.25)
    return read_reports([sample(fly(plans, dt=1.0), seed=3, min_dt=1.0, max_dt=4.0)]).frame


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> VolumeIndex:
    """A restricted box of about 20 x 20 km in the middle of the traffic, surface to FL200."""
    ring = [[2.35, 47.9], [2.65, 47.9], [2.65, 48.1], [2.35, 48.1], [2.35, 47.9]]
    feature = {
        "type": "Feature",
        "properties": {"name": "box", "kind": "restricted", "floor": "SFC", "ceiling": "FL200"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path = tmp_path_factory.mktemp("zones") / "box.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return VolumeIndex(load_zones(str(path)))


def _times(frame: pd.DataFrame) -> np.ndarray:
    return float(frame["t_row"].min()) + 150.0 + DT * np.arange(N_STEPS)


def _run(
    frame: pd.DataFrame,
    settings: EngineSettings,
    cuts: set[int] = frozenset(),  # type: ignore[assignment]
    *,
    live: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Alert and airspace events of the run; at each tick in ``cuts`` the engine is saved and
    a new one restored from the bytes. ``live``: reports ingested tick by tick."""
    times = _times(frame)
    engine = Engine(settings)
    if not live:
        engine.ingest(frame)
    alerts, air = [], []
    restored = 0
    fed = -np.inf
    for k, now in enumerate(times):
        if live:
            t = frame["t_row"].to_numpy()
            batch = frame[(t > fed) & (t <= now)]
            fed = now
            if len(batch):
                engine.ingest(batch)
        if k in cuts:
            engine = Engine.restore(engine.save(), settings)
            restored += 1
        res = engine.step(float(now))
        alerts.append(res.events)
        air.append(res.airspace_events)
    return pd.concat(alerts, ignore_index=True), pd.concat(air, ignore_index=True), restored


@pytest.fixture(scope="module")
def settings(zones: VolumeIndex) -> EngineSettings:
    return EngineSettings(alerting=preset("do365"), zones=zones)


@pytest.fixture(scope="module")
def uninterrupted(
    scenario: pd.DataFrame, settings: EngineSettings
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    return _run(scenario, settings)


def test_the_scenario_has_alerts_and_airspace_events(
    uninterrupted: tuple[pd.DataFrame, pd.DataFrame, int],
) -> None:
    alerts, air, _ = uninterrupted
    assert {"raised", "cleared"} <= set(alerts["event"]) and len(alerts) >= 10
    assert {"entered", "exited"} <= set(air["event"])


@pytest.mark.parametrize("seed", [1, 2])
def test_restored_at_random_ticks_gives_the_same_events(
    scenario: pd.DataFrame,
    settings: EngineSettings,
    uninterrupted: tuple[pd.DataFrame, pd.DataFrame, int],
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    cuts = set(rng.choice(np.arange(1, N_STEPS), size=6, replace=False).tolist())
    alerts, air, restored = _run(scenario, settings, cuts, live=seed == 2)
    assert restored == 6
    pd.testing.assert_frame_equal(alerts, uninterrupted[0])
    pd.testing.assert_frame_equal(air, uninterrupted[1])


def test_restore_refuses_other_settings_and_other_bytes(
    scenario: pd.DataFrame, settings: EngineSettings
) -> None:
    engine = Engine(settings)
    engine.ingest(scenario)
    engine.step(float(scenario["t_row"].min()) + 100.0)
    blob = engine.save()
    with pytest.raises(ValueError, match="other settings: alerting"):
        Engine.restore(blob, EngineSettings(alerting=preset("tcas"), zones=settings.zones))
    with pytest.raises(ValueError, match="other settings: zones"):
        Engine.restore(blob, EngineSettings(alerting=preset("do365")))
    with pytest.raises(ValueError, match="not a saved engine state"):
        Engine.restore(b"not a zip", settings)
    again = Engine.restore(blob, settings)
    assert again.last_step == engine.last_step
    with pytest.raises(ValueError, match="not after the last step"):
        again.step(float(engine.last_step or 0.0))


def test_the_saved_state_holds_no_pickle(scenario: pd.DataFrame, settings: EngineSettings) -> None:
    import io
    import zipfile

    engine = Engine(settings)
    engine.ingest(scenario)
    for k in range(5):
        engine.step(float(scenario["t_row"].min()) + 290.0 + k)
    names = zipfile.ZipFile(io.BytesIO(engine.save())).namelist()
    assert "header.json" in names
    assert all(Path(n).suffix in (".json", ".arrow", ".npy") for n in names), names


def test_an_engine_without_alerter_assesses_conflicts_and_airspace(
    scenario: pd.DataFrame, zones: VolumeIndex
) -> None:
    from wellclear.detect.conflicts import Minima

    settings = EngineSettings(alerting=None, minima=Minima(), zones=zones)
    engine = Engine(settings)
    engine.ingest(scenario)
    now = float(scenario["t_row"].min()) + 300.0
    res = engine.step(now)
    assert len(res.assessment.conflicts) > 0 and len(res.assessment.airspace) > 0
    assert res.events.empty and list(res.assessment.alerts.columns)[-2:] == [
        "level",
        "level_name",
    ]
    again = Engine.restore(engine.save(), settings).step(now + 1.0)
    assert len(again.assessment.conflicts) == len(engine.step(now + 1.0).assessment.conflicts)


@pytest.mark.parametrize("name", ["do365", "do365-sum", "do365-phase2", "tcas", "cylinder"])
def test_the_settings_fingerprint_is_the_same_in_another_process(name: str) -> None:
    """A state saved by one process (a service before a crash) restores in another: the
    fingerprint is made of values, not of object addresses."""
    import subprocess
    import sys

    code = (
        "import json; from wellclear.alerting.config import preset; "
        "from wellclear.engine.assess import EngineSettings; "
        f"print(json.dumps(EngineSettings(alerting=preset({name!r})).fingerprint()))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mine = json.loads(json.dumps(EngineSettings(alerting=preset(name)).fingerprint()))
    assert json.loads(other.stdout) == mine
