"""Batches of reports: stored in one transaction before they are acknowledged, and read back.

A batch's accepted reports are kept as one Arrow IPC stream (LZ4-compressed) in the states
contract (:data:`STORED_COLUMNS`), with the party and the batch's time range: ingest costs one
row per batch. A track is read from the batches whose times reach past ``since`` (of the
caller's party only, where it is a party), so its cost grows with the data since then; the live
picture of recent reports is the engine's, in memory.
:func:`append_batch` returns once the transaction is committed (durable: see
:mod:`wellclear.store.db`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from wellclear.store.db import Store, now
from wellclear.store.models import Batch, BatchKey

# the stored columns of a report (the reader's: the states contract with both altitudes, the
# time of the position ``t`` and of the report ``t_row``, which defaults to ``t``)
STORED_COLUMNS: dict[str, pa.DataType] = {
    "id": pa.string(),
    "party": pa.string(),
    "callsign": pa.string(),
    "t": pa.float64(),
    "t_row": pa.float64(),
    "lat": pa.float64(),
    "lon": pa.float64(),
    "alt_baro_m": pa.float64(),
    "alt_geo_m": pa.float64(),
    "gs_mps": pa.float64(),
    "trk_deg": pa.float64(),
    "vs_mps": pa.float64(),
    "onground": pa.bool_(),
}
_SCHEMA = pa.schema(list(STORED_COLUMNS.items()))
_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


def encode(reports: pd.DataFrame) -> bytes:
    """The reports as an Arrow IPC stream of :data:`STORED_COLUMNS` (missing ones null)."""
    n = len(reports)
    arrays = []
    for name, kind in STORED_COLUMNS.items():
        if name in reports:
            values = reports[name]
            if kind == pa.string():
                arrays.append(pa.array(values.astype(str).to_numpy(object), type=kind))
            elif kind == pa.bool_():
                arrays.append(pa.array(values.fillna(False).to_numpy(bool), type=kind))
            else:
                arrays.append(pa.array(values.to_numpy(np.float64), type=kind))
        elif name == "t_row" and "t" in reports:
            arrays.append(pa.array(reports["t"].to_numpy(np.float64), type=kind))
        elif kind == pa.float64():
            arrays.append(pa.array(np.full(n, np.nan), type=kind))
        elif kind == pa.bool_():
            arrays.append(pa.array(np.zeros(n, bool), type=kind))
        else:
            arrays.append(pa.array([""] * n, type=kind))
    table = pa.Table.from_arrays(arrays, schema=_SCHEMA)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, _SCHEMA, options=_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def decode(data: bytes) -> pd.DataFrame:
    """The reports of one stored batch."""
    return pa.ipc.open_stream(data).read_all().to_pandas()


def append_batch(store: Store, party_id: int, reports: pd.DataFrame, rejected: int = 0) -> int:
    """Store one batch of reports (the states contract's ``id``, ``party``, ``callsign``, ``t``,
    positions, both altitudes, speeds, ``onground``); returns the batch id once committed."""
    return append_keyed_batch(store, party_id, reports, rejected)[0]


def append_keyed_batch(
    store: Store,
    party_id: int,
    reports: pd.DataFrame,
    rejected: int = 0,
    key: str | None = None,
    answer: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any] | None]:
    """:func:`append_batch` with a client batch id: ``key`` and ``answer`` (JSON-serialisable)
    are kept with the batch in its transaction. A key the party has used before stores nothing
    and returns that batch's id and its stored answer; the second item is None for a new batch.
    """
    if key is not None:
        found = keyed_answer(store, party_id, key)
        if found is not None:
            return found
    t = reports["t"].to_numpy(np.float64) if len(reports) else np.empty(0)
    data = encode(reports)
    try:
        with store.engine.begin() as conn:
            batch_id = conn.execute(
                insert(Batch).returning(Batch.id),
                {
                    "party_id": party_id,
                    "received_t": now(),
                    "accepted": len(reports),
                    "rejected": rejected,
                    "t_min": float(t.min()) if len(t) else None,
                    "t_max": float(t.max()) if len(t) else None,
                    "data": data,
                },
            ).scalar_one()
            if key is not None:
                row = {"party_id": party_id, "key": key, "batch_id": batch_id}
                conn.execute(insert(BatchKey), {**row, "answer": json.dumps(answer or {})})
    except IntegrityError:
        # the same key committed by another request meanwhile: this one rolled back whole
        found = None if key is None else keyed_answer(store, party_id, key)
        if found is None:
            raise
        return found
    return int(batch_id), None


def keyed_answer(store: Store, party_id: int, key: str) -> tuple[int, dict[str, Any]] | None:
    """The batch id and stored answer of the party's batch with client ``key``, if any."""
    query = select(BatchKey.batch_id, BatchKey.answer).where(
        BatchKey.party_id == party_id, BatchKey.key == key
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return int(row[0]), dict(json.loads(row[1]))


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return decode(encode(pd.DataFrame({"t": []})))[list(STORED_COLUMNS)].iloc[:0]
    return pd.concat(frames, ignore_index=True)


def track(
    store: Store, aircraft_id: str, since: float = -np.inf, party_id: int | None = None
) -> pd.DataFrame:
    """The stored reports of one aircraft at or after ``since``, by time then arrival; with
    ``party_id``, from that party's batches only."""
    return tracks(store, [aircraft_id], since, np.inf, party_id)


def tracks(
    store: Store,
    aircraft_ids: Sequence[str],
    since: float = -np.inf,
    until: float = np.inf,
    party_id: int | None = None,
) -> pd.DataFrame:
    """The stored reports of ``aircraft_ids`` from ``since`` to ``until`` (inclusive), by time
    then arrival, each batch whose times reach into the span read once for all of them; with
    ``party_id``, from that party's batches only."""
    query = select(Batch.id, Batch.data).where(Batch.t_max >= since)
    if np.isfinite(until):
        query = query.where(Batch.t_min <= until)
    if party_id is not None:
        query = query.where(Batch.party_id == party_id)
    wanted = list(aircraft_ids)
    frames = []
    with store.engine.connect() as conn:
        for batch_id, data in conn.execute(query.order_by(Batch.id)):
            frame = decode(data)
            t = frame["t"]
            frame = frame[frame["id"].isin(wanted) & (t >= since) & (t <= until)]
            if len(frame):
                frames.append(frame.assign(batch_id=batch_id))
    out = _concat(frames)
    if "batch_id" not in out:
        out["batch_id"] = pd.Series(dtype=np.int64)
    return out.sort_values(["t", "batch_id"], kind="stable").reset_index(drop=True)


def batches_after(
    store: Store, batch_id: int, chunk: int = 100
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Every batch stored after ``batch_id``, oldest first, with its reports: what a restarted
    engine ingests again after its last checkpoint."""
    last = batch_id
    while True:
        query = select(Batch.id, Batch.data).where(Batch.id > last).order_by(Batch.id).limit(chunk)
        with store.engine.connect() as conn:
            rows = list(conn.execute(query))
        if not rows:
            return
        for bid, data in rows:
            yield int(bid), decode(data)
        last = int(rows[-1][0])


def prune_batches(store: Store, before: float, up_to_batch: int) -> int:
    """Delete the batches whose reports are all older than ``before`` (unix s), among those up
    to ``up_to_batch`` (an engine checkpoint's: later ones are still to be replayed); returns
    how many went. Alert events and incidents are kept: they are the record."""
    old = select(Batch.id).where(Batch.t_max < before, Batch.id <= up_to_batch)
    with store.engine.begin() as conn:
        conn.execute(delete(BatchKey).where(BatchKey.batch_id.in_(old)))
        result = conn.execute(delete(Batch).where(Batch.t_max < before, Batch.id <= up_to_batch))
        return int(result.rowcount or 0)
