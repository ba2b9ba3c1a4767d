"""Wiring the pages into the Flask app: secret key, cookies, Jinja loaders, the blueprint."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

import web.case_pages
import web.owner_pages
import web.owner_tools_pages
import web.pages
import web.report_pages
import web.task_pages  # noqa: F401
from casepath.services.core import Casepath
from casepath.services.login import LoginThrottle, PasswordProvider
from web.blueprint import blp


class _SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS (or always, if configured)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def secret_key(root: Path) -> str:
    """CASEPATH_SECRET_KEY, else a random key generated once and kept in var/secret_key (mode 600)."""
    configured = os.environ.get("CASEPATH_SECRET_KEY")
    if configured:
        return configured
    path = root / "var" / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def init_app(app: Flask, **options: Any) -> None:
    """Register the staff pages on `app` (call after the app's config is loaded)."""
    core: Casepath = app.extensions["casepath"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(core.settings.root)
    if os.environ.get("CASEPATH_SECURE_COOKIES") == "1":
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # a long assessment must not lose its answers to an expired token
    )
    app.session_interface = _SessionInterface()
    app.extensions["casepath_login"] = {
        "provider": options.get("provider") or PasswordProvider(),
        "throttle": options.get("throttle") or LoginThrottle(),
    }
    app.register_blueprint(blp)
