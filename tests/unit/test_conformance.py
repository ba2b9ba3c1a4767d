"""Conformance with Working Together over a case's events (casepath/conformance)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from casepath.conformance import RuleResult, evaluate_case
from casepath.domain.calendar import WorkingDayCalendar, local_date
from casepath.domain.deadlines import due_for_step
from casepath.domain.events import Event
from casepath.domain.protocol import DEFAULT_PROTOCOL, LocalProtocol
from casepath.domain.rules import RULE_IDS

CALENDAR = WorkingDayCalendar()
SW = {"profession": "social_worker", "registered": True, "employer": "la"}
PROFILES: dict[str, dict[str, Any]] = {
    "fd1": {**SW, "roles": ["front_door", "social_worker"]},
    "ps1": {**SW, "roles": ["practice_supervisor", "social_worker"]},
    "ps2": {**SW, "roles": ["practice_supervisor", "social_worker", "lead_practitioner"]},
    "sw1": {**SW, "roles": ["social_worker", "lead_practitioner"]},
    "lcpp1": {**SW, "roles": ["lcpp", "social_worker"]},
    "chair1": {**SW, "roles": ["conference_chair", "social_worker"]},
    "fsw1": {
        "roles": ["lead_practitioner"],
        "profession": "family_support_worker",
        "registered": False,
        "competencies": ["cin_assessment"],
    },
    "bs1": {"roles": ["business_support"], "profession": "administrator", "registered": False},
}
AUTHORED = {
    "approve_assessment": ("child_and_family_assessment", "section47_enquiry"),
    "approve_section47": ("section47_enquiry",),
    "approve_cin_plan": ("draft_cin_plan",),
}
Route = Callable[[dict[str, Any]], list[str]]


def _outcome(field: str, routes: dict[str, list[str]]) -> Route:
    return lambda form: routes.get(str(form.get(field)), [])


def _approval(back: str, field: str, routes: dict[str, list[str]]) -> Route:
    return lambda form: routes.get(str(form.get(field)), []) if form.get("approved") else [back]


ROUTES: dict[str, Route] = {
    "referral_decision": _outcome(
        "decision",
        {
            "assessment": ["allocate_lead_practitioner"],
            "nfa": ["#RC8"],
            "early_help": ["#RC9"],
            "strategy_discussion": ["strategy_discussion"],
        },
    ),
    "allocate_lead_practitioner": lambda form: ["child_and_family_assessment"],
    "child_and_family_assessment": lambda form: ["approve_assessment"],
    "approve_assessment": _approval(
        "child_and_family_assessment",
        "outcome",
        {
            "nfa": ["#RC8"],
            "early_help": ["#RC9"],
            "cin_plan": ["draft_cin_plan"],
            "strategy_discussion": ["strategy_discussion"],
        },
    ),
    "draft_cin_plan": lambda form: ["approve_cin_plan"],
    "approve_cin_plan": lambda form: ["cin_review"] if form.get("approved") else ["draft_cin_plan"],
    "cin_review": _outcome(
        "outcome", {"continue": ["cin_review"], "close": ["close_case"], "strategy_discussion": ["strategy_discussion"]}
    ),
    "strategy_discussion": _outcome(
        "decision", {"s47": ["section47_enquiry"], "no_s47": ["allocate_lead_practitioner"]}
    ),
    "section47_enquiry": lambda form: ["approve_section47"],
    "approve_section47": _approval(
        "section47_enquiry",
        "outcome",
        {"icpc": ["schedule_icpc"], "cin_plan": ["draft_cin_plan"], "close": ["close_case"]},
    ),
    "schedule_icpc": lambda form: ["hold_icpc"],
    "hold_icpc": lambda form: (
        ["core_group_meeting", "review_conference"]
        if form.get("decision") == "cp_plan"
        else ["draft_cin_plan" if form.get("next") == "cin_plan" else "close_case"]
    ),
    "review_conference": lambda form: (
        ["review_conference"]
        if form.get("decision") == "continue"
        else ["draft_cin_plan" if form.get("next") == "cin_plan" else "close_case"]
    ),
    "letter_before_proceedings": lambda form: ["fgdm_meeting"] if form.get("fgdm_offered") else ["care_application"],
    "fgdm_meeting": lambda form: ["care_application"],
}


class Case:
    """A case's event record built as the services record it, step by step along the pathway."""

    def __init__(self, received_at: str, protocol: LocalProtocol = DEFAULT_PROTOCOL) -> None:
        self.protocol = protocol
        self.events: list[Event] = []
        self.open: dict[str, str] = {}
        self.now = datetime.fromisoformat(received_at)
        self._add("case_opened", "fd1", {"received_at": received_at, "received_on": local_date(self.now).isoformat()})
        self._create("referral_decision")

    def _add(self, name: str, actor: str | None, data: dict[str, Any]) -> None:
        self.events.append(Event(len(self.events) + 1, name, self.now, actor, data))

    def _create(self, step: str) -> None:
        deadline = due_for_step(step, self.events, CALENDAR, self.protocol)
        task_id = f"t{len(self.events) + 1}"
        self.open[step] = task_id
        self._add(
            "task_created",
            None,
            {
                "task_id": task_id,
                "step": step,
                "due_on": deadline and deadline.due_on,
                "rule": deadline and deadline.rule,
            },
        )

    def complete(self, step: str, at: str, by: str, delay_reason: str | None = None, **form: Any) -> Case:
        self.now = datetime.fromisoformat(at)
        author = next(
            (
                e.actor
                for e in reversed(self.events)
                if e.name == "task_completed" and e.data["step"] in AUTHORED.get(step, ())
            ),
            None,
        )
        extra: dict[str, Any] = {
            k: form.pop(k) for k in ("chair_independent", "chair_conflicts", "eligible") if k in form
        }
        self._add(
            "task_completed",
            by,
            {
                "task_id": self.open.pop(step),
                "step": step,
                "data": form,
                "completed_on": local_date(self.now).isoformat(),
                "delay_reason": delay_reason,
                "author": author,
                "actor_profile": PROFILES.get(by, {}),
                **extra,
            },
        )
        if step == "hold_icpc" and form.get("decision") == "cp_plan":
            self._cancel("cin_review", "the child protection plan replaces the child in need plan")
        for nxt in ROUTES[step](form) if step in ROUTES else []:
            self._close(nxt[1:], by) if nxt.startswith("#") else self._create(nxt)
        if step == "close_case":
            self._close(form["reason"], by, form["closed_on"])
        return self

    def event(self, name: str, at: str, by: str = "ps1") -> Case:
        self.now = datetime.fromisoformat(at)
        self._add("case_event", by, {"name": name, "data": {}})
        self._create({"child_protection_concern": "strategy_discussion"}.get(name, "letter_before_proceedings"))
        return self

    def _cancel(self, step: str, reason: str) -> None:
        if step in self.open:
            self._add("task_cancelled", None, {"task_id": self.open.pop(step), "step": step, "reason": reason})

    def _close(self, reason: str | None, by: str, closed_on: str | None = None) -> None:
        for step in list(self.open):
            self._cancel(step, "the case was closed")
        self._add("case_closed", by, {"closed_on": closed_on or local_date(self.now).isoformat(), "reason": reason})

    def close(self, at: str, by: str = "ps1", reason: str | None = "RC7", closed_on: str | None = None) -> Case:
        self.now = datetime.fromisoformat(at)
        self._close(reason, by, closed_on)
        return self

    def report(self, today: str, protocol: LocalProtocol | None = None) -> dict[str, list[RuleResult]]:
        rows = evaluate_case(self.events, CALENDAR, protocol or self.protocol, date.fromisoformat(today))
        found: dict[str, list[RuleResult]] = {}
        for row in rows:
            found.setdefault(row.rule, []).append(row)
        return found

    def row(self, rule: str, today: str, index: int = -1) -> RuleResult:
        return self.report(today)[rule][index]


