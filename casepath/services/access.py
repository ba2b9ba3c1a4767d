"""Who may see a case, and the audit of every view of a child's record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from casepath.domain.calendar import local_date
from casepath.domain.errors import CasepathError, Forbidden, NotFound
from casepath.domain.people import CaseTeam, check_lead_practitioner, check_qualified
from casepath.services.core import Casepath
from casepath.services.staff import Actor, get_staff, managers_of, person_of, reports_of
from casepath.store import models

READ_ALL = ("reviewer", "admin")


def case_visible(session: Session, actor: Actor, case: models.Case) -> bool:
    """Involved staff, their supervisors (same team, or anyone they line-manage, however far down, is
    involved), and the LA's reviewers and administrators. Never another local authority's."""
    return visibility(session, actor)(case)


def visibility(session: Session, actor: Actor) -> Callable[[models.Case], bool]:
    """case_visible for any number of cases: the caller's team and reports are read once."""
    if actor.has(*READ_ALL):
        return lambda case: case.la_id == actor.la_id
    team: str | None = None
    reports: set[str] = set()
    if actor.has("practice_supervisor"):
        team = get_staff(session, actor.username, actor.la_id).team or None
        reports = reports_of(managers_of(session, actor.la_id), actor.username)

    def visible(case: models.Case) -> bool:
        if case.la_id != actor.la_id:
            return False
        involved = set(case.people.get("involved") or [])
        if actor.username in involved or involved & reports:
            return True
        return team is not None and case.people.get("team") == team

    return visible


def may_take(app: Casepath, session: Session, actor: Actor) -> Callable[[models.Task], bool]:
    """Would the caller pass the role, registration and local-protocol checks of claiming this task? Task by
    task, the reference the inbox's SQL (inbox.may_take_clause) is tested against. Independence and four eyes
    are left to the claim itself, which says why."""
    today = local_date(app.now(session))
    person = person_of(get_staff(session, actor.username, actor.la_id), today)
    protocol = app.protocol(session, actor.la_id)
    teams: dict[str, CaseTeam] = {}

    def may(task: models.Task) -> bool:
        if task.case_id not in teams:
            case = session.get(models.Case, task.case_id)
            teams[task.case_id] = CaseTeam.from_dict(case.people if case else {})
        team = teams[task.case_id]
        try:
            check_qualified(task.step, task.role, person, team, protocol)
            if task.role == "lead_practitioner" and person.username != team.lead_practitioner:
                check_lead_practitioner(person, protocol)
        except CasepathError:
            return False
        return True

    return may


def require_case_visible(session: Session, actor: Actor, case: models.Case | None) -> None:
    # the same answer for "no such case" and "not yours": nothing leaks about other children
    if case is None or not case_visible(session, actor, case):
        raise NotFound("There is no such case, or you may not see it.")


def check_may_raise(session: Session, actor: Actor, case: models.Case, name: str) -> None:
    """pathway.md: a concern by the lead practitioner, the supervisor or the front door; pre-proceedings
    by the practice supervisor."""
    people = case.people
    if name == "pre_proceedings":
        if not actor.has("practice_supervisor"):
            raise Forbidden("Only a practice supervisor may start pre-proceedings.")
        return
    if actor.has("front_door", "practice_supervisor") or actor.username in (
        people.get("lead_practitioner"),
        people.get("lead_social_worker"),
    ):
        return
    raise Forbidden(
        "Only the case's lead practitioner, its practice supervisor or the front door may raise a "
        "child protection concern; tell one of them now if a child may be at risk."
    )


def log_view(session: Session, actor: Actor, case: models.Case, what: str, now: datetime) -> None:
    session.add(
        models.AccessLog(
            la_id=case.la_id, at=now, actor=actor.username, case_id=case.id, child_id=case.child_id, what=what
        )
    )


def require_found(row: object | None, what: str) -> None:
    if row is None:
        raise NotFound(f"There is no such {what}, or you may not see it.")
