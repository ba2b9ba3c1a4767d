"""Two workers against PostgreSQL fire each of 1,000 due timers exactly once (architecture.md, 'Scale').

One case is opened through the services; 999 more are cloned from its rows with fresh ids (its
workflow state too, every task id in it renamed), so that 1,000 referral decisions fall due at the
same moment. Two worker processes, each with its own Casepath and connection pool on the same
database, start together and run `fire_due_timers` concurrently.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from casepath.services.core import TEST_CLOCK_KEY, Casepath, Settings
from casepath.store import models
from tests.clocks.helpers import Office, clone_case, count_by_stream, london
from tests.conftest import BACKEND

CASES = 1000
DUE_BY = datetime(2025, 6, 10, 8, tzinfo=UTC)  # decisions on referrals of Friday 6 June 2025 were due Monday 9 June

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(BACKEND != "postgresql", reason="needs CASEPATH_TEST_DATABASE=postgresql"),
]


def run_worker(url: str, ready: Any, results: Any) -> None:
    """One worker process: its own Casepath, engine and pool; waits for the other, then fires."""
    from casepath.services.timers import fire_due_timers
    from handlers import REGISTRY

    app = Casepath(Settings(database_url=url, test_clock=True), handlers=REGISTRY)
    ready.wait(timeout=300)
    started = time.perf_counter()
    fired = fire_due_timers(app)
    results.put((fired, time.perf_counter() - started))
    app.db.dispose()


def test_two_workers_against_postgresql_fire_each_of_1000_due_timers_exactly_once(factory: Any, core: Casepath) -> None:
    first = Office(factory).refer(london("2025-06-06", 14))
    started = time.perf_counter()
    with core.db.transaction() as session:
        clone_case(session, first, CASES - 1)
        session.merge(models.Setting(key=TEST_CLOCK_KEY, value=DUE_BY.isoformat()))
        assert session.scalar(select(func.count()).select_from(models.Instance).where(
            models.Instance.next_timer_at <= DUE_BY)) == CASES  # fmt: skip
    core.db.dispose()
    print(f"cloned {CASES - 1} cases in {time.perf_counter() - started:.1f} s")

    spawn = multiprocessing.get_context("spawn")
    ready, results = spawn.Barrier(2), spawn.Queue()
    workers = [spawn.Process(target=run_worker, args=(core.settings.database_url, ready, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    outcome = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    print(f"fired by each worker (count, seconds): {outcome}")

    assert sum(fired for fired, _ in outcome) == CASES
    overdue = count_by_stream(core, "task_overdue")
    assert len(overdue) == CASES and set(overdue.values()) == {1}
    with core.db.transaction() as session:
        reviews = session.execute(
            select(models.Task.case_id, func.count()).where(models.Task.step == "overdue_review")
            .group_by(models.Task.case_id)
        ).all()  # fmt: skip
        assert len(reviews) == CASES and {n for _, n in reviews} == {1}
        assert session.scalar(select(func.count()).select_from(models.Instance).where(
            models.Instance.next_timer_at <= DUE_BY)) == 0  # fmt: skip