# --- the acceptance scenarios' pathways ----------------------------------------------------------


def mia() -> Case:
    return Case("2025-12-24T16:30:00+00:00")


def ava_assessed() -> Case:
    return (
        Case("2025-04-17T10:15:00+01:00")
        .complete("referral_decision", "2025-04-22T09:30:00+01:00", "fd1", decision="assessment")
        .complete(
            "allocate_lead_practitioner",
            "2025-04-22T11:00:00+01:00",
            "ps1",
            lead_practitioner="fsw1",
            practitioner_agreed=True,
        )
        .complete("child_and_family_assessment", "2025-05-30T16:00:00+01:00", "fsw1", recommendation="cin_plan")
        .complete("approve_assessment", "2025-06-02T10:00:00+01:00", "ps1", approved=True, outcome="cin_plan")
    )


def ava_plan() -> Case:
    return (
        ava_assessed()
        .complete("draft_cin_plan", "2025-06-04T10:00:00+01:00", "fsw1", plan_summary="Support")
        .complete("approve_cin_plan", "2025-06-05T10:00:00+01:00", "ps1", approved=True, starts_on="2025-06-05")
    )


def ava() -> Case:
    return (
        ava_plan()
        .complete("cin_review", "2025-09-01T10:00:00+01:00", "fsw1", held_on="2025-09-01", outcome="continue")
        .complete("cin_review", "2025-11-28T10:00:00+00:00", "fsw1", held_on="2025-11-28", outcome="close")
        .complete("close_case", "2025-12-01T10:00:00+00:00", "ps1", reason="RC7", closed_on="2025-12-01")
    )


PARTICIPANTS = [
    {"agency": "la_social_care", "name": "LCPP One"},
    {"agency": "police", "name": "DC Example"},
    {"agency": "health", "name": "Named Nurse"},
]


