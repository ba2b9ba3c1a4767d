"""The process owner's editor in Chromium: a lane change made in the bpmn-js modeler is saved, linted (the
approval-lane finding shows on the diagram), fixed, published as version 2 with a reason, and a running case
is moved onto it from the migration page. Screenshots go to test-artifacts/."""

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

MOVE = """([step, lane]) => {
  const modeler = window.casepathModeler;
  const registry = modeler.get("elementRegistry");
  const shape = registry.get(step), target = registry.get(lane);
  // to the lane's lower edge, clear of its flows: dropping a task on a flow would splice it into that flow
  const delta = { x: 0, y: Math.round(target.y + target.height - shape.height - 12 - shape.y) };
  modeler.get("modeling").moveElements([shape], delta, registry.get("assessment_participant"));
  const outgoing = shape.businessObject.outgoing.map((f) => f.id);
  return target.businessObject.flowNodeRef.map((n) => n.id).includes(step) && outgoing.length === 1;
}"""


@pytest.fixture
def owner(factory: Any, core: Casepath) -> Any:
    found = factory.create_staff("po1", ["process_owner"])
    with core.db.transaction() as session:
        row = session.scalars(select(models.Staff).where(models.Staff.username == "po1")).one()
        row.password_hash = password_hash()
    return found


