"""Staff directory and API tokens (issue: who may do what)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
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
    return active_staff(row, username, la_id)


def active_staff(row: models.Staff | None, username: str, la_id: int | None = None) -> models.Staff:
    """The row, when it is an active member of staff of the LA; otherwise there is no such member of staff."""
    if row is None or (la_id is not None and row.la_id != la_id) or not row.active:
        raise NotFound(f"There is no member of staff called {username!r}.")
    return row


def line_managers(
    session: Session, row: models.Staff, managers: Mapping[str, str | None] | None = None
) -> tuple[str, ...]:
    """The line-management chain above a member of staff, nearest first (`managers`: username -> line
    manager for the whole LA, when the caller has read it once already)."""
    chain: list[str] = []
    manager = row.line_manager
    while manager and manager not in chain and manager != row.username and len(chain) < 20:
        chain.append(manager)
        if managers is not None:
            manager = managers.get(manager)
        else:
            manager = session.scalars(select(models.Staff.line_manager).where(models.Staff.username == manager)).first()
    return tuple(chain)


def managers_of(session: Session, la_id: int) -> dict[str, str | None]:
    """username -> line manager, for every member of staff of the LA (one query)."""
    query = select(models.Staff.username, models.Staff.line_manager).where(models.Staff.la_id == la_id)
    return {username: manager for username, manager in session.execute(query)}


def reports_of(managers: Mapping[str, str | None], username: str) -> set[str]:
    """Everyone line-managed by `username`, directly or further down the chain."""
    found = set()
    for member in managers:
        manager, seen = managers.get(member), {member}
        while manager and manager not in seen:
            if manager == username:
                found.add(member)
                break
            seen.add(manager)
            manager = managers.get(manager)
    return found


def person_of(row: models.Staff, today: date) -> Person:
    return Person(
        username=row.username,
        roles=tuple(row.roles),
        profession=row.profession,
        registered=registered_on(row.swe_expires_on, row.swe_number, today),
        competencies=tuple(row.competencies),
        team=row.team,
        employer=row.employer,
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


EDITABLE = (
    "name",
    "email",
    "roles",
    "profession",
    "swe_registration",
    "competencies",
    "team",
    "line_manager",
    "employer",
    "caseload_limit",
)


def validate_changes(session: Session, row: models.Staff, changes: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with changing a member of staff this way (marshmallow has checked the shapes)."""
    errors: dict[str, list[str]] = {key: ["This cannot be changed"] for key in set(changes) - set(EDITABLE)}
    if "roles" in changes:
        roles = changes["roles"] or []
        if not roles or any(role not in ROLES for role in roles):
            errors["roles"] = [f"Roles must be some of: {', '.join(ROLES)}"]
    manager = changes.get("line_manager")
    if manager:
        target = session.scalars(select(models.Staff).where(models.Staff.username == manager)).first()
        if target is None or target.la_id != row.la_id or not target.active:
            errors["line_manager"] = [f"There is no member of staff called {manager!r}"]
        elif manager == row.username:
            errors["line_manager"] = ["A member of staff cannot be their own line manager"]
        elif row.username in line_managers(session, target):
            errors["line_manager"] = [f"{manager} is line-managed by {row.username}: choose someone above them"]
    return errors


def apply_changes(row: models.Staff, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if key == "swe_registration":
            registration = value or {}
            row.swe_number, row.swe_expires_on = registration.get("number"), registration.get("expires_on")
        elif key in ("roles", "competencies"):
            setattr(row, key, list(dict.fromkeys(value or [])))
        else:
            setattr(row, key, value)


def active_admins(session: Session, la_id: int) -> list[str]:
    query = select(models.Staff).where(models.Staff.la_id == la_id, models.Staff.active.is_(True))
    return [row.username for row in session.scalars(query) if "admin" in row.roles]


def revoke_tokens(session: Session, row: models.Staff, now: datetime) -> int:
    """Revoke every token of a member of staff still in use; returns how many."""
    query = select(models.ApiToken).where(
        models.ApiToken.staff_id == row.id, models.ApiToken.revoked_at.is_(None), models.ApiToken.expires_at > now
    )
    tokens = list(session.scalars(query))
    for token in tokens:
        token.revoked_at = now
    return len(tokens)
