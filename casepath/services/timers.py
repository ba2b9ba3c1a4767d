"""Firing due timers: the worker, and the test clock. Each timer fires exactly once.

Several workers may run against PostgreSQL. Each walks the due instances in order of their next
timer; for each it takes the case row with `FOR UPDATE SKIP LOCKED` (a case someone else holds is
skipped, and fires on the next pass), re-reads the instance under the lock and fires only if its
timer is still due, then commits. Every instance fires in a transaction of its own, so a worker
killed mid-batch loses nothing: what it had not committed is still due for the next worker.

A failure on one instance never stops the others: it is recorded as an incident on its case and
that instance is retried later (`RETRY_AFTER`), not in a hot loop.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from casepath.domain.errors import Conflict, Incident
from casepath.services.core import Casepath
from casepath.services.incidents import record_incident
from casepath.services.reminders import remind_due_tasks
from casepath.services.runtime import CaseRun
from casepath.store import models

log = logging.getLogger("casepath.worker")
RETRY_AFTER = timedelta(hours=1)
# SpiffWorkflow fires a timer only once the time is strictly after its moment, while the day of a
# deadline ends exactly at that moment (midnight in London): the engine is shown the next tick.
TICK = timedelta(microseconds=1)
Cursor = tuple[datetime, str]


def due_instances(app: Casepath, now: datetime, limit: int, after: Cursor | None = None) -> list[Cursor]:
    """Up to `limit` active instances whose next timer is due by `now`, as (moment, id) after `after`."""
    timer, ident = models.Instance.next_timer_at, models.Instance.id
    query = select(timer, ident).where(models.Instance.status == "active", timer <= now)
    if after is not None:
        query = query.where(or_(timer > after[0], and_(timer == after[0], ident > after[1])))
    with app.db.transaction() as session:
        rows = session.execute(query.order_by(timer, ident).limit(limit)).all()
    return [(moment, instance_id) for moment, instance_id in rows if moment is not None]


def fire_instance(app: Casepath, instance_id: str) -> bool:
    """Fire one instance's due timers in its own transaction; False when there was nothing to fire here."""
    try:
        with app.db.transaction() as session:
            return _fire_locked(app, session, instance_id)
    except Incident as err:
        _failed(app, instance_id, err)
    except Conflict:
        log.info("instance %s changed while its timer fired; it fires on the next pass", instance_id)
    except Exception as err:  # a bug or bad state on one case must not stop every other timer
        log.exception("timer on instance %s failed", instance_id)
        error = f"{type(err).__name__}: {err}"
        _failed(app, instance_id, Incident("A timer could not fire.", element="timer", error=error))
    return False


def _fire_locked(app: Casepath, session: Session, instance_id: str) -> bool:
    owner = select(models.Instance.case_id).where(models.Instance.id == instance_id).scalar_subquery()
    query = select(models.Case).where(models.Case.id == owner)
    if app.db.is_postgres:
        query = query.with_for_update(skip_locked=True)
    case = session.scalars(query).first()
    if case is None:
        return False  # gone, or another worker (or a practitioner) has the case: theirs, or the next pass's
    row = session.get(models.Instance, instance_id)  # read under the lock: another worker may have just fired it
    now = app.now(session)
    if row is None or row.status != "active" or row.next_timer_at is None or row.next_timer_at > now:
        return False
    run = CaseRun(app, session, case, now + TICK)
    run.fire_timers(row.id)
    run.sync()
    return True


def _failed(app: Casepath, instance_id: str, err: Incident) -> None:
    """Record the failure on the case and retry the timer later rather than in a hot loop."""
    with app.db.transaction() as session:
        row = session.get(models.Instance, instance_id)
        if row is None:
            return
        row.next_timer_at = app.now(session) + RETRY_AFTER
        err.case_id = err.case_id or row.case_id
    record_incident(app, None, err)


def fire_due_timers(app: Casepath, batch: int = 100, stop: threading.Event | None = None) -> int:
    """Fire every timer due now, then send the reminders due today. Returns how many instances fired.

    Each instance fires at most once per call; passes repeat while firing made more timers due
    (a step reached after its deadline). `stop` ends the call between two instances (SIGTERM).
    """
    with app.db.transaction() as session:
        now = app.now(session)
    fired, seen = 0, set[str]()
    while True:
        fired_now = _one_pass(app, now, batch, seen, stop)
        fired += fired_now
        if not fired_now or (stop is not None and stop.is_set()):
            break
    if stop is None or not stop.is_set():
        remind_due_tasks(app, stop=stop)
    return fired


def _one_pass(app: Casepath, now: datetime, batch: int, seen: set[str], stop: threading.Event | None) -> int:
    fired, after = 0, None
    while due := due_instances(app, now, batch, after):
        for moment, instance_id in due:
            if stop is not None and stop.is_set():
                return fired
            after = (moment, instance_id)
            if instance_id not in seen:
                seen.add(instance_id)
                fired += fire_instance(app, instance_id)
    return fired