def open_diagram(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#editor[data-ready=true]")


def move(page: Any, lane: str) -> None:
    assert page.evaluate(MOVE, ["approve_assessment", lane])


def test_a_lane_change_is_saved_linted_fixed_published_and_a_case_migrated(
    page: Any, factory: Any, people: Any, owner: Any
) -> None:
    case_id = factory.create_referral(people["fd1"], first_name="Ava")
    decision = {
        "decision": "assessment",
        "primary_need": "N4",
        "rationale": "Needs assessing.",
        "referrer_informed": True,
    }
    factory.complete(people["fd1"], case_id, "referral_decision", decision)
    assert factory.open_steps(case_id) == ["allocate_lead_practitioner"]

    sign_in(page, "po1")
    open_diagram(page, "/owner/editor?version=1&diagram=assessment.bpmn")
    move(page, "lane_lead_practitioner")
    page.fill("#draft-name", "lanes")
    page.click("#lint-draft")
    page.wait_for_selector("#editor[data-ready=true]")
    assert "Draft lanes" in page.title()
    assert "approve_assessment" in (page.get_attribute("#editor", "data-lint-elements") or "").split()
    assert page.locator("#editor .app-lint-badge[data-rule=approval-lane]").count() == 1
    assert page.locator("#editor .lint-error").count() >= 1
    assert page.locator("#lint-findings li[data-rule=approval-lane]").count() == 1
    shot(page, "owner-01-lint-finding-on-diagram")

    move(page, "lane_practice_supervisor")
    page.click("#lint-draft")
    page.wait_for_selector("#editor[data-ready=true]")
    assert page.locator("#lint-findings li[data-rule=approval-lane]").count() == 0
    assert page.locator("#editor .app-lint-badge[data-rule=approval-lane]").count() == 0
    assert "Publishable" in page.inner_text("#main-content"), page.inner_text("#lint-findings")
    page.fill("#reason", "Approval stays with the practice supervisor.")
    page.click("#publish")
    page.wait_for_selector("h1:has-text('Changes from version 1 to version 2')")
    shot(page, "owner-02-diff")

    page.click("#migration-link")
    page.wait_for_selector("h1:has-text('Move running cases to version 2')")
    page.check(f"input[value='{case_id}']")
    page.fill("#reason", "Move onto the published version 2.")
    page.click("#migrate")
    page.wait_for_selector("#migration-results")
    assert "moved from version 1" in page.inner_text("#migration-results")
    shot(page, "owner-03-migrated")
    assert factory.open_steps(case_id) == ["allocate_lead_practitioner"]


def test_the_properties_panel_changes_a_task_name_form_key_and_reference_and_the_editor_passes_axe(
    page: Any, core: Casepath, owner: Any
) -> None:
    sign_in(page, "po1")
    open_diagram(page, "/owner/editor?version=1&diagram=assessment.bpmn")
    page.wait_for_selector("#editor[data-browser-lint]")
    axe(page, "the pathway editor")
    page.select_option("#element-picker", "approve_assessment")
    page.wait_for_selector("#bio-properties-panel-casepath-form-key")
    assert page.input_value("#bio-properties-panel-casepath-form-key") == "approve_assessment"
    assert page.input_value("#bio-properties-panel-casepath-lane") == "lane_practice_supervisor"
    # a keyboard user goes from the element picker into the panel's fields
    page.focus("#element-picker")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.getElementById('properties-panel').contains(document.activeElement)"):
            break
    assert page.evaluate("document.activeElement.tagName") in ("INPUT", "SELECT", "TEXTAREA", "BUTTON")
    assert page.evaluate("document.getElementById('properties-panel').contains(document.activeElement)")

    # a lane's name is chosen from the role codes; a boundary timer shows its deadline
    page.select_option("#element-picker", "lane_lead_practitioner")
    page.wait_for_selector("#bio-properties-panel-casepath-role")
    assert page.input_value("#bio-properties-panel-casepath-role") == "lead_practitioner"
    roles = page.locator("#bio-properties-panel-casepath-role option").all_inner_texts()
    assert "social_worker" in roles and "process_owner" not in roles
    page.select_option("#element-picker", "approve_assessment_deadline")
    page.wait_for_selector("[data-group-id=group-timer]")
    assert 'deadline("approve_assessment")' in page.input_value("#bio-properties-panel-timerEventDefinitionValue")
    assert page.locator("[data-group-id]").evaluate_all("(groups) => groups.map((g) => g.dataset.groupId)") == [
        "group-general",
        "group-documentation",
        "group-timer",
    ]

    page.select_option("#element-picker", "approve_assessment")
    page.wait_for_selector("#bio-properties-panel-casepath-form-key")
    page.fill("#bio-properties-panel-name", "Approve the assessment now")
    page.locator("#bio-properties-panel-name").blur()
    page.wait_for_function(
        "window.casepathModeler.get('elementRegistry').get('approve_assessment').businessObject.name"
        " === 'Approve the assessment now'"
    )
    page.select_option("#bio-properties-panel-casepath-form-key", "approve_cin_plan")
    reference = page.locator("[data-entry-id=casepath-reference]")
    assert "assessment-45wd" in reference.inner_text()
    reference.locator("button").click()
    page.wait_for_function(
        "document.getElementById('bio-properties-panel-documentation').value.includes('(rule assessment-45wd)')"
    )
    axe(page, "the pathway editor with a step selected")
    shot(page, "owner-06-properties-panel")
    page.fill("#draft-name", "names")
    page.click("#save-draft")
    page.wait_for_selector(".govuk-notification-banner--success")
    xml = drafts.get_draft(core, owner, "names")["diagrams"]["assessment.bpmn"]
    assert 'name="Approve the assessment now"' in xml
    assert '<spiffworkflow:property name="formKey" value="approve_cin_plan"' in xml
    assert "Timeliness' (assessments under CA1989) (rule assessment-45wd)." in xml


def test_the_diff_of_two_versions_marks_the_changed_step_on_the_diagram(page: Any, core: Casepath, owner: Any) -> None:
    with core.db.transaction() as session:
        first = session.scalars(select(models.ProcessVersion)).one()
        diagrams = dict(first.diagrams)
    diagrams["assessment.bpmn"] = diagrams["assessment.bpmn"].replace(
        'name="Approve the assessment"', 'name="Approve the assessment (PS)"'
    )
    drafts.save_draft(core, owner, "renamed", {"base_version": 1, "diagrams": diagrams})
    drafts.publish_draft(core, owner, "renamed", "A clearer name for the approval.")
    sign_in(page, "po1")
    page.goto("/owner/versions")
    page.click("a[href='/owner/versions/2/diff']")
    page.wait_for_selector(".app-diff-diagram[data-marked='1']")
    assert page.locator(".app-diff-diagram [data-element-id=approve_assessment].app-diff-changed").count() == 1
    shot(page, "owner-04-diff-on-diagram")
    axe(page, "the diff of two versions")
