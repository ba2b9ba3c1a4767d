"""The staff pages in Chromium (Playwright, Debian's binary): a referral walked to a CIN plan by three
people purely through the pages, the error summary, the case diagram, and axe-core on key pages.

Skipped with a message only when Chromium is missing outside CI; with CI=true a missing browser or
missing built assets fail the run. Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from api.app import create_app
from casepath.services.core import Casepath
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CASEPATH_CHROMIUM", "/usr/lib/chromium/chromium"))
AXE = ROOT / "web" / "static" / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the browser tests)")
    pytest.skip(reason)


@pytest.fixture
def server(core: Casepath, people: dict[str, Any]) -> Iterator[str]:
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}: apt-get install -y --no-install-recommends chromium")
    if not AXE.exists():
        _unavailable("The front-end assets are not built: run `make assets` (npm ci && node web/build-assets.mjs)")
    app = create_app(core, {"TESTING": False, "SECRET_KEY": "browser-test"})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context(base_url=server)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda err: errors.append(str(err)))
        # a form page answered 422 logs "Failed to load resource"; broken assets are caught by status instead
        tab.on(
            "console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
        )
        tab.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.request.resource_type != "document"
                else None
            ),
        )
        yield tab
        browser.close()
        assert not errors, f"JavaScript errors or CSP violations: {errors}"


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, username: str) -> None:
    page.goto("/sign-in")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("text=Sign out")


def sign_out(page: Any) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("h1:has-text('Sign in to Casepath')")


def claim_and_open(page: Any, step_name: str) -> None:
    page.goto("/inbox?view=available")
    row = page.locator("tr", has_text=step_name)
    row.get_by_role("button", name="Claim").click()
    page.wait_for_selector(f"h1:has-text('{step_name}')")


def open_mine(page: Any, step_name: str) -> None:
    page.goto("/inbox")
    page.get_by_role("link", name=step_name).click()
    page.wait_for_selector(f"h1:has-text('{step_name}')")


def complete(page: Any) -> None:
    page.click("button:has-text('Complete step')")
    page.wait_for_selector(".govuk-notification-banner--success")


def date_boxes(page: Any, name: str, day: str, month: str, year: str) -> None:
    page.fill(f"#{name}-day", day)
    page.fill(f"#{name}-month", month)
    page.fill(f"#{name}-year", year)


def axe(page: Any, what: str) -> None:
    page.wait_for_load_state("load")
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")  # served, not inlined: the CSP forbids inline
    result = page.evaluate("axe.run()")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"axe on {what}: {serious}"


def test_a_referral_reaches_a_cin_plan_through_the_pages_as_three_people(page: Any, factory: Any, people: Any) -> None:
    case_id = factory.create_referral(people["fd1"], first_name="Ava")

    sign_in(page, "fd1")
    shot(page, "01-front-door-inbox")
    claim_and_open(page, "Decide the response to the referral")
    page.check("input[name=decision][value=assessment]")
    page.check("input[name=primary_need][value=N4]")
    page.fill("#rationale", "Family in acute stress; needs assessing under s17.")
    page.check("input[name=referrer_informed][value=true]")
    shot(page, "02-referral-decision")
    complete(page)
    sign_out(page)

    sign_in(page, "ps1")
    claim_and_open(page, "Allocate a lead practitioner")
    page.fill("#lead_practitioner", "fsw1")
    page.check("input[name=practitioner_agreed][value=true]")
    page.fill("#rationale", "Knows the school and the family.")
    complete(page)
    sign_out(page)

    sign_in(page, "fsw1")
    open_mine(page, "Carry out the child and family assessment")
    date_boxes(page, "started_on", "1", "4", "2025")
    page.check("input[name=factors][value='4B']")
    page.fill("#summary", "Mother's mental health under strain; no safeguarding concerns.")
    page.check("input[name=recommendation][value=cin_plan]")
    shot(page, "03-assessment")
    complete(page)
    sign_out(page)

    sign_in(page, "ps1")
    claim_and_open(page, "Approve the assessment")
    page.check("input[name=approved][value=true]")
    page.wait_for_selector("input[name=outcome][value=cin_plan]", state="visible")  # the conditional reveal
    page.check("input[name=outcome][value=cin_plan]")
    complete(page)
    sign_out(page)

    sign_in(page, "fsw1")
    open_mine(page, "Draft the child in need plan")
    page.fill("#plan_summary", "Support mother into work; a school attendance plan.")
    page.fill("#actions-0", "GP referral")
    page.click("button:has-text('Add another action')")
    page.wait_for_selector("#actions-3")
    page.fill("#actions-3", "Weekly school check-in")
    complete(page)
    sign_out(page)

    sign_in(page, "ps1")
    claim_and_open(page, "Approve the child in need plan")
    page.check("input[name=approved][value=true]")
    date_boxes(page, "starts_on", "1", "4", "2025")
    complete(page)
    page.goto(f"/cases/{case_id}")
    page.wait_for_selector("#diagram[data-open-steps]")
    shot(page, "04-case-with-cin-plan")
    assert factory.open_steps(case_id) == ["cin_review"]
    assert "Review the child in need plan" in page.inner_text("main")


def test_a_bad_submission_shows_the_error_summary_and_passes_axe(page: Any, factory: Any, people: Any) -> None:
    factory.create_referral(people["fd1"], first_name="Ava")
    sign_in(page, "fd1")
    page.goto("/inbox?view=available")
    axe(page, "the inbox")
    claim_and_open(page, "Decide the response to the referral")
    page.fill("#rationale", "Typed before the mistake")
    page.click("button:has-text('Complete step')")
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    # GOV.UK Frontend's ErrorSummary moves focus when its module initialises, which can be
    # just after the element appears: wait for the focus rather than race it.
    page.wait_for_function("document.activeElement.classList.contains('govuk-error-summary')")
    assert page.input_value("#rationale") == "Typed before the mistake"
    shot(page, "05-error-summary")
    summary.get_by_role("link").first.click()
    page.wait_for_function("document.activeElement.id === 'decision'")
    axe(page, "a task form with errors")


def test_the_case_page_highlights_the_open_steps_in_the_diagram_and_passes_axe(
    page: Any, factory: Any, people: Any
) -> None:
    case_id = factory.create_referral(people["fd1"], first_name="Ava")
    sign_in(page, "fd1")
    page.goto(f"/cases/{case_id}")
    page.wait_for_selector("#diagram[data-open-steps]")
    assert page.get_attribute("#diagram", "data-open-steps") == "referral_decision"
    assert page.locator("#diagram .open-step").count() == 1
    shot(page, "06-case-page")
    axe(page, "the case page")
