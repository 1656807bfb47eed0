"""``wellclear report`` of the demo (October 2015 over Syria under the syria2015 agreement): the
Turkish infringement with its dwell and depth, every number shown equal to the scan's output,
curves along the Hermite paths never below the reported minima, PDF through Chromium."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)
from wellclear.formats.resultset import read_manifest
from wellclear.report.build import scan_config
from wellclear.report.curves import separation
from wellclear.units import FT_M, NM_M

runner = CliRunner()


@pytest.fixture(scope="module")
def scan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scan of ``make demo``: CSV outputs, infringements beside the encounters."""
    tmp = tmp_path_factory.mktemp("demo")
    states = tmp / "syria2015.parquet"
    res = runner.invoke(app, ["simulate", "--scenario", "syria2015", "--output", str(states)])
    assert res.exit_code == 0, res.output
    out = tmp / "scan"
    res = runner.invoke(
        app,
        ["scan", str(states), "--agreement", "syria2015", "--output", str(out), "--format", "csv"],
    )
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def scan_parquet(scan_dir: Path) -> Path:
    """The same scan written as Parquet (full precision: CSV rounds positions to 1 cm)."""
    out = scan_dir.parent / "scan_parquet"
    states = scan_dir.parent / "syria2015.parquet"
    res = runner.invoke(
        app, ["scan", str(states), "--agreement", "syria2015", "--output", str(out)]
    )
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def report(scan_dir: Path) -> str:
    path = scan_dir.parent / "report.html"
    res = runner.invoke(app, ["report", str(scan_dir), "-o", str(path), "--plots", "4"])
    assert res.exit_code == 0, res.output
    assert "9 encounters" in res.output and "1 infringements read" in res.output
    assert "4 encounters plotted" in res.output and str(path) in res.output
    return path.read_text(encoding="utf-8")


