"""Recorded-track events: acceptance cases of issue 4 against real Natural Earth polygons.

The Hatay and Yayladagi cases check the interpolation against a polygon, not history: the tracks
are generated, and the reference is dense sampling of the same great circle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from wellclear.airspace.events import EventsConfig, track_events
from wellclear.airspace.geometry import GEOD
from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.load import load_zones
from wellclear.airspace.sovereign import sovereign_volume
from wellclear.airspace.volume import Volume, parse_limit, parse_window
from wellclear.simulate.tracks import straight_track
from wellclear.units import FT_M

DATA = Path(__file__).parent / "data"
RUSSIA = {"russia": "RUS"}


@pytest.fixture(scope="module")
def levant() -> VolumeIndex:
    return VolumeIndex(load_zones(str(DATA / "levant_borders.geojson")))


@pytest.fixture(scope="module")
def tur() -> VolumeIndex:
    return VolumeIndex([sovereign_volume("TUR")])


def dense_crossings(geom: shapely.Geometry, track: pd.DataFrame) -> list[tuple[float, str]]:
    """The reference: crossing times of a densely sampled track by plain contains_xy."""
    ins = shapely.contains_xy(geom, track["lon"].to_numpy(), track["lat"].to_numpy())
    ch = np.flatnonzero(np.diff(ins.astype(np.int8)))
    t = track["t"].to_numpy()
    return [((t[c] + t[c + 1]) / 2, "in" if ins[c + 1] else "out") for c in ch]


def depth_twin(geom: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Slow twin: least geodesic distance to the boundary densified to ~50 m, point by point."""
    out = np.empty(len(lon))
    for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
        near = shapely.clip_by_rect(geom.boundary, x - 1.0, y - 1.0, x + 1.0, y + 1.0)
        c = shapely.get_coordinates(shapely.segmentize(near, 0.0005))
        _, _, d = GEOD.inv(np.full(len(c), x), np.full(len(c), y), c[:, 0], c[:, 1])
        out[i] = np.min(d)
    return out


def test_hatay_crossing_matches_dense_sampling(levant: VolumeIndex) -> None:
    kw = {"party": "russia", "id": "su24"}
    coarse = straight_track(36.7, 35.85, 310.0, 220.0, 4.0, 500.0, **kw)
    dense = straight_track(36.7, 35.85, 310.0, 220.0, 0.01, 500.0, **kw)
    ev = track_events(coarse, levant, EventsConfig(party_state=RUSSIA))
    turkey = ev[ev["volume"] == "Turkey"].iloc[0]
    syria = ev[ev["volume"] == "Syria"].iloc[0]
    tur_geom = levant.volumes[[v.name for v in levant.volumes].index("Turkey")].geometry
    ref = dense_crossings(tur_geom, dense)
    (t_in, d_in), (t_out, d_out) = ref[0], ref[1]
    assert (d_in, d_out) == ("in", "out")
    assert turkey["entry_time"] == pytest.approx(t_in, abs=1.0)
    assert turkey["exit_time"] == pytest.approx(t_out, abs=1.0)
    assert turkey["dwell_s"] == pytest.approx(t_out - t_in, rel=0.01)
    assert not turkey["open"]
    # Syria: the track starts inside (open), and leaves where it enters Turkey
    assert syria["open"]
    assert syria["exit_time"] == pytest.approx(turkey["entry_time"], abs=0.01)
    # greatest depth against the slow twin on the dense samples inside
    inside = (dense["t"] > t_in) & (dense["t"] < t_out)
    sub = dense[inside].iloc[::100]
    twin = depth_twin(tur_geom, sub["lon"].to_numpy(), sub["lat"].to_numpy())
    assert turkey["max_depth_m"] == pytest.approx(twin.max(), rel=0.01)
    assert turkey["max_depth_m"] > 10_000
    # entry point lies on the great circle at the entry time
    at = dense.iloc[int(np.argmin(np.abs(dense["t"] - turkey["entry_time"])))]
    assert turkey["entry_lat"] == pytest.approx(at["lat"], abs=2e-5)
    assert turkey["entry_lon"] == pytest.approx(at["lon"], abs=2e-5)
    assert turkey["max_alt_m"] == pytest.approx(5800.0)


def yayladagi_track(dt: float, gs: float) -> pd.DataFrame:
    return straight_track(
        36.25, 35.8255, 270.0, gs, dt, 240.0, alt_m=19_000 * FT_M, id="su24", party="russia"
    )