def leo_referred() -> Case:
    return Case("2025-06-06T14:00:00+01:00").complete(
        "referral_decision", "2025-06-09T09:00:00+01:00", "fd1", decision="strategy_discussion"
    )


def leo_s47(by: str = "sw1", at: str = "2025-06-20T12:00:00+01:00") -> Case:
    return (
        leo_referred()
        .complete(
            "strategy_discussion",
            "2025-06-10T15:00:00+01:00",
            "lcpp1",
            held_on="2025-06-10",
            participants=PARTICIPANTS,
            decision="s47",
            lead_social_worker="sw1",
        )
        .complete("section47_enquiry", at, by, started_on="2025-06-10", recommendation="icpc")
    )


def leo_icpc(chair: str = "chair1", held_on: str = "2025-06-27", **extra: Any) -> Case:
    return (
        leo_s47()
        .complete("approve_section47", "2025-06-23T10:00:00+01:00", "ps1", approved=True, outcome="icpc")
        .complete("schedule_icpc", "2025-06-23T11:00:00+01:00", "bs1", conference_date=held_on, chair=chair)
        .complete(
            "hold_icpc",
            f"{held_on}T13:00:00+01:00",
            chair,
            held_on=held_on,
            decision="cp_plan",
            category_of_abuse="PHY",
            lead_social_worker="sw1",
            **extra,
        )
    )


def leo() -> Case:
    return (
        leo_icpc(chair_independent=True, chair_conflicts=[])
        .complete("core_group_meeting", "2025-07-08T10:00:00+01:00", "sw1", held_on="2025-07-08")
        .complete(
            "review_conference",
            "2025-09-22T10:00:00+01:00",
            "chair1",
            held_on="2025-09-22",
            decision="continue",
            chair_independent=True,
        )
        .complete(
            "review_conference",
            "2026-03-10T10:00:00+00:00",
            "chair1",
            held_on="2026-03-10",
            decision="end_plan",
            next="cin_plan",
            chair_independent=True,
        )
        .complete("draft_cin_plan", "2026-03-11T10:00:00+00:00", "sw1", plan_summary="Step down")
        .complete("approve_cin_plan", "2026-03-12T10:00:00+00:00", "ps1", approved=True, starts_on="2026-03-12")
    )


def statuses(report: dict[str, list[RuleResult]], rule: str) -> list[str]:
    return [row.status for row in report[rule]]


def test_the_report_names_every_rule_of_working_together_at_least_once() -> None:
    report = Case("2025-06-06T14:00:00+01:00").report("2025-06-06")
    assert set(report) == set(RULE_IDS)
    assert statuses(report, "s47-social-worker") == ["not_applicable"]
    assert report["s47-social-worker"][0].detail == "Not applicable: no section 47 enquiry was started."


def test_a_row_serialises_with_iso_dates() -> None:
    row = mia().row("referral-decision-1wd", "2025-12-30")
    assert row.to_dict() == {
        "rule": "referral-decision-1wd",
        "status": "overdue",
        "due_on": "2025-12-29",
        "met_on": None,
        "actor": None,
        "reason": None,
        "detail": row.detail,
        "started_on": "2025-12-24",
    }


# --- referral-decision-1wd ----------------------------------------------------------------------


def test_a_christmas_eve_referral_still_undecided_on_30_december_is_overdue() -> None:
    row = mia().row("referral-decision-1wd", "2025-12-30")
    assert (row.status, row.due_on) == ("overdue", date(2025, 12, 29))
    assert "Monday 29 December 2025" in row.detail


def test_a_christmas_eve_referral_decided_late_with_a_reason_is_breached_with_that_reason() -> None:
    case = mia().complete(
        "referral_decision",
        "2025-12-30T09:00:00+00:00",
        "fd1",
        decision="nfa",
        delay_reason="Front door short-staffed over the bank holidays.",
    )
    row = case.row("referral-decision-1wd", "2025-12-30")
    assert (row.status, row.due_on, row.met_on, row.actor) == (
        "breached",
        date(2025, 12, 29),
        date(2025, 12, 30),
        "fd1",
    )
    assert row.reason == "Front door short-staffed over the bank holidays."
    assert "short-staffed" in row.detail and "fd1" in row.detail


def test_a_referral_decided_late_without_a_reason_is_breached_and_says_none_was_recorded() -> None:
    case = mia().complete("referral_decision", "2025-12-31T09:00:00+00:00", "fd1", decision="nfa")
    row = case.row("referral-decision-1wd", "2025-12-31")
    assert (row.status, row.reason) == ("breached", None)
    assert "no reason for the delay was recorded" in row.detail


def test_a_referral_still_undecided_on_its_due_day_is_pending() -> None:
    assert mia().row("referral-decision-1wd", "2025-12-29").status == "pending"


def test_a_friday_referral_decided_on_monday_is_met() -> None:
    row = leo_referred().row("referral-decision-1wd", "2025-06-09")
    assert (row.status, row.due_on, row.met_on) == ("met", date(2025, 6, 9), date(2025, 6, 9))


