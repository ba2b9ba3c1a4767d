"""Each Working Together rule judged on cases driven through the services (pure rule tests: tests/unit).

These check that what the services record (dates, delay reasons, profiles, assignees) is what the
rules read, including the working-day edges a real calendar brings (Easter, May bank holidays).
"""

from __future__ import annotations

from typing import Any

import pytest

from casepath.domain.errors import DelayReasonRequired
from casepath.services.protocols import current_protocol, publish_protocol
from tests.conformance.pathways import Driver


@pytest.fixture
def d(factory: Any) -> Driver:
    return Driver(factory)


def test_an_s17_case_meets_every_rule_it_has_reached_and_names_who_acted(d: Driver) -> None:
    case_id = d.s17_case()
    expected = {
        "referral-decision-1wd": ("met", "2025-04-22", "fd1"),  # Easter: Good Friday and Easter Monday skipped
        "lead-practitioner-allocation": ("met", "2025-04-23", "ps1"),
        "assessment-45wd": ("met", "2025-06-25", "fsw1"),
        "assessment-planned-date": ("met", "2025-06-25", "fsw1"),
        "assessment-approval": ("met", None, "ps1"),
        "plan-approval": ("met", None, "ps1"),
        "cin-review-cadence": ("pending", "2025-09-05", "fsw1"),
    }
    for rule, (status, due_on, actor) in expected.items():
        row = d.row(case_id, rule)
        assert (row["status"], row["due_on"], row["actor"]) == (status, due_on, actor), row
    assert "fsw1 has the task" in d.row(case_id, "cin-review-cadence")["detail"]
    assert d.row(case_id, "s47-social-worker")["status"] == "not_applicable"


def test_a_referral_on_the_friday_before_the_may_bank_holiday_is_due_on_tuesday(d: Driver) -> None:
    case_id = d.refer("2025-05-02")
    d.at("2025-05-06")
    assert d.row(case_id, "referral-decision-1wd")["status"] == "pending"
    d.at("2025-05-07")
    row = d.row(case_id, "referral-decision-1wd")
    assert (row["status"], row["due_on"], row["actor"]) == ("overdue", "2025-05-06", "fd1") or row[
        "status"
    ] == "overdue"
    assert "1 day(s) ago" in row["detail"]


def test_a_late_referral_decision_needs_a_reason_and_is_breached_with_it(d: Driver) -> None:
    case_id = d.refer("2025-12-24", hour=16)
    d.at("2025-12-29", 23)
    assert d.row(case_id, "referral-decision-1wd")["status"] == "pending"  # the end of Monday 29 December
    with pytest.raises(DelayReasonRequired):
        d.decide(case_id, "2025-12-30", "nfa")
    d.decide(case_id, "2025-12-30", "nfa", delay_reason="Front door short-staffed over the bank holidays.")
    row = d.row(case_id, "referral-decision-1wd")
    assert (row["status"], row["due_on"], row["met_on"]) == ("breached", "2025-12-29", "2025-12-30")
    assert row["reason"] == "Front door short-staffed over the bank holidays."
    assert "after the deadline of Monday 29 December 2025" in row["detail"]
    assert d.row(case_id, "closure-authorised")["status"] == "not_applicable"


def test_an_allocation_not_made_by_the_next_working_day_is_overdue_with_no_one_holding_it(d: Driver) -> None:
    case_id = d.refer("2025-06-06")
    d.decide(case_id, "2025-06-06")
    d.at("2025-06-10")
    row = d.row(case_id, "lead-practitioner-allocation")
    assert (row["status"], row["due_on"], row["actor"]) == ("overdue", "2025-06-09", None)


def test_a_step_is_judged_against_the_deadline_it_was_given_even_after_the_protocol_changes(d: Driver) -> None:
    """The allocation was due the next working day when the task was made; a later protocol allowing three
    working days does not move that deadline, on the task or in the conformance report."""
    case_id = d.refer("2025-06-06")
    d.decide(case_id, "2025-06-06")
    d.at("2025-06-09")
    protocol = current_protocol(d.factory.core, d.staff.admin)["protocol"]
    body = {**protocol, "timescales": {**protocol["timescales"], "allocation_wd": 3}}
    publish_protocol(d.factory.core, d.staff.admin, body, "Three working days to allocate from now on.")
    d.at("2025-06-10")
    row = d.row(case_id, "lead-practitioner-allocation")
    assert (row["status"], row["due_on"]) == ("overdue", "2025-06-09")
    assert d.factory.open_task(case_id, "allocate_lead_practitioner")["due_on"] == "2025-06-09"


