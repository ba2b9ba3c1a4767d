"""Administration use-cases: staff, tokens, the test clock, installation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.errors import NotFound
from casepath.domain.people import registered_on
from casepath.services import records
from casepath.services.core import TEST_CLOCK_KEY, Casepath
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
        row = add_staff(session, actor.la_id, data, now)
        records.append(
            session,
            la_stream(session, actor.la_id),
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


def issue_token(app: Casepath, actor: Actor | None, username: str) -> dict[str, str]:
    """A new API token for a member of staff (an admin, or the command line when `actor` is None)."""
    if actor is not None:
        require_role(actor, "admin")
    with app.db.transaction() as session:
        now = app.now(session)
        row = get_staff(session, username, actor.la_id if actor else None)
        token = add_token(session, row, now)
        records.append(
            session,
            la_stream(session, row.la_id),
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
