"""The inbox: lists of tasks for a member of staff, narrowed by filters, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import product
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from casepath.domain.calendar import local_date
from casepath.domain.errors import CasepathError
from casepath.domain.people import (
    ALSO_ALLOWED,
    ROLES,
    SOCIAL_WORK_ONLY,
    CaseTeam,
    Person,
    check_lead_practitioner,
    check_qualified,
)
from casepath.domain.protocol import LocalProtocol
from casepath.services.core import Casepath
from casepath.services.runtime import OPEN
from casepath.services.staff import Actor, get_staff, person_of
from casepath.services.views import task_view
from casepath.store import models

PAGE_MAX = 200


@dataclass(frozen=True)
class InboxFilter:
    """Which tasks: a view (mine, available, overdue, team) and optional narrowing filters."""

    view: str = "mine"
    step: str | None = None
    role: str | None = None
    state: str | None = None
    overdue: bool | None = None
    team: str | None = None
    due_from: date | None = None
    due_to: date | None = None


def list_inbox(
    app: Casepath, actor: Actor, where: InboxFilter, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """mine: assigned to me; available: unclaimed steps my roles may take; overdue: late in my team (or mine);
    team: my team's. Open tasks only unless `state` asks otherwise. Earliest due first."""
    with app.db.transaction() as session:
        me = get_staff(session, actor.username, actor.la_id)
        today = local_date(app.now(session))
        query = select(models.Task).where(models.Task.la_id == actor.la_id)
        query = (
            query.where(models.Task.state == where.state) if where.state else query.where(models.Task.state.in_(OPEN))
        )
        query = _view(query, where.view, me, today)
        query = _narrow(query, where, today)
        if where.view in ("available", "team"):  # only what the caller may take (issue 3: access.may_take)
            query = query.where(may_take_clause(app, session, me, today))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        # the page's ids first (sorted from the index alone), then those rows
        order = (models.Task.due_on.is_(None), models.Task.due_on, models.Task.created_at, models.Task.id)
        page = query.with_only_columns(models.Task.id).order_by(*order).limit(min(limit, PAGE_MAX)).offset(offset)
        ids = list(session.scalars(page))
        rows = {t.id: t for t in session.scalars(select(models.Task).where(models.Task.id.in_(ids)))}
        return [task_view(rows[task_id]) for task_id in ids], total


def may_take_clause(app: Casepath, session: Session, me: models.Staff, today: date) -> ColumnElement[bool]:
    """access.may_take as SQL: the role, registration and local-protocol checks of a claim depend only on the
    task's lane, whether its step is s47 work, and (for the lead practitioner lane) whether the caller is the
    case's lead practitioner. The checks themselves are asked once for each combination, so the rules stay in
    the domain."""
    person = person_of(me, today)
    protocol = app.protocol(session, me.la_id)
    social_work_only = models.Task.step.in_(SOCIAL_WORK_ONLY)
    leads = select(models.Case.id).where(
        models.Case.id == models.Task.case_id,
        models.Case.people["lead_practitioner"].as_string() == me.username,
    )
    clauses = []  # leading the case only ever allows more, so "not the lead" clauses need no case condition
    for lane in sorted(set(ROLES) | set(person.roles)):
        allowed = []
        for s47, lead in product((True, False), (True, False) if lane == "lead_practitioner" else (False,)):
            if _may(person, protocol, lane, SOCIAL_WORK_ONLY[0] if s47 else "", lead):
                step = social_work_only if s47 else ~social_work_only
                allowed.append(and_(step, leads.exists()) if lead else step)
        if len(allowed) == (4 if lane == "lead_practitioner" else 2):
            clauses.append(models.Task.role == lane)
        elif allowed:
            clauses.append(and_(models.Task.role == lane, or_(*allowed)))
    return or_(false(), *clauses)


def _may(person: Person, protocol: LocalProtocol, lane: str, step: str, lead: bool) -> bool:
    team = CaseTeam(lead_practitioner=person.username if lead else None)
    try:
        check_qualified(step, lane, person, team, protocol)
        if lane == "lead_practitioner" and not lead:
            check_lead_practitioner(person, protocol)
    except CasepathError:
        return False
    return True


def _view(query: Select[Any], view: str, me: models.Staff, today: date) -> Select[Any]:
    if view == "mine":
        return query.where(models.Task.assignee == me.username)
    if view == "available":
        lanes = {lane for lane, also in ALSO_ALLOWED.items() if set(also) & set(me.roles)} | set(me.roles)
        return query.where(models.Task.assignee.is_(None), models.Task.role.in_(sorted(lanes)))
    if view == "overdue":
        query = query.where(models.Task.due_on < today)
        if "practice_supervisor" in me.roles:
            return query.where(or_(models.Task.team == me.team, models.Task.assignee == me.username))
        return query.where(models.Task.assignee == me.username)
    return query.where(models.Task.team == me.team)


def _narrow(query: Select[Any], where: InboxFilter, today: date) -> Select[Any]:
    if where.step:
        query = query.where(models.Task.step == where.step)
    if where.role:
        query = query.where(models.Task.role == where.role)
    if where.team:
        query = query.where(models.Task.team == where.team)
    if where.overdue is True:
        query = query.where(models.Task.due_on < today)
    elif where.overdue is False:
        query = query.where(or_(models.Task.due_on.is_(None), models.Task.due_on >= today))
    if where.due_from:
        query = query.where(models.Task.due_on >= where.due_from)
    if where.due_to:
        query = query.where(models.Task.due_on <= where.due_to)
    return query