def test_a_decision_made_at_half_past_midnight_british_summer_time_counts_on_the_london_date() -> None:
    case = Case("2025-06-06T14:00:00+01:00").complete(
        "referral_decision", "2025-06-09T23:30:00+00:00", "fd1", decision="nfa", delay_reason="Late call"
    )
    assert case.row("referral-decision-1wd", "2025-06-10").status == "breached"


def test_a_referral_decided_early_help_the_next_day_is_met() -> None:
    case = Case("2026-01-12T11:00:00+00:00").complete(
        "referral_decision", "2026-01-13T10:00:00+00:00", "fd1", decision="early_help"
    )
    row = case.row("referral-decision-1wd", "2026-01-13")
    assert (row.status, row.due_on) == ("met", date(2026, 1, 13))


# --- the s17 pathway (s17-family-support-worker-cin-plan.json) -----------------------------------


def test_the_s17_scenario_meets_every_rule_the_acceptance_test_checks() -> None:
    report = ava().report("2025-12-01")
    assert report["referral-decision-1wd"][0].due_on == date(2025, 4, 22)
    assert [(r.status, r.due_on) for r in report["assessment-45wd"]] == [("met", date(2025, 6, 25))]
    for rule in (
        "referral-decision-1wd",
        "assessment-approval",
        "plan-approval",
        "lead-practitioner-allocation",
        "closure-authorised",
    ):
        assert statuses(report, rule) == ["met"], rule
    assert statuses(report, "cin-review-cadence") == ["met", "met"]
    assert [r.due_on for r in report["cin-review-cadence"]] == [date(2025, 9, 5), date(2025, 12, 1)]
    assert statuses(report, "assessment-planned-date") == ["not_applicable"]


def test_an_allocation_the_practitioner_did_not_agree_to_is_breached() -> None:
    case = (
        Case("2025-08-22T12:00:00+01:00")
        .complete("referral_decision", "2025-08-26T10:00:00+01:00", "fd1", decision="assessment")
        .complete(
            "allocate_lead_practitioner",
            "2025-08-26T11:00:00+01:00",
            "ps1",
            lead_practitioner="ps2",
            practitioner_agreed=False,
        )
    )
    row = case.row("lead-practitioner-allocation", "2025-08-27")
    assert row.status == "breached" and "ps2 agreed" in row.detail


def test_an_allocation_recorded_as_ineligible_or_by_a_non_supervisor_is_breached() -> None:
    case = (
        Case("2025-08-22T12:00:00+01:00")
        .complete("referral_decision", "2025-08-26T10:00:00+01:00", "fd1", decision="assessment")
        .complete(
            "allocate_lead_practitioner",
            "2025-08-26T11:00:00+01:00",
            "sw1",
            lead_practitioner="fsw1",
            practitioner_agreed=True,
            eligible=False,
        )
    )
    row = case.row("lead-practitioner-allocation", "2025-08-27")
    assert row.status == "breached"
    assert "not eligible under the local protocol" in row.detail and "sw1 is not a practice supervisor" in row.detail


def test_an_allocation_not_made_by_the_next_working_day_is_overdue() -> None:
    case = Case("2025-08-22T12:00:00+01:00").complete(
        "referral_decision", "2025-08-26T10:00:00+01:00", "fd1", decision="assessment"
    )
    assert case.row("lead-practitioner-allocation", "2025-08-27").status == "pending"
    row = case.row("lead-practitioner-allocation", "2025-08-28")
    assert (row.status, row.due_on) == ("overdue", date(2025, 8, 27))


def _zoe() -> Case:
    return (
        Case("2025-08-22T12:00:00+01:00")
        .complete("referral_decision", "2025-08-26T10:00:00+01:00", "fd1", decision="assessment")
        .complete(
            "allocate_lead_practitioner",
            "2025-08-26T10:30:00+01:00",
            "ps1",
            lead_practitioner="ps2",
            practitioner_agreed=True,
        )
        .complete("child_and_family_assessment", "2025-09-19T15:00:00+01:00", "ps2", recommendation="nfa")
        .complete("approve_assessment", "2025-09-22T09:00:00+01:00", "ps1", approved=False, comments="More")
        .complete("child_and_family_assessment", "2025-09-23T15:00:00+01:00", "ps2", recommendation="nfa")
    )


def test_an_assessment_sent_back_and_then_approved_by_another_supervisor_is_one_met_assessment() -> None:
    report = (
        _zoe()
        .complete("approve_assessment", "2025-09-24T09:00:00+01:00", "ps1", approved=True, outcome="nfa")
        .report("2025-09-24")
    )
    for rule in ("assessment-approval", "assessment-45wd", "lead-practitioner-allocation", "closure-authorised"):
        assert statuses(report, rule) == ["met"], rule
    assert report["assessment-approval"][0].met_on == date(2025, 9, 24)
    assert "written by ps2" in report["assessment-approval"][0].detail


