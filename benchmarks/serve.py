"""Ingest into a real ``wellclear serve`` process: reports/s, durable before acknowledgement.

For each store (a SQLite file; a PostgreSQL cluster of the benchmark's own, as the tests start
one) and each body format (NDJSON, CSV, JSON array), ``--clients`` threads post batches of
``--batch`` reports (1,000 aircraft, one report each, times now) for ``--seconds``; the table
gives reports/s and, as the baseline run in the same process on the same store kind, the
rate of the store alone (``append_batch`` of the same reports, one durable commit per batch),
and their ratio. Targets (issue 14): >= 100,000 reports/s NDJSON or CSV, >= 30,000/s JSON.

    .venv/bin/python benchmarks/serve.py [--seconds 10] [--clients 4] [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pgcluster  # noqa: E402
from service_helpers import free_port, serve  # noqa: E402
from wellclear.formats.states import read_reports  # noqa: E402
from wellclear.store import open_store  # noqa: E402
from wellclear.store.parties import add_party, list_parties  # noqa: E402
from wellclear.store.reports import append_batch  # noqa: E402

MEDIA = {"ndjson": "application/x-ndjson", "csv": "text/csv", "json": "application/json"}


def batch_frame(k: int, n: int, now: float) -> pd.DataFrame:
    rng = np.random.default_rng(k)
    return pd.DataFrame(
        {
            "icao24": [f"{(k * n + j) % 0xFFFFFF:06x}" for j in range(n)],
            "time": now - 30.0 + k * 1e-3,
            "lat": 30.0 + 10.0 * rng.random(n),
            "lon": 30.0 + 10.0 * rng.random(n),
            "baroaltitude": rng.uniform(1000.0, 12000.0, n),
            "velocity": rng.uniform(50.0, 250.0, n),
            "heading": rng.uniform(0.0, 360.0, n),
            "vertrate": 0.0,
        }
    )


def body(frame: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "csv":
        return frame.to_csv(index=False).encode()
    if fmt == "ndjson":
        return frame.to_json(orient="records", lines=True).encode()
    return frame.to_json(orient="records").encode()


def post_load(
    port: int, token: str, bodies: list[bytes], fmt: str, clients: int, seconds: float
) -> float:
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": MEDIA[fmt]}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as c:
            k = i
            while time.perf_counter() < stop:
                r = c.post("/v1/states", content=bodies[k % len(bodies)])
                r.raise_for_status()
                done[i] += r.json()["accepted"]
                k += clients

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def store_alone(url: str, frames: list[pd.DataFrame], seconds: float) -> float:
    store = open_store(url)
    add_party(store, "baseline")
    pid = list_parties(store)[-1].id
    reports = [read_reports(f.assign(party="baseline")).frame for f in frames]
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        append_batch(store, pid, reports[n % len(reports)])
        n += 1
    rate = n * len(reports[0]) / (time.perf_counter() - started)
    store.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--formats", default="ndjson,csv,json")
    args = parser.parse_args()
    now = time.time()
    frames = [batch_frame(k, args.batch, now) for k in range(32)]
    print(
        f"### wellclear serve ingest: batches of {args.batch:,}, {args.clients} clients, "
        f"{args.seconds:g} s each\n"
    )
    print("| store | body | service reports/s | store alone reports/s | service/store | target |")
    print("|---|---|---|---|---|---|")
    for kind in args.stores.split(","):
        cluster = None
        tmp = Path(tempfile.mkdtemp(prefix="wellclear-bench-"))
        try:
            if kind == "postgresql":
                cluster = pgcluster.start()
            for fmt in args.formats.split(","):
                if cluster is not None:
                    import psycopg

                    name = f"bench_{fmt}"
                    with psycopg.connect(cluster.url, autocommit=True) as c:
                        c.execute(f"CREATE DATABASE {name}")
                    url = cluster.url.rsplit("/", 1)[0] + f"/{name}"
                else:
                    url = f"sqlite:///{tmp / f'{fmt}.db'}"
                store = open_store(url)
                token = add_party(store, "load")
                store.close()
                port = free_port()
                proc = serve(url, port)
                try:
                    bodies = [body(f, fmt) for f in frames]
                    rate = post_load(port, token, bodies, fmt, args.clients, args.seconds)
                finally:
                    proc.terminate()
                    proc.wait()
                alone = store_alone(url, frames, args.seconds / 2)
                target = "30,000" if fmt == "json" else "100,000"
                ratio = rate / alone
                print(f"| {kind} | {fmt} | {rate:,.0f} | {alone:,.0f} | {ratio:.2f} | {target} |")
        finally:
            if cluster is not None:
                cluster.stop()
    print(
        f"\n({sys.platform}, {len(__import__('os').sched_getaffinity(0))} CPUs; the load "
        "generator runs on the same machine)"
    )


if __name__ == "__main__":
    main()
