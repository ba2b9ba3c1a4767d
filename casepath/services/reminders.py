"""Reminders before a deadline: once per task, a `task_reminder` event for whoever holds the task.

A task is reminded when it is still open, has not been reminded, and falls due within the local
protocol's `timescales.reminder_wd` working days of today (counted as deadlines are counted, under
the LA's convention). A task already overdue is not reminded: the overdue escalation has taken
over. The worker calls `remind_due_tasks` after firing timers; as with timers, each task is
reminded under its case's lock (`FOR UPDATE SKIP LOCKED` on PostgreSQL), re-checked under it, in
a transaction of its own, so several workers remind each task exactly once.
"""

from __future__ import annotations

import logging
import threading
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.calendar import local_date
from casepath.domain.errors import Conflict
from casepath.services import records
from casepath.services.core import Casepath
from casepath.services.runtime import OPEN
from casepath.store import models

log = logging.getLogger("casepath.reminders")


def reminder_horizon(app: Casepath, session: Session, la_id: int, today: date) -> date:
    """The last due date reminded today: `reminder_wd` working days after today, under the LA's protocol."""
    protocol = app.protocol(session, la_id)
    return app.calendar(protocol).add_working_days(today, protocol.timescales.reminder_wd)


def tasks_to_remind(session: Session, la_id: int, today: date, horizon: date, limit: int, after: str = "") -> list[str]:
    """Open, not yet reminded tasks of one LA due from today to `horizon` (index ix_tasks_reminders)."""
    task = models.Task
    query = (
        select(task.id)
        .where(
            task.la_id == la_id,
            task.reminded_at.is_(None),
            task.state.in_(OPEN),
            task.due_on >= today,
            task.due_on <= horizon,
            task.id > after,
        )
        .order_by(task.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def remind_due_tasks(app: Casepath, batch: int = 200, stop: threading.Event | None = None) -> int:
    """Record a `task_reminder` for every task whose reminder is due today. Returns how many were sent."""
    with app.db.transaction() as session:
        today = local_date(app.now(session))
        las = list(session.scalars(select(models.LocalAuthority.id)))
        horizons = {la_id: reminder_horizon(app, session, la_id, today) for la_id in las}
    sent = sum(_remind_la(app, la_id, today, horizon, batch, stop) for la_id, horizon in horizons.items())
    if sent:
        log.info("sent %d reminder(s)", sent)
    return sent


def _remind_la(app: Casepath, la_id: int, today: date, horizon: date, batch: int, stop: threading.Event | None) -> int:
    sent, after = 0, ""
    while True:
        with app.db.transaction() as session:
            ids = tasks_to_remind(session, la_id, today, horizon, batch, after)
        for task_id in ids:
            if stop is not None and stop.is_set():
                return sent
            sent += remind_task(app, task_id, today, horizon)
        if len(ids) < batch:
            return sent
        after = ids[-1]


def remind_task(app: Casepath, task_id: str, today: date, horizon: date) -> bool:
    """Remind one task's holder, under its case's lock; False if another worker did, or it is no longer due."""
    try:
        with app.db.transaction() as session:
            task = session.get(models.Task, task_id)
            if task is None:
                return False
            query = select(models.Case).where(models.Case.id == task.case_id)
            if app.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            case = session.scalars(query).first()
            if case is None:
                return False
            session.refresh(task)
            due = task.due_on
            if task.reminded_at is not None or task.state not in OPEN or due is None or not today <= due <= horizon:
                return False
            now = app.now(session)
            task.reminded_at = now
            data = {
                "task_id": task.id,
                "step": task.step,
                "due_on": due,
                "rule": task.rule,
                "assignee": task.assignee,
                "role": task.role,
                "team": task.team,
                "working_days_left": app.calendar(app.protocol(session, case.la_id)).working_days_between(today, due),
            }
            records.append_to_case(session, case, "task_reminder", None, data, now)
            return True
    except Conflict:
        log.info("task %s changed while being reminded; it is reminded on the next pass", task_id)
        return False
