"""The web page in Debian's chromium (Playwright) against a real ``wellclear serve`` fed the
head-on scenario (Russia's RSD101 and the coalition's JAKE11 closing at 400 m/s; Turkey's
THY1F far away) under the ``syria2015`` agreement (sharing ``conflicts-only``): each role signs
in and sees its own aircraft, an alert appears within 2 s of the report that raises it, no page
holds (in its DOM or anything it received) an identity of another party's aircraft, an
acknowledgement reaches the store, incidents are listed and the replay steps back in time."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from service_helpers import T0, free_port, headon, serve
from web_helpers import CAPTURE, CHROMIUM, CHROMIUM_ARGS, need_chromium, post, received, wait_tick
from wellclear.store import open_store
from wellclear.store.models import Acknowledgement
from wellclear.store.parties import add_party

PARTIES = ("russia", "usa", "turkey")
START = T0 - 150  # 100 km apart: the first alert is raised at T0 - 102
PREROLL = T0 - 112  # the reports posted before the test steps one second at a time
TRAFFIC = headon(START, 290)
OWN = {
    party: {
        "ids": sorted(set(part["icao24"])),
        "callsigns": sorted(set(part["callsign"])),
    }
    for party, part in TRAFFIC.groupby("party")
}
SHOTS = os.environ.get("WELLCLEAR_WEB_SCREENSHOTS")  # a folder: write each role's view there


class Site:
    """The service, its tokens, and one signed-in page per role with what it received."""

    def __init__(self, base: str, url: str, tokens: dict[str, str], browser: Any) -> None:
        self.base, self.url, self.tokens, self.browser = base, url, tokens, browser
        self.pages: dict[str, Any] = {}
        self.frames: dict[str, list[str]] = {}
        self.posted: dict[float, float] = {}

    def open(self, role: str) -> Any:
        page = self.browser.new_page(viewport={"width": 1280, "height": 760})
        page.add_init_script(CAPTURE)
        frames: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
        page.goto(self.base + "/")
        page.fill("#token", self.tokens[role])
        page.click("#signin button")
        page.wait_for_selector("body[data-ready]", timeout=30_000)
        self.pages[role], self.frames[role] = page, frames
        return page

    def post_chunks(self, t_end: float, chunk_s: float = 10.0) -> None:
        """Each party posts its reports up to ``t_end`` in batches of ``chunk_s`` seconds,
        in turn (the engine extrapolates the parties that have not posted a batch yet)."""
        rest = TRAFFIC[(TRAFFIC["time"] <= t_end) & ~TRAFFIC["time"].isin(list(self.posted))]
        for _, chunk in rest.groupby((rest["time"] - rest["time"].min()) // chunk_s):
            for party, part in chunk.groupby("party"):
                post(self.base, self.tokens[str(party)], part.drop(columns=["party"]))
            self.posted.update({float(t): 0.0 for t in chunk["time"]})

    def post_until(self, t_end: float) -> None:
        """Each party posts its own aircraft's reports up to ``t_end``, one second at a
        time, noting when each second's first report was sent."""
        for t, now in TRAFFIC[TRAFFIC["time"] <= t_end].groupby("time"):
            if float(t) in self.posted:
                continue
            for party, part in now.groupby("party"):
                sent = post(self.base, self.tokens[str(party)], part.drop(columns=["party"]))
                self.posted.setdefault(float(t), sent)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    need_chromium()
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'wellclear.db'}"
    store = open_store(url)
    tokens = {p: add_party(store, p) for p in PARTIES}
    tokens["cell"] = add_party(store, "cell", "cell")
    store.close()
    port = free_port()
    proc = serve(url, port, "--clock", "data", "--agreement", "syria2015")
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            s = Site(base, url, tokens, browser)
            # one batch each up to the second before, then that second: the data clock steps
            # on the first party's batch, so the last tick is one where every party has posted
            for party, part in TRAFFIC[TRAFFIC["time"] < PREROLL].groupby("party"):
                post(base, tokens[str(party)], part.drop(columns=["party"]))
            s.posted.update({float(t): 0.0 for t in TRAFFIC["time"] if t < PREROLL})
            s.post_until(PREROLL)
            wait_tick(base, PREROLL)
            for role in (*PARTIES, "cell"):
                s.open(role)
            yield s
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _labels(page: Any) -> dict[str, str]:
    return {
        str(e.get_attribute("data-id")): e.inner_text()
        for e in page.query_selector_all("#labels span")
    }


def test_a_bad_token_is_refused(site: Site) -> None:
    page = site.browser.new_page()
    page.goto(site.base + "/")
    page.fill("#token", "wc_0123456789abcdef_" + "A" * 43)
    page.click("#signin button")
    page.wait_for_selector("#signin-error:has-text('not valid')", timeout=10_000)
    assert page.is_hidden("#app")
    page.close()


