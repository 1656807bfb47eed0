"""The store on SQLite and on a real PostgreSQL: migrations, parties and tokens, batches of
reports, alert events, incidents, audit, checkpoints; acknowledged batches survive kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from wellclear.store import StoreError, open_store
from wellclear.store.db import head_revision
from wellclear.store.models import Base
from wellclear.store.parties import add_party, authenticate, list_parties, revoke_party
from wellclear.store.records import (
    IncidentRecord,
    TickState,
    add_incident,
    append_events,
    audit,
    audit_log,
    commit_tick,
    events_after,
    incidents,
    last_seq,
    latest_checkpoint,
)
from wellclear.store.reports import append_batch, batches_after, prune_batches, track


def _reports(n: int, party: str = "red", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": [f"{k % 7:06x}" for k in range(n)],
            "party": party,
            "callsign": [f"RED{k % 7}" for k in range(n)],
            "t": 1_443_859_200.0 + np.arange(n, dtype=float),
            "lat": rng.uniform(-89, 89, n),
            "lon": rng.uniform(-180, 180, n),
            "alt_baro_m": rng.uniform(0, 12_000, n),
            "alt_geo_m": np.nan,
            "gs_mps": rng.uniform(0, 300, n),
            "trk_deg": rng.uniform(0, 360, n),
            "vs_mps": rng.uniform(-20, 20, n),
            "onground": False,
        }
    )
    return frame


def test_migrated_schema_equals_the_models(store_url: str) -> None:
    store = open_store(store_url)
    assert store.revision() == head_revision()
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    store.close()


def test_reopening_keeps_the_data_and_a_newer_store_is_refused(store_url: str) -> None:
    store = open_store(store_url)
    add_party(store, "red")
    store.close()
    again = open_store(store_url)
    assert [p.name for p in list_parties(again)] == ["red"]
    with again.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    again.close()
    with pytest.raises(StoreError, match=r"ffff_future.*newer version"):
        open_store(store_url)


def test_bad_urls_are_named() -> None:
    with pytest.raises(StoreError, match="expected a sqlite"):
        open_store("mysql://x@localhost/db")
    with pytest.raises(StoreError, match="does not exist"):
        open_store("/nonexistent/dir/wellclear.db")


def test_tokens(store_url: str) -> None:
    store = open_store(store_url)
    red = add_party(store, "red")
    cell = add_party(store, "cell", role="cell")
    assert red != cell and red.startswith("wc_")
    who = authenticate(store, red)
    assert who is not None and (who.name, who.role) == ("red", "party")
    assert authenticate(store, cell).role == "cell"  # type: ignore[union-attr]
    key = red.rsplit("_", 1)[0]
    forged = key + "_" + ("A" * 43)
    for bad in (forged, "", "Bearer " + red, red[:-1], red + "x", "wc_zz_" + "A" * 43):
        assert authenticate(store, bad) is None, bad
    with pytest.raises(StoreError, match="exists already"):
        add_party(store, "red")
    with pytest.raises(StoreError, match="--role"):
        add_party(store, "blue", role="admin")
    with pytest.raises(StoreError, match="party name"):
        add_party(store, "bad name")
    revoke_party(store, "red")
    assert authenticate(store, red) is None
    with pytest.raises(StoreError, match="no party"):
        revoke_party(store, "nobody")
    # only the digest is stored
    with store.engine.connect() as conn:
        stored = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM parties")) for v in row
        )
    assert red.rsplit("_", 1)[1] not in stored
    store.close()


def test_batches_round_trip(store_url: str) -> None:
    store = open_store(store_url)
    add_party(store, "red")
    party_id = list_parties(store)[0].id
    frame = _reports(2_500)
    frame.loc[3, "lat"] = np.nan
    first = append_batch(store, party_id, frame.iloc[:1_000], rejected=2)
    second = append_batch(store, party_id, frame.iloc[1_000:])
    assert second > first
    got = track(store, "000003")
    want = frame[frame["id"] == "000003"]
    assert len(got) == len(want)
    for name in ("t", "lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "trk_deg", "vs_mps"):
        np.testing.assert_array_equal(got[name].to_numpy(), want[name].to_numpy(), err_msg=name)
    assert np.isnan(got["lat"].iloc[0])
    assert (got["callsign"] == "RED3").all() and not got["onground"].any()
    later = track(store, "000003", since=float(want["t"].iloc[10]))
    assert len(later) == len(want) - 10
    stored = list(batches_after(store, 0, chunk=1))
    assert [b for b, _ in stored] == [first, second]
    assert [len(f) for _, f in stored] == [1_000, 1_500]
    again = stored[1][1]
    np.testing.assert_array_equal(again.pop("t_row"), again["t"])
    pd.testing.assert_frame_equal(again, frame.iloc[1_000:].reset_index(drop=True))
    assert [b for b, _ in batches_after(store, first)] == [second]
    assert track(store, "nobody").empty
    add_party(store, "blue")
    blue_id = list_parties(store)[1].id
    append_batch(store, blue_id, _reports(50, party="blue"))
    assert len(track(store, "000003")) == len(want) + 7  # blue's reports of 000003 too
    assert len(track(store, "000003", party_id=party_id)) == len(want)
    assert len(track(store, "000003", party_id=blue_id)) == 7
    # --retain: batches wholly older than the cut go, up to a checkpoint's last batch only
    cut = float(frame["t"].iloc[1_500])
    assert prune_batches(store, cut, up_to_batch=second) == 1  # the first; the second reaches on
    assert [b for b, _ in batches_after(store, 0)] == [second, second + 1]
    assert prune_batches(store, float("inf"), up_to_batch=second) == 1
    assert [b for b, _ in batches_after(store, 0)] == [second + 1]  # not yet checkpointed
    store.close()


def test_events_incidents_audit_checkpoints(store_url: str) -> None:
    store = open_store(store_url)
    base = {
        "event": "raised",
        "t": 1.0,
        "level": 2,
        "level_name": "corrective",
        "agreement_version": "1",
    }
    seqs = append_events(
        store,
        [
            {
                **base,
                "alert_id": "a",
                "id_1": "x",
                "party_1": "red",
                "id_2": "y",
                "party_2": "blue",
                "range_m": 5000.0,
            },
            {
                **base,
                "alert_id": "b",
                "id_1": "z",
                "party_1": "green",
                "id_2": "w",
                "party_2": "green",
            },
        ],
    )
    assert len(seqs) == 2 and seqs[1] > seqs[0] and last_seq(store) == seqs[1]
    assert [e["alert_id"] for e in events_after(store, 0)] == ["a", "b"]
    assert [e["alert_id"] for e in events_after(store, seqs[0])] == ["b"]
    assert [e["alert_id"] for e in events_after(store, 0, party="blue")] == ["a"]
    assert events_after(store, 0, party="blue")[0]["range_m"] == 5000.0
    assert events_after(store, 0, party="nobody") == []
    with pytest.raises(StoreError, match="lacks"):
        append_events(store, [{"alert_id": "c"}])
    add_incident(
        store, IncidentRecord("a", "los", 1.0, 9.0, "x", "red", "y", "blue", "1", {"h_min_m": 3.0})
    )
    assert [i.id for i in incidents(store, party="red")] == ["a"]
    assert incidents(store, party="green") == []
    assert incidents(store)[0].details == {"h_min_m": 3.0}
    audit(store, "red", "GET", "/v1/alerts", 200)
    audit(store, None, "GET", "/v1/alerts", 401, "missing token")
    assert [(a.party, a.status) for a in audit_log(store)] == [("red", 200), (None, 401)]
    for k in range(4):
        commit_tick(store, [], TickState(float(k), k * 10, bytes([k]) * 100))
    cp = latest_checkpoint(store)
    assert cp is not None and cp.tick_t == 3.0 and cp.state == bytes([3]) * 100
    assert cp.last_batch_id == 30 and cp.last_event_seq == 0
    tick = commit_tick(
        store,
        [{**base, "alert_id": "c", "id_1": "x", "party_1": "red", "id_2": "y", "party_2": "b"}],
        TickState(4.0, 40, b"s"),
    )
    cp = latest_checkpoint(store)
    assert cp is not None and cp.last_event_seq == tick[0] == last_seq(store)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM checkpoints")).scalar_one() == 2
    store.close()


WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np, pandas as pd
    from wellclear.store import open_store
    from wellclear.store.parties import add_party, list_parties
    from wellclear.store.reports import append_batch
    store = open_store(sys.argv[1])
    add_party(store, "red")
    pid = list_parties(store)[0].id
    k = 0
    while True:
        n = 200
        frame = pd.DataFrame({"id": [f"ac{k}"] * n, "party": "red", "callsign": "",
                              "t": np.arange(n, dtype=float) + k * n, "lat": 1.0, "lon": 2.0,
                              "alt_baro_m": 3.0, "alt_geo_m": np.nan, "gs_mps": 4.0,
                              "trk_deg": 5.0, "vs_mps": 0.0, "onground": False})
        batch = append_batch(store, pid, frame)
        print(batch, f"ac{k}", flush=True)
        k += 1
    """
)


@pytest.mark.parametrize("kill_after", [3, 17, 40])
def test_acknowledged_batches_survive_kill_9(store_url: str, kill_after: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, store_url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    acknowledged = []
    assert proc.stdout is not None
    for line in proc.stdout:
        acknowledged.append(line.split())
        if len(acknowledged) >= kill_after:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = open_store(store_url)
    for _batch, aircraft in acknowledged:
        assert len(track(store, aircraft)) == 200, aircraft
    store.close()