def test_an_assessment_approved_by_its_own_author_is_breached() -> None:
    row = (
        _zoe()
        .complete("approve_assessment", "2025-09-24T09:00:00+01:00", "ps2", approved=True, outcome="nfa")
        .row("assessment-approval", "2025-09-24")
    )
    assert (row.status, row.actor) == ("breached", "ps2")
    assert "ps2 is also its author" in row.detail


def test_an_assessment_awaiting_approval_is_pending_and_within_45_days_so_is_the_clock() -> None:
    report = _zoe().report("2025-09-24")
    assert statuses(report, "assessment-approval") == ["pending"]
    assert [(r.status, r.due_on) for r in report["assessment-45wd"]] == [("pending", date(2025, 10, 27))]


def test_an_assessment_not_authorised_within_45_working_days_is_overdue_then_breached_with_its_reason() -> None:
    case = _zoe()
    assert case.row("assessment-45wd", "2025-10-27").status == "pending"
    assert case.row("assessment-45wd", "2025-10-28").status == "overdue"
    case.complete(
        "approve_assessment",
        "2025-10-28T09:00:00+00:00",
        "ps1",
        approved=True,
        outcome="nfa",
        delay_reason="Supervisor on leave.",
    )
    row = case.row("assessment-45wd", "2025-10-28")
    assert (row.status, row.reason, row.actor) == ("breached", "Supervisor on leave.", "ps2")


def _planned(planned: str) -> Case:
    return (
        Case("2025-04-17T10:15:00+01:00")
        .complete("referral_decision", "2025-04-22T09:30:00+01:00", "fd1", decision="assessment")
        .complete(
            "allocate_lead_practitioner",
            "2025-04-22T11:00:00+01:00",
            "ps1",
            lead_practitioner="fsw1",
            practitioner_agreed=True,
            planned_completion_on=planned,
        )
    )


def test_an_assessment_submitted_by_its_planned_date_meets_it() -> None:
    case = _planned("2025-05-30").complete(
        "child_and_family_assessment", "2025-05-30T16:00:00+01:00", "fsw1", recommendation="cin_plan"
    )
    row = case.row("assessment-planned-date", "2025-06-01")
    assert (row.status, row.due_on, row.actor) == ("met", date(2025, 5, 30), "fsw1")


def test_an_assessment_submitted_after_its_planned_date_is_breached_with_the_reason() -> None:
    case = _planned("2025-05-16").complete(
        "child_and_family_assessment",
        "2025-05-30T16:00:00+01:00",
        "fsw1",
        recommendation="cin_plan",
        delay_reason="Family unavailable.",
    )
    row = case.row("assessment-planned-date", "2025-06-01")
    assert (row.status, row.reason) == ("breached", "Family unavailable.")
    assert case.row("assessment-45wd", "2025-06-01").status == "pending"


def test_an_assessment_past_its_planned_date_is_overdue_though_the_45_day_clock_runs_on() -> None:
    report = _planned("2025-05-16").report("2025-05-19")
    assert statuses(report, "assessment-planned-date") == ["overdue"]
    assert statuses(report, "assessment-45wd") == ["pending"]


def test_a_cin_plan_approved_by_its_author_or_after_it_started_is_breached() -> None:
    case = (
        ava_assessed()
        .complete("draft_cin_plan", "2025-06-04T10:00:00+01:00", "ps1", plan_summary="Support")
        .complete("approve_cin_plan", "2025-06-05T10:00:00+01:00", "ps1", approved=True, starts_on="2025-06-03")
    )
    row = case.row("plan-approval", "2025-06-05")
    assert row.status == "breached"
    assert "ps1 is also its author" in row.detail and "Tuesday 3 June 2025" in row.detail


def test_a_drafted_cin_plan_awaiting_approval_is_pending() -> None:
    case = ava_assessed().complete("draft_cin_plan", "2025-06-04T10:00:00+01:00", "fsw1", plan_summary="Support")
    assert statuses(case.report("2025-06-05"), "plan-approval") == ["pending"]


def test_a_cin_review_missed_is_overdue_and_a_late_one_is_breached_with_its_reason() -> None:
    case = ava_plan()
    assert case.row("cin-review-cadence", "2025-09-05").status == "pending"
    assert case.row("cin-review-cadence", "2025-09-06").status == "overdue"
    case.complete(
        "cin_review",
        "2025-09-09T10:00:00+01:00",
        "fsw1",
        held_on="2025-09-08",
        outcome="continue",
        delay_reason="Mother in hospital.",
    )
    report = case.report("2025-09-09")
    assert [(r.status, r.reason) for r in report["cin-review-cadence"]] == [
        ("breached", "Mother in hospital."),
        ("pending", None),
    ]
    assert report["cin-review-cadence"][1].due_on == date(2025, 12, 8)


