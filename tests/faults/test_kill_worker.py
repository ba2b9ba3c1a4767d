"""A timer worker SIGKILLed in the middle of a batch fires nothing twice and loses nothing: the
timers it committed stay fired, the one in hand rolls back, and the next worker fires the rest once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from casepath.services.core import TEST_CLOCK_KEY, Casepath
from casepath.store import models
from tests.clocks.helpers import Office, clone_case, count_by_stream, london
from tests.faults.helpers import PYTHON, ROOT, kill, spawn, wait_for, wait_until_released

CASES, KEEP = 30, 7
DUE_BY = datetime(2025, 6, 10, 8, tzinfo=UTC)  # referral decisions of Friday 6 June 2025 were due Monday 9 June


def overdue_reviews(core: Casepath) -> dict[str, int]:
    with core.db.transaction() as session:
        query = select(models.Task.case_id, func.count()).where(models.Task.step == "overdue_review")
        return {case_id: int(n) for case_id, n in session.execute(query.group_by(models.Task.case_id))}


def test_a_worker_killed_mid_batch_fires_nothing_twice_and_nothing_never(
    factory: Any, core: Casepath, tmp_path: Path
) -> None:
    first = Office(factory).refer(london("2025-06-06", 14))
    with core.db.transaction() as session:
        clone_case(session, first, CASES - 1)
        session.merge(models.Setting(key=TEST_CLOCK_KEY, value=DUE_BY.isoformat()))
    core.db.dispose()
    url, marker = core.settings.database_url, tmp_path / "reached"

    worker = spawn([PYTHON, "-m", "tests.faults.blocking_worker", url, str(marker), str(KEEP)], tmp_path / "w1.log")
    try:
        wait_for(marker.exists, "the worker to stop mid-batch", process=worker)
    finally:
        kill(worker)
    wait_until_released(url)
    assert marker.read_text().startswith(f"{KEEP} timer"), marker.read_text()
    fired = count_by_stream(core, "task_overdue")
    assert len(fired) == KEEP and set(fired.values()) == {1}  # the one in hand when it died left no trace
    assert len(overdue_reviews(core)) == KEEP

    env = {"DATABASE_URL": url, "CASEPATH_TEST_CLOCK": "1"}
    again = spawn([str(ROOT / ".venv/bin/casepath"), "worker", "--once"], tmp_path / "w2.log", env)
    assert again.wait(timeout=300) == 0, (tmp_path / "w2.log").read_text()

    fired = count_by_stream(core, "task_overdue")
    assert len(fired) == CASES and set(fired.values()) == {1}
    reviews = overdue_reviews(core)
    assert len(reviews) == CASES and set(reviews.values()) == {1}
    with core.db.transaction() as session:
        due = select(func.count()).select_from(models.Instance).where(models.Instance.next_timer_at <= DUE_BY)
        assert session.scalar(due) == 0
