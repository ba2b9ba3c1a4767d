"""Deadlines and escalation through the services and the worker (pathway.md, 'Deadlines and escalation')."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from casepath.domain.errors import DelayReasonRequired
from casepath.services.protocols import publish_protocol
from casepath.services.timers import RETRY_AFTER, fire_due_timers
from casepath.store import models
from tests.clocks.helpers import Office, clone_case, count_by_stream, events_named, london


@pytest.fixture
def office(factory: Any) -> Office:
    return Office(factory)


def test_a_referral_on_christmas_eve_2025_escalates_to_the_front_door_supervisors_after_monday_29_december(
    office: Office, core: Any
) -> None:
    case_id = office.refer("2025-12-24T16:30:00+00:00")
    assert office.task(case_id, "referral_decision")["due_on"] == "2025-12-29"
    assert office.tick(london("2025-12-29", 23, 59)) == 0
    assert office.tasks(case_id, "overdue_review") == []

    assert office.tick("2025-12-30T09:00:00+00:00") == 1
    review = office.task(case_id, "overdue_review")
    assert (review["state"], review["assignee"], review["role"], review["team"]) == (
        "ready", None, "practice_supervisor", "front door",
    )  # fmt: skip
    assert review["overdue_step"] == "referral_decision"
    late = office.task(case_id, "referral_decision")
    assert (late["state"], late["assignee"]) == ("ready", None)
    (overdue,) = events_named(core, "task_overdue", case_id)
    assert overdue.data["step"] == "referral_decision" and overdue.data["due_on"] == "2025-12-29"


def test_a_late_decision_needs_a_reason_and_the_clock_keeps_it(office: Office) -> None:
    case_id = office.refer("2025-12-24T16:30:00+00:00")
    office.tick("2025-12-30T09:00:00+00:00")
    with pytest.raises(DelayReasonRequired):
        office.decide(case_id, "2025-12-30T10:00:00+00:00", "nfa")
    office.decide(case_id, "2025-12-30T10:00:00+00:00", "nfa", delay_reason="Front door short-staffed.")
    clock = office.clock(case_id, "referral-decision-1wd")
    assert clock == {
        "rule": "referral-decision-1wd",
        "started_on": "2025-12-24",
        "due_on": "2025-12-29",
        "met_on": "2025-12-30",
        "status": "breached",
        "reason": "Front door short-staffed.",
    }


def test_a_strategy_discussion_decided_on_the_friday_before_the_spring_bank_holiday_is_due_on_tuesday(
    office: Office, core: Any
) -> None:
    case_id = office.refer(london("2025-05-22", 15))
    office.decide(case_id, london("2025-05-23", 11), "strategy_discussion", primary_need="N1")
    office.claim(office.lcpp, case_id, "strategy_discussion")
    assert office.task(case_id, "strategy_discussion")["due_on"] == "2025-05-27"
    assert office.clock(case_id, "strategy-discussion-multiagency")["started_on"] == "2025-05-23"

    assert office.tick(london("2025-05-27", 23, 59)) == 0
    assert office.tick(london("2025-05-28", 0, 0)) == 1  # the moment Tuesday ends in London is already late
    review = office.task(case_id, "overdue_review")
    assert review["overdue_step"] == "strategy_discussion" and review["assignee"] is None
    late = office.task(case_id, "strategy_discussion")
    assert (late["state"], late["assignee"]) == ("claimed", "lcpp1")
    assert office.clock(case_id, "strategy-discussion-multiagency")["status"] == "overdue"
    assert count_by_stream(core, "task_overdue") == {case_id: 1}


def test_an_overdue_assessment_goes_to_the_supervisor_who_allocated_it_and_stays_with_its_practitioner(
    office: Office,
) -> None:
    case_id = office.refer(london("2025-04-17", 10))
    office.decide(case_id, london("2025-04-22", 9))
    office.allocate(case_id, london("2025-04-22", 11))
    assessment = office.task(case_id, "child_and_family_assessment")
    assert (assessment["due_on"], assessment["assignee"]) == ("2025-06-25", "fsw1")
    assert office.clock(case_id, "assessment-45wd")["started_on"] == "2025-04-17"

    office.tick(london("2025-06-26", 9))
    review = office.task(case_id, "overdue_review")
    assert (review["state"], review["assignee"], review["overdue_step"]) == (
        "claimed", "ps1", "child_and_family_assessment",
    )  # fmt: skip
    late = office.task(case_id, "child_and_family_assessment")
    assert (late["state"], late["assignee"]) == ("claimed", "fsw1")


def test_a_planned_date_agreed_at_allocation_times_the_assessment_from_the_allocation(office: Office) -> None:
    case_id = office.refer(london("2025-04-17", 10))
    office.decide(case_id, london("2025-04-22", 9))
    office.allocate(case_id, london("2025-04-23", 11), planned_completion_on="2025-05-30")
    assert office.task(case_id, "child_and_family_assessment")["due_on"] == "2025-05-30"
    planned = office.clock(case_id, "assessment-planned-date")
    assert (planned["started_on"], planned["due_on"], planned["status"]) == ("2025-04-23", "2025-05-30", "pending")


def test_each_timer_fires_once_however_often_the_worker_runs(office: Office, core: Any) -> None:
    first = office.refer(london("2025-06-06", 14))
    second = office.refer(london("2025-06-09", 10))
    assert office.tick(london("2025-06-12", 9)) == 2
    assert office.tick(london("2025-06-12", 9)) == 0
    assert office.tick(london("2025-07-01", 9)) == 0
    assert count_by_stream(core, "task_overdue") == {first: 1, second: 1}
    assert [len(office.tasks(c, "overdue_review")) for c in (first, second)] == [1, 1]


def test_completing_the_step_in_time_disarms_its_timer(office: Office, core: Any) -> None:
    case_id = office.refer(london("2025-06-06", 14))
    office.decide(case_id, london("2025-06-09", 16), "nfa")
    assert office.tick(london("2025-09-01", 9)) == 0
    assert events_named(core, "task_overdue") == []


def test_deadlines_and_timers_count_with_the_one_off_holidays_of_the_protocol_in_force(
    office: Office, factory: Any, core: Any
) -> None:
    before = office.refer(london("2025-06-06", 14))
    data = {"extra_holidays": ["2025-06-09"]}  # a local one-off holiday on Monday 9 June 2025
    publish_protocol(core, factory.admin, data, "Council closure day for the civic celebration.")
    after = office.refer(london("2025-06-06", 15))
    assert office.task(before, "referral_decision")["due_on"] == "2025-06-09"
    assert office.task(after, "referral_decision")["due_on"] == "2025-06-10"
    office.tick(london("2025-06-10", 9))
    assert (len(office.tasks(before, "overdue_review")), len(office.tasks(after, "overdue_review"))) == (1, 0)
    office.tick(london("2025-06-11", 0, 0))
    assert len(office.tasks(after, "overdue_review")) == 1


def test_a_step_completed_after_a_protocol_is_published_counts_with_the_new_one(
    office: Office, factory: Any, core: Any
) -> None:
    first, second = office.refer(london("2025-06-05", 9)), office.refer(london("2025-06-05", 10))
    office.decide(first, london("2025-06-06", 9))
    publish_protocol(core, factory.admin, {"extra_holidays": ["2025-06-09"]}, "Council closure day.")
    office.decide(second, london("2025-06-06", 10))  # the same process: the protocol read with the case is the new one
    before, after = (
        date.fromisoformat(office.task(c, "allocate_lead_practitioner")["due_on"]) for c in (first, second)
    )
    assert after - before == timedelta(days=1)


def test_an_la_that_counts_the_trigger_day_as_day_one_gets_the_decision_due_the_same_day(
    office: Office, factory: Any, core: Any
) -> None:
    publish_protocol(core, factory.admin, {"working_day_convention": "trigger_day_one"}, "Local counting rule.")
    case_id = office.refer(london("2025-04-04", 9))
    assert office.task(case_id, "referral_decision")["due_on"] == "2025-04-04"
    office.tick(london("2025-04-05", 0, 0))
    assert office.task(case_id, "overdue_review")["overdue_step"] == "referral_decision"


def test_a_broken_instance_is_recorded_as_an_incident_and_does_not_stop_the_other_timers(
    office: Office, core: Any
) -> None:
    broken = office.refer(london("2025-06-06", 14))
    healthy = office.refer(london("2025-06-06", 15))
    with core.db.transaction() as session:
        row = session.scalars(select(models.Instance).where(models.Instance.case_id == broken)).one()
        row.state = "{not a workflow"
    assert office.tick(london("2025-06-10", 9)) == 1
    assert len(office.tasks(healthy, "overdue_review")) == 1
    assert office.case(broken)["incident"].startswith("timer: JSONDecodeError")
    with core.db.transaction() as session:
        row = session.scalars(select(models.Instance).where(models.Instance.case_id == broken)).one()
        assert row.next_timer_at == datetime.fromisoformat(london("2025-06-10", 9)) + RETRY_AFTER
    assert office.tick(london("2025-06-10", 9, 30)) == 0  # retried later, not in a hot loop
    assert len(events_named(core, "incident", broken)) == 1


def test_the_worker_stops_between_instances_when_asked(office: Office, core: Any) -> None:
    office.refer(london("2025-06-06", 14))
    stop = threading.Event()
    stop.set()
    office.factory.at(london("2025-06-10", 9))
    assert fire_due_timers(core, stop=stop) == 0
    assert events_named(core, "task_overdue") == []
    assert fire_due_timers(core) == 1


def test_timers_due_at_the_same_moment_fire_once_each_across_many_batches(office: Office, core: Any) -> None:
    first = office.refer(london("2025-06-06", 14))
    with core.db.transaction() as session:
        clone_case(session, first, 24)
    office.factory.at(london("2025-06-10", 9))
    assert fire_due_timers(core, batch=7) == 25
    overdue = count_by_stream(core, "task_overdue")
    assert len(overdue) == 25 and set(overdue.values()) == {1}
    assert fire_due_timers(core, batch=7) == 0


def test_a_referral_recorded_after_its_decision_was_already_due_escalates_at_once(office: Office, core: Any) -> None:
    """Received on 1 December, recorded on 15 December: the decision was due on 2 December. The engine fires the
    step's timer as the phase starts, before the task row exists; the escalation must not be lost."""
    office.factory.at("2025-12-15T10:00:00+00:00")
    case_id = str(office.factory.create_referral(office.fd, received_at="2025-12-01T10:00:00+00:00"))
    late = office.task(case_id, "referral_decision")
    assert late["due_on"] == "2025-12-02" and late["state"] == "ready"
    review = office.task(case_id, "overdue_review")
    assert (review["role"], review["overdue_step"]) == ("practice_supervisor", "referral_decision")
    (overdue,) = events_named(core, "task_overdue", case_id)
    assert overdue.data["step"] == "referral_decision"
    assert office.tick("2025-12-16T09:00:00+00:00") == 0  # escalated once, not again by the worker
    assert len(office.tasks(case_id, "overdue_review")) == 1
