"""Every path of shared/domain/pathway.md driven through the diagrams (no Flask, no database).

A tiny in-test driver plays the services' part: it keeps each running phase only as its dumped state
(so every wait point is a dump and a load), follows every thrown message by starting the processes
that catch it, cancels what a starting phase says it replaces, and closes the case on `case_closed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from casepath.engine.diagrams import Diagrams, parse_diagrams
from casepath.engine.runner import Instance, Message, ReadyTask, RunContext
from handlers import REGISTRY

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
RECEIVED = datetime(2025, 4, 4, 9, 30, tzinfo=UTC)  # a Friday
DEADLINE = datetime(2025, 4, 7, 22, 59, 59, tzinfo=UTC)  # end of Monday 7 April 2025 in London


@pytest.fixture(scope="module")
def diagrams() -> Diagrams:
    return parse_diagrams({path.name: path.read_bytes() for path in PROCESSES.glob("*.bpmn")})


def _start(
    diagrams: Diagrams, process_id: str, data: dict[str, Any], context: RunContext
) -> tuple[Instance, list[Message]]:
    """Instance.start, plus a workaround for an engine bug while it lasts.

    SpiffWorkflow leaves a message start event WAITING for its message when the process is started
    directly, so a phase started by Instance.start never reaches its first task. Until the engine
    delivers the start message itself, the test delivers it (this does nothing once the engine does).
    """
    instance = Instance.start(diagrams, process_id, data, context)
    messages = instance.messages_pending()
    from SpiffWorkflow.bpmn import BpmnEvent
    from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
    from SpiffWorkflow.util.task import TaskState

    waiting = [t for t in instance.workflow.get_tasks(state=TaskState.WAITING) if isinstance(t.task_spec, StartEvent)]
    for task in waiting:
        instance.workflow.send_event(BpmnEvent(task.task_spec.event_definition, payload={}))
    if waiting:
        messages += instance.fire_timers(context)  # runs the engine on to the first wait
    return instance, messages


@dataclass
class Case:
    """One case: its running phases (as dumped states only), what they threw, and how it ended."""

    diagrams: Diagrams
    now: datetime = RECEIVED
    states: dict[str, tuple[str, str]] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    thrown: list[Message] = field(default_factory=list)
    closed: bool = False
    closure_reason: str | None = None
    team: dict[str, str | None] = field(
        default_factory=lambda: {"lead_practitioner": None, "lead_social_worker": None, "chair": None}
    )
    sizes: dict[str, list[int]] = field(default_factory=dict)

    def context(self) -> RunContext:
        return RunContext(now=self.now, case_id="case-1", deadline=lambda step: DEADLINE, handlers=REGISTRY)

    def phase_data(self) -> dict[str, Any]:
        return {
            "lead_practitioner_allocated": bool(self.team["lead_practitioner"]),
            **self.team,
            "received_on": RECEIVED.date().isoformat(),
        }

    # -- the services' part ------------------------------------------------------------------
    def start(self, process_id: str, extra: dict[str, Any] | None = None) -> None:
        assert not self.closed
        for key, (other, _state) in list(self.states.items()):
            if other in self.diagrams.processes[process_id].cancels:
                del self.states[key]
                self.cancelled.append(other)
        instance, messages = _start(self.diagrams, process_id, {**self.phase_data(), **(extra or {})}, self.context())
        key = f"{process_id}#{len(self.started)}"
        self.started.append(process_id)
        self._save(key, process_id, instance)
        self.follow(messages)

    def event(self, name: str) -> None:
        """A message raised from outside the diagrams (POST /cases/{id}/events)."""
        self.follow([Message(name, {})])

    def follow(self, messages: list[Message]) -> None:
        for message in messages:
            self.thrown.append(message)
            if self.closed:
                return
            if message.name == "case_closed":
                self.closed, self.closure_reason = True, message.payload.get("closure_reason")
                self.cancelled += [process_id for process_id, _state in self.states.values()]
                self.states.clear()
                return
            extra = None
            if message.name == "step_overdue":
                extra = {"overdue_step": message.payload["overdue_step"]}
            for process_id in self.diagrams.starting_on(message.name):
                self.start(process_id, extra)

    def _save(self, key: str, process_id: str, instance: Instance) -> None:
        if instance.completed:
            self.states.pop(key, None)
            return
        state = instance.dump()
        self.states[key] = (process_id, state)
        self.sizes.setdefault(process_id, []).append(len(state))

    # -- what staff do ------------------------------------------------------------------------
    def ready(self) -> list[tuple[str, ReadyTask]]:
        return [
            (key, task)
            for key, (_pid, state) in self.states.items()
            for task in Instance.load(self.diagrams, state).ready_tasks()
        ]

    def steps(self) -> list[str]:
        return sorted(task.step for _key, task in self.ready())

    def complete(self, step: str, **data: Any) -> list[Message]:
        matches = [(key, task) for key, task in self.ready() if task.step == step]
        assert len(matches) == 1, f"{step} is not ready exactly once; ready: {self.steps()}"
        key, task = matches[0]
        process_id, state = self.states[key]
        instance = Instance.load(self.diagrams, state)
        messages = instance.complete(task.id, data, self.context())
        self._save(key, process_id, instance)
        if step == "allocate_lead_practitioner":
            self.team["lead_practitioner"] = data["lead_practitioner"]
        if step == "strategy_discussion" and data.get("decision") == "s47":
            self.team["lead_practitioner"] = self.team["lead_social_worker"] = data["lead_social_worker"]
        if step == "schedule_icpc":
            self.team["chair"] = data["chair"]
        if step == "hold_icpc" and data.get("decision") == "cp_plan":
            self.team["lead_practitioner"] = self.team["lead_social_worker"] = data["lead_social_worker"]
        self.follow(messages)
        return messages

    def fire_timers(self, now: datetime) -> list[Message]:
        self.now = now
        thrown = []
        for key in list(self.states):
            if key not in self.states:
                continue
            process_id, state = self.states[key]
            instance = Instance.load(self.diagrams, state)
            messages = instance.fire_timers(self.context())
            self._save(key, process_id, instance)
            thrown += messages
            self.follow(messages)
        return thrown

    def names(self) -> list[str]:
        return [m.name for m in self.thrown]


# Form data a member of staff would give (validated forms; the fields the gateways read).
def referral_decision(decision: str) -> dict[str, Any]:
    data = {"decision": decision, "rationale": "Concerns reported by school.", "referrer_informed": True}
    return data if decision == "nfa" else {**data, "primary_need": "N1"}


ALLOCATE = {
    "lead_practitioner": "fsw1",
    "practitioner_agreed": True,
    "rationale": "Capacity and skills.",
    "planned_completion_on": "2025-05-30",
}


def assessment(recommendation: str = "cin_plan") -> dict[str, Any]:
    return {
        "started_on": "2025-04-08",
        "factors": ["21"],
        "summary": "Seen the child.",
        "recommendation": recommendation,
    }


def approval(outcome: str | None) -> dict[str, Any]:
    if outcome is None:
        return {"approved": False, "comments": "Please speak to the child's school."}
    return {"approved": True, "outcome": outcome}


DRAFT = {"plan_summary": "Support with routines.", "actions": ["Parenting course"]}
PLAN_APPROVED = {"approved": True, "starts_on": "2025-06-02"}


def cin_review(outcome: str) -> dict[str, Any]:
    return {"held_on": "2025-09-01", "summary": "Progress.", "outcome": outcome}


def strategy(decision: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "held_on": "2025-04-07",
        "decision": decision,
        "participants": [{"agency": a, "name": a.title()} for a in ("la_social_care", "police", "health")],
    }
    return {**data, "lead_social_worker": "sw1"} if decision == "s47" else data


def enquiry(recommendation: str = "icpc") -> dict[str, Any]:
    return {
        "started_on": "2025-04-07",
        "factors": ["3A"],
        "findings": "Injury explained poorly.",
        "recommendation": recommendation,
    }


SCHEDULE = {"conference_date": "2025-04-25", "chair": "chair1"}


def icpc(decision: str, next_: str | None = None) -> dict[str, Any]:
    if decision == "cp_plan":
        return {
            "held_on": "2025-04-25",
            "decision": "cp_plan",
            "category_of_abuse": "PHY",
            "lead_social_worker": "sw1",
            "core_group": [{"agency": "health", "name": "HV"}],
        }
    return {"held_on": "2025-04-25", "decision": "no_plan", "next": next_}


def review(decision: str, next_: str | None = None) -> dict[str, Any]:
    data = {"held_on": "2025-07-24", "decision": decision, "latest_category_of_abuse": "PHY"}
    return {**data, "next": next_} if next_ else data


CLOSE = {"reason": "RC7", "closed_on": "2026-01-15", "rationale": "Child no longer in need."}


def referred(diagrams: Diagrams) -> Case:
    case = Case(diagrams)
    case.start("referral")
    assert case.steps() == ["referral_decision"]
    return case


def allocated_to_assessment(diagrams: Diagrams) -> Case:
    case = referred(diagrams)
    case.complete("referral_decision", **referral_decision("assessment"))
    assert case.started == ["referral", "assessment"]
    case.complete("allocate_lead_practitioner", **ALLOCATE)
    assert case.steps() == ["child_and_family_assessment"]
    return case


def under_section47(diagrams: Diagrams) -> Case:
    case = referred(diagrams)
    case.complete("referral_decision", **referral_decision("strategy_discussion"))
    case.complete("strategy_discussion", **strategy("s47"))
    assert case.started == ["referral", "strategy", "section47"]
    assert case.steps() == ["section47_enquiry"]
    return case


def at_icpc(diagrams: Diagrams) -> Case:
    case = under_section47(diagrams)
    case.complete("section47_enquiry", **enquiry("icpc"))
    case.complete("approve_section47", **approval("icpc"))
    case.complete("schedule_icpc", **SCHEDULE)
    assert case.steps() == ["hold_icpc"]
    return case


# -- referral ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", ["nfa", "early_help"])
def test_a_referral_needing_no_further_action_or_early_help_closes_the_case_as_nfa(
    diagrams: Diagrams, decision: str
) -> None:
    case = referred(diagrams)
    case.complete("referral_decision", **referral_decision(decision))
    assert case.closed and case.closure_reason == "NFA"
    assert case.names() == ["case_closed"]
    assert case.states == {}


def test_a_referral_for_assessment_runs_through_a_cin_plan_three_reviews_and_a_closure(diagrams: Diagrams) -> None:
    case = allocated_to_assessment(diagrams)
    case.complete("child_and_family_assessment", **assessment("cin_plan"))
    assert case.steps() == ["approve_assessment"]
    case.complete("approve_assessment", **approval("cin_plan"))
    assert case.steps() == ["draft_cin_plan"]
    case.complete("draft_cin_plan", **DRAFT)
    case.complete("approve_cin_plan", **PLAN_APPROVED)
    for _ in range(3):
        assert case.steps() == ["cin_review"]
        case.complete("cin_review", **cin_review("continue"))
    case.complete("cin_review", **cin_review("close"))
    assert case.steps() == ["close_case"]
    case.complete("close_case", **CLOSE)
    assert case.closed and case.closure_reason == "RC7"
    assert case.started == ["referral", "assessment", "cin_plan"] + ["cin_plan_review"] * 4 + ["closure"]
    assert case.names() == [
        "assessment_requested",
        "cin_plan_requested",
        "cin_review_due",
        "cin_review_due",
        "cin_review_due",
        "cin_review_due",
        "closure_requested",
        "case_closed",
    ]
    assert case.cancelled == []


def test_the_lead_practitioner_and_the_referral_date_reach_every_new_phase(diagrams: Diagrams) -> None:
    case = allocated_to_assessment(diagrams)
    case.complete("child_and_family_assessment", **assessment())
    case.complete("approve_assessment", **approval("cin_plan"))
    ((_key, task),) = case.ready()
    assert task.step == "draft_cin_plan"
    assert task.data["lead_practitioner"] == "fsw1" and task.data["lead_practitioner_allocated"] is True
    assert task.data["received_on"] == "2025-04-04"
    assert "decision" not in task.data  # a new phase starts from the case's data, not the last form


# -- assessment ---------------------------------------------------------------------------------------


def test_an_assessment_sent_back_twice_returns_to_the_practitioner_each_time(diagrams: Diagrams) -> None:
    case = allocated_to_assessment(diagrams)
    for _ in range(2):
        case.complete("child_and_family_assessment", **assessment())
        assert case.complete("approve_assessment", **approval(None)) == []
        assert case.steps() == ["child_and_family_assessment"]
    case.complete("child_and_family_assessment", **assessment())
    case.complete("approve_assessment", **approval("cin_plan"))
    assert case.steps() == ["draft_cin_plan"]


@pytest.mark.parametrize(("outcome", "reason"), [("nfa", "RC8"), ("early_help", "RC9")])
def test_an_approved_assessment_closing_the_case_records_rc8_or_rc9(
    diagrams: Diagrams, outcome: str, reason: str
) -> None:
    case = allocated_to_assessment(diagrams)
    case.complete("child_and_family_assessment", **assessment(outcome))
    case.complete("approve_assessment", **approval(outcome))
    assert case.closed and case.closure_reason == reason
    assert case.names()[-1] == "case_closed"


def test_an_assessment_escalated_to_a_strategy_discussion_without_s47_lets_the_case_continue(
    diagrams: Diagrams,
) -> None:
    case = allocated_to_assessment(diagrams)
    case.complete("child_and_family_assessment", **assessment("strategy_discussion"))
    case.complete("approve_assessment", **approval("strategy_discussion"))
    assert case.steps() == ["strategy_discussion"]
    assert case.complete("strategy_discussion", **strategy("no_s47")) == []
    assert case.started == ["referral", "assessment", "strategy"]
    assert case.states == {} and not case.closed


def test_a_strategy_discussion_without_s47_on_an_unallocated_case_requests_an_assessment(diagrams: Diagrams) -> None:
    case = referred(diagrams)
    case.complete("referral_decision", **referral_decision("strategy_discussion"))
    case.complete("strategy_discussion", **strategy("no_s47"))
    assert case.names() == ["strategy_requested", "assessment_requested"]
    assert case.steps() == ["allocate_lead_practitioner"]


# -- child in need plan ---------------------------------------------------------------------------------


def test_a_cin_plan_sent_back_is_redrafted_before_it_starts(diagrams: Diagrams) -> None:
    case = Case(diagrams)
    case.start("cin_plan")
    case.complete("draft_cin_plan", **DRAFT)
    case.complete("approve_cin_plan", approved=False, comments="Add the school's actions.")
    assert case.steps() == ["draft_cin_plan"]
    case.complete("draft_cin_plan", **DRAFT)
    assert case.complete("approve_cin_plan", **PLAN_APPROVED)[0].name == "cin_review_due"
    assert case.steps() == ["cin_review"]


def test_a_cin_review_can_escalate_to_a_strategy_discussion_and_section47(diagrams: Diagrams) -> None:
    case = Case(diagrams)
    case.start("cin_plan_review")
    case.complete("cin_review", **cin_review("strategy_discussion"))
    assert case.steps() == ["strategy_discussion"]
    case.complete("strategy_discussion", **strategy("s47"))
    assert case.steps() == ["section47_enquiry"]


# -- child protection -----------------------------------------------------------------------------------


def test_the_child_protection_pathway_survives_24_review_conferences_and_steps_down_to_a_cin_plan(
    diagrams: Diagrams,
) -> None:
    case = at_icpc(diagrams)
    case.complete("hold_icpc", **icpc("cp_plan"))
    assert case.started[-3:] == ["icpc", "cp_plan", "cp_review"]
    assert case.steps() == ["core_group_meeting", "review_conference"]
    case.complete("core_group_meeting", held_on="2025-05-06", summary="Plan agreed.")
    for _ in range(23):
        assert case.steps() == ["review_conference"]
        case.complete("review_conference", **review("continue"))
    case.complete("review_conference", **review("end_plan", "cin_plan"))
    assert case.started.count("cp_review") == 24
    assert case.steps() == ["draft_cin_plan"]
    sizes = case.sizes["cp_review"]
    assert max(sizes) <= sizes[0] * 1.1  # each review is a new, small instance: state does not grow


def test_a_review_conference_ending_the_plan_can_close_the_case(diagrams: Diagrams) -> None:
    case = at_icpc(diagrams)
    case.complete("hold_icpc", **icpc("cp_plan"))
    case.complete("review_conference", **review("end_plan", "close"))
    case.complete("close_case", **CLOSE)
    assert case.closed and case.closure_reason == "RC7"
    assert case.cancelled == ["cp_plan"]  # the core group never met: closing the case ends the plan's phase


def test_a_section47_enquiry_sent_back_returns_to_the_social_worker(diagrams: Diagrams) -> None:
    case = under_section47(diagrams)
    case.complete("section47_enquiry", **enquiry())
    assert case.complete("approve_section47", **approval(None)) == []
    assert case.steps() == ["section47_enquiry"]
    case.complete("section47_enquiry", **enquiry())
    case.complete("approve_section47", **approval("icpc"))
    assert case.steps() == ["schedule_icpc"]


@pytest.mark.parametrize(("outcome", "next_step"), [("cin_plan", "draft_cin_plan"), ("close", "close_case")])
def test_a_section47_enquiry_can_lead_to_a_cin_plan_or_closure(
    diagrams: Diagrams, outcome: str, next_step: str
) -> None:
    case = under_section47(diagrams)
    case.complete("section47_enquiry", **enquiry(outcome))
    case.complete("approve_section47", **approval(outcome))
    assert case.steps() == [next_step]


def test_a_section47_enquiry_started_during_an_assessment_ends_the_assessment(diagrams: Diagrams) -> None:
    case = allocated_to_assessment(diagrams)
    case.event("strategy_requested")  # a child protection concern raised on the open case
    assert case.steps() == ["child_and_family_assessment", "strategy_discussion"]
    case.complete("strategy_discussion", **strategy("s47"))
    assert case.cancelled == ["assessment"]
    assert case.steps() == ["section47_enquiry"]


@pytest.mark.parametrize(("next_", "next_step"), [("cin_plan", "draft_cin_plan"), ("close", "close_case")])
def test_an_icpc_deciding_no_plan_leads_to_a_cin_plan_or_closure(
    diagrams: Diagrams, next_: str, next_step: str
) -> None:
    case = at_icpc(diagrams)
    case.complete("hold_icpc", **icpc("no_plan", next_))
    assert case.steps() == [next_step]


def test_a_cp_plan_ends_the_cin_plan_and_its_reviews(diagrams: Diagrams) -> None:
    case = Case(diagrams)
    case.start("cin_plan")
    case.complete("draft_cin_plan", **DRAFT)
    case.complete("approve_cin_plan", **PLAN_APPROVED)
    case.event("strategy_requested")
    case.complete("strategy_discussion", **strategy("s47"))
    case.complete("section47_enquiry", **enquiry("icpc"))
    case.complete("approve_section47", **approval("icpc"))
    case.complete("schedule_icpc", **SCHEDULE)
    assert case.steps() == ["cin_review", "hold_icpc"]
    case.complete("hold_icpc", **icpc("cp_plan"))
    assert case.cancelled == ["cin_plan_review"]
    assert case.steps() == ["core_group_meeting", "review_conference"]


# -- pre-proceedings ------------------------------------------------------------------------------------


def test_pre_proceedings_with_an_fgdm_offer_records_the_meeting_before_the_application(diagrams: Diagrams) -> None:
    case = Case(diagrams)
    case.event("pre_proceedings")
    case.complete("letter_before_proceedings", sent_on="2025-05-01", fgdm_offered=True)
    assert case.steps() == ["fgdm_meeting"]
    case.complete("fgdm_meeting", outcome="held", held_on="2025-05-12")
    assert case.steps() == ["care_application"]
    assert case.complete("care_application", issued_on="2025-06-02") == []
    assert case.states == {} and not case.closed


def test_pre_proceedings_without_an_fgdm_offer_goes_straight_to_the_application(diagrams: Diagrams) -> None:
    case = Case(diagrams)
    case.event("pre_proceedings")
    case.complete(
        "letter_before_proceedings",
        sent_on="2025-05-01",
        fgdm_offered=False,
        fgdm_exception_reason="Risk of domestic abuse at a family meeting.",
    )
    assert case.steps() == ["care_application"]
    case.complete("care_application", issued_on="2025-06-02")
    assert case.states == {}


def test_pre_proceedings_run_alongside_a_cp_plan_without_ending_it(diagrams: Diagrams) -> None:
    case = Case(diagrams)
    case.start("cp_review")
    case.event("pre_proceedings")
    assert case.steps() == ["letter_before_proceedings", "review_conference"]
    assert case.cancelled == []


# -- deadlines ------------------------------------------------------------------------------------------


def test_a_passing_deadline_throws_step_overdue_and_the_late_step_stays_open(diagrams: Diagrams) -> None:
    case = referred(diagrams)
    assert case.fire_timers(DEADLINE - timedelta(minutes=1)) == []
    (overdue,) = case.fire_timers(DEADLINE + timedelta(seconds=1))
    assert overdue.name == "step_overdue" and overdue.payload["overdue_step"] == "referral_decision"
    assert case.steps() == ["overdue_review", "referral_decision"]
    ((_key, review_task),) = [(k, t) for k, t in case.ready() if t.step == "overdue_review"]
    assert review_task.lane == "practice_supervisor" and review_task.data["overdue_step"] == "referral_decision"
    assert case.fire_timers(DEADLINE + timedelta(days=3)) == []  # escalated once, not again
    case.complete("overdue_review", notes="Front door short-staffed; reallocated.")
    case.complete("referral_decision", **referral_decision("assessment"), delay_reason="Awaiting police checks.")
    # every deadline here is the same moment, long gone: a step reached after its deadline escalates at once
    assert case.steps() == ["allocate_lead_practitioner", "overdue_review"]
    assert case.names() == ["step_overdue", "assessment_requested", "step_overdue"]
    assert case.thrown[-1].payload["overdue_step"] == "allocate_lead_practitioner"


ROUTES: dict[str, tuple[str, list[tuple[str, dict[str, Any]]]]] = {
    "referral_decision": ("referral", []),
    "allocate_lead_practitioner": ("referral", [("referral_decision", referral_decision("assessment"))]),
    "child_and_family_assessment": ("assessment", [("allocate_lead_practitioner", ALLOCATE)]),
    "approve_assessment": (
        "assessment",
        [("allocate_lead_practitioner", ALLOCATE), ("child_and_family_assessment", assessment())],
    ),
    "cin_review": ("cin_plan", [("draft_cin_plan", DRAFT), ("approve_cin_plan", PLAN_APPROVED)]),
    "strategy_discussion": ("strategy", []),
    "section47_enquiry": ("strategy", [("strategy_discussion", strategy("s47"))]),
    "approve_section47": ("section47", [("section47_enquiry", enquiry())]),
    "schedule_icpc": ("section47", [("section47_enquiry", enquiry()), ("approve_section47", approval("icpc"))]),
    "hold_icpc": ("icpc", [("schedule_icpc", SCHEDULE)]),
    "core_group_meeting": ("icpc", [("schedule_icpc", SCHEDULE), ("hold_icpc", icpc("cp_plan"))]),
    "review_conference": ("cp_plan", []),
}


@pytest.mark.parametrize("step", sorted(ROUTES))
def test_every_timed_step_escalates_once_when_its_deadline_passes(diagrams: Diagrams, step: str) -> None:
    process_id, route = ROUTES[step]
    case = Case(diagrams)
    case.start(process_id)
    for earlier, data in route:
        case.complete(earlier, **data)
    assert step in case.steps()
    assert case.fire_timers(DEADLINE) == []
    overdue = case.fire_timers(DEADLINE + timedelta(seconds=1))
    assert {m.name for m in overdue} == {"step_overdue"}
    assert step in {m.payload["overdue_step"] for m in overdue}
    assert step in case.steps() and "overdue_review" in case.steps()
    assert case.fire_timers(DEADLINE + timedelta(days=30)) == []


def test_a_completed_step_no_longer_has_a_deadline(diagrams: Diagrams) -> None:
    case = referred(diagrams)
    case.complete("referral_decision", **referral_decision("assessment"))
    case.complete("allocate_lead_practitioner", **ALLOCATE)
    overdue = case.fire_timers(DEADLINE + timedelta(seconds=1))
    assert [m.payload["overdue_step"] for m in overdue] == ["child_and_family_assessment"]
