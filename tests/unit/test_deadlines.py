"""Statutory due dates of tasks (casepath/domain/deadlines.py), including every due_on of the acceptance scenarios."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from casepath.domain.calendar import TRIGGER_DAY_ONE, WorkingDayCalendar
from casepath.domain.deadlines import Deadline, due_for_step, planned_date_limit
from casepath.domain.events import Event
from casepath.domain.protocol import DEFAULT_PROTOCOL, LocalProtocol, Timescales
from casepath.domain.rules import RULE_IDS

CALENDAR = WorkingDayCalendar()


class Record:
    """A case's events as the services record them: only what deadlines read."""

    def __init__(self, received_at: str) -> None:
        moment = datetime.fromisoformat(received_at)
        self.events: list[Event] = []
        self._add("case_opened", moment, "fd1", {"received_at": received_at, "received_on": moment.date().isoformat()})

    def _add(self, name: str, at: datetime, actor: str | None, data: dict[str, Any]) -> Record:
        self.events.append(Event(len(self.events) + 1, name, at, actor, data))
        return self

    def complete(self, step: str, at: str, by: str = "sw1", **form: Any) -> Record:
        moment = datetime.fromisoformat(at)
        data = {"step": step, "data": form, "completed_on": moment.date().isoformat()}
        return self._add("task_completed", moment, by, data)

    def concern(self, at: str) -> Record:
        data = {"name": "child_protection_concern", "data": {"reason": "bruising"}}
        return self._add("case_event", datetime.fromisoformat(at), "ps1", data)

    def due(
        self, step: str, protocol: LocalProtocol = DEFAULT_PROTOCOL, calendar: WorkingDayCalendar = CALENDAR
    ) -> Deadline | None:
        return due_for_step(step, self.events, calendar, protocol)


def leo() -> Record:
    """child-protection-conference-and-plan.json up to the ICPC."""
    return (
        Record("2025-06-06T14:00:00+01:00")
        .complete("referral_decision", "2025-06-09T09:00:00+01:00", by="fd1", decision="strategy_discussion")
        .complete(
            "strategy_discussion",
            "2025-06-10T15:00:00+01:00",
            by="lcpp1",
            held_on="2025-06-10",
            decision="s47",
            lead_social_worker="sw1",
        )
        .complete("section47_enquiry", "2025-06-20T12:00:00+01:00", started_on="2025-06-10", recommendation="icpc")
        .complete("approve_section47", "2025-06-23T10:00:00+01:00", by="ps1", approved=True, outcome="icpc")
    )


def test_every_rule_of_working_together_is_in_the_rule_table() -> None:
    assert len(RULE_IDS) == 18
    assert "closure-authorised" in RULE_IDS and "fgdm-before-proceedings" in RULE_IDS


def test_a_friday_referral_is_due_for_decision_on_monday() -> None:
    assert leo().due("referral_decision") == Deadline("referral-decision-1wd", date(2025, 6, 9))


def test_a_referral_on_christmas_eve_is_due_for_decision_on_29_december() -> None:
    record = Record("2025-12-24T16:30:00+00:00")
    assert record.due("referral_decision") == Deadline("referral-decision-1wd", date(2025, 12, 29))


def test_a_referral_on_a_monday_in_january_is_due_for_decision_the_next_day() -> None:
    assert Record("2026-01-12T11:00:00+00:00").due("referral_decision") == Deadline(
        "referral-decision-1wd", date(2026, 1, 13)
    )


def test_a_referral_before_easter_is_due_for_decision_after_easter_monday() -> None:
    assert Record("2025-04-17T10:15:00+01:00").due("referral_decision") == Deadline(
        "referral-decision-1wd", date(2025, 4, 22)
    )


def test_a_referral_before_the_august_bank_holiday_is_due_on_the_tuesday() -> None:
    assert Record("2025-08-22T12:00:00+01:00").due("referral_decision") == Deadline(
        "referral-decision-1wd", date(2025, 8, 26)
    )


