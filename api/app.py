"""The Flask application factory: REST API, OpenAPI document, and (when present) the web pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from api import errors, guards, v1, v1_browse, v1_people, v1_processes, v1_reports
from api.auth import PUBLIC_ENDPOINTS, resolve_actor
from api.openapi import CasepathApi, register_docs
from casepath.domain.errors import Unauthenticated
from casepath.services.core import Casepath, Settings
from web import init_app as init_web

MAX_BODY = 1_000_000


def create_app(core: Casepath | None = None, test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.update(
        API_TITLE="Casepath",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=MAX_BODY,
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    app.config.update(test_config or {})
    app.extensions["casepath"] = core = core or Casepath(Settings.from_env())
    if core.settings.trusted_proxies:  # the client's address and scheme as the proxies saw them
        hops = core.settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    api = CasepathApi(app)
    api.register_blueprint(v1.blp)
    api.register_blueprint(v1_browse.blp)
    api.register_blueprint(v1_reports.blp)
    api.register_blueprint(v1_processes.blp)
    api.register_blueprint(v1_people.blp)
    register_docs(app)
    errors.register(app)
    app.before_request(guards.refuse_large_bodies)
    app.before_request(_authenticate)
    app.before_request(guards.check_request)
    app.after_request(_security_headers)
    init_web(app)  # the staff pages; SECRET_KEY from CASEPATH_SECRET_KEY or var/secret_key
    return app


def _authenticate() -> None:
    g.actor = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    g.actor = resolve_actor()
    if g.actor is None and (request.path.startswith("/api/") or request.endpoint is None):
        if request.path.startswith("/api/"):
            raise Unauthenticated("Send a bearer token in the Authorization header: `casepath staff token USERNAME`.")


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    )
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