def test_a_cin_review_that_falls_away_when_the_case_closes_before_it_is_due_is_not_applicable() -> None:
    report = ava_plan().close("2025-07-01T10:00:00+01:00").report("2025-07-01")
    assert statuses(report, "cin-review-cadence") == ["not_applicable"]
    assert statuses(report, "closure-authorised") == ["met"]


def test_a_cin_review_still_missing_when_the_case_closes_after_it_was_due_is_breached() -> None:
    report = ava_plan().close("2025-10-01T10:00:00+01:00").report("2025-10-01")
    assert statuses(report, "cin-review-cadence") == ["breached"]


# --- closure-authorised -------------------------------------------------------------------------


def test_a_referral_closed_at_the_front_door_is_not_a_closure_the_supervisor_authorises() -> None:
    report = (
        mia().complete("referral_decision", "2025-12-29T09:00:00+00:00", "fd1", decision="nfa").report("2025-12-29")
    )
    assert statuses(report, "closure-authorised") == ["not_applicable"]
    assert "front door" in report["closure-authorised"][0].detail


def test_a_closure_without_a_census_reason_is_breached() -> None:
    row = ava_plan().close("2025-07-01T10:00:00+01:00", reason=None).row("closure-authorised", "2025-07-01")
    assert row.status == "breached" and "RC1-RC9" in row.detail


def test_a_closure_dated_before_the_last_activity_is_breached() -> None:
    row = ava_plan().close("2025-07-01T10:00:00+01:00", closed_on="2025-06-01").row("closure-authorised", "2025-07-01")
    assert row.status == "breached" and "approve_cin_plan" in row.detail


def test_a_closure_by_someone_who_is_not_a_practice_supervisor_is_breached() -> None:
    case = ava_plan().complete("cin_review", "2025-09-01T10:00:00+01:00", "fsw1", held_on="2025-09-01", outcome="close")
    case.complete("close_case", "2025-09-02T10:00:00+01:00", "fsw1", reason="RC7", closed_on="2025-09-02")
    assert case.row("closure-authorised", "2025-09-02").status == "breached"


# --- child protection (child-protection-conference-and-plan.json) --------------------------------


def test_the_child_protection_scenario_meets_every_rule_the_acceptance_test_checks() -> None:
    report = leo().report("2026-03-12")
    expected = {
        "referral-decision-1wd": date(2025, 6, 9),
        "icpc-15wd": date(2025, 7, 1),
        "core-group-10wd": date(2025, 7, 11),
        "rcpc-3m": date(2025, 9, 27),
        "rcpc-6m": date(2026, 3, 22),
        "assessment-45wd": date(2025, 8, 8),
    }
    for rule, due in expected.items():
        assert [(r.status, r.due_on) for r in report[rule]] == [("met", due)], rule
    for rule in (
        "strategy-discussion-multiagency",
        "s47-social-worker",
        "cp-plan-starts-at-icpc",
        "cp-plan-ends-at-review",
        "plan-approval",
    ):
        assert statuses(report, rule) == ["met"], rule
    assert statuses(report, "chair-independent") == ["met", "met", "met"]
    assert statuses(report, "cin-review-cadence") == ["pending"]
    assert report["assessment-45wd"][0].met_on == date(2025, 6, 23)


def test_a_strategy_discussion_without_police_under_a_recorded_exception_is_breached_with_that_reason() -> None:
    case = leo_referred().complete(
        "strategy_discussion",
        "2025-06-10T15:00:00+01:00",
        "lcpp1",
        held_on="2025-06-10",
        decision="no_s47",
        participants=PARTICIPANTS[::2],
        exception_reason="Police unavailable; child safe with grandmother.",
    )
    row = case.row("strategy-discussion-multiagency", "2025-06-10")
    assert (row.status, row.reason) == ("breached", "Police unavailable; child safe with grandmother.")
    assert "without police under a recorded exception" in row.detail


def test_a_strategy_discussion_without_health_and_no_exception_is_breached_without_a_reason() -> None:
    case = leo_referred().complete(
        "strategy_discussion",
        "2025-06-10T15:00:00+01:00",
        "lcpp1",
        held_on="2025-06-10",
        decision="no_s47",
        participants=PARTICIPANTS[:2],
    )
    row = case.row("strategy-discussion-multiagency", "2025-06-10")
    assert (row.status, row.reason) == ("breached", None)
    assert "without health with no exception recorded" in row.detail


def test_a_strategy_discussion_held_late_is_breached_with_the_delay_reason() -> None:
    case = leo_referred().complete(
        "strategy_discussion",
        "2025-06-12T15:00:00+01:00",
        "lcpp1",
        held_on="2025-06-11",
        decision="no_s47",
        participants=PARTICIPANTS,
        delay_reason="Police could not attend.",
    )
    row = case.row("strategy-discussion-multiagency", "2025-06-12")
    assert (row.status, row.met_on, row.reason) == ("breached", date(2025, 6, 11), "Police could not attend.")


