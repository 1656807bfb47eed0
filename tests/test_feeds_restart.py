"""A server that is down, then up, then killed with kill -9 and started again: ``wellclear feed``
retries each batch until it is acknowledged, and the store holds every report once."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import threading
import time
from pathlib import Path

from feed_helpers import Proc, wellclear
from service_helpers import free_port, serve
from wellclear.store import open_store
from wellclear.store.parties import add_party
from wellclear.store.reports import batches_after


def _receiver(stop: threading.Event) -> int:
    """An SBS receiver on a loopback port: 20 aircraft, a position each every 0.1 s, stamped
    now (UTC), to whoever connects."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])

    def serve_one(conn: socket.socket) -> None:
        with conn:
            while not stop.is_set():
                now = dt.datetime.now(dt.UTC)
                day, clock = now.strftime("%Y/%m/%d"), now.strftime("%H:%M:%S.%f")[:-3]
                lines = [
                    f"MSG,3,1,1,{0x400000 + k:06X},1,{day},{clock},{day},{clock},,"
                    f"{20000 + 100 * k},,,{45 + k * 0.01 + now.second * 1e-4:.5f},2.50000,,,0,0,0,0"
                    for k in range(20)
                ]
                try:
                    conn.sendall(("\n".join(lines) + "\n").encode())
                except OSError:
                    return
                time.sleep(0.1)

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()
        listener.close()

    threading.Thread(target=accept, daemon=True).start()
    return port


def _batches(line: str) -> int:
    found = re.search(r"batches (\d+)", line)
    return int(found.group(1)) if found else 0


def _wait_batches(feed: Proc, more_than: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(_batches(line) > more_than for line in list(feed.lines)):
            return
        time.sleep(0.1)
    raise AssertionError("no batches acknowledged:\n" + "\n".join(feed.lines))


def test_down_up_killed_restarted_nothing_lost_nothing_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(url)
    token = add_party(store, "russia")
    store.close()
    stop = threading.Event()
    receiver = _receiver(stop)
    port = free_port()
    feed = Proc(
        wellclear(
            "feed", f"sbs://127.0.0.1:{receiver}", "--server", f"http://127.0.0.1:{port}",
            "--token", token, "--batch", "0.3", "--report", "0.3", "--retry-cap", "0.5",
        )
    )  # fmt: skip
    server = None
    try:
        feed.wait_for("connected to 127.0.0.1")
        time.sleep(1.5)  # the service is down: the first batch waits, retried
        server = serve(url, port)
        _wait_batches(feed, 2)
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        time.sleep(1.0)
        acked = max(_batches(line) for line in feed.lines)
        server = serve(url, port)
        _wait_batches(feed, acked + 2)
        feed.proc.send_signal(signal.SIGINT)
        lines = feed.finish()
    finally:
        feed.stop()
        stop.set()
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(30)
    done = next(line for line in reversed(lines) if "done:" in line)
    retries = int(re.search(r"retries (\d+)", done).group(1))  # type: ignore[union-attr]
    duplicates = int(re.search(r"duplicates (\d+)", done).group(1))  # type: ignore[union-attr]
    assert retries >= 1, done
    store = open_store(url)
    try:
        stored = list(batches_after(store, 0))
    finally:
        store.close()
    # every acknowledged batch is stored once: a retried batch whose first answer was lost in
    # the kill is answered as a duplicate and not stored again
    assert len(stored) == _batches(done) - duplicates, done
    import pandas as pd

    reports = pd.concat([frame for _, frame in stored])
    assert not reports.duplicated(["id", "t"]).any()
    assert reports["id"].nunique() == 20
