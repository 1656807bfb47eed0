"""The cheap necessary-condition screen before the polynomial stage never drops an encounter."""

from __future__ import annotations

import numpy as np

from wellclear import poly
from wellclear.encounters._segments import screen_many
from wellclear.encounters.config import ScanConfig
from wellclear.geo import WGS84_E2, ecef


def test_screen_keeps_every_interval_with_time_in_the_proximity_range() -> None:
    cfg = ScanConfig()
    rng = np.random.default_rng(5)
    n = 200_000
    lat = rng.uniform(-70, 70, n)
    lon = rng.uniform(-180, 180, n)
    h = rng.uniform(1.0, 60.0, n)
    pi_a = ecef(lat, lon)
    # the other aircraft and both ends within a few proximity ranges, any velocities
    reach = 3.0 * cfg.proximity_horizontal_m
    pj_a = pi_a + rng.uniform(-reach, reach, (n, 3))
    pi_b = pi_a + rng.uniform(-300.0, 300.0, (n, 1)) * rng.normal(size=(n, 3))
    pj_b = pj_a + rng.uniform(-300.0, 300.0, (n, 1)) * rng.normal(size=(n, 3))
    vel = [rng.normal(0.0, 150.0, (n, 3)) for _ in range(4)]
    z = [rng.uniform(0.0, 3000.0, n) for _ in range(4)]
    vz = [rng.normal(0.0, 20.0, n) for _ in range(4)]
    up = pi_a / np.linalg.norm(pi_a, axis=1)[:, None] + pj_a / np.linalg.norm(pj_a, axis=1)[:, None]
    up[:, 2] /= 1.0 - WGS84_E2
    up /= np.linalg.norm(up, axis=1)[:, None]
    d = poly.hermite(pj_a, vel[1], pj_b, vel[3], h) - poly.hermite(pi_a, vel[0], pi_b, vel[2], h)
    d_h = d - np.einsum("ndk,nk->nd", d, up)[:, :, None] * up[:, None, :]
    dz = poly.hermite(z[1] - z[0], vz[1] - vz[0], z[3] - z[2], vz[3] - vz[2], h)
    hm, vm = cfg.proximity_horizontal_m, cfg.proximity_vertical_m
    s, _ = poly.inside_intervals([(poly.square_sum(d_h), -np.inf, hm * hm), (dz, -vm, vm)])
    inside = ~np.all(np.isnan(s), axis=1)
    rel = (pj_a - pi_a, pj_b - pi_b, vel[1] - vel[0], vel[3] - vel[2])
    rel += (z[1] - z[0], z[3] - z[2], vz[1] - vz[0], vz[3] - vz[2])
    kept = screen_many(*rel, h, up, hm, vm)
    assert inside.sum() > 1000  # the test has cases on both sides
    assert (~kept).sum() > 1000
    assert not np.any(inside & ~kept)
