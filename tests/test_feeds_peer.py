"""A real peer, not a mock: Debian's dump1090 on loopback ports with no receiver, fed the bundled
Beast capture on its Beast input; ``wellclear feed`` reads its SBS output, its Beast output and
its raw output (``*HEX;`` lines, port 30002 style) into a real ``wellclear serve``, and the
stored states are those of decoding the capture offline (same aircraft, positions within the
decoders' resolution; the raw output has no receiver times, so its frames take their arrival
and a burst gives one state per aircraft)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pandas as pd

from feed_helpers import Proc, start_dump1090, wellclear
from service_helpers import free_port, serve
from wellclear.formats.feeds import read_feed
from wellclear.store import open_store
from wellclear.store.parties import add_party
from wellclear.store.reports import batches_after

CAPTURE = Path(__file__).parent / "data" / "sample_dump1090.beast.bin"


def test_dump1090_sbs_and_beast_outputs_give_the_offline_states(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(url)
    tokens = {k: add_party(store, k) for k in ("sbsfeed", "beastfeed", "rawfeed")}
    store.close()
    port = free_port()
    server = serve(url, port, "--clock", "data")
    peer, ports = start_dump1090()
    feeds: dict[str, Proc] = {}
    try:
        for kind, out in (("sbs", "sbs"), ("beast", "bo"), ("raw", "ro")):
            feeds[kind] = Proc(
                wellclear(
                    "feed", f"{kind}://127.0.0.1:{ports[out]}", "--server",
                    f"http://127.0.0.1:{port}", "--token", tokens[f"{kind}feed"],
                    "--duration", "30", "--batch", "3", "--report", "1",
                )
            )  # fmt: skip
        for proc in feeds.values():
            proc.wait_for("connected to 127.0.0.1")
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", ports["bi"])) as pusher:
            pusher.sendall(CAPTURE.read_bytes())
            for proc in feeds.values():
                proc.wait_for("batches 1 ")
        for proc in feeds.values():
            proc.proc.send_signal(2)  # SIGINT: the last batch, then the counters
            assert "done: messages" in proc.finish()[-1] or proc.wait_for("done: messages")
    finally:
        for proc in feeds.values():
            proc.stop()
        peer.terminate()
        peer.wait(10)
        server.terminate()
        server.wait(30)

    offline = read_feed(CAPTURE, t0=0.0).states
    store = open_store(url)
    try:
        got: dict[str, list[pd.DataFrame]] = {k: [] for k in ("sbsfeed", "beastfeed", "rawfeed")}
        for _, frame in batches_after(store, 0):
            got[str(frame["party"].iloc[0])].append(frame)
    finally:
        store.close()
    for party, frames in got.items():
        assert frames, f"{party}: nothing stored\n" + "\n".join(feeds[party[:-4]].lines)
        states = pd.concat(frames)
        assert set(states["id"]) == set(offline["id"]), party
        for _, row in states.iterrows():
            same = offline[offline["id"] == row["id"]]
            # CPR airborne positions resolve to about 5 m; dump1090 and rs1090 may differ in
            # which message of a pair they decode, not in where it puts the aircraft
            d_m = np.hypot(
                (same["lat"] - row["lat"]) * 111_320.0,
                (same["lon"] - row["lon"]) * 111_320.0 * np.cos(np.radians(row["lat"])),
            ).min()
            assert d_m < 20.0, (party, row.to_dict())
            assert np.isclose(same["alt_m"], row["alt_baro_m"], atol=8.0).any(), party
    # the Beast output carries every frame: the same positions as the offline decoding
    assert len(pd.concat(got["beastfeed"])) == len(offline)
