"""A step costs the same on a long case as on a new one: no more SQL statements, no re-read of the event
record, and an engine state that does not grow with the case (bench/state_size.py measures the time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bench.state_size import SETUP, drive_case, staff
from casepath.domain.events import Event
from casepath.services import records, tasks
from casepath.services.runtime import CaseRun
from casepath.services.staff import Actor
from casepath.store import models


def active_state_bytes(core: Any, case_id: str) -> int:
    with core.db.transaction() as session:
        query = select(func.sum(func.length(models.Instance.state))).where(
            models.Instance.case_id == case_id, models.Instance.status == "active"
        )
        return int(session.scalar(query) or 0)


def stored_events(core: Any, case_id: str) -> list[Any]:
    with core.db.transaction() as session:
        return [records.to_domain(r) for r in records.list_events(session, case_id)]


def held_events(core: Any, case_id: str) -> list[Any]:
    with core.db.transaction() as session:
        return records.stream_events(session, session.get(models.Case, case_id))


@contextmanager
def reads_of(core: Any, table: str) -> Iterator[list[str]]:
    """The SELECT statements sent meanwhile that read `table` alone (not joined, as the case lock does)."""
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and f"FROM {table}" in statement and "JOIN" not in statement:
            reads.append(statement)

    event.listen(core.db.engine, "before_cursor_execute", count)
    try:
        yield reads
    finally:
        event.remove(core.db.engine, "before_cursor_execute", count)


def test_a_step_late_in_a_long_case_costs_what_an_early_one_does(core, factory, monkeypatch):
    sizes: dict[int, int] = {}
    full_reads: list[int] = []
    list_events = records.list_events

    def after_step(case_id: str, done: int) -> None:
        sizes[done] = active_state_bytes(core, case_id)

    def counting(session: Any, stream: str) -> list[models.Event]:
        full_reads.append(len(sizes))
        return list_events(session, stream)

    monkeypatch.setattr(records, "list_events", counting)
    case_id, run = drive_case(core, factory, staff(factory), 60, after_step)

    reviews = run.statements[len(SETUP) :]  # CIN reviews, one after another
    assert len(reviews) == 54 and min(reviews) == max(reviews)  # the 10th and the 60th step: the same SQL
    assert sizes[60] <= sizes[10] * 1.05  # only the current review's instance is active and it starts afresh
    assert [done for done in full_reads if done >= 2] == []  # the event record is not read again step by step
    assert held_events(core, case_id) == stored_events(core, case_id)


def test_the_event_record_held_between_steps_follows_what_is_stored(core, factory):
    people = staff(factory)
    case_id, _ = drive_case(core, factory, people, 2)
    assert held_events(core, case_id) == stored_events(core, case_id)

    # an event appended elsewhere (another process, the reminder job) is seen
    with core.db.transaction() as session:
        case = session.get(models.Case, case_id)
        records.append_to_case(session, case, "task_reminder", None, {"step": "x"}, factory.clock.now())
    assert held_events(core, case_id)[-1].name == "task_reminder"
    assert held_events(core, case_id) == stored_events(core, case_id)

    # a unit of work that recorded events and then failed leaves nothing behind, in the database or in memory
    before = stored_events(core, case_id)
    with pytest.raises(RuntimeError), core.db.transaction() as session:
        case = session.get(models.Case, case_id)
        run = CaseRun(core, session, case, factory.clock.now())
        run.record("case_event", "fd1", {"name": "pre_proceedings", "data": {}})
        assert held_events(core, case_id) == before  # not yet committed: another unit of work does not see it
        raise RuntimeError("failed after recording")
    assert held_events(core, case_id) == stored_events(core, case_id) == before


def test_the_events_held_are_bounded_least_recently_used_first():
    kept = records._Kept(5)
    event = Event(seq=1, name="case_opened", at=datetime(2025, 4, 1, tzinfo=UTC), actor=None)
    kept.put("a", "ha", [event] * 3)
    kept.put("b", "hb", [event] * 2)
    assert kept.get("a", "ha") == [event] * 3  # a is now the most recently used
    kept.put("c", "hc", [event] * 2)
    assert (kept.get("a", "ha"), kept.get("b", "hb"), kept.get("c", "hc")) == ([event] * 3, None, [event] * 2)
    assert kept.get("a", "other") is None  # a stream whose last event is not the one held is read again
    kept.put("d", "hd", [event] * 6)  # larger than the whole budget: not held
    assert kept.get("d", "hd") is None and kept.held == 5


def test_every_change_to_a_task_moves_its_case_version_so_a_change_from_an_older_read_conflicts(core, factory):
    people = staff(factory)
    case_id, _ = drive_case(core, factory, people, 1)  # the referral decided: allocation is open
    task = factory.open_task(case_id, "allocate_lead_practitioner")

    def version() -> int:
        with core.db.transaction() as session:
            return session.get(models.Case, case_id).version

    before = version()
    tasks.claim_task(core, people["ps1"], task["id"])  # ps1 is not yet involved: the case's people change
    tasks.unclaim_task(core, people["ps1"], task["id"])  # nothing else on the case changes
    tasks.claim_task(core, people["ps1"], task["id"])
    assert version() == before + 3


def test_a_step_reads_no_staff_row_beyond_the_lock_unless_it_needs_the_line_management(core, factory):
    """The actor's row comes with the case lock; the practitioners' line-management chains are read only for a
    conference chair's independence, however deep the chains are."""
    for boss, manager in (("hos", None), ("tm", "hos"), ("ps1", "tm")):
        factory.create_staff(boss, ["practice_supervisor", "social_worker"], line_manager=manager)
    fd = factory.create_staff("fd1", ["front_door", "social_worker"], line_manager="ps1")
    ps = Actor("ps1", fd.la_id, ("practice_supervisor", "social_worker"))
    case_id = factory.create_referral(fd)
    decision = {"decision": "assessment", "primary_need": "N4", "rationale": "r", "referrer_informed": True}
    factory.complete(fd, case_id, "referral_decision", decision)
    fsw = factory.create_staff("fsw1", ["lead_practitioner"], profession="family_support_worker",
                               competencies=["cin_assessment"], line_manager="ps1")  # fmt: skip
    factory.complete(ps, case_id, "allocate_lead_practitioner",
                     {"lead_practitioner": "fsw1", "practitioner_agreed": True, "rationale": "r"})  # fmt: skip
    task = factory.open_task(case_id, "child_and_family_assessment")  # the case team: fsw1 and ps1
    with reads_of(core, "staff") as staff_reads:
        tasks.unclaim_task(core, fsw, task["id"])
        tasks.claim_task(core, fsw, task["id"])
    assert staff_reads == []


def test_a_step_on_a_stored_instance_derives_its_task_rows_without_reading_them(core, factory):
    """The open rows of a stored instance are its ready user tasks as stored (every save derives them), so a
    step reads no task row beyond the one the case lock reads."""
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    ps = factory.create_staff("ps1", ["practice_supervisor", "social_worker"])
    factory.create_staff("fsw1", ["lead_practitioner"], profession="family_support_worker",
                         competencies=["cin_assessment"])  # fmt: skip
    case_id = factory.create_referral(fd)
    decision = {"decision": "assessment", "primary_need": "N4", "rationale": "r", "referrer_informed": True}
    factory.complete(fd, case_id, "referral_decision", decision)
    task = factory.open_task(case_id, "allocate_lead_practitioner")
    tasks.claim_task(core, ps, task["id"])
    answer = {"lead_practitioner": "fsw1", "practitioner_agreed": True, "rationale": "r"}
    with reads_of(core, "tasks") as task_reads:
        tasks.complete_task(core, ps, task["id"], {"data": answer}, with_case=False)
    assert task_reads == []
    assert factory.open_steps(case_id) == ["child_and_family_assessment"]
