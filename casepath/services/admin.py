"""Administration use-cases: staff, tokens, the test clock, installation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.calendar import local_date
from casepath.domain.errors import Conflict, Forbidden, InvalidForm, NotFound
from casepath.domain.people import registered_on
from casepath.services import records, staff
from casepath.services.core import TEST_CLOCK_KEY, Casepath
from casepath.services.runtime import OPEN
from casepath.services.staff import Actor, add_staff, add_token, get_staff, require_role
from casepath.services.timers import fire_due_timers
from casepath.store import models


def staff_view(row: models.Staff, today: Any) -> dict[str, Any]:
    registration = (
        {"number": row.swe_number, "expires_on": row.swe_expires_on.isoformat()}
        if row.swe_number and row.swe_expires_on
        else None
    )
    return {
        "username": row.username,
        "name": row.name,
        "email": row.email,
        "roles": list(row.roles),
        "profession": row.profession,
        "registered": registered_on(row.swe_expires_on, row.swe_number, today),
        "swe_registration": registration,
        "competencies": list(row.competencies),
        "team": row.team,
        "line_manager": row.line_manager,
        "employer": row.employer,
        "caseload_limit": row.caseload_limit,
    }


def la_stream(session: Session, la_id: int) -> str:
    la = session.get(models.LocalAuthority, la_id)
    return f"la:{la.code if la else la_id}"


def create_staff(app: Casepath, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    require_role(actor, "admin")
    with app.db.transaction() as session:
        now = app.now(session)
        stream = lock_la_stream(app, session, actor.la_id)
        row = add_staff(session, actor.la_id, data, now)
        records.append(
            session,
            stream,
            actor.la_id,
            "staff_created",
            actor.username,
            staff_view(row, now.date()),
            now,
        )
        return staff_view(row, now.date())


def list_staff(app: Casepath, actor: Actor, team: str | None = None) -> list[dict[str, Any]]:
    require_role(actor, "admin", "practice_supervisor", "reviewer", "business_support")
    with app.db.transaction() as session:
        today = app.now(session).date()
        query = select(models.Staff).where(models.Staff.la_id == actor.la_id, models.Staff.active.is_(True))
        if team:
            query = query.where(models.Staff.team == team)
        return [staff_view(r, today) for r in session.scalars(query.order_by(models.Staff.username))]


def lock_la_stream(app: Casepath, session: Session, la_id: int) -> str:
    """The LA's configuration stream, its row locked (PostgreSQL) so appends to the stream queue up."""
    query = select(models.LocalAuthority).where(models.LocalAuthority.id == la_id)
    if app.db.is_postgres:
        query = query.with_for_update()
    la = session.scalars(query).first()
    return f"la:{la.code if la else la_id}"


def get_staff_member(app: Casepath, actor: Actor, username: str) -> dict[str, Any]:
    """One member of staff: anyone who may read the directory, or the person themselves."""
    if actor.username != username:
        require_role(actor, "admin", "practice_supervisor", "reviewer", "business_support")
    with app.db.transaction() as session:
        row = _member(session, actor, username)
        return {**staff_view(row, local_date(app.now(session))), "active": row.active}


def _member(session: Session, actor: Actor, username: str) -> models.Staff:
    row = session.scalars(select(models.Staff).where(models.Staff.username == username)).first()
    if row is None or row.la_id != actor.la_id:
        raise NotFound(f"There is no member of staff called {username!r}.")
    return row