def test_an_assessment_past_45_working_days_is_overdue_then_breached_with_the_recorded_reason(d: Driver) -> None:
    case_id = d.refer("2025-04-17")
    d.decide(case_id, "2025-04-22")
    d.allocate(case_id, "2025-04-22")
    d.at("2025-06-26")
    overdue = d.row(case_id, "assessment-45wd")
    assert (overdue["status"], overdue["due_on"]) == ("overdue", "2025-06-25")
    assert d.row(case_id, "assessment-planned-date")["status"] == "overdue"
    reason = "The family was away for three weeks."
    d.assess(case_id, "2025-06-30", d.staff.fsw, "2025-04-23", delay_reason=reason)
    d.approve(case_id, "2025-07-01", delay_reason="Approved on return from leave.")
    row = d.row(case_id, "assessment-45wd")
    assert (row["status"], row["met_on"], row["actor"]) == ("breached", "2025-07-01", "fsw1")
    assert reason in (row["reason"] or "") and "Approved on return from leave." in (row["reason"] or "")
    planned = d.row(case_id, "assessment-planned-date")
    assert (planned["status"], planned["reason"]) == ("breached", reason)


def test_an_assessment_awaiting_approval_within_45_days_is_pending(d: Driver) -> None:
    case_id = d.refer("2025-04-17")
    d.decide(case_id, "2025-04-22")
    d.allocate(case_id, "2025-04-22", planned_completion_on="2025-05-30")
    d.assess(case_id, "2025-05-20", d.staff.fsw, "2025-04-23")
    assert d.row(case_id, "assessment-45wd")["status"] == "pending"
    assert d.row(case_id, "assessment-approval")["status"] == "pending"
    assert d.row(case_id, "assessment-planned-date")["status"] == "met"


def test_a_cin_review_missed_and_overtaken_by_a_child_protection_concern_is_breached_without_a_reason(
    d: Driver,
) -> None:
    case_id = d.s17_case()
    d.at("2025-09-08")
    assert d.row(case_id, "cin-review-cadence")["status"] == "overdue"
    d.raise_event("2025-09-08", d.staff.ps, case_id, "child_protection_concern", reason="New injury seen at school.")
    d.strategy(case_id, "2025-09-09")
    assert d.row(case_id, "cin-review-cadence")["status"] == "overdue"  # the CIN plan runs on during the enquiry
    d.complete("2025-09-12", d.staff.sw, case_id, "section47_enquiry", started_on="2025-09-09", factors=["3A"],
               findings="Accidental injury.", recommendation="close")  # fmt: skip
    d.complete("2025-09-15", d.staff.ps, case_id, "approve_section47", approved=True, outcome="close")
    d.close(case_id, "2025-09-15")
    row = d.row(case_id, "cin-review-cadence")
    assert (row["status"], row["reason"]) == ("breached", None), row
    assert "no reason for the delay was recorded" in row["detail"]


def test_a_late_cin_review_that_closes_the_plan_is_breached_with_its_reason_and_the_closure_authorised(
    d: Driver,
) -> None:
    case_id = d.s17_case()
    d.complete("2025-09-09", d.staff.fsw, case_id, "cin_review", held_on="2025-09-09", summary="Goals met.",
               outcome="close", delay_reason="Mother was in hospital.")  # fmt: skip
    d.close(case_id, "2025-09-10")
    row = d.row(case_id, "cin-review-cadence")
    assert (row["status"], row["reason"]) == ("breached", "Mother was in hospital.")
    closure = d.row(case_id, "closure-authorised")
    assert (closure["status"], closure["actor"], closure["met_on"]) == ("met", "ps1", "2025-09-10")


def test_a_cin_review_held_on_time_meets_the_cadence_and_sets_the_next(d: Driver) -> None:
    case_id = d.s17_case()
    d.complete("2025-09-01", d.staff.fsw, case_id, "cin_review", held_on="2025-09-01", summary="Better.",
               outcome="continue")  # fmt: skip
    rows = d.rows(case_id, "cin-review-cadence")
    assert [(r["status"], r["due_on"]) for r in rows] == [("met", "2025-09-05"), ("pending", "2025-12-01")]


