"""The statutory lint: the shipped pathway is clean, and a corpus of broken diagrams, each breaking
exactly one rule, is refused with a finding naming the element and the rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from casepath.domain.deadlines import STEP_DEADLINES
from casepath.domain.pathway import CONTRACT_STEPS, TIMED_STEPS
from casepath.engine.lint import Finding, errors, lint, steps_of
from tests.owner.diagrams import BPMN, NS, add, find, flow, move_to_lane, mutate, remove, shipped, user_task

FIXTURES = Path(__file__).parent / "fixtures"
DIAGRAMS, FORMS = shipped()
STEPS = steps_of({name: text.encode() for name, text in DIAGRAMS.items()})


def run(diagrams: dict[str, str], forms: Any = None) -> list[Finding]:
    return lint({n: t.encode() for n, t in diagrams.items()}, set(FORMS if forms is None else forms), STEPS)


def test_the_shipped_pathway_lints_clean() -> None:
    assert run(DIAGRAMS) == []


def test_the_contract_table_times_exactly_the_steps_the_deadlines_compute() -> None:
    assert set(TIMED_STEPS) == set(STEP_DEADLINES)
    assert set(CONTRACT_STEPS) == STEPS


def _rename(root: Any, old: str, new: str) -> None:
    for element in root.iter():
        for attribute in ("id", "sourceRef", "targetRef", "bpmnElement", "attachedToRef"):
            if element.get(attribute) == old:
                element.set(attribute, new)
        if element.tag == BPMN + "flowNodeRef" and element.text == old:
            element.text = new


def _unreachable(root: Any) -> None:
    user_task(root, "extra_check", "practice_supervisor", "overdue_review")
    flow(root, "flow_extra_check_to_closed_nfa", "extra_check", "closed_nfa")


def _dead_end(root: Any) -> None:
    user_task(root, "extra_check", "practice_supervisor", "overdue_review")
    flow(root, "flow_outcome_to_extra_check", "assessment_outcome", "extra_check", 'outcome == "other"')


def _uncaught(root: Any) -> None:
    root.insert(0, etree.Element(BPMN + "message", id="message_nobody", name="nobody_listens"))
    find(root, "cin_plan_requested_message").set("messageRef", "message_nobody")


def _condition(flow_id: str, text: str | None) -> Callable[[Any], None]:
    def change(root: Any) -> None:
        expression = find(root, flow_id).find(BPMN + "conditionExpression")
        if text is None:
            expression.getparent().remove(expression)
        else:
            expression.text = text

    return change


def _timer_for(step: str, called: str) -> Callable[[Any], None]:
    def change(root: Any) -> None:
        find(root, f"{step}_deadline").find(f"{BPMN}timerEventDefinition/{BPMN}timeDate").text = f'deadline("{called}")'

    return change


def _rename_lane(root: Any) -> None:
    root.xpath("//bpmn:lane[@name='practice_supervisor']", namespaces=NS)[0].set("name", "managers")


CORPUS: list[tuple[str, str, Callable[[Any], None], str, str]] = [
    # (diagram, what breaks, mutation, element named, rule)
    (
        "section47.bpmn",
        "s47 enquiry in a supervisor's lane",
        lambda r: move_to_lane(r, "section47_enquiry", "practice_supervisor"),
        "section47_enquiry",
        "social-work-lane",
    ),
    (
        "assessment.bpmn",
        "approval in a practitioner's lane",
        lambda r: move_to_lane(r, "approve_assessment", "lead_practitioner"),
        "approve_assessment",
        "approval-lane",
    ),
    (
        "icpc.bpmn",
        "conference in a supervisor's lane",
        lambda r: move_to_lane(r, "hold_icpc", "business_support"),
        "hold_icpc",
        "chair-lane",
    ),
    ("overdue.bpmn", "a lane not named by a role", _rename_lane, "overdue_review", "lane-role"),
    (
        "assessment.bpmn",
        "deadline timer deleted",
        lambda r: remove(
            r,
            "approve_assessment_deadline",
            "flow_approve_assessment_deadline_to_approve_assessment_overdue",
            "approve_assessment_overdue",
        ),
        "approve_assessment",
        "deadline-timer",
    ),
    (
        "assessment.bpmn",
        "timer counting another step's deadline",
        _timer_for("approve_assessment", "child_and_family_assessment"),
        "approve_assessment_deadline",
        "deadline-timer",
    ),
    (
        "cin_plan.bpmn",
        "contract step renamed",
        lambda r: _rename(r, "draft_cin_plan", "draft_the_plan"),
        "draft_cin_plan",
        "step-removed",
    ),
    ("assessment.bpmn", "unreachable task", _unreachable, "extra_check", "unreachable"),
    ("assessment.bpmn", "dead end", _dead_end, "extra_check", "dead-end"),
    (
        "assessment.bpmn",
        "condition escaping the sandbox",
        _condition("flow_assessment_outcome_to_record_rc8", '__import__("os").system("id")'),
        "flow_assessment_outcome_to_record_rc8",
        "sandbox",
    ),
    ("assessment.bpmn", "message nobody catches", _uncaught, "cin_plan_requested", "message-uncaught"),
    (
        "assessment.bpmn",
        "gateway flow without a condition",
        _condition("flow_assessment_outcome_to_record_rc9", None),
        "assessment_outcome",
        "gateway-condition",
    ),
]


@pytest.mark.parametrize(("diagram", "what", "change", "element", "rule"), CORPUS, ids=[c[1] for c in CORPUS])
def test_a_diagram_breaking_one_rule_is_refused_naming_the_element_and_the_rule(
    diagram: str, what: str, change: Callable[[Any], None], element: str, rule: str
) -> None:
    found = errors(run(mutate(DIAGRAMS, diagram, change)))
    assert {f.rule for f in found} == {rule}, found
    assert element in {f.element for f in found}, found
    assert all(f.message and f.severity == "error" for f in found)


def test_a_step_whose_form_was_removed_is_refused() -> None:
    found = errors(run(DIAGRAMS, set(FORMS) - {"close_case"}))
    assert [(f.element, f.rule, f.diagram) for f in found] == [("close_case", "form", "closure.bpmn")]


def test_a_diagram_with_a_dtd_or_entities_is_refused_before_it_is_read() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    found = errors(run({**DIAGRAMS, "bomb.bpmn": bomb}))
    assert [(f.element, f.rule) for f in found] == [("bomb.bpmn", "xml")]


def test_a_new_step_is_a_warning_not_a_refusal() -> None:
    def added(root: Any) -> None:
        user_task(root, "check_history", "practice_supervisor", "overdue_review")
        flow(root, "flow_check", "overdue_start", "check_history")
        add(root.find(BPMN + "process"), "endEvent", id="check_done")
        flow(root, "flow_check_done", "check_history", "check_done")

    found = run(mutate(DIAGRAMS, "overdue.bpmn", added))
    assert [(f.element, f.rule, f.severity) for f in found] == [("check_history", "unknown-step", "warning")]


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.bpmn")))
def test_diagrams_exported_by_other_bpmn_tools_are_read_without_crashing(fixture: str) -> None:
    findings = lint({fixture: (FIXTURES / fixture).read_bytes()}, {"review_request"}, ())
    assert all(isinstance(f, Finding) and f.element and f.rule and f.message for f in findings)
    assert "xml" not in {f.rule for f in findings}
    assert steps_of({fixture: (FIXTURES / fixture).read_bytes()})