def test_a_referral_received_late_in_a_summer_evening_counts_from_the_london_date() -> None:
    record = Record("2025-06-05T23:30:00+00:00")  # 00:30 BST on Friday 6 June
    record.events[0] = replace(record.events[0], data={"received_at": "2025-06-05T23:30:00+00:00"})
    assert record.due("referral_decision") == Deadline("referral-decision-1wd", date(2025, 6, 9))


def test_allocation_is_due_one_working_day_after_the_decision_to_assess() -> None:
    record = Record("2025-08-22T12:00:00+01:00").complete(
        "referral_decision", "2025-08-26T10:00:00+01:00", by="fd1", decision="assessment"
    )
    assert record.due("allocate_lead_practitioner") == Deadline("lead-practitioner-allocation", date(2025, 8, 27))


def test_allocation_follows_the_local_timescale() -> None:
    record = Record("2025-08-22T12:00:00+01:00").complete(
        "referral_decision", "2025-08-26T10:00:00+01:00", by="fd1", decision="assessment"
    )
    protocol = LocalProtocol(timescales=Timescales(allocation_wd=3))
    assert record.due("allocate_lead_practitioner", protocol) == Deadline(
        "lead-practitioner-allocation", date(2025, 8, 29)
    )


def test_a_strategy_discussion_deciding_no_s47_anchors_allocation_on_the_day_it_was_held() -> None:
    record = (
        Record("2025-06-06T14:00:00+01:00")
        .complete("referral_decision", "2025-06-09T09:00:00+01:00", decision="strategy_discussion")
        .complete("strategy_discussion", "2025-06-12T09:00:00+01:00", held_on="2025-06-10", decision="no_s47")
    )
    assert record.due("allocate_lead_practitioner") == Deadline("lead-practitioner-allocation", date(2025, 6, 11))


def ava() -> Record:
    return Record("2025-04-17T10:15:00+01:00").complete(
        "referral_decision", "2025-04-22T09:30:00+01:00", by="fd1", decision="assessment"
    )


def test_an_assessment_without_a_planned_date_is_due_45_working_days_after_the_referral() -> None:
    record = ava().complete(
        "allocate_lead_practitioner",
        "2025-04-22T11:00:00+01:00",
        by="ps1",
        lead_practitioner="fsw1",
        practitioner_agreed=True,
    )
    assert record.due("child_and_family_assessment") == Deadline("assessment-45wd", date(2025, 6, 25))
    assert record.due("approve_assessment") == Deadline("assessment-45wd", date(2025, 6, 25))


def test_an_assessment_with_a_planned_date_is_due_on_that_date() -> None:
    record = ava().complete(
        "allocate_lead_practitioner",
        "2025-04-22T11:00:00+01:00",
        by="ps1",
        lead_practitioner="fsw1",
        practitioner_agreed=True,
        planned_completion_on="2025-05-30",
    )
    assert record.due("child_and_family_assessment") == Deadline("assessment-planned-date", date(2025, 5, 30))
    assert record.due("approve_assessment") == Deadline("assessment-45wd", date(2025, 6, 25))


def test_the_planned_date_may_be_at_most_45_working_days_after_the_referral() -> None:
    assert planned_date_limit(ava().events, CALENDAR) == date(2025, 6, 25)


def test_the_planned_date_limit_needs_a_referral() -> None:
    with pytest.raises(ValueError):
        planned_date_limit([], CALENDAR)


def test_a_referral_to_strategy_discussion_is_due_the_next_working_day() -> None:
    record = leo()
    record.events[:] = record.events[:2]
    assert record.due("strategy_discussion") == Deadline("strategy-discussion-multiagency", date(2025, 6, 10))


def test_a_child_protection_concern_raised_on_a_friday_needs_a_strategy_discussion_by_monday() -> None:
    record = ava().concern("2025-05-02T16:00:00+01:00")
    # Monday 5 May 2025 is the early May bank holiday.
    assert record.due("strategy_discussion") == Deadline("strategy-discussion-multiagency", date(2025, 5, 6))


