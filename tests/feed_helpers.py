"""Processes for the feed tests: ``wellclear feed`` runs and a real dump1090 on loopback ports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from service_helpers import free_port

DUMP1090 = ("dump1090-mutability", "readsb")


def wellclear(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("wellclear")), *args]


class Proc:
    """A process whose stderr lines are collected as they come (``wait_for`` a line)."""

    def __init__(self, argv: list[str]) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout_s: float = 60.0) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} in stderr:\n" + "\n".join(self.lines))

    def finish(self, timeout_s: float = 60.0) -> list[str]:
        self.proc.wait(timeout_s)
        self._reader.join(5)
        return self.lines

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def dump1090_program() -> str:
    """The dump1090 on PATH; the test fails where ``WELLCLEAR_DUMP1090=required``, else skips."""
    for name in DUMP1090:
        found = shutil.which(name)
        if found:
            return found
    why = f"none of {', '.join(DUMP1090)} is installed (apt-get install dump1090-mutability)"
    if os.environ.get("WELLCLEAR_DUMP1090") == "required":
        pytest.fail(f"WELLCLEAR_DUMP1090=required but {why}")
    pytest.skip(why)


def start_dump1090(json_dir: Path | None = None) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    """dump1090 with no receiver, networking on free loopback ports: Beast input ``bi``,
    Beast output ``bo``, SBS output ``sbs``, raw output ``ro``; with ``json_dir``, writing
    ``aircraft.json`` there every second."""
    program = dump1090_program()
    ports = {name: free_port() for name in ("bi", "bo", "sbs", "ro", "ri")}
    argv = [program, "--net-only", "--net-bind-address", "127.0.0.1", "--quiet"]
    argv += ["--net-bi-port", str(ports["bi"]), "--net-bo-port", str(ports["bo"])]
    argv += ["--net-sbs-port", str(ports["sbs"]), "--net-ro-port", str(ports["ro"])]
    argv += ["--net-ri-port", str(ports["ri"]), "--net-heartbeat", "0"]
    if json_dir is not None:
        argv += ["--write-json", str(json_dir), "--write-json-every", "1"]
    if Path(program).name == "readsb":
        argv = [a for a in argv if a != "--net-only"] + ["--net", "--device-type", "none"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", ports["sbs"]), timeout=1).close()
            return proc, ports
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{program} ended with {proc.returncode}") from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{program} did not listen")
