"""The inbox: lists of tasks for a member of staff, narrowed by filters, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select

from casepath.domain.calendar import local_date
from casepath.domain.people import ALSO_ALLOWED
from casepath.services import access
from casepath.services.core import Casepath
from casepath.services.runtime import OPEN
from casepath.services.staff import Actor, get_staff
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
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        query = query.order_by(models.Task.due_on.is_(None), models.Task.due_on, models.Task.created_at, models.Task.id)
        if where.view in ("available", "team"):  # only what the caller may take (issue 3: access.may_take)
            may = access.may_take(app, session, actor)
            found = [task_view(t) for t in session.scalars(query) if may(t)]
            return found[offset : offset + min(limit, PAGE_MAX)], len(found)
        rows = session.scalars(query.limit(min(limit, PAGE_MAX)).offset(offset))
        return [task_view(t) for t in rows], total


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