def test_a_cin_review_deciding_on_a_strategy_discussion_counts_from_the_day_it_was_held() -> None:
    record = ava().complete(
        "cin_review", "2025-09-03T10:00:00+01:00", held_on="2025-09-01", outcome="strategy_discussion"
    )
    assert record.due("strategy_discussion") == Deadline("strategy-discussion-multiagency", date(2025, 9, 2))


def test_an_assessment_approved_towards_a_strategy_discussion_counts_from_the_approval() -> None:
    record = ava().complete(
        "approve_assessment", "2025-06-02T10:00:00+01:00", by="ps1", approved=True, outcome="strategy_discussion"
    )
    assert record.due("strategy_discussion") == Deadline("strategy-discussion-multiagency", date(2025, 6, 3))


def test_the_s47_enquiry_is_due_ten_working_days_after_the_strategy_discussion() -> None:
    record = leo()
    record.events[:] = record.events[:3]
    assert record.due("section47_enquiry") == Deadline("s47-social-worker", date(2025, 6, 24))


def test_the_icpc_is_due_15_working_days_after_the_strategy_discussion() -> None:
    assert leo().due("schedule_icpc") == Deadline("icpc-15wd", date(2025, 7, 1))
    assert leo().due("hold_icpc") == Deadline("icpc-15wd", date(2025, 7, 1))


def _second_discussion() -> Record:
    record = leo()
    record.events[:] = record.events[:3]
    return (
        record.complete(
            "strategy_discussion",
            "2025-06-13T10:00:00+01:00",
            by="lcpp1",
            held_on="2025-06-13",
            decision="s47",
            lead_social_worker="sw1",
        )
        .complete("section47_enquiry", "2025-06-20T12:00:00+01:00", recommendation="icpc")
        .complete("approve_section47", "2025-06-23T10:00:00+01:00", by="ps1", approved=True, outcome="icpc")
    )


def test_the_icpc_counts_from_the_discussion_that_started_s47_by_default() -> None:
    assert _second_discussion().due("schedule_icpc") == Deadline("icpc-15wd", date(2025, 7, 1))


def test_the_icpc_counts_from_the_last_discussion_when_the_protocol_says_so() -> None:
    protocol = LocalProtocol(icpc_anchor="last")
    assert _second_discussion().due("schedule_icpc", protocol) == Deadline("icpc-15wd", date(2025, 7, 4))


def test_a_later_s47_enquiry_counts_its_icpc_from_its_own_discussion() -> None:
    record = (
        leo()
        .complete(
            "hold_icpc",
            "2025-06-27T13:00:00+01:00",
            by="chair1",
            held_on="2025-06-27",
            decision="no_plan",
            next="cin_plan",
        )
        .concern("2025-09-01T10:00:00+01:00")
        .complete("strategy_discussion", "2025-09-02T10:00:00+01:00", by="lcpp1", held_on="2025-09-02", decision="s47")
        .complete("section47_enquiry", "2025-09-10T10:00:00+01:00", recommendation="icpc")
        .complete("approve_section47", "2025-09-11T10:00:00+01:00", by="ps1", approved=True, outcome="icpc")
    )
    assert record.due("schedule_icpc") == Deadline("icpc-15wd", date(2025, 9, 23))


def _plan() -> Record:
    return leo().complete(
        "hold_icpc",
        "2025-06-27T13:00:00+01:00",
        by="chair1",
        held_on="2025-06-27",
        decision="cp_plan",
        lead_social_worker="sw1",
    )


def test_the_first_core_group_is_due_ten_working_days_after_the_icpc() -> None:
    assert _plan().due("core_group_meeting") == Deadline("core-group-10wd", date(2025, 7, 11))


def test_later_core_groups_follow_a_local_cadence_and_have_no_national_deadline() -> None:
    record = _plan().complete("core_group_meeting", "2025-07-08T10:00:00+01:00", held_on="2025-07-08")
    assert record.due("core_group_meeting") is None