def test_the_child_protection_pathway_meets_each_rule_on_time(d: Driver) -> None:
    case_id = d.child_protection_case()
    for rule, due_on in {
        "strategy-discussion-multiagency": "2025-06-10",
        "s47-social-worker": "2025-06-24",
        "icpc-15wd": "2025-07-01",
        "cp-plan-starts-at-icpc": "2025-06-27",
    }.items():
        row = d.row(case_id, rule)
        assert (row["status"], row["due_on"]) == ("met", due_on), row
    assert d.row(case_id, "chair-independent")["actor"] == "chair1"
    d.complete("2025-07-08", d.staff.sw, case_id, "core_group_meeting", held_on="2025-07-08", summary="Plan agreed.")
    assert d.row(case_id, "core-group-10wd")["status"] == "met"
    d.at("2025-09-29")
    assert (d.row(case_id, "rcpc-3m")["status"], d.row(case_id, "rcpc-3m")["actor"]) == ("overdue", "chair1")
    d.complete("2025-09-30", d.staff.chair, case_id, "review_conference", held_on="2025-09-30", decision="continue",
               latest_category_of_abuse="PHY", delay_reason="Police could not attend on the 26th.")  # fmt: skip
    row = d.row(case_id, "rcpc-3m")
    assert (row["status"], row["reason"]) == ("breached", "Police could not attend on the 26th.")
    assert d.row(case_id, "rcpc-6m")["due_on"] == "2026-03-30"


def test_a_strategy_discussion_without_the_police_under_an_exception_is_breached_with_it(d: Driver) -> None:
    case_id = d.refer("2025-06-06")
    d.decide(case_id, "2025-06-09", "strategy_discussion", primary_need="N1")
    agencies = [{"agency": "la_social_care", "name": "SW"}, {"agency": "health", "name": "GP"}]
    d.strategy(case_id, "2025-06-09", participants=agencies, exception_reason="Police attended a major incident.")
    row = d.row(case_id, "strategy-discussion-multiagency")
    assert (row["status"], row["reason"]) == ("breached", "Police attended a major incident.")
    assert "held without police under a recorded exception" in row["detail"]


def test_a_section_47_enquiry_not_done_in_ten_working_days_is_overdue_for_the_social_worker(d: Driver) -> None:
    case_id = d.refer("2025-06-06")
    d.decide(case_id, "2025-06-09", "strategy_discussion", primary_need="N1")
    d.strategy(case_id, "2025-06-10")
    d.at("2025-06-25")
    row = d.row(case_id, "s47-social-worker")
    assert (row["status"], row["due_on"]) == ("overdue", "2025-06-24")


def test_an_icpc_held_late_is_breached_with_the_reason_the_chair_gave(d: Driver) -> None:
    case_id = d.refer("2025-06-06")
    d.decide(case_id, "2025-06-09", "strategy_discussion", primary_need="N1")
    d.strategy(case_id, "2025-06-10")
    d.complete("2025-06-20", d.staff.sw, case_id, "section47_enquiry", started_on="2025-06-10", factors=["3A"],
               findings="Risk.", recommendation="icpc")  # fmt: skip
    d.complete("2025-06-23", d.staff.ps, case_id, "approve_section47", approved=True, outcome="icpc")
    d.complete("2025-06-23", d.staff.bs, case_id, "schedule_icpc", conference_date="2025-07-03", chair="chair1")
    d.complete("2025-07-03", d.staff.chair, case_id, "hold_icpc", held_on="2025-07-03", decision="no_plan",
               next="close", delay_reason="No chair available that week.")  # fmt: skip
    row = d.row(case_id, "icpc-15wd")
    assert (row["status"], row["due_on"], row["reason"]) == ("breached", "2025-07-01", "No chair available that week.")


def test_fgdm_held_before_the_application_meets_the_duty_and_an_exception_settles_it_with_its_reason(
    d: Driver,
) -> None:
    held = d.s17_case()
    d.raise_event("2025-07-01", d.staff.ps, held, "pre_proceedings")
    d.complete("2025-07-02", d.staff.sw, held, "letter_before_proceedings", sent_on="2025-07-02", fgdm_offered=True)
    d.complete("2025-07-10", d.staff.sw, held, "fgdm_meeting", outcome="held", held_on="2025-07-09")
    row = d.row(held, "fgdm-before-proceedings")
    assert (row["status"], row["met_on"]) == ("met", "2025-07-09")
    excepted = d.s17_case(received="2025-04-22")
    d.raise_event("2025-07-01", d.staff.ps, excepted, "pre_proceedings")
    reason = "Family members are the alleged abusers."
    d.complete("2025-07-02", d.staff.sw, excepted, "letter_before_proceedings", sent_on="2025-07-02",
               fgdm_offered=False, fgdm_exception_reason=reason)  # fmt: skip
    row = d.row(excepted, "fgdm-before-proceedings")
    assert (row["status"], row["reason"]) == ("met", reason)
