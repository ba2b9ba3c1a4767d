"""Reminders before a deadline (casepath/services/reminders.py): once per task, for whoever holds it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from casepath.services.protocols import publish_protocol
from casepath.services.reminders import remind_due_tasks
from casepath.store import models
from tests.clocks.helpers import Office, events_named, london


@pytest.fixture
def office(factory: Any) -> Office:
    return Office(factory)


def assessment_case(office: Office) -> str:
    """Referred Thursday 17 April 2025 (before Easter): the assessment is due Wednesday 25 June 2025."""
    case_id = office.refer(london("2025-04-17", 10))
    office.decide(case_id, london("2025-04-22", 9))
    office.allocate(case_id, london("2025-04-22", 11))
    return case_id


def test_the_practitioner_is_reminded_two_working_days_before_the_assessment_is_due(office: Office, core: Any) -> None:
    case_id = assessment_case(office)
    office.tick(london("2025-06-20", 9))  # Friday: due in three working days
    assert events_named(core, "task_reminder", case_id) == []
    office.tick(london("2025-06-23", 9))  # Monday: due in two
    (reminder,) = events_named(core, "task_reminder", case_id)
    task = office.task(case_id, "child_and_family_assessment")
    assert reminder.data == {
        "task_id": task["id"],
        "step": "child_and_family_assessment",
        "due_on": "2025-06-25",
        "rule": task["rule"],
        "assignee": "fsw1",
        "role": "lead_practitioner",
        "team": task["team"],
        "working_days_left": 2,
    }


def test_a_task_is_reminded_once_however_often_the_worker_runs(office: Office, core: Any) -> None:
    case_id = assessment_case(office)
    office.tick(london("2025-06-23", 9))
    office.tick(london("2025-06-24", 9))
    office.tick(london("2025-06-25", 9))
    assert remind_due_tasks(core) == 0
    assert len(events_named(core, "task_reminder", case_id)) == 1
    with core.db.transaction() as session:
        task = session.scalars(select(models.Task).where(models.Task.step == "child_and_family_assessment")).one()
        assert task.reminded_at is not None


def test_the_reminder_lead_time_is_a_local_timescale(office: Office, factory: Any, core: Any) -> None:
    publish_protocol(core, factory.admin, {"timescales": {"reminder_wd": 5}}, "A week's notice.")
    case_id = assessment_case(office)
    office.tick(london("2025-06-17", 9))  # Tuesday: due in six working days
    assert events_named(core, "task_reminder", case_id) == []
    office.tick(london("2025-06-18", 9))  # Wednesday: due in five
    assert len(events_named(core, "task_reminder", case_id)) == 1


def test_an_unclaimed_step_due_tomorrow_is_reminded_to_its_lane_and_team(office: Office, core: Any) -> None:
    case_id = office.refer(london("2025-06-06", 14))
    assert office.tick(london("2025-06-06", 14, 5)) == 0
    (reminder,) = events_named(core, "task_reminder", case_id)
    assert (reminder.data["step"], reminder.data["assignee"], reminder.data["role"], reminder.data["team"]) == (
        "referral_decision", None, "front_door", "front door",
    )  # fmt: skip
    assert reminder.data["working_days_left"] == 1


def test_finished_and_overdue_steps_are_not_reminded(office: Office, core: Any) -> None:
    done = office.refer(london("2025-06-06", 14))
    office.decide(done, london("2025-06-06", 15), "nfa")
    late = office.refer(london("2025-06-06", 16))
    office.factory.at(london("2025-06-10", 9))  # its decision was due yesterday: escalated, not reminded
    assert remind_due_tasks(core) == 0
    assert events_named(core, "task_reminder") == []
    office.tick(london("2025-06-10", 9, 5))
    assert len(office.tasks(late, "overdue_review")) == 1
    assert events_named(core, "task_reminder") == []
