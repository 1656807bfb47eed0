"""A recorded scenario for the cluster tests: drones at 1 Hz over several cells near the
antimeridian, dense enough that pairs conflict across cell borders and drones cross borders
mid-conflict; and the single engine's alert events over it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from wellclear.alerting.config import preset
from wellclear.cluster.cells import CellGrid
from wellclear.cluster.reach import view_reach_m
from wellclear.engine.assess import EngineSettings
from wellclear.engine.engine import Engine
from wellclear.geo import extrapolate

TOP_SPEED = 30.0
MAX_AGE = 10.0
TICK_S = 5.0  # the longest tick interval of the tests
T0 = 1_700_000_000.0

#: what an event is compared on (the id's counter is per worker; the rest must be equal)
EVENT_KEY = ["t", "event", "id_1", "id_2", "from_level", "to_level"]
EVENT_VALUES = ["min_distance_m", "t_min_distance", "max_level", "t_start", "range_m", "hmd_m"]


def settings() -> EngineSettings:
    return EngineSettings(alerting=preset("do365"), max_age_s=MAX_AGE)


def grid() -> CellGrid:
    reach = view_reach_m(preset("do365"), TOP_SPEED, MAX_AGE, TICK_S)
    return CellGrid(cell_m=reach, reach_m=reach)


def scenario(n: int = 150, seconds: int = 40, seed: int = 7) -> list[pd.DataFrame]:
    """One batch of reports per second (``t`` = T0 + k)."""
    rng = np.random.default_rng(seed)
    lat0 = rng.uniform(-0.35, 0.35, n)
    lon0 = (179.75 + rng.uniform(0.0, 0.6, n) + 180.0) % 360.0 - 180.0
    trk = rng.uniform(0.0, 360.0, n)
    gs = rng.uniform(5.0, TOP_SPEED, n)
    alt = rng.uniform(80.0, 140.0, n)
    ids = np.array([f"d{k:03d}" for k in range(n)], dtype=object)
    batches = []
    for k in range(seconds):
        lat, lon, track = extrapolate(lat0, lon0, trk, gs * k)
        batches.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "party": np.where(np.arange(n) % 2 == 0, "utm-a", "utm-b"),
                    "callsign": ids,
                    "t": T0 + k,
                    "lat": lat,
                    "lon": lon,
                    "alt_m": alt,
                    "gs_mps": gs,
                    "trk_deg": track,
                    "vs_mps": 0.0,
                }
            )
        )
    return batches


def ticks(batches: list[pd.DataFrame], every: int) -> list[float | None]:
    """The tick after each batch (every ``every`` seconds; ``None``: no tick)."""
    return [T0 + k + 0.5 if (k + 1) % every == 0 else None for k in range(len(batches))]


def single_engine_events(batches: list[pd.DataFrame], every: int = 1) -> pd.DataFrame:
    engine = Engine(settings())
    out = []
    for batch, tick in zip(batches, ticks(batches, every), strict=True):
        engine.ingest(batch)
        if tick is not None:
            out.append(engine.step(tick).events)
    return sorted_events(pd.concat(out, ignore_index=True))


def sorted_events(events: pd.DataFrame) -> pd.DataFrame:
    return events.sort_values(EVENT_KEY, kind="stable").reset_index(drop=True)


def formation(
    g: CellGrid, blind: Callable[[np.ndarray, int], bool], seconds: int = 600, seed: int = 3
) -> list[pd.DataFrame]:
    """A pair flying together 400 m apart (alerting from the first tick) whose leader (the
    smaller id) crosses, after travelling farther than the halo, into a cell whose worker did not
    hold the pair when its episode began (``blind(cells_at_start, cell_entered)``): that worker
    must take the episode over. The follower stops reporting 30 s after the crossing, which
    clears the episode (the event carries its start and extremes)."""
    rng = np.random.default_rng(seed)
    speed = TOP_SPEED * 0.95
    t = np.arange(seconds, dtype=np.float64)
    one = np.ones(seconds)
    for _ in range(20_000):
        lat0, lon0, trk0 = rng.uniform(-0.3, 0.3), rng.uniform(-180, 180), rng.uniform(0, 360)
        lat, lon, trk = extrapolate(lat0 * one, lon0 * one, trk0 * one, speed * t)
        home = g.home(g.points(lat, lon))
        change = np.flatnonzero(home != home[0])
        if not len(change) or not g.reach_m / speed + 30 < change[0] < seconds - 60:
            continue
        side_lat, side_lon, _ = extrapolate(lat, lon, (trk + 90.0) % 360.0, 400.0 * one)
        _, start = g.halo(g.points([lat[0], side_lat[0]], [lon[0], side_lon[0]]))
        if not blind(start, int(home[change[0]])):
            continue
        stop = int(change[0]) + 30
        rows = [
            pd.DataFrame(
                {
                    "id": f"f0{name}",
                    "party": f"utm-{name}",
                    "callsign": f"F0{name}",
                    "t": T0 + t[:until],
                    "lat": la[:until],
                    "lon": lo[:until],
                    "alt_m": 100.0,
                    "gs_mps": speed,
                    "trk_deg": trk[:until],
                    "vs_mps": 0.0,
                }
            )
            for name, la, lo, until in (("a", lat, lon, seconds), ("b", side_lat, side_lon, stop))
        ]
        reports = pd.concat(rows, ignore_index=True)
        return [reports[reports["t"] == T0 + k].reset_index(drop=True) for k in range(seconds)]
    raise AssertionError("no formation found that crosses into a blind worker's cell")


def assert_same_events(got: pd.DataFrame, single: pd.DataFrame) -> None:
    assert not got.duplicated(EVENT_KEY).any(), "an event reported twice"
    pd.testing.assert_frame_equal(got[EVENT_KEY], single[EVENT_KEY])
    np.testing.assert_allclose(
        got[EVENT_VALUES].to_numpy(float), single[EVENT_VALUES].to_numpy(float), rtol=1e-9
    )
    # one episode keeps one id across its events, whichever worker reported them
    ids = got.groupby(["id_1", "id_2", "t_start"])["alert_id"].nunique()
    assert (ids == 1).all()
