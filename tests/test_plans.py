"""Strategic deconfliction: generated operations with known intersections, near misses just
outside (in space, altitude and time), across the antimeridian and near a pole give exactly
the expected conflicts; the index against a brute-force twin; F3548 states and the
agreement's priority rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from wellclear.agreement.planning import Plans as Rules
from wellclear.plans.operations import Operation, Plans, parse_operation
from wellclear.plans.volumes import PlanError, overlap, parse_volume

T = 1_700_000_000.0


def box(
    lat: float,
    lon: float,
    d: float,
    lo: float = 0,
    hi: float = 120,
    t0: float = 0,
    t1: float = 3600,
) -> dict[str, Any]:
    corners = [[lat, lon], [lat, lon + d], [lat + d, lon + d], [lat + d, lon]]
    return {"polygon": corners, "alt_lo_m": lo, "alt_hi_m": hi, "start": T + t0, "end": T + t1}


def op(party: str, *volumes: dict[str, Any], priority: int = 0) -> Operation:
    return parse_operation({"volumes": list(volumes), "priority": priority}, party)


def test_known_intersections_and_near_misses() -> None:
    plans = Plans(Rules())
    base = op("red", box(10.0, 20.0, 0.1))
    assert plans.file(base, T - 60).accepted
    cases = {
        "overlapping corner": (box(10.05, 20.05, 0.1), 1),
        "just east (1e-6 deg gap)": (box(10.0, 20.100001, 0.1), 0),
        "sharing an edge only": (box(10.0, 20.1, 0.1), 0),
        "above the band": (box(10.0, 20.0, 0.1, lo=120.5, hi=200), 0),
        "after the window": (box(10.0, 20.0, 0.1, t0=3600, t1=7200), 0),
        "inside, overlapping in time": (box(10.02, 20.02, 0.01, t0=3000, t1=5000), 1),
    }
    for name, (volume, expected) in cases.items():
        found = plans.check(op("blue", volume))
        assert len(found) == expected, name
    (c,) = plans.check(op("blue", box(10.05, 20.05, 0.1)))
    assert c.footprint.bounds == pytest.approx((20.05, 10.05, 20.1, 10.1))
    assert (c.t_start, c.t_end, c.alt_lo_m, c.alt_hi_m) == (T, T + 3600, 0, 120)
    assert not plans.check(op("red", box(10.05, 20.05, 0.1)))  # a party's own: not checked


def test_antimeridian_equator_and_pole() -> None:
    plans = Plans(Rules())
    west = {
        "circle": {"lat": 0.0, "lon": -179.99, "radius_m": 5000},
        "alt_lo_m": 0,
        "alt_hi_m": 100,
        "start": T,
        "end": T + 600,
    }
    assert plans.file(op("red", west), T).accepted
    east = box(-0.02, 179.97, 0.04) | {"end": T + 600}  # crosses nothing, touches 180 E
    assert len(plans.check(op("blue", east))) == 1
    far = box(-0.02, 179.9, 0.04) | {"end": T + 600}  # 179.90-179.94 E: 5.5 km short
    assert plans.check(op("blue", far)) == []
    cap = {
        "circle": {"lat": 89.99, "lon": 0.0, "radius_m": 5000},
        "alt_lo_m": 0,
        "alt_hi_m": 100,
        "start": T,
        "end": T + 600,
    }
    assert plans.file(op("red", cap), T).accepted
    other_side = {
        "circle": {"lat": 89.97, "lon": 180.0, "radius_m": 1000},
        "alt_lo_m": 0,
        "alt_hi_m": 100,
        "start": T,
        "end": T + 600,
    }
    assert len(plans.check(op("blue", other_side))) == 1


def test_circle_is_geodesic_and_contains_the_true_circle() -> None:
    from pyproj import Geod

    v = parse_volume(
        {
            "circle": {"lat": 60.0, "lon": 10.0, "radius_m": 10_000},
            "alt_lo_m": 0,
            "alt_hi_m": 1,
            "start": T,
            "end": T + 1,
        },
        "v",
    )
    g = Geod(ellps="WGS84")
    az = np.linspace(0, 360, 1000)
    lon, lat, _ = g.fwd(np.full(1000, 10.0), np.full(1000, 60.0), az, np.full(1000, 9_999.0))
    import shapely

    assert shapely.contains_xy(v.footprint, lon, lat).all()
    lon, lat, _ = g.fwd(np.full(1000, 10.0), np.full(1000, 60.0), az, np.full(1000, 10_200.0))
    assert not shapely.contains_xy(v.footprint, lon, lat).any()


def test_index_against_brute_force() -> None:
    rng = np.random.default_rng(15)
    plans = Plans(Rules(lower_priority="accept"))
    plans.index.rebuild_after = 50  # through rebuilds and the recent list both
    ops = []
    for k in range(300):
        lat, lon = rng.uniform(40, 42), rng.uniform(-1, 1)
        vols = [
            box(
                lat + rng.uniform(0, 0.1),
                lon + rng.uniform(0, 0.1),
                rng.uniform(0.01, 0.1),
                lo=float(rng.uniform(0, 100)),
                hi=float(rng.uniform(100, 200)),
                t0=float(rng.uniform(0, 3000)),
                t1=float(rng.uniform(3001, 6000)),
            )
            for _ in range(int(rng.integers(1, 5)))
        ]
        o = op(f"p{k % 3}", *vols, priority=int(rng.integers(0, 3)))
        expected = sum(
            overlap(v, w) is not None
            for other in ops
            if other.party != o.party and other.state != "Ended"
            for v in o.volumes
            for w in other.volumes
        )
        assert len(plans.check(o)) == expected
        assert plans.file(o, T - 60).accepted
        ops.append(o)
        if k % 7 == 0 and ops[k // 2].state == "Accepted":
            plans.move(ops[k // 2].id, "Ended")  # ended operations leave the index


def test_priorities_and_states() -> None:
    plans = Plans(Rules(lower_priority="refuse", equal_priority="refuse"))
    high = op("red", box(0, 0, 1), priority=10)
    assert plans.file(high, T).accepted
    low = plans.file(op("blue", box(0.5, 0.5, 1), priority=1), T)
    assert not low.accepted and "higher-priority operation (priority 10)" in low.reason
    equal = plans.file(op("blue", box(0.5, 0.5, 1), priority=10), T)
    assert not equal.accepted and "equal priority" in equal.reason
    higher = plans.file(op("blue", box(0.5, 0.5, 1), priority=20), T)
    assert higher.accepted and [c.give_way for c in higher.conflicts] == ["other"]
    assert [c.give_way for c in plans.conflicts[high.id]] == ["own"]  # red is told
    assert plans.conflicts[high.id][0].other_priority == 20
    lenient = Plans(Rules(lower_priority="accept"))
    lenient.file(high, T)
    kept = lenient.file(op("blue", box(0.5, 0.5, 1), priority=1), T)
    assert kept.accepted and [c.give_way for c in kept.conflicts] == ["own"]
    assert plans.move(high.id, "Activated").state == "Activated"
    with pytest.raises(PlanError, match="Activated cannot become Accepted"):
        plans.move(high.id, "Accepted")
    assert plans.concerned(high.id) == {"blue"}
    plans.move(high.id, "Ended")
    assert plans.check(op("blue", box(0.5, 0.5, 1), priority=1)) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"volumes": []}, "volumes: expected a list of one or more"),
        ({"volumes": [box(0, 0, 1) | {"alt_lo_m": "x"}]}, r"volumes\[0\]: alt_lo_m: expected"),
        ({"volumes": [box(0, 0, 1) | {"start": "2025-01-01T00:00"}]}, "has no time zone"),
        ({"volumes": [box(0, 0, 1)], "priority": 1.5}, "priority: expected an integer"),
        ({"volumes": [box(0, 0, 1) | {"circle": {}}]}, "either polygon or circle"),
        ({"volumes": [box(0, 0, 1)], "colour": 1}, "unknown key 'colour'"),
    ],
)
def test_bad_operations_are_named(data: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_operation(data, "red")


def test_conformance_margins_horizontal_and_vertical() -> None:
    from pyproj import Geod

    from wellclear.plans.conformance import outside

    o = op("red", box(60.0, 10.0, 0.1, lo=100, hi=200))
    g = Geod(ellps="WGS84")
    # points due north of the northern edge (60.1 N), 50 m and 150 m beyond it
    lon, lat, _ = g.fwd([10.05, 10.05], [60.1, 60.1], [0, 0], [50, 150])
    alt = np.array([150.0, 150.0])
    assert outside(o, np.array(lat), np.array(lon), alt, T + 10, 100.0, 15.0).tolist() == [
        False,
        True,
    ]
    lon, lat, _ = g.fwd([10.1, 10.1], [60.05, 60.05], [90, 90], [50, 150])  # east of it
    assert outside(o, np.array(lat), np.array(lon), alt, T + 10, 100.0, 15.0).tolist() == [
        False,
        True,
    ]
    inside = np.array([60.05]), np.array([10.05])
    assert not outside(o, *inside, np.array([210.0]), T + 10, 100.0, 15.0)[0]  # 10 m above
    assert outside(o, *inside, np.array([220.0]), T + 10, 100.0, 15.0)[0]  # 20 m above
    assert outside(o, *inside, np.array([150.0]), T + 4000, 100.0, 15.0)[0]  # after its window


def test_monitor_against_outside_one_operation_at_a_time() -> None:
    """The vectorised monitor against the plain test, over ticks of one Monitor whose
    operations change state (its table kept) and whose watched set changes (rebuilt): at and
    beyond the windows, with aircraft missing from the picture, across the antimeridian and
    near the poles."""
    import pandas as pd

    from wellclear.plans.conformance import outside
    from wellclear.plans.monitor import Monitor

    rng = np.random.default_rng(3)
    ops, rows = [], []
    for k in range(80):
        lat = rng.choice([rng.uniform(-60, 60), rng.uniform(84, 89.5), rng.uniform(-1, 1)])
        lon = 179.98 if k % 7 == 0 else rng.uniform(-179.9, 179.9)
        o = op("red", *[box(lat + 0.02 * j, lon, 0.03, t1=600 + 600 * j) for j in range(3)])
        o.aircraft = (f"a{k}", f"b{k}", f"absent{k}")
        o.state = "Activated" if k % 2 else "Nonconforming"
        ops.append(o)
        for a in o.aircraft[:2]:
            rows.append(
                (
                    a,
                    min(lat + rng.uniform(-0.01, 0.08), 89.99),
                    (lon + rng.uniform(-0.01, 0.04) + 180) % 360 - 180,
                    rng.uniform(-30, 150),
                )
            )
    ops[5].aircraft = ("absent",)  # no aircraft in the picture: never changes
    states = pd.DataFrame(rows, columns=["id", "lat", "lon", "alt_m"])
    monitor, told = Monitor(), Monitor()  # told: given the revision of the operations
    changed = 0
    for tick, t in enumerate([T + 300, T + 700, T + 700, T + 1300, T + 5000]):
        if tick == 3:
            ops[1].state = "Contingent"  # leaves the watched set: the table is rebuilt
        changes = {o.id: s for o, s in monitor.changes(ops, states, t, 100.0, 15.0)}
        revision = 1 if tick < 3 else 2
        assert {o.id: s for o, s in told.changes(ops, states, t, 100.0, 15.0, revision)} == (
            changes
        )
        for o in ops:
            mine = states[states["id"].isin(o.aircraft)]
            off = outside(
                o,
                mine["lat"].to_numpy(),
                mine["lon"].to_numpy(),
                mine["alt_m"].to_numpy(),
                t,
                100.0,
                15.0,
            ).any()
            expected = {("Activated", True): "Nonconforming", ("Nonconforming", False): "Activated"}
            want = (
                expected.get((o.state, bool(off)))
                if o.state in ("Activated", "Nonconforming")
                else None
            )
            assert changes.get(o.id) == (None if mine.empty else want), (tick, o.id)
        assert ops[5].id not in changes
        for o in ops:
            o.state = changes.get(o.id, o.state)
        changed += len(changes)
        if tick == 1:
            assert 5 < len(changes) < 75  # both ways, not all
    assert changed > 20


def test_the_inner_ellipse_and_box_hold_only_points_inside() -> None:
    """What the monitor takes as surely inside (conformance.core) is inside for contains_xy,
    on squares, circles and a non-convex footprint, at the equator, near a pole and across the
    antimeridian; and it spares most inside points the polygon test."""
    import shapely

    from wellclear.plans.conformance import core, grow

    shapes = [
        box(0.0, 10.0, 0.05)["polygon"],
        box(87.0, 20.0, 0.05)["polygon"],
        [[10.0, 179.98], [10.0, -179.97], [10.05, -179.97], [10.05, 179.98]],
        [[40, 5], [40, 5.1], [40.02, 5.1], [40.02, 5.02], [40.1, 5.02], [40.1, 5]],  # an L
    ]
    band = {"alt_lo_m": 0, "alt_hi_m": 100, "start": T, "end": T + 60}
    vols = [{"polygon": s} | band for s in shapes]
    vols += [
        {"circle": {"lat": lat, "lon": lon, "radius_m": 2000}} | band
        for lat, lon in ((0.0, 0.0), (88.0, 10.0), (-45.0, 179.99))
    ]
    footprints = np.array([op("red", v).volumes[0].footprint for v in vols], dtype=object)
    grown = grow(footprints, 100.0)
    rng = np.random.default_rng(15)
    spared = inside_total = 0
    for g, (cx, cy, r2, k, bx0, by0, bx1, by1) in zip(grown, core(grown), strict=True):
        x0, y0, x1, y1 = g.bounds
        x = rng.uniform(x0, x1, 20_000)
        y = rng.uniform(y0, y1, 20_000)
        sure = ((x - cx) * k) ** 2 + (y - cy) ** 2 < r2
        sure |= (x > bx0) & (x < bx1) & (y > by0) & (y < by1)
        inside = shapely.contains_xy(g, x, y)
        assert not (sure & ~inside).any()
        spared += int(sure.sum())
        inside_total += int(inside.sum())
    assert spared > 0.8 * inside_total


def test_a_change_is_checked_as_a_filing_and_replaces_the_old_version() -> None:
    plans = Plans(Rules(lower_priority="refuse"))
    red = op("red", box(10.0, 20.0, 0.1), priority=2)
    blue = op("blue", box(11.0, 20.0, 0.1), priority=1)
    assert plans.file(red, T - 60).accepted and plans.file(blue, T - 60).accepted
    assert plans.conflicts[red.id] == [] and plans.conflicts[blue.id] == []
    # blue moves onto red's volume: refused (red has priority), the old version stays
    onto = op("blue", box(10.05, 20.05, 0.1), priority=1)
    refused = plans.change(blue.id, onto, T - 60)
    assert not refused.accepted and "higher-priority" in refused.reason
    assert plans.operations[blue.id] is blue and plans.conflicts[blue.id] == []
    # red moves onto blue's: accepted, the conflict on both sides, same id and state
    plans.move(red.id, "Activated")
    revision = plans.revision
    moved = op("red", box(11.05, 20.05, 0.1), priority=2)
    assert plans.change(red.id, moved, T - 60).accepted
    assert plans.revision > revision
    assert (moved.id, moved.state) == (red.id, "Activated")
    assert [c.other for c in plans.conflicts[red.id]] == [blue.id]
    assert [c.other for c in plans.conflicts[blue.id]] == [red.id]
    # the old volumes are out of the index: a filing there meets nothing
    assert plans.check(op("green", box(10.02, 20.02, 0.01))) == []
    assert len(plans.check(op("green", box(11.06, 20.06, 0.01)))) == 2
    # and away again: the conflict is forgotten on both sides
    away = op("red", box(30.0, 20.0, 0.1), priority=2)
    assert plans.change(red.id, away, T - 60).accepted
    assert plans.conflicts[red.id] == [] and plans.conflicts[blue.id] == []
    plans.move(red.id, "Ended")
    with pytest.raises(PlanError, match="Ended, it cannot change"):
        plans.change(red.id, op("red", box(30.0, 20.0, 0.1)), T - 60)


def test_the_index_replaces_a_key_and_forgets_it_across_rebuilds() -> None:
    from wellclear.plans.index import VolumeIndex
    from wellclear.plans.volumes import parse_volume

    index = VolumeIndex(rebuild_after=2)
    first = [parse_volume(box(0.0, 0.0, 1.0), "v")]
    second = [parse_volume(box(5.0, 5.0, 1.0), "v")]
    probe = {k: parse_volume(box(lat, lat, 0.1), "p") for k, lat in (("a", 0.5), ("b", 5.5))}
    index.add("x", first)
    index.build()
    index.add("x", second)  # replaces
    for k in range(3):  # past rebuild_after: rebuilt with the live slots only
        index.add(f"filler{k}", [parse_volume(box(50.0 + k, 0.0, 0.1), "v")])
    assert index.candidates(probe["a"]) == []
    assert [k for k, _ in index.candidates(probe["b"])] == ["x"]
    index.remove("x")
    index.build()
    assert index.candidates(probe["b"]) == []
