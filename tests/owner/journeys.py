"""Driving cases through the services with canned answers: to wait at any step, and on to closure."""

from __future__ import annotations

from datetime import date
from typing import Any

from lxml import etree

from casepath.services import cases, tasks, timers
from casepath.services.staff import Actor
from tests.conformance.pathways import Driver, moment
from tests.owner.diagrams import BPMN, find, flow, mutate, user_task

CHECK_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Check the assessment",
    "type": "object",
    "additionalProperties": False,
    "properties": {"note": {"title": "Note", "type": "string", "minLength": 1, "maxLength": 500}},
    "required": ["note"],
}


def with_check_step(diagrams: dict[str, str]) -> dict[str, str]:
    """Version 2: a practice supervisor checks the assessment between its completion and its approval."""

    def change(root: Any) -> None:
        user_task(root, "check_assessment", "practice_supervisor", "check_assessment", "Check the assessment")
        find(root, "flow_child_and_family_assessment_to_approve_assessment").set("targetRef", "check_assessment")
        flow(root, "flow_check_assessment_to_approve_assessment", "check_assessment", "approve_assessment")
        task = find(root, "check_assessment")
        etree.SubElement(task, BPMN + "incoming").text = "flow_child_and_family_assessment_to_approve_assessment"
        etree.SubElement(task, BPMN + "outgoing").text = "flow_check_assessment_to_approve_assessment"

    return mutate(diagrams, "assessment.bpmn", change)


