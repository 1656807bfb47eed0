"""Memory stays bounded with ``--retain``: the service's engine run for many ticks over traffic
that keeps coming and going (pairs of two parties' aircraft in conflict, each aircraft reported
for 20 s) holds no more objects over its last 60 ticks than over the 60 before (the store is
pruned every 60 ticks): the
picture's reports, the open episodes and the pairs with a hysteresis state, the open alerts, the
kept pictures, the queues of its subscribers (a dead one is disconnected at the queue's bound),
the stored batches and the client batch ids that deduplicate them (both go with ``--retain``).
Objects counted, not RSS. The alerter's table of aircraft codes is compacted only past 4,096
codes (``alerting/pairs.py``), beyond what this test flies: it is held to that rule."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from wellclear.agreement import Agreement
from wellclear.service.bodies import parse_states
from wellclear.service.config import ServiceConfig
from wellclear.service.live import Live
from wellclear.store import open_store
from wellclear.store.models import Batch, BatchKey
from wellclear.store.parties import Principal, add_party, list_parties
from wellclear.store.records import AuditRecord

T0 = 1_443_859_200.0
LIFE_S = 20
TICKS = 180
QUEUE = 25


def _now(k: int) -> pd.DataFrame:
    """Second ``k``: every pair born in the last LIFE_S seconds, one pair a second, its two
    aircraft (red's eastbound, blue's westbound) 4 km apart head-on at birth."""
    rows = []
    for born in range(max(0, k - LIFE_S + 1), k + 1):
        lat = 30.0 + 0.5 * (born % 20)
        m = 111_320.0 * np.cos(np.radians(lat))
        dt = k - born
        lon = 20.0 + 0.5 * (born // 20 % 20)
        rows.append((f"{0x100000 + 2 * born:06x}", "red", lon + 100.0 * dt / m, 90.0, lat))
        rows.append(
            (f"{0x100001 + 2 * born:06x}", "blue", lon + (4000.0 - 100.0 * dt) / m, 270.0, lat)
        )
    frame = pd.DataFrame(rows, columns=["icao24", "party", "lon", "heading", "lat"])
    return frame.assign(
        time=T0 + k, baroaltitude=3000.0, velocity=100.0, vertrate=0.0, onground=False
    )


def _counts(live: Live) -> dict[str, int]:
    with live.store.engine.connect() as conn:
        batches = int(conn.execute(select(func.count()).select_from(Batch)).scalar_one())
        keys = int(conn.execute(select(func.count()).select_from(BatchKey)).scalar_one())
    alerter = live.engine.alerter
    return {
        "picture reports": live.engine.picture.n_reports,
        "open episodes": len(live.engine.alerts.open),
        "hysteresis pairs": 0 if alerter is None else len(alerter.table),
        "aircraft codes": 0 if alerter is None else len(alerter.table.ids),
        "open alerts": len(live.open_alerts),
        "kept pictures": len(live._history),
        "pending batches": len(live._pending),
        "queued audit records": len(live._audit),
        "subscribers": len(live.subscribers),
        "stored batches": batches,
        "batch ids": keys,
    }


def test_memory_is_bounded_with_retain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(url)
    for p in ("red", "blue"):
        add_party(store, p)
    who = {p.name: Principal(p.id, p.name, p.role) for p in list_parties(store)}
    config = ServiceConfig(
        db=url,
        agreement=Agreement.builtin("default"),
        run_ticks=False,
        retain_s=30.0,
        queue=QUEUE,
    )
    live = Live(config, store)
    seen: list[dict[str, int]] = []
    raised = 0

    async def run() -> None:
        nonlocal raised
        dead = live.subscribe(who["red"])  # never reads
        reader = live.subscribe(who["blue"])
        for k in range(TICKS):
            for party, part in _now(k).groupby("party"):
                body = part.drop(columns=["party"]).to_json(orient="records").encode()
                parsed = parse_states(body, None, who[str(party)])
                live.post(who[str(party)], parsed, key=f"{party}-{k}")
                live.audit(AuditRecord(T0 + k, str(party), "POST", "/v1/states", 200))
            events = live.tick(T0 + k + 0.5)
            raised += sum(e["event"] == "raised" for e in events)
            live.publish(events)
            assert dead.queue.qsize() <= QUEUE
            while not reader.queue.empty():
                reader.queue.get_nowait()
            if k == 99:  # incidents are read from the store, not kept
                live.record_incidents()
            seen.append(_counts(live))
        assert dead.dropped is not None and dead not in live.subscribers
        assert reader.dropped is None and reader in live.subscribers

    asyncio.run(run())
    store.close()
    assert raised > TICKS  # episodes kept coming: one pair a second, both sides
    codes = [s.pop("aircraft codes") for s in seen]
    assert max(codes) <= max(4096, 2 * 2 * LIFE_S)  # its compaction rule
    first = {c: max(s[c] for s in seen[60:120]) for c in seen[0]}
    last = {c: max(s[c] for s in seen[120:]) for c in seen[0]}
    grown = {c: (first[c], last[c]) for c in first if last[c] > first[c] + 2}
    assert grown == {}, grown
    assert first["hysteresis pairs"] > 0 and first["open episodes"] > 0
    alive = 2 * LIFE_S
    # the picture's rule: what staleness allows of the aircraft alive and of those gone within
    # it, and at most max(1,000, a quarter) more awaiting the next pruning
    max_age = int(config.agreement.staleness.max_age.s)
    allowed = 2 * alive * (max_age + 2)
    assert max(s["picture reports"] for s in seen) <= allowed * 4 / 3 + 1000
    # an alert stays open while both its aircraft are in the picture (until they are stale)
    assert max(s["open alerts"] for s in seen) <= 2 * (LIFE_S + max_age + 2)
    # batches wholly older than --retain go at the next pruning (every 60 ticks)
    assert max(s["stored batches"] for s in seen) <= 2 * (30 + 60 + config.checkpoint_every + 2)
    assert max(s["batch ids"] for s in seen) == max(s["stored batches"] for s in seen)
