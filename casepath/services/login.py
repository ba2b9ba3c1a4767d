"""Signing in to the staff pages: identity providers, passwords, demo people, a failed-login throttle.

The web pages ask an `IdentityProvider` who someone is and get back an `Actor`. Casepath ships the
password provider. The OIDC slot: an `OidcProvider` would implement the same protocol with
`credentials = {"code": ..., "state": ...}` from the callback, exchange the code at the council's
identity provider, and map a verified claim (`preferred_username` or `email`) to an active
`Staff` row exactly as `_actor_of` does here; the pages would redirect to it instead of showing the
password form. Roles always come from Casepath's staff directory, never from the identity provider.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from casepath.domain.errors import Forbidden, InvalidForm, Unauthenticated
from casepath.services.core import Casepath
from casepath.services.staff import Actor
from casepath.store import models

MIN_PASSWORD = 8
WRONG = "Enter a correct username and password"


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so a wrong username takes as long as a wrong password."""
    return generate_password_hash("not a real password")


class IdentityProvider(Protocol):
    """Turns what someone presented (a password, an OIDC authorisation code) into an Actor."""

    name: str

    def authenticate(self, app: Casepath, credentials: Mapping[str, str]) -> Actor:
        """The actor, or Unauthenticated with a message safe to show on the sign-in page."""
        ...


def _actor_of(row: models.Staff) -> Actor:
    return Actor(row.username, row.la_id, tuple(row.roles))


def _active_staff(app: Casepath, username: str) -> models.Staff | None:
    with app.db.transaction() as session:
        query = select(models.Staff).where(models.Staff.username == username, models.Staff.active.is_(True))
        row = session.scalars(query).first()
        if row is not None:
            session.expunge(row)
        return row


@dataclass
class PasswordProvider:
    """Usernames and passwords held (hashed) in Casepath's staff directory."""

    name: str = "password"

    def authenticate(self, app: Casepath, credentials: Mapping[str, str]) -> Actor:
        username = credentials.get("username", "").strip()
        password = credentials.get("password", "")
        if not username or not password:
            raise Unauthenticated(WRONG)
        row = _active_staff(app, username)
        if row is None or not row.password_hash:
            check_password_hash(_dummy_hash(), password)
            raise Unauthenticated(WRONG)
        if not check_password_hash(row.password_hash, password):
            raise Unauthenticated(WRONG)
        return _actor_of(row)


def set_password(app: Casepath, actor: Actor | None, username: str, password: str) -> None:
    """Set someone's password: an admin, the person themselves, or the command line (actor None)."""
    if actor is not None and actor.username != username and not actor.has("admin"):
        raise Forbidden("Only an administrator may set another person's password.")
    if len(password) < MIN_PASSWORD:
        raise InvalidForm(
            f"The password must be at least {MIN_PASSWORD} characters.",
            errors={"password": [f"Password must be {MIN_PASSWORD} characters or more"]},
        )
    with app.db.transaction() as session:
        row = session.scalars(select(models.Staff).where(models.Staff.username == username)).first()
        if row is None:
            raise InvalidForm("There is no such member of staff.", errors={"username": ["Enter a known username"]})
        row.password_hash = generate_password_hash(password)


def demo_people(app: Casepath) -> list[dict[str, Any]]:
    """Demo staff anyone may sign in as while demo data is loaded (empty otherwise: the picker is off)."""
    with app.db.transaction() as session:
        query = (
            select(models.Staff)
            .where(models.Staff.demo.is_(True), models.Staff.active.is_(True))
            .order_by(models.Staff.name)
        )
        return [{"username": r.username, "name": r.name, "roles": list(r.roles)} for r in session.scalars(query)]


def sign_in_demo(app: Casepath, username: str) -> Actor:
    """Sign in as a demo person without a password; refused for anyone who is not demo staff."""
    row = _active_staff(app, username)
    if row is None or not row.demo:
        raise Unauthenticated("Choose one of the demo people listed.")
    return _actor_of(row)


@dataclass
class LoginThrottle:
    """Refuses sign-in attempts after too many failures for one username or from one address.

    The failures are rows in the database, so every web process of a deployment counts the same
    attempts (an attacker gains nothing from several gunicorn workers). Failures older than the window
    are removed as new ones arrive; a successful sign-in clears the username's count.
    """

    max_failures: int = 5
    window_seconds: float = 15 * 60

    @staticmethod
    def _keys(username: str, address: str) -> list[str]:
        return [f"user:{username.lower()[:200]}", f"ip:{address[:64]}"]

    def check(self, app: Casepath, username: str, address: str) -> None:
        since = app.clock.now() - timedelta(seconds=self.window_seconds)
        with app.db.transaction() as session:
            for key in self._keys(username, address):
                query = select(func.count()).where(models.LoginFailure.key == key, models.LoginFailure.at > since)
                if (session.scalar(query) or 0) >= self.max_failures:
                    minutes = round(self.window_seconds / 60)
                    raise Unauthenticated(
                        f"Too many failed attempts to sign in. Wait {minutes} minutes and try again, "
                        "or ask an administrator to reset your password."
                    )

    def failed(self, app: Casepath, username: str, address: str) -> None:
        now = app.clock.now()
        with app.db.transaction() as session:
            session.execute(
                delete(models.LoginFailure).where(
                    models.LoginFailure.at <= now - timedelta(seconds=self.window_seconds)
                )
            )
            session.add_all(models.LoginFailure(key=key, at=now) for key in self._keys(username, address))

    def succeeded(self, app: Casepath, username: str) -> None:
        with app.db.transaction() as session:
            session.execute(delete(models.LoginFailure).where(models.LoginFailure.key == self._keys(username, "")[0]))


def sign_in(
    app: Casepath, provider: IdentityProvider, throttle: LoginThrottle, credentials: Mapping[str, str], address: str
) -> Actor:
    """Check the throttle, ask the provider, count the failure or clear the count."""
    username = credentials.get("username", "").strip()
    throttle.check(app, username, address)
    try:
        actor = provider.authenticate(app, credentials)
    except Unauthenticated:
        throttle.failed(app, username, address)
        raise
    throttle.succeeded(app, username)
    return actor
