"""The editor's checks in Chromium, before anything is saved: bpmnlint with the casepath rules flags a step
moved into a wrong lane on the diagram (with the server lint's rule id and wording), the twelve published
diagrams raise nothing, and a step dropped onto a sequence flow is announced with a way to undo it."""

from __future__ import annotations

from typing import Any

import pytest

from casepath.services import catalogue, drafts
from casepath.services.core import Casepath
from tests.owner.test_editor_browser import open_diagram, owner
from tests.web.conftest import people
from tests.web.test_browser import page, server, shot, sign_in

pytestmark = pytest.mark.browser
__all__ = ["owner", "page", "people", "server"]

EDITOR = "/owner/editor?version=1&diagram=assessment.bpmn"

DROP_ON_FLOW = """() => {
  const modeler = window.casepathModeler;
  const registry = modeler.get("elementRegistry");
  const modeling = modeler.get("modeling");
  const flow = registry.get("flow_child_and_family_assessment_to_approve_assessment");
  const participant = registry.get("assessment_participant");
  const spot = { x: participant.x + 200, y: participant.y + participant.height - 40 };
  const task = modeling.createShape({ type: "bpmn:Task" }, spot, participant);
  modeling.updateProperties(task, { name: "Check the chronology" });
  const [a, b] = flow.waypoints.slice(-2);
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  const delta = { x: mid.x - (task.x + task.width / 2), y: mid.y - (task.y + task.height / 2) };
  modeling.moveElements([task], delta, participant);
  return { task: task.id, target: flow.target.id };
}"""


def test_a_step_moved_into_a_wrong_lane_is_flagged_on_the_diagram_before_saving(
    page: Any, core: Casepath, owner: Any
) -> None:
    sign_in(page, "po1")
    open_diagram(page, EDITOR)
    page.wait_for_selector("#editor[data-browser-lint='0']")
    page.select_option("#element-picker", "approve_assessment")
    page.select_option("#bio-properties-panel-casepath-lane", "lane_lead_practitioner")

    finding = page.locator("#browser-lint-findings li[data-rule='casepath/approval-lane']")
    finding.wait_for()
    assert finding.get_attribute("data-element") == "approve_assessment"
    assert "casepath/approval-lane" in finding.inner_text()
    overlay = page.locator(".djs-overlays[data-container-id=approve_assessment] .bjsl-overlay")
    assert overlay.count() == 1
    assert overlay.locator("li[data-rule='casepath/approval-lane']").count() == 1
    overlay.hover()
    assert "casepath/approval-lane" in overlay.inner_text()
    shot(page, "owner-04-browser-lint-before-save")
    assert drafts.list_drafts(core, owner) == []  # nothing was saved: the finding came from the browser

    browser_message = finding.inner_text().split("(casepath/approval-lane): ", 1)[1]
    page.fill("#draft-name", "lanes")
    page.click("#lint-draft")
    page.wait_for_selector("#lint-findings li[data-rule=approval-lane]")
    server_message = page.inner_text("#lint-findings li[data-rule=approval-lane]").split("(approval-lane): ", 1)[1]
    assert browser_message == server_message  # the same rule, worded the same, on both sides


def test_the_published_pathway_raises_no_browser_lint_finding(page: Any, core: Casepath, owner: Any) -> None:
    sign_in(page, "po1")
    names = catalogue.get_version(core, owner, 1)["diagrams"]
    assert len(names) == 12
    found = {}
    for name in names:
        open_diagram(page, f"/owner/editor?version=1&diagram={name}")
        page.wait_for_selector("#editor[data-browser-lint]")
        found[name] = page.locator("#browser-lint-findings li").all_inner_texts()
    assert found == {name: [] for name in names}
    assert page.inner_text("#browser-lint-summary") == "No problems found in this diagram."


def test_a_step_dropped_onto_a_flow_is_announced_and_can_be_undone(page: Any, owner: Any) -> None:
    sign_in(page, "po1")
    open_diagram(page, EDITOR)
    assert page.is_hidden("#splice-warning")
    dropped = page.evaluate(DROP_ON_FLOW)
    warning = page.locator("#splice-warning")
    warning.wait_for()
    text = warning.inner_text()
    assert "flow_child_and_family_assessment_to_approve_assessment" in text
    assert (
        f"You dropped \u201cCheck the chronology\u201d ({dropped['task']}) onto the sequence flow "
        "flow_child_and_family_assessment_to_approve_assessment from \u201cCarry out the child and family assessment"
        "\u201d (child_and_family_assessment) to \u201cApprove the assessment\u201d (approve_assessment)"
    ) in text
    assert warning.get_attribute("role") == "alert"
    spliced = page.evaluate(
        "() => window.casepathModeler.get('elementRegistry')"
        ".get('flow_child_and_family_assessment_to_approve_assessment').target.id"
    )
    assert spliced == dropped["task"]
    shot(page, "owner-05-splice-warning")

    page.click("#splice-undo")
    assert page.is_hidden("#splice-warning")
    restored = page.evaluate(
        """(task) => {
          const registry = window.casepathModeler.get('elementRegistry');
          const flow = registry.get('flow_child_and_family_assessment_to_approve_assessment');
          const shape = registry.get(task);
          return { target: flow.target.id, connected: shape.incoming.length + shape.outgoing.length };
        }""",
        dropped["task"],
    )
    assert restored == {"target": "approve_assessment", "connected": 0}


def test_the_browser_and_the_server_report_the_same_statutory_errors(page: Any, core: Casepath, owner: Any) -> None:
    xml = catalogue.get_diagram(core, owner, 1, "assessment.bpmn")
    broken = (
        xml.replace('name="lead_practitioner"', 'name="team_lead"')  # an unknown role code
        .replace('value="allocate_lead_practitioner"', 'value="allocation"')  # a form that does not exist
        .replace('deadline("approve_assessment")', 'deadline("approve_it")')  # a timer on the wrong deadline
    )
    drafts.save_draft(core, owner, "broken", {"diagrams": {"assessment.bpmn": broken}, "base_version": 1})
    sign_in(page, "po1")
    open_diagram(page, "/owner/editor?draft=broken&diagram=assessment.bpmn&lint=1")
    page.wait_for_selector("#editor[data-browser-lint]")

    def found(selector: str, prefix: str) -> set[tuple[str, str, str]]:
        rows = page.locator(selector).evaluate_all(
            "(items) => items.map((li) => [li.dataset.element, li.dataset.rule, li.innerText])"
        )
        return {
            (element, rule.removeprefix(prefix), text.split(f"({rule}): ", 1)[1])
            for element, rule, text in rows
            if text.startswith("Error")
        }

    browser = found("#browser-lint-findings li", "casepath/")
    server = found("#lint-findings li", "")
    rules = ("lane-role", "form", "deadline-timer", "step-removed")
    assert {rule for _, rule, _ in browser} == set(rules)
    # the draft holds only this diagram: the contract steps of the others count as removed, on both sides
    assert any(f[0] == "section47_enquiry" and f[1] == "step-removed" for f in browser)
    assert sum(1 for f in browser if f[1] != "step-removed") == 4  # the renamed lane, the form, two timer errors
    assert browser == {f for f in server if f[1] in rules}
