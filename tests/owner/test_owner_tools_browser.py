"""The process owner's tools in Chromium: a form edited with its live preview changing as the owner types
(htmx, the staff renderer), a local protocol change saved, and a rehearsal run through its pages: a step
completed, the clock moved on working days, the overdue escalation seen. axe-core on each page."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from casepath.services import drafts
from casepath.services.core import Casepath
from casepath.store import models
from tests.web.conftest import password_hash, people
from tests.web.test_browser import axe, page, server, shot, sign_in

pytestmark = pytest.mark.browser
__all__ = ["page", "people", "server"]

FORM = """{
  "type": "object",
  "title": "Check the assessment",
  "properties": {
    "outcome": {"title": "Is the assessment ready?", "enum": ["ready", "redo"],
                "x-govuk-labels": {"ready": "Ready to approve", "redo": "Needs more work"}},
    "what": {"title": "What needs doing", "type": "string", "x-govuk": {"reveal_when": {"outcome": ["redo"]}}}
  }
}"""


@pytest.fixture
def owner(factory: Any, core: Casepath) -> Any:
    found = factory.create_staff("po1", ["process_owner"], profession="process_owner", registered=False)
    with core.db.transaction() as session:
        row = session.scalars(select(models.Staff).where(models.Staff.username == "po1")).one()
        row.password_hash = password_hash()
    drafts.start_draft(core, found, "next", 1)
    return found  # its rehearsals live under the test's own folder (tests/conftest.py)


def test_a_form_is_edited_with_a_live_preview_and_saved(page: Any, owner: Any, core: Casepath) -> None:
    sign_in(page, "po1")
    page.goto("/owner/drafts/next/forms/edit?key=check_assessment")
    page.wait_for_selector("#form-preview textarea[name=note]")
    axe(page, "the form editor")
    page.fill("#editor-schema", FORM)  # typing: htmx posts the schema and swaps in the preview
    page.wait_for_selector("#form-preview input[name=outcome][value=redo]")
    assert page.locator("#form-preview textarea[name=note]").count() == 0
    page.check("#form-preview input[name=outcome][value=redo]")  # the reveal works after the swap (initAll)
    page.wait_for_selector("#form-preview input[name=what]", state="visible")
    page.fill("#editor-schema", FORM[:60])
    page.wait_for_selector("#preview-problems")
    assert "not valid JSON" in page.inner_text("#preview-problems")
    shot(page, "owner-tools-01-form-preview-problem")
    page.fill("#editor-schema", FORM)
    page.click("#save-form")
    page.wait_for_selector(".govuk-notification-banner")
    assert "Saved the form check_assessment" in page.inner_text(".govuk-notification-banner")
    assert drafts.get_draft(core, owner, "next")["forms"]["check_assessment"]["title"] == "Check the assessment"
    shot(page, "owner-tools-02-form-saved")


def test_a_protocol_change_is_saved_as_a_new_version(page: Any, owner: Any) -> None:
    sign_in(page, "po1")
    page.goto("/owner/protocol")
    axe(page, "the local protocol")
    page.fill("#timescales-s47_wd", "12")
    page.check("#lcpp_may_chair")  # the first radio: yes
    page.fill("#reason", "Agreed at the safeguarding partnership")
    page.click("#save-protocol")
    page.wait_for_selector("#protocol-changes")
    assert "Version 2 of the local protocol" in page.inner_text(".govuk-notification-banner")
    assert "timescales.s47_wd" in page.inner_text("#protocol-changes")
    axe(page, "the protocol changes")
    page.goto("/owner/protocol/history")
    assert "Agreed at the safeguarding partnership" in page.inner_text("#protocol-versions")
    shot(page, "owner-tools-03-protocol-history")


@pytest.mark.slow
def test_a_rehearsal_completes_a_step_travels_in_time_and_shows_the_escalation(
    page: Any, owner: Any, core: Casepath
) -> None:
    sign_in(page, "po1")
    page.goto("/owner/rehearsals")
    axe(page, "the rehearsal start page")
    page.select_option("#draft", "next")
    page.click("#start-rehearsal")
    page.wait_for_selector("#rehearsal-clock")
    page.click("#refer")
    page.click("tr[data-step=referral_decision] a")
    page.wait_for_selector("input[name=decision]")  # the step's page, not the rehearsal it leaves
    axe(page, "a rehearsal step")
    assert page.is_checked("input[name=role][value=front_door]")  # the step's own role, chosen for you
    page.check("input[name=decision][value=assessment]")
    page.check("input[name=primary_need][value=N2]")
    page.fill("#rationale", "Rehearsal.")
    page.check("input[name=referrer_informed][value=true]")
    page.click("#complete")
    page.click("tr[data-step=allocate_lead_practitioner] a")
    page.check("input[name=role][value=practice_supervisor]")
    page.fill("#lead_practitioner", "lead_practitioner")
    page.check("input[name=practitioner_agreed][value=true]")
    page.fill("#rationale", "Rehearsal.")
    page.click("#complete")
    page.wait_for_selector("tr[data-step=child_and_family_assessment]")
    page.fill("#working_days", "50")
    page.click("#travel")
    page.wait_for_selector("tr[data-step=overdue_review]")
    assert "Escalation" in page.inner_text("tr[data-step=overdue_review]")
    axe(page, "a rehearsal after time travel")
    shot(page, "owner-tools-04-rehearsal-escalation")
    with core.db.transaction() as session:
        assert session.scalars(select(models.Case)).first() is None  # no real case
    page.click("#discard")
    page.wait_for_selector(".govuk-notification-banner:has-text('The rehearsal was discarded')")  # not the page it left
