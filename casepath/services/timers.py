"""Firing due timers: the worker, and the test clock. Each timer fires exactly once.

Several workers may run against PostgreSQL: each takes a case with `FOR UPDATE SKIP LOCKED`, then
re-checks under the lock that the instance's timer is still due before firing it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from casepath.domain.errors import Incident
from casepath.services.core import Casepath
from casepath.services.incidents import record_incident
from casepath.services.runtime import CaseRun
from casepath.store import models

log = logging.getLogger("casepath.worker")
RETRY_AFTER = timedelta(hours=1)


def due_instances(app: Casepath, now: datetime, limit: int, skip: set[str]) -> list[str]:
    with app.db.transaction() as session:
        query = (
            select(models.Instance.id)
            .where(models.Instance.status == "active", models.Instance.next_timer_at <= now)
            .order_by(models.Instance.next_timer_at)
            .limit(limit + len(skip))
        )
        return [i for i in session.scalars(query) if i not in skip][:limit]


def fire_instance(app: Casepath, instance_id: str) -> bool:
    """Fire one instance's due timers in its own transaction; False when another worker has it."""
    try:
        with app.db.transaction() as session:
            row = session.get(models.Instance, instance_id)
            if row is None:
                return False
            query = select(models.Case).where(models.Case.id == row.case_id)
            if app.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            case = session.scalars(query).first()
            if case is None:
                return False
            session.refresh(row)
            now = app.now(session)
            if row.status != "active" or row.next_timer_at is None or row.next_timer_at > now:
                return False
            run = CaseRun(app, session, case, now)
            run.fire_timers(row.id)
            run.sync()
            return True
    except Incident as err:
        _incident(app, instance_id, err)
        return False


def _incident(app: Casepath, instance_id: str, err: Incident) -> None:
    """Record the failure on the case and retry the timer later rather than in a hot loop."""
    record_incident(app, None, err)
    with app.db.transaction() as session:
        row = session.get(models.Instance, instance_id)
        if row is not None:
            row.next_timer_at = app.now(session) + RETRY_AFTER


def fire_due_timers(app: Casepath, batch: int = 100) -> int:
    """Fire every timer due now; each instance at most once per call. Returns how many fired."""
    fired, seen = 0, set[str]()
    while True:
        with app.db.transaction() as session:
            now = app.now(session)
        ids = due_instances(app, now, batch, seen)
        if not ids:
            return fired
        for instance_id in ids:
            seen.add(instance_id)
            fired += fire_instance(app, instance_id)