def test_a_strategy_discussion_recorded_late_but_held_on_time_is_met() -> None:
    case = leo_referred().complete(
        "strategy_discussion",
        "2025-06-12T15:00:00+01:00",
        "lcpp1",
        held_on="2025-06-10",
        decision="no_s47",
        participants=PARTICIPANTS,
        delay_reason="Recorded late.",
    )
    assert case.row("strategy-discussion-multiagency", "2025-06-12").status == "met"


def test_a_concern_raised_on_a_friday_needs_a_strategy_discussion_by_monday() -> None:
    case = ava_plan().event("child_protection_concern", "2025-07-04T16:00:00+01:00")
    assert case.row("strategy-discussion-multiagency", "2025-07-07").status == "pending"
    row = case.row("strategy-discussion-multiagency", "2025-07-08")
    assert (row.status, row.due_on) == ("overdue", date(2025, 7, 7))


def test_a_section_47_enquiry_by_a_family_support_worker_is_breached() -> None:
    row = leo_s47(by="fsw1").row("s47-social-worker", "2025-06-20")
    assert (row.status, row.actor) == ("breached", "fsw1")
    assert "fsw1, who carried it out, is not a registered social worker" in row.detail


def test_a_section_47_enquiry_completed_within_ten_working_days_by_a_social_worker_is_met() -> None:
    row = leo_s47().row("s47-social-worker", "2025-06-20")
    assert (row.status, row.due_on) == ("met", date(2025, 6, 24))


def test_a_section_47_enquiry_late_is_breached_and_one_still_open_is_pending_then_overdue() -> None:
    assert leo_s47(at="2025-06-25T12:00:00+01:00").row("s47-social-worker", "2025-06-25").status == "breached"
    open_case = leo_referred().complete(
        "strategy_discussion",
        "2025-06-10T15:00:00+01:00",
        "lcpp1",
        held_on="2025-06-10",
        participants=PARTICIPANTS,
        decision="s47",
    )
    assert open_case.row("s47-social-worker", "2025-06-24").status == "pending"
    assert open_case.row("s47-social-worker", "2025-06-25").status == "overdue"


def test_an_icpc_held_after_15_working_days_is_breached_and_one_not_yet_held_is_overdue() -> None:
    assert leo_icpc(held_on="2025-07-02").row("icpc-15wd", "2025-07-02").status == "breached"
    waiting = leo_s47().complete("approve_section47", "2025-06-23T10:00:00+01:00", "ps1", approved=True, outcome="icpc")
    assert waiting.row("icpc-15wd", "2025-07-01").status == "pending"
    assert waiting.row("icpc-15wd", "2025-07-02").status == "overdue"


def test_a_chair_recorded_as_not_independent_is_breached_naming_the_conflict() -> None:
    row = leo_icpc(chair_independent=False, chair_conflicts=["line manager of the lead social worker"]).row(
        "chair-independent", "2025-06-27"
    )
    assert row.status == "breached" and "line manager of the lead social worker" in row.detail


def test_a_chair_who_allocated_the_case_is_not_independent_even_when_nothing_was_recorded() -> None:
    case = (
        Case("2025-06-06T14:00:00+01:00")
        .complete("referral_decision", "2025-06-09T09:00:00+01:00", "fd1", decision="assessment")
        .complete(
            "allocate_lead_practitioner",
            "2025-06-09T10:00:00+01:00",
            "chair1",
            lead_practitioner="sw1",
            practitioner_agreed=True,
        )
        .event("child_protection_concern", "2025-06-10T10:00:00+01:00")
        .complete(
            "strategy_discussion",
            "2025-06-10T15:00:00+01:00",
            "lcpp1",
            held_on="2025-06-10",
            participants=PARTICIPANTS,
            decision="s47",
            lead_social_worker="sw1",
        )
        .complete("section47_enquiry", "2025-06-20T12:00:00+01:00", "sw1", recommendation="icpc")
        .complete("approve_section47", "2025-06-23T10:00:00+01:00", "ps1", approved=True, outcome="icpc")
        .complete("schedule_icpc", "2025-06-23T11:00:00+01:00", "bs1", chair="chair1")
        .complete(
            "hold_icpc", "2025-06-27T13:00:00+01:00", "chair1", held_on="2025-06-27", decision="no_plan", next="close"
        )
    )
    row = case.row("chair-independent", "2025-06-27")
    assert row.status == "breached" and "the allocating practice supervisor" in row.detail


def test_an_lcpp_chairing_is_breached_unless_the_local_protocol_allows_it_and_always_shown() -> None:
    case = leo_icpc(chair="lcpp1")
    assert case.row("chair-independent", "2025-06-27").status == "breached"
    allowed = case.report("2025-06-27", LocalProtocol(lcpp_may_chair=True))["chair-independent"][0]
    assert allowed.status == "met" and "lead child protection practitioner" in allowed.detail