def update_staff(app: Casepath, actor: Actor, username: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a member of staff's roles, registration, competencies, team, line manager, employer or
    caseload limit (admin). The LA's record keeps who changed what, before and after."""
    require_role(actor, "admin")
    with app.db.transaction() as session:
        now = app.now(session)
        stream = lock_la_stream(app, session, actor.la_id)
        row = _member(session, actor, username)
        if not row.active:
            raise Conflict(f"{username} has been deactivated. Add them again to change their record.")
        errors = staff.validate_changes(session, row, changes)
        if errors:
            raise InvalidForm("The member of staff cannot be changed: correct the answers listed.", errors=errors)
        if "admin" not in (changes.get("roles") or ["admin"]):
            _keep_an_admin(session, row)
        before = staff_view(row, local_date(now))
        staff.apply_changes(row, changes)
        session.flush()
        after = staff_view(row, local_date(now))
        changed = sorted(key for key in after if after[key] != before[key])
        if changed:
            data = {"username": username, "changed": changed, "before": before, "after": after}
            records.append(session, stream, actor.la_id, "staff_updated", actor.username, data, now)
        return {**after, "active": row.active}


def _keep_an_admin(session: Session, row: models.Staff) -> None:
    if staff.active_admins(session, row.la_id) == [row.username]:
        raise Conflict(
            f"{row.username} is the only administrator. Give someone else the admin role first, "
            "or nobody will be able to manage staff."
        )


def deactivate_staff(app: Casepath, actor: Actor, username: str) -> dict[str, Any]:
    """Someone leaves (admin): they can no longer sign in or be given work; their tokens are revoked.
    Their open tasks stay on the cases for a practice supervisor to reassign."""
    require_role(actor, "admin")
    with app.db.transaction() as session:
        now = app.now(session)
        stream = lock_la_stream(app, session, actor.la_id)
        row = _member(session, actor, username)
        if username == actor.username:
            raise Forbidden("You cannot deactivate yourself: ask another administrator.")
        if not row.active:
            return {**staff_view(row, local_date(now)), "active": False}
        _keep_an_admin(session, row)
        row.active = False
        revoked = staff.revoke_tokens(session, row, now)
        held = session.scalars(
            select(models.Task.id).where(
                models.Task.la_id == row.la_id, models.Task.assignee == username, models.Task.state.in_(OPEN)
            )
        ).all()
        data = {
            "username": username,
            "before": {"active": True},
            "after": {"active": False},
            "tokens_revoked": revoked,
            "open_tasks": sorted(held),
        }
        records.append(session, stream, actor.la_id, "staff_deactivated", actor.username, data, now)
        return {**staff_view(row, local_date(now)), "active": False, "open_tasks": len(held)}


def revoke_staff_tokens(app: Casepath, actor: Actor, username: str) -> dict[str, Any]:
    """Revoke every API token of a member of staff (an admin, or the person themselves)."""
    if actor.username != username:
        require_role(actor, "admin")
    with app.db.transaction() as session:
        now = app.now(session)
        stream = lock_la_stream(app, session, actor.la_id)
        row = _member(session, actor, username)
        revoked = staff.revoke_tokens(session, row, now)
        data = {"username": username, "revoked": revoked}
        records.append(session, stream, actor.la_id, "tokens_revoked", actor.username, data, now)
        return {"username": username, "revoked": revoked}


def issue_token(app: Casepath, actor: Actor | None, username: str) -> dict[str, str]:
    """A new API token for a member of staff (an admin, or the command line when `actor` is None)."""
    if actor is not None:
        require_role(actor, "admin")
    with app.db.transaction() as session:
        now = app.now(session)
        row = get_staff(session, username, actor.la_id if actor else None)
        stream = lock_la_stream(app, session, row.la_id)
        token = add_token(session, row, now)
        records.append(
            session,
            stream,
            row.la_id,
            "token_issued",
            actor.username if actor else "casepath-cli",
            {"username": username},
            now,
        )
        return {"token": token}


def read_clock(app: Casepath) -> dict[str, Any]:
    with app.db.transaction() as session:
        return {"now": app.now(session).isoformat(), "test_clock": app.settings.test_clock}


def set_clock(app: Casepath, actor: Actor, moment: datetime) -> dict[str, Any]:
    """Rehearsal and acceptance time travel: move the clock and fire everything due by then."""
    if not app.settings.test_clock:
        raise NotFound("The test clock is off. Start Casepath with CASEPATH_TEST_CLOCK=1 to rehearse with it.")
    require_role(actor, "admin")
    with app.db.transaction() as session:
        row = session.get(models.Setting, TEST_CLOCK_KEY)
        value = moment.astimezone(UTC).isoformat()
        if row is None:
            session.add(models.Setting(key=TEST_CLOCK_KEY, value=value))
        else:
            row.value = value
    fired = fire_due_timers(app)
    return {"now": moment.astimezone(UTC).isoformat(), "test_clock": True, "fired": fired}