class Cells(HTMLParser):
    """Every ``data-v`` cell of the page with its shown text, by table (or ``facts`` of the
    section it is in) and column head; the ``data-count`` numbers of the summary."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self.heads: dict[str, list[str]] = {}
        self.facts: dict[str, dict[str, tuple[str, str]]] = {}
        self.counts: dict[str, str] = {}
        self._table = self._section = self._cell = self._count = None
        self._field = ""
        self._text = ""
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table or ""] = []
            self.heads[self._table or ""] = []
        elif tag == "section":
            self._section = a.get("id")
            self.facts[self._section or ""] = {}
        elif tag == "thead":
            self._in_head = True
        elif tag == "th" and self._in_head:
            self._cell, self._text = "th", ""
        elif tag == "tr" and self._table and not self._in_head:
            self.tables[self._table].append([])
        elif tag in ("td", "dd") and "data-v" in a:
            self._cell, self._text = a["data-v"], ""
            self._field = a.get("data-field") or ""
        elif tag == "b" and "data-count" in a:
            self._count, self._text = a["data-count"], ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag == "th" and self._cell == "th" and self._table:
            self.heads[self._table].append(self._text)
            self._cell = None
        elif tag == "td" and self._cell is not None and self._table:
            self.tables[self._table][-1].append((self._cell, self._text))
            self._cell = None
        elif tag == "dd" and self._cell is not None and self._section:
            self.facts[self._section][self._field] = (self._cell, self._text)
            self._cell = None
        elif tag == "b" and self._count is not None:
            self.counts[self._count] = self._text
            self._count = None
        elif tag == "table":
            self._table = None


def _parse(text: str) -> Cells:
    cells = Cells()
    cells.feed(text)
    return cells


def _shown_nm_m(text: str) -> tuple[float, float]:
    m = re.fullmatch(r"([\d.]+) NM \(([\d,]+) m\)", text)
    assert m, text
    return float(m.group(1)), float(m.group(2).replace(",", ""))


def _check_distance(value: float, text: str) -> None:
    nm, metres = _shown_nm_m(text)
    assert nm == pytest.approx(round(value / NM_M, 2), abs=1e-9)
    assert metres == round(value)


def test_the_turkish_infringement_with_its_dwell_and_depth(scan_dir: Path, report: str) -> None:
    inf = pd.read_csv(scan_dir / "infringements.csv")
    su30 = inf[inf["id"] == "rus301"].iloc[0]
    assert su30["volume"] == "sovereign:TUR" and 20 < su30["dwell_s"] < 300
    cells = _parse(report)
    [row] = cells.tables["infringements"]
    by_head = dict(zip(cells.heads["infringements"], row, strict=True))
    assert by_head["zone"] == ("sovereign:TUR", "sovereign:TUR")
    assert float(by_head["dwell s"][0]) == su30["dwell_s"]
    assert by_head["dwell s"][1] == f"{su30['dwell_s']:.1f}"
    _check_distance(su30["max_depth_m"], by_head["max depth"][1])
    assert float(by_head["max depth"][0]) == su30["max_depth_m"]
    section = f"rus301-sovereign:TUR-{int(su30['t_unix'])}"
    facts = cells.facts[section]
    assert float(facts["dwell"][0]) == su30["dwell_s"]
    assert facts["entry"][1] == pd.Timestamp(su30["entry_time"]).strftime("%Y-%m-%d %H:%M:%S UTC")
    # the zone is drawn, with the entry and exit points
    part = report[report.index(f"id='{section}'") :]
    part = part[: part.index("</section>")]
    assert "class='zone'" in part and "class='entry'" in part and "class='exit'" in part
    assert cells.counts["infringements"] == "1" and cells.counts["sovereign:TUR by russia"] == "1"


def test_every_number_shown_equals_the_scan(scan_dir: Path, report: str) -> None:
    enc = pd.read_csv(scan_dir / "encounters.csv")
    cells = _parse(report)
    heads = cells.heads["encounters"]
    rows = cells.tables["encounters"]
    assert len(rows) == len(enc)
    assert cells.counts["encounters"] == str(len(enc))
    for cls, n in enc["primary"].value_counts().items():
        assert cells.counts[str(cls)] == str(n)
    for cat, n in enc["airprox"].dropna().value_counts().items():
        assert cells.counts[str(cat)] == str(n)
    by_id = enc.set_index("encounter_id")
    for row in rows:
        shown = dict(zip(heads, row, strict=True))
        e = by_id.loc[shown["encounter"][0]]
        for head, column in (("min horizontal", "h_min_m"), ("min slant", "slant_min_m")):
            assert float(shown[head][0]) == e[column]
            _check_distance(e[column], shown[head][1])
        assert float(shown["vertical then"][0]) == e["dz_min_m"]
        ft, m = re.fullmatch(
            r"([+-][\d,]+) ft \(([+-][\d,]+) m\)", shown["vertical then"][1]
        ).groups()  # type: ignore[union-attr]
        assert int(ft.replace(",", "")) == round(e["dz_min_m"] / FT_M)
        assert int(m.replace(",", "")) == round(e["dz_min_m"])
        t_min = pd.Timestamp(e["t_min"])
        assert float(shown["minimum at (UTC)"][0]) == pytest.approx(t_min.timestamp(), abs=1e-6)
        assert shown["minimum at (UTC)"][1] == t_min.strftime("%Y-%m-%d %H:%M:%S UTC")
        assert shown["duration s"][1] == f"{e['duration_s']:.0f}"
        assert shown["class"] == (e["primary"], e["primary"])
    # the facts of each plotted encounter
    plotted = [s for s in cells.facts if s in by_id.index]
    assert len(plotted) == 4
    for name in plotted:
        facts, e = cells.facts[name], by_id.loc[name]
        assert float(facts["min_horizontal"][0]) == e["h_min_m"]
        _check_distance(e["h_min_m"], facts["min_horizontal"][1])
        assert float(facts["below_the_minima"][0]) == e["los_s"]


def test_rule_texts_in_words(report: str) -> None:
    assert not re.search(r"\bt=\d{6,}", report)
    assert "standards.md" not in report
    assert "RTCA DO-185B" in report and "ICAO Doc 4444" in report
    assert "between 2015-10-03 08:10:00 UTC and 2015-10-03 09:00:51 UTC" in report


def test_curves_follow_the_hermite_path(scan_parquet: Path) -> None:
    """The curve's minimum is the reported one, never below it (a chord between samples cuts
    through turns), and every sample of both aircraft lies on the curve."""
    enc = pd.read_parquet(scan_parquet / "encounters.parquet")
    ev = pd.read_parquet(scan_parquet / "evidence.parquet")
    cfg = scan_config(read_manifest(scan_parquet))
    for e in enc.itertuples():
        t_min = pd.Timestamp(e.t_min).timestamp()
        sep = separation(ev[ev["encounter_id"] == e.encounter_id], e.id_1, e.id_2, cfg, t_min)
        assert sep.t.size > 100
        assert sep.h_m.min() >= e.h_min_m - 1e-6, e.encounter_id
        at = np.searchsorted(sep.t, t_min)
        assert sep.h_m[at] == pytest.approx(e.h_min_m, abs=1e-6)
        # the plan view's paths pass through the reported positions at the minimum
        assert sep.latlon_1[at] == pytest.approx([e.lat_1, e.lon_1], abs=1e-7)
        assert sep.latlon_2[at] == pytest.approx([e.lat_2, e.lon_2], abs=1e-7)
        for samples in (sep.samples_1, sep.samples_2):
            inside = samples[(samples >= sep.t[0]) & (samples <= sep.t[-1])]
            assert inside.size and np.isin(inside, sep.t).all()


def test_plots_only_the_most_severe(scan_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(scan_dir), "-o", str(out), "--plots", "0"])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "<svg class='curve'" not in text and text.count("<svg class='map'") == 2
    res = runner.invoke(app, ["report", str(scan_dir), "-o", str(out), "--plots", "-1"])
    assert res.exit_code == 2 and "--plots -1" in res.output
    res = runner.invoke(
        app, ["report", str(scan_dir), "-o", str(out), "--local-tz", "Mars/Olympus"]
    )
    assert res.exit_code == 2 and "Mars/Olympus" in res.output


def test_local_time(scan_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = runner.invoke(
        app, ["report", str(scan_dir), "-o", str(out), "--local-tz", "Europe/Istanbul"]
    )
    assert res.exit_code == 0, res.output
    assert "2015-10-03 09:07:46 UTC (local 12:07:46 UTC+03)" in out.read_text()


def test_pdf_without_chromium_is_a_clear_error(
    scan_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WELLCLEAR_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "r.pdf"
    res = runner.invoke(app, ["report", str(scan_dir), "-o", str(out), "--format", "pdf"])
    assert res.exit_code == 2 and "no-chromium: no such program" in res.output
    assert not out.exists()


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium (.ci/run)")
def test_pdf(scan_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    res = runner.invoke(app, ["report", str(scan_dir), "-o", str(out), "--format", "pdf"])
    assert res.exit_code == 0, res.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert not list(tmp_path.glob(".*partial*"))


def _many(scan_dir: Path, n: int) -> str:
    from report_helpers import many  # the benchmark's 10,000 encounters
    from wellclear.report.build import render
    from wellclear.report.tables import read_table
    from wellclear.schemas import ENCOUNTERS, EVIDENCE, INFRINGEMENTS

    enc, ev = many(read_table(scan_dir, ENCOUNTERS), read_table(scan_dir, EVIDENCE), n)
    inf = read_table(scan_dir, INFRINGEMENTS)
    text, shown = render(dict(read_manifest(scan_dir)), enc, ev, inf, plots=20)
    assert shown == 20
    return text


def test_ten_thousand_encounters_stay_a_reasonable_page(scan_dir: Path) -> None:
    """Every row in the table, plots for the 20 most severe only, a page of a few MB (the
    time it takes is measured by benchmarks/report.py)."""
    text = _many(scan_dir, 10_000)
    cells = _parse(text)
    assert len(cells.tables["encounters"]) == 10_000
    assert text.count("<svg class='curve'") == 20
    assert len(text.encode()) < 12_000_000


playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright (dev extra)")


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_the_page_filters_and_pages_in_chromium(report: str, scan_dir: Path) -> None:
    path = scan_dir.parent / "page.html"
    path.write_text(_many(scan_dir, 900), encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(path.as_uri())
        table = page.locator("table#encounters")
        visible = "table#encounters tbody tr:visible"
        assert page.locator(visible).count() == 50  # the first page
        assert "page 1 of 18: 900 of 900 rows" in page.content()
        table.locator("tr.filters select").first.select_option("intercept")
        assert page.locator(visible).count() == 50 and "200 of 900 rows" in page.content()
        table.locator("tr.filters input").first.fill("rus301-tur162")
        assert page.locator(visible).count() == 50 and "100 of 900 rows" in page.content()
        page.locator("div.pager:has(+ table#encounters) button", has_text="last").click()
        assert "page 2 of 2" in page.content()
        browser.close()
