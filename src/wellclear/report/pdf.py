"""The report as PDF, for filing: the HTML printed by headless Chromium (its print styles)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from wellclear.formats.resultset import replacing

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 300.0


class ChromiumError(RuntimeError):
    """No headless Chromium to print with, or it failed to print."""


def chromium() -> str:
    """The Chromium to print with: ``$WELLCLEAR_CHROMIUM``, else the first on ``PATH``."""
    named = os.environ.get("WELLCLEAR_CHROMIUM")
    if named:
        if not (shutil.which(named) or Path(named).is_file()):
            raise ChromiumError(f"WELLCLEAR_CHROMIUM={named}: no such program")
        return named
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumError(
        "--format pdf prints the HTML with headless Chromium, and none was found (looked for "
        f"{', '.join(CANDIDATES)} on PATH, and WELLCLEAR_CHROMIUM): install it (Debian: apt-get "
        "install chromium), or write --format html and print that"
    )


def html_to_pdf(html_text: str, output: Path) -> None:
    """Write ``html_text`` as a PDF at ``output`` (complete or absent)."""
    program = chromium()
    with tempfile.TemporaryDirectory(prefix="wellclear-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html_text, encoding="utf-8")
        with replacing(output) as staged:
            cmd = [
                program,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={staged}",
                page.as_uri(),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
            if done.returncode != 0 or not staged.is_file() or staged.stat().st_size == 0:
                raise ChromiumError(
                    f"{output}: {program} did not print the report (exit {done.returncode}): "
                    f"{done.stderr.strip()[-500:]}"
                )
