"""Two requests must never both load, advance and save the same case."""

import threading

import pytest

from casepath.domain.errors import Conflict, TaskNotReady
from casepath.services import records, tasks
from casepath.store import models
from tests.services.test_pathways import DECIDE_ASSESS


def race(*calls):
    """Run the calls at the same moment in threads; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as err:
            outcomes[index] = err

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.fixture
def decided_case(factory):
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    factory.at("2025-04-17T10:15:00+01:00")
    case_id = factory.create_referral(fd, received_at="2025-04-17T10:15:00+01:00")
    return fd, case_id


@pytest.mark.parametrize("attempt", range(3))
def test_two_concurrent_completions_of_one_step_never_both_save(factory, decided_case, attempt):
    fd, case_id = decided_case
    task = factory.open_task(case_id, "referral_decision")
    tasks.claim_task(factory.core, fd, task["id"])
    body = {"data": DECIDE_ASSESS}
    outcomes = race(
        lambda: tasks.complete_task(factory.core, fd, task["id"], body),
        lambda: tasks.complete_task(factory.core, fd, task["id"], body),
    )
    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, TaskNotReady | Conflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    with factory.core.db.transaction() as session:
        events = records.list_events(session, case_id)
        assert [e.name for e in events].count("task_completed") == 1
        assert sum(1 for e in events if e.name == "phase_started" and e.data["process"] == "assessment") == 1
        assert records.verify(session, case_id) is None


def test_concurrent_completions_on_parallel_branches_lose_no_update(factory):
    from tests.services.test_pathways import PARTICIPANTS, child_protection_to_icpc

    p = {
        name: factory.create_staff(name, roles, **extra)
        for name, roles, extra in [
            ("ps1", ["practice_supervisor", "social_worker"], {}),
            ("fd1", ["front_door", "social_worker"], {}),
            ("sw1", ["social_worker", "lead_practitioner"], {"line_manager": "ps1"}),
            ("lcpp1", ["lcpp", "social_worker"], {}),
            ("chair1", ["conference_chair", "social_worker"], {}),
            ("bs1", ["business_support"], {"profession": "administrator"}),
        ]
    }
    factory.at("2025-04-17T10:15:00+01:00")
    case_id = child_protection_to_icpc(factory, p)
    factory.complete(
        p["chair1"],
        case_id,
        "hold_icpc",
        {
            "held_on": "2025-04-24",
            "decision": "cp_plan",
            "category_of_abuse": "PHY",
            "lead_social_worker": "sw1",
            "core_group": PARTICIPANTS,
        },
    )
    core_group = factory.open_task(case_id, "core_group_meeting")
    review = factory.open_task(case_id, "review_conference")
    review_data = {"held_on": "2025-04-25", "decision": "continue", "latest_category_of_abuse": "PHY"}
    outcomes = race(
        lambda: tasks.complete_task(
            factory.core, p["sw1"], core_group["id"], {"data": {"held_on": "2025-04-25", "summary": "Met."}}
        ),
        lambda: tasks.complete_task(factory.core, p["chair1"], review["id"], {"data": review_data}),
    )
    for outcome in outcomes:
        assert isinstance(outcome, dict | Conflict), outcome
    with factory.core.db.transaction() as session:
        events = records.list_events(session, case_id)
        completed = [e.data["task_id"] for e in events if e.name == "task_completed"]
        assert len(completed) == len(set(completed))  # every event recorded once
        assert records.verify(session, case_id) is None
        states = {t.id: t.state for t in session.query(models.Task).filter(models.Task.case_id == case_id)}
    for task, outcome in zip((core_group, review), outcomes, strict=True):
        assert (states[task["id"]] == "completed") == isinstance(outcome, dict)
    if factory.core.db.is_postgres:
        assert all(isinstance(o, dict) for o in outcomes)  # the row lock serialises them: both succeed


def test_fifty_concurrent_completion_attempts_across_parallel_branches_complete_each_step_once(factory):
    """50 requests at once on one case's two parallel branches (25 on each): each step is completed at most
    once (exactly once on PostgreSQL, where the row lock queues them), every success is in the event record
    exactly once, and every refusal is a clean conflict or 'already done'."""
    from tests.services.test_pathways import PARTICIPANTS, child_protection_to_icpc

    p = {
        name: factory.create_staff(name, roles, **extra)
        for name, roles, extra in [
            ("ps1", ["practice_supervisor", "social_worker"], {}),
            ("fd1", ["front_door", "social_worker"], {}),
            ("sw1", ["social_worker", "lead_practitioner"], {"line_manager": "ps1"}),
            ("lcpp1", ["lcpp", "social_worker"], {}),
            ("chair1", ["conference_chair", "social_worker"], {}),
            ("bs1", ["business_support"], {"profession": "administrator"}),
        ]
    }
    factory.at("2025-04-17T10:15:00+01:00")
    case_id = child_protection_to_icpc(factory, p)
    icpc = {"held_on": "2025-04-24", "decision": "cp_plan", "category_of_abuse": "PHY", "lead_social_worker": "sw1"}
    factory.complete(p["chair1"], case_id, "hold_icpc", {**icpc, "core_group": PARTICIPANTS})
    core_group = factory.open_task(case_id, "core_group_meeting")
    review = factory.open_task(case_id, "review_conference")
    attempts = [
        (core_group, p["sw1"], {"held_on": "2025-04-25", "summary": "Met."}),
        (review, p["chair1"], {"held_on": "2025-04-25", "decision": "continue", "latest_category_of_abuse": "PHY"}),
    ] * 25

    def attempt(task, actor, data):
        return lambda: tasks.complete_task(factory.core, actor, task["id"], {"data": data})

    outcomes = race(*(attempt(*a) for a in attempts))

    for outcome in outcomes:
        assert isinstance(outcome, dict | TaskNotReady | Conflict), outcome
    won = {task["id"]: 0 for task in (core_group, review)}
    for (task, _, _), outcome in zip(attempts, outcomes, strict=True):
        won[task["id"]] += isinstance(outcome, dict)
    assert set(won.values()) <= {0, 1} and sum(won.values()) >= 1
    with factory.core.db.transaction() as session:
        events = records.list_events(session, case_id)
        completed = [e.data["task_id"] for e in events if e.name == "task_completed"]
        assert records.verify(session, case_id) is None
        states = {t.id: t.state for t in session.query(models.Task).filter(models.Task.case_id == case_id)}
    for task_id, wins in won.items():
        assert completed.count(task_id) == wins  # no lost update, nothing recorded twice
        assert (states[task_id] == "completed") == (wins == 1)
    if factory.core.db.is_postgres:
        assert set(won.values()) == {1}
