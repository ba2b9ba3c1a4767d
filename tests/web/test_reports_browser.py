"""The reviewer pages in Chromium: the conformance dashboard with driven cases (screenshot, axe-core),
the diagram heatmap's colour bands and overlays, and an export followed to its download.

Uses the server, page and axe helpers of test_browser.py (Debian's Chromium through Playwright).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from api.app import create_app
from casepath.services.core import Casepath
from casepath.store import models
from tests.conformance.pathways import Driver
from tests.web.conftest import password_hash
from tests.web.test_browser import AXE, CHROMIUM, _unavailable, axe, page, shot, sign_in

pytestmark = pytest.mark.browser
__all__ = ["page"]  # the fixture, shared with test_browser.py


@pytest.fixture
def d(factory: Any) -> Driver:
    return Driver(factory)


@pytest.fixture
def server(core: Casepath, d: Driver, tmp_path: Path) -> Iterator[str]:
    """The app served on a free port, every member of staff with the test password (the Driver's people)."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}: apt-get install -y --no-install-recommends chromium")
    if not AXE.exists():
        _unavailable("The front-end assets are not built: run `make assets` (npm ci && node web/build-assets.mjs)")
    with core.db.transaction() as session:
        for row in session.scalars(select(models.Staff)):
            row.password_hash = password_hash()
    config = {"TESTING": False, "SECRET_KEY": "browser-test", "CASEPATH_EXPORTS_DIR": tmp_path / "exports"}
    httpd = make_server("127.0.0.1", 0, create_app(core, config), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


def driven(d: Driver) -> None:
    """An s17 case on time, a late one with its reasons, an escalation from s17 and a late referral decision."""
    d.s17_case(first_name="Ava")
    west = d.refer("2025-04-17", first_name="Wes")
    d.decide(west, "2025-04-22")
    d.allocate(west, "2025-04-22", "sw1", supervisor=d.staff.ps_west)
    d.assess(west, "2025-06-30", d.staff.sw, "2025-04-23", delay_reason="Court work took priority.")
    d.approve(west, "2025-07-01", supervisor=d.staff.ps_west, delay_reason="Approved as soon as it came in.")
    escalated = d.s17_case(received="2025-04-22", first_name="Esme")
    d.raise_event("2025-07-01", d.staff.ps, escalated, "child_protection_concern", reason="New injury.")
    d.strategy(escalated, "2025-07-02")
    d.decide(d.refer("2025-06-02", first_name="Liam"), "2025-06-04", delay_reason="Waited for the school.")
    d.at("2025-11-05")


def test_the_dashboard_renders_its_charts_and_passes_axe(page: Any, d: Driver) -> None:
    driven(d)
    sign_in(page, "rev")
    page.get_by_role("link", name="Reports").click()
    page.wait_for_selector("h1:has-text('Service conformance')")
    assert page.locator("svg[role=img]").count() == 2
    assert page.locator("svg[role=img] rect.app-chart__bar").count() > 0
    assert page.get_by_role("link", name="Wes Example").count() >= 1
    shot(page, "20-reports-dashboard")
    axe(page, "the conformance dashboard")
    page.fill("#from-day", "31")
    page.fill("#from-month", "2")
    page.click("button:has-text('Show report')")
    page.wait_for_selector(".govuk-error-summary")
    axe(page, "the dashboard with a bad date")


def test_the_heatmap_colours_the_steps_and_shows_their_figures(page: Any, d: Driver) -> None:
    driven(d)
    sign_in(page, "rev")
    page.goto("/reports/heatmap?version=1&diagram=referral.bpmn")
    page.wait_for_selector("#heatmap[data-overlays]")
    assert page.get_attribute("#heatmap", "data-overlays") == "1"
    assert page.locator("#heatmap .heat-often-late").count() == 1  # 1 of 4 decisions late: 25%
    assert "4 cases" in page.inner_text("#heatmap .app-heat-figures")
    shot(page, "21-heatmap-referral")
    axe(page, "the heatmap")
    page.goto("/reports/heatmap?version=1&diagram=assessment.bpmn")
    page.wait_for_selector("#heatmap[data-overlays]")
    assert page.locator("#heatmap .djs-overlay-heatmap").count() == int(page.get_attribute("#heatmap", "data-overlays"))
    shot(page, "22-heatmap-assessment")


def test_an_export_is_followed_to_its_download(page: Any, d: Driver) -> None:
    driven(d)
    sign_in(page, "rev")
    page.goto("/reports/exports")
    axe(page, "the exports page")
    page.fill("#workforce-year", "2026")
    page.check("input[name=quarter][value='1']")
    page.click("button:has-text('Start the workforce return')")
    download_link = page.get_by_role("button", name="Download workforce-2026-q1.csv")
    download_link.wait_for(timeout=30_000)  # the page polls, then reloads once the export is done
    shot(page, "23-export-ready")
    with page.expect_download() as info:
        download_link.click()
    assert info.value.suggested_filename == "workforce-2026-q1.csv"
