"""The report of a large scan: 10,000 encounters (the demo's nine, repeated with new ids and
times), plots for the most severe ``--plots``; time to render and size of the HTML, against a
baseline in the same process: the same encounters as a plain ``pandas.DataFrame.to_html``
table (what the table alone costs without filters, rules in words, maps or curves).

    python benchmarks/report.py [--encounters 10000] [--plots 50] [--repeat 3] [SCAN_DIR]

SCAN_DIR: a scan of the demo (``make demo``'s ``out/demo/scan``); made in a temporary
directory when not given (simulate and scan, about 10 s, not timed). With Debian's Chromium and
Playwright, also the time the report takes to open in headless Chromium. Stops in under 2
minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from report_helpers import many  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
from wellclear.formats.resultset import read_manifest  # noqa: E402
from wellclear.report.build import render  # noqa: E402
from wellclear.report.tables import read_table  # noqa: E402
from wellclear.schemas import ENCOUNTERS, EVIDENCE, INFRINGEMENTS  # noqa: E402


def _demo_scan(tmp: Path) -> Path:
    cli = [sys.executable, "-c", "from wellclear.cli import main; main()"]
    states, out = tmp / "syria2015.parquet", tmp / "scan"
    subprocess.run([*cli, "simulate", "--output", str(states)], check=True)
    subprocess.run(
        [*cli, "scan", str(states), "--agreement", "syria2015", "--output", str(out)], check=True
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scan", nargs="?", type=Path)
    ap.add_argument("--encounters", type=int, default=10_000)
    ap.add_argument("--plots", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scan = args.scan or _demo_scan(Path(tmp))
        manifest = json.loads(json.dumps(read_manifest(scan)))
        enc, ev = many(read_table(scan, ENCOUNTERS), read_table(scan, EVIDENCE), args.encounters)
        inf = read_table(scan, INFRINGEMENTS)
        rows = []
        for name, run in (
            ("baseline: DataFrame.to_html", lambda: enc.to_html()),
            ("wellclear report", lambda: render(manifest, enc, ev, inf, args.plots)[0]),
        ):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                text = run()
                times.append(time.perf_counter() - t0)
            rows.append((name, sorted(times)[len(times) // 2], len(text.encode())))
    print(f"{args.encounters} encounters, {args.plots} plotted, median of {args.repeat} runs")
    print(f"| {'what':<28} | {'seconds':>8} | {'HTML MB':>8} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 10}|")
    for name, s, size in rows:
        print(f"| {name:<28} | {s:8.2f} | {size / 1e6:8.2f} |")
    (_, base_s, base_b), (_, s, b) = rows
    print(f"ratio report / baseline: {s / base_s:.1f}x the time, {b / base_b:.1f}x the size")
    if text and Path(CHROMIUM).exists():
        print(f"opened in headless Chromium (load event, scripts run): {_open_s(text):.2f} s")


def _open_s(text: str) -> float:
    """Seconds from navigation to the load event of the report in headless Chromium (the
    page's script has paged and filtered the tables by then)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = Path(tmp) / "report.html"
        page_file.write_text(text, encoding="utf-8")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        t0 = time.perf_counter()
        page.goto(page_file.as_uri(), wait_until="load")
        seconds = time.perf_counter() - t0
        assert "page 1 of" in page.content()
        browser.close()
    return seconds


if __name__ == "__main__":
    main()
