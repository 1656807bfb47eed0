"""A real ``wellclear serve`` and Debian's chromium for the web page's tests (Playwright)."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

CHROMIUM = "/usr/bin/chromium"
# software WebGL: the CI machines have no GPU
CHROMIUM_ARGS = ["--enable-unsafe-swiftshader", "--use-angle=swiftshader", "--no-sandbox"]

# wraps fetch in the page so that the test sees every byte the page receives from /v1/ (the
# API and its streams); WebSocket frames are captured by Playwright's own events
CAPTURE = """
window.__received = [];
const fetched = window.fetch;
window.fetch = async (...args) => {
  const response = await fetched(...args);
  const url = typeof args[0] === "string" ? args[0] : args[0].url;
  if (url.includes("/v1/") && response.body) {
    const reader = response.clone().body.getReader();
    const text = new TextDecoder();
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        window.__received.push(text.decode(value, { stream: true }));
      }
    })();
  }
  return response;
};
"""


def need_chromium() -> None:
    """Skip where Debian's chromium or Playwright is missing (``.ci/run`` installs both);
    fail instead under ``WELLCLEAR_BROWSER=required`` (as ``.ci/run`` sets it)."""
    required = os.environ.get("WELLCLEAR_BROWSER") == "required"
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("python playwright (the dev extra)")
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (Debian's chromium; .ci/run installs it)")
    if missing:
        if required:
            pytest.fail("WELLCLEAR_BROWSER=required but missing: " + ", ".join(missing))
        pytest.skip("missing: " + ", ".join(missing))


def post(base: str, token: str, frame: pd.DataFrame) -> float:
    """Post ``frame`` as the party of ``token``; the time (monotonic) it was sent."""
    sent = time.monotonic()
    r = httpx.post(
        f"{base}/v1/states",
        content=frame.to_json(orient="records"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == len(frame), r.json()
    return sent


def wait_tick(base: str, t: float, timeout_s: float = 30.0) -> None:
    """Until the service has stepped to ``t`` (unix s)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tick = httpx.get(f"{base}/healthz", timeout=5).json()["tick"]
        if tick["t"] is not None and pd.Timestamp(tick["t"]).timestamp() >= t:
            return
        time.sleep(0.1)
    raise AssertionError(f"the service did not reach {t} in {timeout_s} s")


def received(page: object, frames: list[str]) -> str:
    """All the page received from /v1/ (fetch bodies and WebSocket frames), as one text."""
    chunks = page.evaluate("window.__received")  # type: ignore[attr-defined]
    return "".join(chunks) + "".join(frames) + json.dumps(frames)