def test_each_role_signs_in_and_sees_its_own_aircraft(site: Site) -> None:
    for role in (*PARTIES, "cell"):
        page = site.pages[role]
        page.wait_for_function("Number(document.body.dataset.pictures) >= 1", timeout=15_000)
        page.wait_for_selector("#labels span", state="attached", timeout=10_000)
        assert page.inner_text("#who") == role
        assert "2015-10-20" in page.inner_text("#agreement")
        assert "conflicts-only" in page.inner_text("#agreement")
        assert "121.5 MHz" in page.inner_text("#frequencies")
        labels = _labels(page)
        mine = {i for p in PARTIES for i in OWN[p]["ids"]} if role == "cell" else set()
        mine |= set(OWN[role]["ids"]) if role in OWN else set()
        assert set(labels) == mine, (role, labels)
        for ident, text in labels.items():
            callsign = TRAFFIC.loc[TRAFFIC["icao24"] == ident, "callsign"].iloc[0]
            assert text.splitlines() == [callsign, "FL164"], text  # 5,000 m


def test_an_alert_appears_within_2_s_of_the_report_that_raises_it(site: Site) -> None:
    pages = [site.pages["russia"], site.pages["usa"], site.pages["cell"]]
    assert all(p.query_selector("#alerts li") is None for p in pages), "no alert yet"
    seen: dict[int, float] = {}
    t = PREROLL
    while len(seen) < len(pages) and t < T0 - 90:
        t += 1.0
        site.post_until(t)
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline and len(seen) < len(pages):
            for k, p in enumerate(pages):
                if k not in seen and p.query_selector("#alerts li") is not None:
                    seen[k] = time.monotonic()
            time.sleep(0.02)
    assert len(seen) == len(pages), "an alert on every page that may see it"
    for k, p in enumerate(pages):
        raised = float(p.get_attribute("#alerts li", "data-t") or "nan")
        assert raised in site.posted, raised
        latency = seen[k] - site.posted[raised]
        print(f"alert on page {k}: {latency:.2f} s after the report that raised it")
        assert latency < 2.0, latency
    russia = site.pages["russia"].inner_text("#alerts li")
    assert "RSD101" in russia and "121.5 MHz" in russia
    assert site.pages["turkey"].query_selector("#alerts li") is None


def test_acknowledge_reaches_the_store(site: Site) -> None:
    page = site.pages["usa"]
    item = page.wait_for_selector("#alerts li", timeout=10_000)
    alert_id = item.get_attribute("data-alert-id")
    page.click("#alerts li button.ack")
    page.wait_for_selector("#alerts li.acked", timeout=10_000)
    store = open_store(site.url)
    try:
        with store.engine.connect() as conn:
            rows = list(conn.execute(select(Acknowledgement.alert_id)))
    finally:
        store.close()
    assert (alert_id,) in [tuple(r) for r in rows]
    if SHOTS:  # each role's view while the alert lasts
        for role, view in site.pages.items():
            view.screenshot(path=str(Path(SHOTS) / f"web-{role}.png"))


def test_incidents_are_listed_with_their_report(site: Site) -> None:
    site.post_chunks(T0 + 139)  # the pair passes at T0 + 100; the episode ends at T0 + 126
    wait_tick(site.base, T0 + 139)
    page = site.pages["russia"]
    link = page.wait_for_selector("#incidents a", timeout=20_000)
    assert "RSD101" in link.inner_text()
    with page.context.expect_page() as report:
        link.click()
    report.value.wait_for_load_state()
    assert "RSD101" in report.value.content()
    report.value.close()


def test_replay_steps_back_through_stored_tracks(site: Site) -> None:
    page = site.pages["russia"]
    page.wait_for_function("Number(document.body.dataset.pictures) >= 1")
    live = page.inner_text("#clock")
    for _ in range(3):
        page.click("#back")
    page.wait_for_selector("#replay-t:has-text('replay')", timeout=10_000)
    text = page.inner_text("#replay-t")
    end = pd.Timestamp(live.split()[-1]).timestamp()
    shown = pd.Timestamp(text.split()[1]).timestamp()
    assert shown == pytest.approx(end - 30.0), (live, text)
    assert "(1 aircraft)" in text  # its own only, at conflicts-only
    page.wait_for_function("document.querySelector('#labels span[data-id=\"155001\"]')")
    page.click("#live")
    page.wait_for_selector("#replay-t:has-text('live')", timeout=10_000)


def test_no_page_holds_an_identity_of_another_partys_aircraft(site: Site) -> None:
    for party in PARTIES:
        page = site.pages[party]
        others = [p for p in PARTIES if p != party]
        texts = {
            "dom": page.content() + page.inner_text("body"),
            "received": received(page, site.frames[party]),
        }
        assert OWN[party]["ids"][0] in texts["received"], "the capture sees the page's data"
        for where, text in texts.items():
            for other in others:
                for secret in (*OWN[other]["ids"], *OWN[other]["callsigns"]):
                    assert secret not in text, (party, where, secret)
                assert json.dumps(other) not in text, (party, where, other)
    cell = received(site.pages["cell"], site.frames["cell"])
    assert all(i in cell for p in PARTIES for i in OWN[p]["ids"]), "the cell sees everyone"
