"""Use-cases on cases: start a referral, read a case, raise an event on it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, select
from sqlalchemy.orm import Session

from casepath.domain.calendar import local_date
from casepath.domain.errors import Conflict, InvalidForm, NotFound
from casepath.domain.protocol import LocalProtocol
from casepath.domain.upn import upn_is_valid
from casepath.services import access
from casepath.services.core import Casepath, newest_protocol
from casepath.services.incidents import recording_incidents
from casepath.services.runtime import CaseRun
from casepath.services.staff import Actor, get_staff, require_role
from casepath.services.views import case_etag, case_summary, case_view, require_match
from casepath.store import models

REFERRERS = ("front_door", "practice_supervisor", "business_support")
CASE_EVENTS = {
    "child_protection_concern": "strategy_requested",
    "pre_proceedings": "pre_proceedings",
}


def lock_case(app: Casepath, session: Session, case_id: str, la_id: int) -> models.Case:
    """Load a case for change, locking its row on PostgreSQL; the version counter guards SQLite."""
    query = select(models.Case).where(models.Case.id == case_id, models.Case.la_id == la_id)
    if app.db.is_postgres:
        query = query.with_for_update()
    case = session.scalars(query.execution_options(populate_existing=True)).first()
    if case is None:
        raise NotFound("There is no such case, or you may not see it.")
    return case


@dataclass
class Locked:
    """What `lock_case_of_task` read: the case, the task, its instance (when asked for), the LA's protocol in
    force and the actor's own staff row (None if there is none)."""

    case: models.Case
    task: models.Task
    instance: models.Instance | None
    protocol: LocalProtocol
    staff: models.Staff | None


def lock_case_of_task(
    app: Casepath, session: Session, task_id: str, actor: Actor, *, with_instance: bool = False
) -> Locked:
    """Load the case a task belongs to for change, as `lock_case` does, and the task itself read under the
    lock, with its process instance too when the caller is going to run it: one statement. On PostgreSQL the
    task and instance rows are locked too, after the case (every writer takes the case first, so no deadlock):
    a locking read returns the newest version of each row it locks, but of a row it only joins, the version
    in the snapshot taken before it waited for the lock. The LA's protocol in force and the actor's staff row
    are read with them: neither is the case's to lock, and a change to either made meanwhile is as if made
    just after (the actor's row is joined on the actor's name alone, never on a column of a locked row, so
    the lock's recheck of a changed case cannot drop it)."""
    query = _task_lock(with_instance, for_update=app.db.is_postgres)
    params = {"task_id": task_id, "la_id": actor.la_id, "username": actor.username}
    found = session.execute(query, params).first()
    if found is None:
        raise NotFound("There is no such task, or you may not see it.")
    protocol = app.protocol_at(session, actor.la_id, found[-1])
    return Locked(found[0], found[1], found[2] if with_instance else None, protocol, found[-2])


@cache
def _task_lock(with_instance: bool, *, for_update: bool) -> Select[Any]:
    """`lock_case_of_task`'s statement, built once (it runs on every step) with its values bound per call."""
    la_id: BindParameter[int] = bindparam("la_id")
    entities: list[Any] = [models.Case, models.Task] + ([models.Instance] if with_instance else [])
    query = (
        select(*entities, models.Staff, newest_protocol(la_id))
        .join(models.Task, models.Task.case_id == models.Case.id)
        .outerjoin(models.Staff, models.Staff.username == bindparam("username"))
        .where(models.Task.id == bindparam("task_id"), models.Task.la_id == la_id, models.Case.la_id == la_id)
    )
    if with_instance:
        query = query.join(models.Instance, models.Instance.id == models.Task.instance_id)
    if for_update:
        query = query.with_for_update(of=entities)
    return query.execution_options(populate_existing=True)


def start_referral(app: Casepath, actor: Actor, body: dict[str, Any]) -> dict[str, str]:
    """A referral reaches the front door: record the child (or find them) and open a case."""
    require_role(actor, *REFERRERS)
    with recording_incidents(app, actor.username), app.db.transaction() as session:
        now = app.now(session)
        child = _child_for(session, actor, body, now)
        received_at: datetime = body.get("received_at") or now
        if received_at > now:
            raise InvalidForm(
                "The referral cannot be received in the future.",
                errors={"received_at": ["Date received must be today or in the past"]},
            )
        _refuse_second_open_episode(session, child.id)
        version = app.latest_version(session, actor.la_id)
        referrer = get_staff(session, actor.username, actor.la_id)
        case = models.Case(
            id=str(uuid.uuid4()),
            la_id=actor.la_id,
            child_id=child.id,
            process_version_id=version.id,
            status="open",
            phase="referral",
            received_at=received_at,
            created_at=now,
            updated_at=now,
            people={"team": referrer.team, "involved": [actor.username]},
        )
        session.add(case)
        session.flush()
        run = CaseRun(app, session, case, now)
        run.record(
            "case_opened",
            actor.username,
            {
                "child_id": child.id,
                "received_at": received_at.isoformat(),
                "received_on": local_date(received_at).isoformat(),
                "source": body["source"],
                "concerns": body.get("concerns", ""),
                "process_version": version.version,
            },
        )
        start = [p for p, info in version.diagrams.processes.items() if info.start_message is None]
        for process_id in start:
            run.start_process(process_id, actor.username)
        run.sync()
        return {"case_id": case.id, "child_id": child.id}