def test_yayladagi_17_seconds(tur: VolumeIndex) -> None:
    geom = tur.volumes[0].geometry
    # the speed that makes the chord across the salient tip last 17 s on this great circle
    probe = yayladagi_track(0.01, 100.0)
    (a, _), (b, _) = dense_crossings(geom, probe)
    gs = (b - a) * 100.0 / 17.0
    assert 90.0 < gs < 250.0
    dense = yayladagi_track(0.01, gs)
    (t_in, _), (t_out, _) = dense_crossings(geom, dense)
    assert t_out - t_in == pytest.approx(17.0, abs=0.05)
    ev = track_events(yayladagi_track(8.0, gs), tur, EventsConfig(party_state=RUSSIA))
    assert len(ev) == 1
    e = ev.iloc[0]
    assert (e["volume"], e["event"], bool(e["open"])) == ("sovereign:TUR", "infringement", False)
    assert e["dwell_s"] == pytest.approx(17.0, abs=1.0)
    assert e["entry_time"] == pytest.approx(t_in, abs=1.0)
    assert e["max_alt_m"] == pytest.approx(19_000 * FT_M)
    # the salient is a couple of km deep along this chord, not tens
    assert 50.0 < e["max_depth_m"] < 2_000.0


def test_track_5km_inside_syria_along_border_gives_none(tur: VolumeIndex) -> None:
    syr = sovereign_volume("SYR").geometry
    tr = straight_track(35.93, 35.775, 90.0, 200.0, 4.0, 120.0, party="russia")
    lon, lat = tr["lon"].to_numpy(), tr["lat"].to_numpy()
    assert shapely.contains_xy(syr, lon, lat).all()
    gap = depth_twin(tur.volumes[0].geometry, lon[::5], lat[::5])
    assert gap.min() > 4_000.0
    assert track_events(tr, tur, EventsConfig(party_state=RUSSIA)).empty


def test_owning_state_and_unknown_are_not_bound(tur: VolumeIndex) -> None:
    own = straight_track(36.7, 35.85, 310.0, 220.0, 4.0, 400.0, party="turkey")
    unknown = straight_track(36.7, 35.85, 310.0, 220.0, 4.0, 400.0, party="unknown", id="b")
    both = pd.concat([own, unknown], ignore_index=True)
    assert track_events(both, tur, EventsConfig(party_state={"turkey": "TUR"})).empty
    # unknown traffic is bound only when asked
    strict = EventsConfig(party_state={"turkey": "TUR"}, bind_unknown=True)
    assert track_events(both, tur, strict)["id"].tolist() == ["b"]
    # a party given as the ISO3 code itself needs no mapping
    own_code = own.assign(party="TUR")
    assert track_events(own_code, tur).empty
    assert len(track_events(own.assign(party="russia"), tur, EventsConfig(party_state=RUSSIA)))


def square(lon0: float, lat0: float, size: float) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([shapely.box(lon0, lat0, lon0 + size, lat0 + size)])


def test_floor_and_max_gap() -> None:
    vol = Volume("R1", "restricted", square(10.0, 45.0, 1.0), floor=parse_limit("FL100"))
    idx = VolumeIndex([vol])
    low = straight_track(9.8, 45.5, 90.0, 200.0, 5.0, 600.0, alt_m=2000.0)
    assert track_events(low, idx).empty
    # climbing through FL100 inside: entry interpolated in altitude
    climb = straight_track(9.8, 45.5, 90.0, 200.0, 5.0, 600.0, alt_m=2500.0, vs_mps=5.0)
    ev = track_events(climb, idx)
    assert len(ev) == 1
    t_fl100 = (100 * 100 * FT_M - 2500.0) / 5.0
    assert ev["entry_time"].iloc[0] - climb["t"].iloc[0] == pytest.approx(t_fl100, abs=0.01)
    # a gap longer than max_gap splits the stay into two open events
    high = straight_track(9.8, 45.5, 90.0, 200.0, 5.0, 600.0, alt_m=5000.0)
    gapped = high.drop(index=range(60, 80)).reset_index(drop=True)
    ev = track_events(gapped, idx, EventsConfig(max_gap_s=60.0))
    assert len(ev) == 2
    assert ev["open"].tolist() == [True, True]
    assert len(track_events(gapped, idx, EventsConfig(max_gap_s=200.0))) == 1


