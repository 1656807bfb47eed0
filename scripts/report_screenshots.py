"""Screenshots of the demo report in headless Chromium, for the README (``docs/img/report-*.png``).

    python scripts/report_screenshots.py out/demo/report.html

Uses Playwright with Debian's Chromium (``/usr/bin/chromium``; never ``playwright install``):
the summary and overview, the infringement, one encounter with its plan view and curve, and
the encounters table filtered to one class.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"


def main(report: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(report.resolve().as_uri())
        page.screenshot(path=OUT / "report-summary.png")
        page.locator("section.infringement").first.screenshot(path=OUT / "report-infringement.png")
        page.locator("section.encounter").first.screenshot(path=OUT / "report-encounter.png")
        table = page.locator("table#encounters")
        table.locator("tr.filters select").first.select_option("intercept")
        table.scroll_into_view_if_needed()
        page.locator("h2", has_text="Encounters").screenshot(path=OUT / "report-table-head.png")
        box = table.bounding_box()
        assert box is not None
        page.screenshot(
            path=OUT / "report-table.png",
            clip={"x": box["x"], "y": box["y"] - 40, "width": box["width"], "height": 200},
        )
        (OUT / "report-table-head.png").unlink()
        browser.close()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.glob('report-*.png')))} in {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