def _child_for(session: Session, actor: Actor, body: dict[str, Any], now: datetime) -> models.Child:
    if body.get("child_id"):
        child = session.get(models.Child, body["child_id"])
        if child is None or child.la_id != actor.la_id:
            raise NotFound("There is no such child in this local authority.")
        return child
    data = body.get("child")
    if not data:
        raise InvalidForm(
            "Give the child's details, or the id of a child already known.",
            errors={"child": ["Enter the child's details"]},
        )
    upn = data.get("upn")
    if upn and not upn_is_valid(upn):
        raise InvalidForm(
            "The UPN is not valid: check the letter and 12 digits.",
            errors={"child.upn": ["Enter a UPN in the correct format, like A123456789012"]},
        )
    if not data.get("date_of_birth") and not data.get("expected_date_of_birth"):
        raise InvalidForm(
            "Give the child's date of birth, or the expected date for an unborn child.",
            errors={"child.date_of_birth": ["Enter a date of birth or an expected date of birth"]},
        )
    if upn:
        known = session.scalars(
            select(models.Child).where(models.Child.la_id == actor.la_id, models.Child.upn == upn)
        ).first()
        if known is not None:
            return known
    child = models.Child(
        id=str(uuid.uuid4()),
        la_id=actor.la_id,
        first_name=data["first_name"],
        last_name=data["last_name"],
        date_of_birth=data.get("date_of_birth"),
        expected_date_of_birth=data.get("expected_date_of_birth"),
        sex=data["sex"],
        ethnicity=data["ethnicity"],
        disabilities=list(data.get("disabilities") or ["NONE"]),
        upn=upn,
        created_at=now,
    )
    session.add(child)
    session.flush()
    return child


def _refuse_second_open_episode(session: Session, child_id: str) -> None:
    query = select(models.Case.id).where(models.Case.child_id == child_id, models.Case.status == "open")
    if session.scalars(query).first():
        raise Conflict(
            "This child already has an open case: add the new concerns to it, or close it first "
            "(the census allows one open episode per child)."
        )


def get_case(app: Casepath, actor: Actor, case_id: str) -> dict[str, Any]:
    with app.db.transaction() as session:
        case = session.get(models.Case, case_id)
        access.require_case_visible(session, actor, case)
        assert case is not None
        access.log_view(session, actor, case, "case", app.now(session))
        return case_view(app, session, case)


def raise_case_event(
    app: Casepath,
    actor: Actor,
    case_id: str,
    name: str,
    data: dict[str, Any],
    if_match: Collection[str] | None = None,
) -> dict[str, Any]:
    """A significant-harm concern or pre-proceedings, raised on an open case at any time."""
    if name not in CASE_EVENTS:
        raise InvalidForm(f"Unknown event {name!r}.", errors={"name": [f"Choose one of {', '.join(CASE_EVENTS)}"]})
    with recording_incidents(app, actor.username), app.db.transaction() as session:
        now = app.now(session)
        case = lock_case(app, session, case_id, actor.la_id)
        access.require_case_visible(session, actor, case)
        access.check_may_raise(session, actor, case, name)
        require_match(if_match, case_etag(session, case), "case")
        if case.status != "open":
            raise Conflict("The case is closed. Start a new referral if there are new concerns.")
        run = CaseRun(app, session, case, now)
        run.record("case_event", actor.username, {"name": name, "data": data})
        run.follow_message(CASE_EVENTS[name], actor.username)
        run.sync()
        case.updated_at = now
        session.flush()  # the case's version counter moves here: the answer shows the stored case
        return case_view(app, session, case, run.events)


@dataclass(frozen=True)
class CaseFilter:
    """What a list of cases is narrowed to (every field optional)."""

    status: str | None = None
    phase: str | None = None
    team: str | None = None
    received_from: date | None = None
    received_to: date | None = None


def list_cases(
    app: Casepath, actor: Actor, where: CaseFilter, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """The cases the caller may see, newest referral first, one page of them and how many there are in all."""
    with app.db.transaction() as session:
        query = (
            select(models.Case, models.Child)
            .join(models.Child, models.Child.id == models.Case.child_id)
            .where(models.Case.la_id == actor.la_id)
        )
        if where.status:
            query = query.where(models.Case.status == where.status)
        if where.phase:
            query = query.where(models.Case.phase == where.phase)
        visible = visibility(session, actor)
        found = [
            case_summary(case, child)
            for case, child in session.execute(query.order_by(models.Case.received_at.desc(), models.Case.id))
            if visible(case) and _matches(case, where)
        ]
        return found[offset : offset + limit], len(found)


def _matches(case: models.Case, where: CaseFilter) -> bool:
    received = local_date(case.received_at)
    return (
        (where.team is None or case.people.get("team") == where.team)
        and (where.received_from is None or received >= where.received_from)
        and (where.received_to is None or received <= where.received_to)
    )


def visibility(session: Session, actor: Actor) -> Callable[[models.Case], bool]:
    """access.case_visible for many cases at once (one rule, kept in access)."""
    return access.visibility(session, actor)