def answers(step: str, today: str, choices: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The answers a step is given: the route's choice, else the way towards closing the case."""
    participants = [{"agency": a, "name": a} for a in ("la_social_care", "police", "health")]
    toward_closure: dict[str, dict[str, Any]] = {
        "referral_decision": {"decision": "nfa", "rationale": "Seen.", "referrer_informed": True},
        "allocate_lead_practitioner": {
            "lead_practitioner": "sw1",
            "practitioner_agreed": True,
            "rationale": "Knows them.",
        },
        "child_and_family_assessment": {
            "started_on": today,
            "factors": ["21"],
            "summary": "Fine.",
            "recommendation": "nfa",
        },
        "check_assessment": {"note": "Checked."},
        "approve_assessment": {"approved": True, "outcome": "nfa", "comments": "Agreed."},
        "draft_cin_plan": {"plan_summary": "Support.", "actions": ["Visit"]},
        "approve_cin_plan": {"approved": True, "starts_on": today},
        "cin_review": {"held_on": today, "summary": "Better.", "outcome": "close"},
        "close_case": {"reason": "RC7", "closed_on": today, "rationale": "No longer in need."},
        "strategy_discussion": {"held_on": today, "participants": participants, "decision": "no_s47"},
        "section47_enquiry": {"started_on": today, "factors": ["3A"], "findings": "None.", "recommendation": "close"},
        "approve_section47": {"approved": True, "outcome": "close"},
        "schedule_icpc": {"conference_date": today, "chair": "chair1"},
        "hold_icpc": {"held_on": today, "decision": "no_plan", "next": "close"},
        "core_group_meeting": {"held_on": today, "summary": "Met."},
        "review_conference": {
            "held_on": today,
            "decision": "end_plan",
            "latest_category_of_abuse": "PHY",
            "next": "close",
        },
        "letter_before_proceedings": {"sent_on": today, "fgdm_offered": False, "fgdm_exception_reason": "Urgent."},
        "fgdm_meeting": {"outcome": "declined"},
        "care_application": {"issued_on": today},
        "overdue_review": {"action": "remind_assignee", "note": "Reminded."},
    }
    return {**toward_closure[step], **choices.get(step, {})}


class Journeys:
    """Cases sent to wait at a step, then finished whatever version they run on."""

    def __init__(self, driver: Driver) -> None:
        self.d = driver
        self.core = driver.factory.core
        s = driver.staff
        self.by_lane: dict[str, Actor] = {
            "front_door": s.fd, "practice_supervisor": s.ps, "lead_practitioner": s.sw, "social_worker": s.lcpp,
            "conference_chair": s.chair, "business_support": s.bs,
        }  # fmt: skip
        self.people = {a.username: a for a in (s.fd, s.ps, s.sw, s.lcpp, s.chair, s.bs, s.fsw)}
        self.day = date(2025, 6, 2)

    def today(self) -> str:
        return self.day.isoformat()

    def open(self, case_id: str) -> list[dict[str, Any]]:
        found = tasks.list_case_tasks(self.core, self.d.factory.admin_reviewer(), case_id, None)
        return [t for t in found if t["state"] in ("ready", "claimed")]

    def take(self, case_id: str, step: str, choices: dict[str, dict[str, Any]] | None = None) -> None:
        task = next(t for t in self.open(case_id) if t["step"] == step)
        actor = self.people.get(task["assignee"] or "") or self.by_lane[task["role"]]
        self.d.factory.at(moment(self.today()))
        data = {**answers(step, self.today(), choices or {}), "delay_reason": "Rehearsed late."}
        if not task["assignee"]:
            tasks.claim_task(self.core, actor, task["id"])
        tasks.complete_task(self.core, actor, task["id"], {"data": data})

    def route(self, route: list[str | tuple[str, dict[str, Any]]]) -> str:
        """A new referral taken along `route`: step names, or (step, answers) for a choice."""
        case_id = self.d.refer(self.today())
        for leg in route:
            step, choice = (leg, {}) if isinstance(leg, str) else leg
            if step == "pre_proceedings":
                cases.raise_case_event(self.core, self.d.staff.ps, case_id, "pre_proceedings", {})
            elif step == "overdue":
                self.d.factory.at(moment("2025-06-20"))
                timers.fire_due_timers(self.core)
            else:
                self.take(case_id, step, {step: choice})
        return case_id

    def finish(self, case_id: str, limit: int = 40) -> list[str]:
        """Take every open step towards closure until the case closes; the steps taken, in order."""
        taken: list[str] = []
        for _ in range(limit):
            case = cases.get_case(self.core, self.d.factory.admin_reviewer(), case_id)
            if case["status"] == "closed":
                return taken
            steps = sorted(t["step"] for t in self.open(case_id))
            assert steps, f"case {case_id} is open with nothing to do after {taken}"
            first = "overdue_review" if "overdue_review" in steps else steps[0]
            self.take(case_id, first)
            taken.append(first)
        raise AssertionError(f"case {case_id} did not close: {taken}")


ASSESS = ("referral_decision", {"decision": "assessment", "primary_need": "N2"})
STRATEGY = ("referral_decision", {"decision": "strategy_discussion", "primary_need": "N1"})
S47 = ("strategy_discussion", {"decision": "s47", "lead_social_worker": "sw1"})
ICPC = [STRATEGY, S47, ("section47_enquiry", {"recommendation": "icpc"}), ("approve_section47", {"outcome": "icpc"})]
PLAN = [*ICPC, "schedule_icpc", ("hold_icpc", {"decision": "cp_plan", "category_of_abuse": "PHY",
        "lead_social_worker": "sw1", "core_group": [{"agency": "health", "name": "HV"}]})]  # fmt: skip
CIN = [ASSESS, "allocate_lead_practitioner", ("child_and_family_assessment", {"recommendation": "cin_plan"})]

# each route leaves a new case waiting at these steps of version 1 (together: every step)
ROUTES: dict[str, list[Any]] = {
    "referral_decision": [],
    "allocate_lead_practitioner": [ASSESS],
    "child_and_family_assessment": [ASSESS, "allocate_lead_practitioner"],
    "approve_assessment": CIN,
    "draft_cin_plan": [*CIN, ("approve_assessment", {"outcome": "cin_plan"})],
    "approve_cin_plan": [*CIN, ("approve_assessment", {"outcome": "cin_plan"}), "draft_cin_plan"],
    "cin_review": [*CIN, ("approve_assessment", {"outcome": "cin_plan"}), "draft_cin_plan", "approve_cin_plan"],
    "close_case": [
        *CIN,
        ("approve_assessment", {"outcome": "cin_plan"}),
        "draft_cin_plan",
        "approve_cin_plan",
        "cin_review",
    ],
    "strategy_discussion": [STRATEGY],
    "section47_enquiry": [STRATEGY, S47],
    "approve_section47": [STRATEGY, S47, ("section47_enquiry", {"recommendation": "icpc"})],
    "schedule_icpc": ICPC,
    "hold_icpc": [*ICPC, "schedule_icpc"],
    "core_group_meeting review_conference": PLAN,
    "letter_before_proceedings": [*PLAN, "pre_proceedings"],
    "fgdm_meeting": [*PLAN, "pre_proceedings", ("letter_before_proceedings", {"fgdm_offered": True})],
    "care_application": [
        *PLAN,
        "pre_proceedings",
        ("letter_before_proceedings", {"fgdm_offered": True}),
        ("fgdm_meeting", {"outcome": "held", "held_on": "2025-06-02"}),
    ],
    "overdue_review referral_decision": ["overdue"],
}