def test_time_window_opens_while_inside() -> None:
    t0 = 1_448_000_000.0
    win = parse_window("2015-11-20T06:15:00Z/2015-11-20T06:20:00Z")
    vol = Volume("D1", "danger", square(10.0, 45.0, 1.0), windows=(win,))
    tr = straight_track(10.1, 45.5, 90.0, 100.0, 5.0, 900.0, t0=win[0] - 300.0)
    ev = track_events(tr, VolumeIndex([vol]))
    assert len(ev) == 1
    e = ev.iloc[0]
    assert e["entry_time"] == pytest.approx(win[0])
    assert e["exit_time"] == pytest.approx(win[1])
    assert bool(e["open"])
    del t0


def test_multipolygon_islands_and_fir_crossing() -> None:
    islands = shapely.MultiPolygon(
        [shapely.box(20, 40, 20.2, 40.2), shapely.box(20.5, 40, 20.7, 40.2)]
    )
    vol = Volume("FIR X", "fir", islands)
    tr = straight_track(19.9, 40.1, 90.0, 250.0, 4.0, 400.0)
    ev = track_events(tr, VolumeIndex([vol]))
    assert ev["event"].tolist() == ["crossing", "crossing"]
    assert (ev["exit_time"] < ev["entry_time"].shift(-1).fillna(np.inf)).all()
    assert ev["entry_lon"].to_numpy() == pytest.approx([20.0, 20.5], abs=1e-4)


def test_antimeridian_chukotka_and_fiji() -> None:
    rus = VolumeIndex([sovereign_volume("RUS")])
    tr = straight_track(179.0, 67.0, 90.0, 230.0, 5.0, 600.0, party="usa")
    assert (tr["lon"] < 0).any() and (tr["lon"] > 0).any()
    ev = track_events(tr, rus)
    assert len(ev) == 1  # one stay, not cut at 180
    assert bool(ev["open"].iloc[0])
    # into Fiji's territorial sea across the antimeridian
    fji = VolumeIndex([sovereign_volume("FJI")])
    tr = straight_track(-179.2, -16.75, 270.0, 230.0, 5.0, 800.0, party="usa")
    ev = track_events(tr, fji)
    dense = straight_track(-179.2, -16.75, 270.0, 230.0, 0.05, 800.0)
    ((t_in, way),) = dense_crossings(fji.volumes[0].geometry, dense)
    assert way == "in"
    assert len(ev) == 1  # enters west of 180 and stays inside across it
    assert ev["entry_time"].iloc[0] == pytest.approx(t_in, abs=0.1)
    assert ev["entry_lon"].iloc[0] < -179.0 and ev["exit_lon"].iloc[0] > 179.0
    assert bool(ev["open"].iloc[0])  # the track ends inside


def test_near_pole() -> None:
    ring = [(lon, 89.0) for lon in np.linspace(-180, 180, 73)]
    poly = shapely.MultiPolygon([shapely.Polygon([*ring, (180, 90), (-180, 90)])])
    vol = Volume("polar", "restricted", poly)
    tr = straight_track(0.0, 88.5, 0.0, 250.0, 5.0, 400.0)
    ev = track_events(tr, VolumeIndex([vol]))
    assert len(ev) == 1
    # 0.5 deg of latitude at 88.5N is ~55.8 km: entry after ~223 s
    _, _, d = GEOD.inv(0.0, 88.5, 0.0, 89.0)
    assert ev["entry_time"].iloc[0] - tr["t"].iloc[0] == pytest.approx(d / 250.0, abs=1.0)


def test_interleaved_rows_and_missing_positions() -> None:
    vol = Volume("R1", "restricted", square(10.0, 45.0, 1.0))
    idx = VolumeIndex([vol])
    a = straight_track(9.8, 45.5, 90.0, 200.0, 5.0, 600.0, id="a")
    b = straight_track(9.8, 45.3, 90.0, 200.0, 5.0, 600.0, id="b")
    ordered = track_events(pd.concat([a, b], ignore_index=True), idx)
    mixed = pd.concat([a, b]).sort_values("t", kind="stable").reset_index(drop=True)
    mixed.loc[3, ["lat", "lon"]] = np.nan
    shuffled = track_events(mixed, idx)
    assert len(ordered) == 2
    pd.testing.assert_frame_equal(ordered, shuffled)
