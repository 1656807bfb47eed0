"""The fast paths of ingest against their slow twins: CSV columns of numbers read as floats
before the reader (against the reader on the text), and a tick's pending batches ingested into
the engine at once (against one ingest per batch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellclear.agreement import Agreement
from wellclear.engine.engine import Engine
from wellclear.service import bodies
from wellclear.service.bodies import parse_states
from wellclear.service.config import ServiceConfig
from wellclear.service.live import Live
from wellclear.store import open_store
from wellclear.store.parties import Principal, add_party, list_parties

WHO = Principal(1, "usa", "party")
CELLS = ["", "nan", "NaN", "inf", "-inf", "abc", "1e3", " 12.5", "+3", "0", "-7.25", "1.5e-2"]


def _csv(rng: np.random.Generator, n: int, odd: float) -> bytes:
    """An OpenSky CSV body; each cell of a number column is, with probability ``odd``, one
    of CELLS instead of a plain number; ids with leading zeros, each once a time."""

    def column(values: np.ndarray) -> list[str]:
        out = [repr(float(v)) for v in values]
        for k in np.flatnonzero(rng.random(n) < odd):
            out[k] = str(rng.choice(CELLS))
        return out

    frame = pd.DataFrame(
        {
            "icao24": [f"{k % 50:06d}" for k in range(n)],
            "callsign": [f"00{k}" for k in range(n)],
            "time": column(1.44e9 + np.arange(n) // 50),
            "lat": column(rng.uniform(-89.9, 89.9, n)),
            "lon": column(rng.uniform(-180.0, 180.0, n)),
            "baroaltitude": column(rng.uniform(0.0, 12_000.0, n)),
            "velocity": column(rng.uniform(0.0, 300.0, n)),
            "heading": column(rng.uniform(0.0, 360.0, n)),
            "vertrate": column(rng.uniform(-20.0, 20.0, n)),
            "onground": rng.choice(["true", "false", "0", ""], n),
        }
    )
    if rng.random() < 0.3:
        frame["time"] = pd.to_datetime(frame.index + 1_443_859_200, unit="s").strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    return frame.to_csv(index=False).encode()


@pytest.mark.parametrize("odd", [0.0, 0.002, 0.05])
def test_csv_numbers_read_as_the_reader_reads_their_text(
    odd: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(int(odd * 1000) + 7)
    for _ in range(8):
        body = _csv(rng, 300, odd)
        fast = parse_states(body, "text/csv", WHO)
        with monkeypatch.context() as m:
            m.setattr(bodies, "_numbers", lambda frame: frame)
            slow = parse_states(body, "text/csv", WHO)
        assert fast.rejected == slow.rejected
        assert fast.counted == slow.counted
        pd.testing.assert_frame_equal(fast.reports, slow.reports)
        if odd == 0.0:
            assert len(fast.reports) == 300 and not fast.rejected


def _batches(rng: np.random.Generator, count: int, clash: bool) -> list[pd.DataFrame]:
    """Batches of 20 aircraft at one time each; every third one sent twice (exact repeats);
    with ``clash``, one batch reports an aircraft at a time already reported elsewhere."""
    out = []
    for k in range(count):
        n = 20
        frame = pd.DataFrame(
            {
                "icao24": [f"{(k % 2) * 100 + j:06x}" for j in range(n)],
                "time": 1_443_859_200.0 + k // 2,
                "lat": 35.0 + rng.random(n),
                "lon": 179.5 + rng.random(n),  # across the antimeridian
                "baroaltitude": 5000.0,
                "velocity": 200.0,
                "heading": 90.0,
                "vertrate": 0.0,
            }
        )
        frame["lon"] = (frame["lon"] + 180.0) % 360.0 - 180.0
        out.append(frame)
        if k % 3 == 0:
            out.append(frame.copy())
    if clash:
        moved = out[-1].copy()
        moved["lat"] += 0.01
        out.append(moved)
    return out


@pytest.mark.parametrize("clash", [False, True])
def test_pending_batches_ingested_at_once_as_one_by_one(tmp_path: Path, clash: bool) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(url)
    add_party(store, "usa")
    who = Principal(list_parties(store)[-1].id, "usa", "party")
    config = ServiceConfig(db=url, agreement=Agreement.builtin("syria2015"), run_ticks=False)
    live = Live(config, store)
    frames = _batches(np.random.default_rng(3), 9, clash)
    posted = []
    for frame in frames:
        parsed = parse_states(frame.to_json(orient="records").encode(), None, who)
        answer = live.post(who, parsed)
        posted.append((int(answer["batch"]), parsed.reports))
    live.tick(1_443_859_210.0)
    twin = Engine(live.settings)
    for batch_id, reports in posted:
        twin.ingest(reports.assign(source=f"batch {batch_id}"), invalid="skip")
    held, expected = live.engine.picture.get_state(), twin.picture.get_state()
    pd.testing.assert_frame_equal(held, expected)
    assert live.last_batch == posted[-1][0]
    if clash:  # the clashing report and the one it clashes with are both left out
        assert len(held) < len(pd.concat([r for _, r in posted]).drop_duplicates(["id", "t"]))
    store.close()
