"""Staff directory and API tokens (issue: who may do what)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.errors import Forbidden, InvalidForm, NotFound, Unauthenticated
from casepath.domain.people import ROLES, Person, registered_on
from casepath.store import models

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TOKEN_DAYS = 90


@dataclass(frozen=True)
class Actor:
    """Who is asking: resolved from a token or a web session, re-read inside each unit of work."""

    username: str
    la_id: int
    roles: tuple[str, ...]

    def has(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.roles))


def get_staff(session: Session, username: str, la_id: int | None = None) -> models.Staff:
    row = session.scalars(select(models.Staff).where(models.Staff.username == username)).first()
    if row is None or (la_id is not None and row.la_id != la_id) or not row.active:
        raise NotFound(f"There is no member of staff called {username!r}.")
    return row


def line_managers(session: Session, row: models.Staff) -> tuple[str, ...]:
    chain: list[str] = []
    manager = row.line_manager
    while manager and manager not in chain and len(chain) < 20:
        chain.append(manager)
        found = session.scalars(select(models.Staff.line_manager).where(models.Staff.username == manager)).first()
        manager = found
    return tuple(chain)


def person_of(session: Session, row: models.Staff, today: date) -> Person:
    return Person(
        username=row.username,
        roles=tuple(row.roles),
        profession=row.profession,
        registered=registered_on(row.swe_expires_on, row.swe_number, today),
        competencies=tuple(row.competencies),
        team=row.team,
        employer=row.employer,
        line_managers=line_managers(session, row),
    )


def require_role(actor: Actor, *roles: str) -> None:
    if not actor.has(*roles):
        names = " or ".join(r.replace("_", " ") for r in roles)
        raise Forbidden(f"Only a {names} may do this.")


def validate_staff(session: Session, data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not USERNAME.match(str(data.get("username", ""))):
        errors["username"] = ["Enter a username of letters, numbers, dots, dashes or underscores"]
    unknown = [r for r in data.get("roles", []) if r not in ROLES]
    if unknown or not data.get("roles"):
        errors["roles"] = [f"Roles must be some of: {', '.join(ROLES)}"]
    manager = data.get("line_manager")
    if manager and session.scalars(select(models.Staff.id).where(models.Staff.username == manager)).first() is None:
        errors["line_manager"] = [f"There is no member of staff called {manager!r}"]
    if session.scalars(select(models.Staff.id).where(models.Staff.username == data.get("username"))).first():
        errors["username"] = ["That username is already taken"]
    return errors


def add_staff(session: Session, la_id: int, data: dict[str, Any], now: datetime) -> models.Staff:
    """Create a member of staff from validated API data (marshmallow checks the shapes)."""
    errors = validate_staff(session, data)
    if errors:
        raise InvalidForm("The member of staff cannot be created: correct the answers listed.", errors=errors)
    registration = data.get("swe_registration") or {}
    row = models.Staff(
        la_id=la_id,
        username=data["username"],
        name=data["name"],
        email=data["email"],
        roles=list(dict.fromkeys(data["roles"])),
        profession=data.get("profession") or "social_worker",
        swe_number=registration.get("number"),
        swe_expires_on=registration.get("expires_on"),
        competencies=list(data.get("competencies") or []),
        team=data.get("team") or "",
        line_manager=data.get("line_manager"),
        employer=data.get("employer") or "la",
        caseload_limit=data.get("caseload_limit"),
        created_at=now,
        demo=bool(data.get("demo")),
    )
    session.add(row)
    session.flush()
    return row


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(session: Session, row: models.Staff, now: datetime, days: int = TOKEN_DAYS) -> str:
    """A new bearer token; only its hash is stored."""
    token = "cp_" + secrets.token_urlsafe(32)
    session.add(
        models.ApiToken(
            staff_id=row.id, token_hash=token_hash(token), created_at=now, expires_at=now + timedelta(days=days)
        )
    )
    return token


def actor_for_token(session: Session, token: str, now: datetime) -> Actor:
    query = (
        select(models.ApiToken, models.Staff)
        .join(models.Staff, models.Staff.id == models.ApiToken.staff_id)
        .where(models.ApiToken.token_hash == token_hash(token))
    )
    found = session.execute(query).first()
    if found is None:
        raise Unauthenticated("The token is not recognised. Ask an administrator for a new one.")
    token_row, staff = found
    if token_row.revoked_at is not None or token_row.expires_at <= now or not staff.active:
        raise Unauthenticated("The token has expired or been revoked. Ask an administrator for a new one.")
    return Actor(staff.username, staff.la_id, tuple(staff.roles))
