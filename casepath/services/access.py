"""Who may see a case, and the audit of every view of a child's record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.errors import Forbidden, NotFound
from casepath.services.staff import Actor, get_staff
from casepath.store import models

READ_ALL = ("reviewer", "admin")


def case_visible(session: Session, actor: Actor, case: models.Case) -> bool:
    """Involved staff, their supervisors (same team or line managers), and the LA's reviewers."""
    if case.la_id != actor.la_id:
        return False
    if actor.has(*READ_ALL):
        return True
    involved = set(case.people.get("involved") or [])
    if actor.username in involved:
        return True
    if actor.has("practice_supervisor"):
        if case.people.get("team") and case.people.get("team") == get_staff(session, actor.username).team:
            return True
        managed = session.scalars(select(models.Staff.username).where(models.Staff.line_manager == actor.username))
        if involved & set(managed):
            return True
    return False


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