def test_the_first_review_conference_is_due_three_months_after_the_icpc() -> None:
    assert _plan().due("review_conference") == Deadline("rcpc-3m", date(2025, 9, 27))


def test_later_review_conferences_are_due_six_months_after_the_previous_one() -> None:
    record = _plan().complete(
        "review_conference", "2025-09-23T10:00:00+01:00", by="chair1", held_on="2025-09-22", decision="continue"
    )
    assert record.due("review_conference") == Deadline("rcpc-6m", date(2026, 3, 22))


def _cin_plan(starts_on: str = "2025-06-05") -> Record:
    return ava().complete("approve_cin_plan", "2025-06-05T10:00:00+01:00", by="ps1", approved=True, starts_on=starts_on)


def test_the_first_cin_review_is_due_three_months_after_the_plan_starts() -> None:
    assert _cin_plan().due("cin_review") == Deadline("cin-review-cadence", date(2025, 9, 5))


def test_the_next_cin_review_counts_from_the_previous_review() -> None:
    record = _cin_plan().complete(
        "cin_review", "2025-09-01T10:00:00+01:00", by="fsw1", held_on="2025-09-01", outcome="continue"
    )
    assert record.due("cin_review") == Deadline("cin-review-cadence", date(2025, 12, 1))


def test_a_new_cin_plan_restarts_the_review_cadence_and_an_unapproved_one_does_not() -> None:
    reviewed = _cin_plan().complete(
        "cin_review", "2025-09-01T10:00:00+01:00", by="fsw1", held_on="2025-09-01", outcome="continue"
    )
    replanned = reviewed.complete(
        "approve_cin_plan", "2025-10-01T10:00:00+01:00", by="ps1", approved=False, starts_on="2025-10-01"
    )
    assert replanned.due("cin_review") == Deadline("cin-review-cadence", date(2025, 12, 1))  # not approved
    replanned.complete("approve_cin_plan", "2025-10-02T10:00:00+01:00", by="ps1", approved=True, starts_on="2025-10-06")
    assert replanned.due("cin_review") == Deadline("cin-review-cadence", date(2026, 1, 6))  # the new plan's start
    alone = Record("2025-06-06T14:00:00+01:00").complete(
        "cin_review", "2025-09-01T10:00:00+01:00", held_on="2025-09-01"
    )
    assert alone.due("cin_review") == Deadline("cin-review-cadence", date(2025, 12, 1))  # held without a plan


def test_the_cin_review_cadence_is_local() -> None:
    protocol = LocalProtocol(timescales=Timescales(cin_review_months=6))
    assert _cin_plan().due("cin_review", protocol) == Deadline("cin-review-cadence", date(2025, 12, 5))


def test_a_cin_plan_starting_on_31_august_is_reviewed_by_30_november() -> None:
    assert _cin_plan("2025-08-31").due("cin_review") == Deadline("cin-review-cadence", date(2025, 11, 30))


def test_counting_the_trigger_day_as_day_one_brings_working_day_deadlines_forward() -> None:
    calendar = WorkingDayCalendar(convention=TRIGGER_DAY_ONE)
    assert Record("2025-06-09T10:00:00+01:00").due("referral_decision", calendar=calendar) == Deadline(
        "referral-decision-1wd", date(2025, 6, 9)
    )


@pytest.mark.parametrize(
    "step",
    [
        "draft_cin_plan",
        "approve_cin_plan",
        "close_case",
        "letter_before_proceedings",
        "fgdm_meeting",
        "care_application",
        "overdue_review",
        "unknown",
    ],
)
def test_steps_no_rule_times_have_no_deadline(step: str) -> None:
    assert leo().due(step) is None


def test_a_timed_step_without_its_anchor_has_no_deadline() -> None:
    assert Record("2025-06-06T14:00:00+01:00").due("section47_enquiry") is None
    assert Record("2025-06-06T14:00:00+01:00").due("review_conference") is None
