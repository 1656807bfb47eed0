"""The live part of ``make demo``: the October 2015 scenario replayed into ``wellclear serve``.

Starts the service on a free loopback port with the built-in ``syria2015`` agreement on a fresh
SQLite store, adds the parties (each gets its token), replays the simulated scenario's first
close approach (a Russian Su-24 pair passing a US MQ-1 over Idlib) at 60x, each side posting
only its own aircraft with its own token, waits until the engine has stepped through it, prints
what each party received (its alerts, minimised by the agreement's sharing level), and stops
the service.

    python scripts/demo_live.py SCENARIO.parquet WORKDIR [--agreement FILE] [--keep]

``--keep`` (``make serve``) leaves the service running on port 8470 after the replay, with the
parties' tokens printed, until interrupted.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd

WINDOW = ("2015-10-03T08:24:30Z", "2015-10-03T08:28:30Z")
SPEED = 60.0
CHUNK_S = 10.0


def _exe() -> str:
    return str(Path(sys.executable).with_name("wellclear"))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _events(client: httpx.Client) -> list[dict]:
    """Every event the caller has received, replayed from the first (Last-Event-ID: 0)."""
    import json

    out = []
    with client.stream("GET", "/v1/alerts/stream", headers={"Last-Event-ID": "0"}) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith(": connected"):
                break
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


def main(scenario: Path, work: Path, agreement: str, keep: bool) -> None:
    work.mkdir(parents=True, exist_ok=True)
    db = work / "wellclear.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    states = pd.read_parquet(scenario)
    t0, t1 = (pd.Timestamp(w).timestamp() for w in WINDOW)
    states = states[(states["t"] >= t0) & (states["t"] < t1)]
    parties = sorted(states["party"].unique())
    tokens = {}
    for party in parties:
        added = subprocess.run(
            [_exe(), "party", "add", party, "--db", str(db)],
            check=True,
            capture_output=True,
            text=True,
        )
        tokens[party] = added.stdout.strip()
    port = 8470 if keep else _port()
    server = subprocess.Popen(
        [
            _exe(),
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--agreement",
            agreement,
            "--clock",
            "data",
        ],
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        print(
            f"demo: wellclear serve on {base}, agreement {agreement}, parties "
            f"{', '.join(parties)}; replaying {WINDOW[0]} to {WINDOW[1]} at {SPEED:g}x"
        )
        clients = {
            p: httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[p]}"})
            for p in parties
        }
        started = time.monotonic()
        posted = 0
        for k, (_, chunk) in enumerate(states.groupby(states["t"] // CHUNK_S)):
            time.sleep(max(0.0, started + k * CHUNK_S / SPEED - time.monotonic()))
            for party, part in chunk.groupby("party"):
                body = part.drop(columns=["party"]).to_json(orient="records", lines=True)
                r = clients[str(party)].post(
                    "/v1/states", content=body, headers={"Content-Type": "application/x-ndjson"}
                )
                r.raise_for_status()
                posted += r.json()["accepted"]
        last = float(states["t"].max())
        while True:  # until the engine has stepped through the replay
            tick = httpx.get(f"{base}/healthz").json()["tick"]
            if tick["t"] is not None and pd.Timestamp(tick["t"]).timestamp() >= last - 1.0:
                break
            time.sleep(0.2)
        print(f"demo: {posted} reports posted and acknowledged; {tick['ticks']} engine steps\n")
        for party in parties:
            events = _events(clients[party])
            print(f"{party} received {len(events)} alert events:")
            for e in events:
                o, own = e["other"], e["own"]
                print(
                    f"  {e['t'][:19]}Z  {e['event']:<10} {e['level_name']:<11} own {own['id']} "
                    f"({own['callsign']}): traffic bearing {o['bearing_deg']:.0f} deg, "
                    f"{o['range_m'] / 1852:.1f} NM, {o['dalt_m'] * 3.28084:+.0f} ft "
                    f"(tune {', '.join(f'{f:g}' for f in e['frequencies_mhz'])} MHz)"
                )
        print("\ndemo: no party learned the identity, callsign or party of the other aircraft")
        if keep:
            print(f"\nserve: {base} (OpenAPI at {base}/docs), store {db}; tokens:")
            for party in parties:
                print(f"  {party}: {tokens[party]}")
            print("serve: Ctrl-C stops it")
            server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--agreement", default="syria2015")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    main(args.scenario, args.work, args.agreement, args.keep)