def test_a_cin_plan_approved_while_a_cp_plan_is_open_breaches_the_one_plan_rule() -> None:
    case = leo_icpc().complete("core_group_meeting", "2025-07-08T10:00:00+01:00", "sw1", held_on="2025-07-08")
    case._create("draft_cin_plan")
    case.complete("draft_cin_plan", "2025-07-09T10:00:00+01:00", "sw1", plan_summary="x").complete(
        "approve_cin_plan", "2025-07-10T10:00:00+01:00", "ps1", approved=True, starts_on="2025-07-10"
    )
    row = case.row("cp-plan-starts-at-icpc", "2025-07-10")
    assert row.status == "breached" and "child in need plan was approved by ps1" in row.detail


def test_a_core_group_held_late_is_breached_and_a_missing_one_is_overdue() -> None:
    case = leo_icpc()
    assert case.row("core-group-10wd", "2025-07-11").status == "pending"
    assert case.row("core-group-10wd", "2025-07-14").status == "overdue"
    case.complete(
        "core_group_meeting",
        "2025-07-14T10:00:00+01:00",
        "sw1",
        held_on="2025-07-14",
        delay_reason="Health visitor unavailable.",
    )
    row = case.row("core-group-10wd", "2025-07-14")
    assert (row.status, row.reason) == ("breached", "Health visitor unavailable.")


def test_a_first_review_conference_after_three_months_is_breached_and_the_next_is_due_six_months_on() -> None:
    case = leo_icpc().complete(
        "review_conference",
        "2025-09-30T10:00:00+01:00",
        "chair1",
        held_on="2025-09-29",
        decision="continue",
        delay_reason="Chair ill.",
    )
    report = case.report("2025-10-01")
    assert [(r.status, r.due_on) for r in report["rcpc-3m"]] == [("breached", date(2025, 9, 27))]
    assert [(r.status, r.due_on) for r in report["rcpc-6m"]] == [("pending", date(2026, 3, 29))]


def test_a_review_conference_not_held_by_its_date_is_overdue() -> None:
    assert leo_icpc().row("rcpc-3m", "2025-09-28").status == "overdue"


def test_an_icpc_on_30_november_needs_its_first_review_by_the_end_of_february() -> None:
    case = leo_icpc(held_on="2025-11-30")
    assert case.row("rcpc-3m", "2025-12-01").due_on == date(2026, 2, 28)


def test_a_cp_plan_ended_by_closing_the_case_is_breached_and_an_open_one_is_pending() -> None:
    case = leo_icpc()
    assert statuses(case.report("2025-07-01"), "cp-plan-ends-at-review") == ["pending"]
    row = case.close("2025-08-01T10:00:00+01:00").row("cp-plan-ends-at-review", "2025-08-01")
    assert row.status == "breached" and "by the case being closed" in row.detail


# --- fgdm-before-proceedings --------------------------------------------------------------------


def _proceedings(offered: bool = True, **letter: Any) -> Case:
    return (
        leo()
        .event("pre_proceedings", "2026-04-01T10:00:00+01:00")
        .complete(
            "letter_before_proceedings",
            "2026-04-02T10:00:00+01:00",
            "sw1",
            sent_on="2026-04-02",
            fgdm_offered=offered,
            **letter,
        )
    )


def test_an_fgdm_meeting_held_before_the_care_application_meets_the_duty() -> None:
    case = (
        _proceedings()
        .complete("fgdm_meeting", "2026-04-10T10:00:00+01:00", "sw1", outcome="held", held_on="2026-04-09")
        .complete("care_application", "2026-04-20T10:00:00+01:00", "ps1", issued_on="2026-04-20")
    )
    row = case.row("fgdm-before-proceedings", "2026-04-20")
    assert (row.status, row.met_on) == ("met", date(2026, 4, 9))


def test_fgdm_offered_but_not_yet_held_is_pending() -> None:
    assert _proceedings().row("fgdm-before-proceedings", "2026-04-03").status == "pending"


def test_a_best_interests_exception_settles_the_duty_with_its_reason() -> None:
    row = _proceedings(False, fgdm_exception_reason="Risk of harm from the wider family.").row(
        "fgdm-before-proceedings", "2026-04-03"
    )
    assert (row.status, row.reason) == ("met", "Risk of harm from the wider family.")


def test_a_letter_that_offers_no_fgdm_and_records_no_exception_is_breached() -> None:
    assert _proceedings(False).row("fgdm-before-proceedings", "2026-04-03").status == "breached"


def test_an_application_issued_before_the_fgdm_meeting_is_breached() -> None:
    case = _proceedings()
    case._create("care_application")
    case.complete("care_application", "2026-04-05T10:00:00+01:00", "ps1", issued_on="2026-04-05")
    row = case.row("fgdm-before-proceedings", "2026-04-05")
    assert row.status == "breached" and "Sunday 5 April 2026" in row.detail
