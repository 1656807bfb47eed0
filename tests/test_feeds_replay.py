"""``wellclear replay``: a recording into a real ``wellclear serve`` in time order at a chosen
speed, times shifted to now or kept."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feed_helpers import wellclear
from service_helpers import free_port, serve
from wellclear.feeds.replay import batches_of, parse_speed
from wellclear.formats.feeds import read_feed
from wellclear.store import open_store
from wellclear.store.parties import add_party
from wellclear.store.reports import batches_after

CAPTURE = Path(__file__).parent / "data" / "sample_dump1090.beast.bin"
T0 = 1_700_000_000.0


def test_speed_and_batches() -> None:
    assert parse_speed("10x") == 10.0 and parse_speed("0.5") == 0.5
    for bad in ("fast", "0x", "-2x", "nanx"):
        with pytest.raises(ValueError, match="--speed"):
            parse_speed(bad)
    reports = pd.DataFrame({"id": ["a", "b", "a", "b"], "t": [10.0, 10.4, 12.2, 10.9]})
    plan = batches_of(reports, 1.0, 100.0, with_party=False)
    assert [(o, [r["t"] for r in recs]) for o, recs in plan] == [
        (0.0, [110.0, 110.4, 110.9]),
        (2.0, [112.2]),
    ]


def test_replay_into_the_service(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(url)
    token = add_party(store, "russia")
    store.close()
    port = free_port()
    server = serve(url, port)
    base = ["--server", f"http://127.0.0.1:{port}", "--token", token, "--t0", str(T0)]
    try:
        began = time.time()
        shifted = subprocess.run(
            wellclear("replay", str(CAPTURE), "--speed", "20x", *base),
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        took = time.time() - began
        kept = subprocess.run(
            wellclear("replay", str(CAPTURE), "--speed", "1000x", "--keep-time", *base),
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)
    assert "done: 3 batches, 3 reports sent, 3 accepted" in shifted.stderr, shifted.stderr
    assert "3 accepted" in kept.stderr, kept.stderr
    offline = read_feed(CAPTURE, t0=T0).states
    span = float(offline["t"].max() - offline["t"].min())
    assert took >= span / 20  # in time: the last batch waits for its turn at 20x
    store = open_store(url)
    try:
        frames = [frame for _, frame in batches_after(store, 0)]
    finally:
        store.close()
    first, second = pd.concat(frames[:3]), pd.concat(frames[3:])
    np.testing.assert_allclose(second["t"], offline["t"])  # --keep-time
    np.testing.assert_allclose(second["lat"], offline["lat"])
    # shifted: the first report at the start, the intervals kept
    assert abs(float(first["t"].min()) - began) < 30
    np.testing.assert_allclose(np.diff(first["t"]), np.diff(offline["t"]), atol=1e-6)
