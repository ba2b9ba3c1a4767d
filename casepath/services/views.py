"""Plain dictionaries for the API and the web pages (shapes of design/api.md)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casepath.conformance.evaluate import evaluate_case
from casepath.domain.calendar import local_date
from casepath.domain.errors import Conflict
from casepath.domain.events import Event
from casepath.services import records
from casepath.services.core import Casepath
from casepath.store import models


def task_view(task: models.Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "case_id": task.case_id,
        "step": task.step,
        "name": task.name,
        "role": task.role,
        "state": task.state,
        "assignee": task.assignee,
        "due_on": _iso(task.due_on),
        "rule": task.rule,
        "team": task.team,
        "completed_by": task.completed_by,
        "completed_at": _iso(task.completed_at),
        "created_at": _iso(task.created_at),
        "overdue_step": (task.data or {}).get("overdue_step"),
    }


TASK_KEYS = (
    "id",
    "case_id",
    "step",
    "name",
    "role",
    "state",
    "assignee",
    "due_on",
    "rule",
    "team",
    "completed_by",
    "completed_at",
    "created_at",
    "overdue_step",
)


def task_etag(view: dict[str, Any]) -> str:
    """A strong validator of a task: changes whenever anything shown about the task changes (not its draft)."""
    body = json.dumps({k: view.get(k) for k in TASK_KEYS}, sort_keys=True, default=str)
    return "t" + hashlib.sha256(body.encode()).hexdigest()[:32]


def case_etag(session: Session, case: models.Case) -> str:
    """A strong validator of a case: every change to a case records an event, so the last one names it."""
    last = session.scalar(select(func.max(models.Event.seq)).where(models.Event.stream == case.id))
    return etag_of(case, last)


def etag_of(case: models.Case, last_seq: int | None) -> str:
    return f"c{case.version}.{last_seq or 0}"


def require_match(if_match: Collection[str] | None, current: str, what: str) -> None:
    """Refuse a change made against an out-of-date copy (the request's If-Match names what the client saw)."""
    if if_match is None or "*" in if_match or current in if_match:
        return
    raise Conflict(
        f"The {what} has changed since you opened it: someone else has worked on it. "
        f"Open the {what} again, check what changed, then send your answers again."
    )


def child_view(child: models.Child) -> dict[str, Any]:
    return {
        "id": child.id,
        "first_name": child.first_name,
        "last_name": child.last_name,
        "date_of_birth": _iso(child.date_of_birth),
        "expected_date_of_birth": _iso(child.expected_date_of_birth),
        "sex": child.sex,
        "ethnicity": child.ethnicity,
        "disabilities": list(child.disabilities),
        "upn": child.upn,
    }


def case_tasks(session: Session, case_id: str, state: str | None = None) -> list[models.Task]:
    query = select(models.Task).where(models.Task.case_id == case_id)
    if state:
        query = query.where(models.Task.state == state)
    return list(session.scalars(query.order_by(models.Task.created_at, models.Task.id)))


def conformance(
    app: Casepath, session: Session, case: models.Case, events: Sequence[Event] | None = None
) -> list[dict[str, Any]]:
    """The case's statutory clocks, from its event record (`events`: the record already in hand, if any)."""
    protocol = app.protocol(session, case.la_id)
    if events is None:
        events = records.stream_events(session, case)
    today = local_date(app.now(session))
    return [r.to_dict() for r in evaluate_case(events, app.calendar(protocol), protocol, today)]


def case_view(
    app: Casepath, session: Session, case: models.Case, events: Sequence[Event] | None = None
) -> dict[str, Any]:
    """The case as the API shows it. `events`: the case's whole event record when the caller holds it (a unit
    of work on the case, flushed), so it is not read again."""
    child = session.get(models.Child, case.child_id)
    assert child is not None
    people = case.people
    clocks = [
        {
            "rule": r["rule"],
            "started_on": r.get("started_on"),
            "due_on": r["due_on"],
            "met_on": r["met_on"],
            "status": r["status"],
            "reason": r.get("reason"),
        }
        for r in conformance(app, session, case, events)
        if r.get("due_on")
    ]
    return {
        "id": case.id,
        "child": child_view(child),
        "status": case.status,
        "phase": case.phase,
        "lead_practitioner": people.get("lead_practitioner"),
        "lead_social_worker": people.get("lead_social_worker"),
        "supervisor": people.get("supervisor"),
        "chair": people.get("chair"),
        "team": people.get("team"),
        "received_at": _iso(case.received_at),
        "closed_on": _iso(case.closed_on),
        "closure_reason": case.closure_reason,
        "incident": case.incident,
        "version": case.version,
        "tasks": [task_view(t) for t in case_tasks(session, case.id)],
        "clocks": clocks,
        "etag": case_etag(session, case) if events is None else etag_of(case, events[-1].seq if events else None),
    }


def case_summary(case: models.Case, child: models.Child) -> dict[str, Any]:
    """A case in a list: who the child is, where the case stands, who holds it."""
    people = case.people
    return {
        "id": case.id,
        "child": {
            "id": child.id,
            "first_name": child.first_name,
            "last_name": child.last_name,
            "date_of_birth": _iso(child.date_of_birth),
            "expected_date_of_birth": _iso(child.expected_date_of_birth),
        },
        "status": case.status,
        "phase": case.phase,
        "team": people.get("team"),
        "lead_practitioner": people.get("lead_practitioner"),
        "received_at": _iso(case.received_at),
        "closed_on": _iso(case.closed_on),
        "closure_reason": case.closure_reason,
        "version": case.version,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
