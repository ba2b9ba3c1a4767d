"""Who is asking: a bearer token (API) or the web session (pages)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, request, session

from casepath.domain.errors import Unauthenticated
from casepath.services.core import Casepath
from casepath.services.staff import Actor, actor_for_token

F = TypeVar("F", bound=Callable[..., Any])
# documented as public in design/api.md: the OpenAPI document, its browsable docs and their assets
PUBLIC_ENDPOINTS = {"api-docs.openapi_json", "api_docs", "api_docs_script", "swagger_ui_asset", "static"}


def core() -> Casepath:
    return cast(Casepath, current_app.extensions["casepath"])


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        raise Unauthenticated("Sign in, or send a bearer token in the Authorization header.")
    return cast(Actor, actor)


def resolve_actor() -> Actor | None:
    header = request.headers.get("Authorization", "")
    app = core()
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send the token as `Authorization: Bearer <token>`.")
        with app.db.transaction() as db:
            return actor_for_token(db, token.strip(), app.now(db))
    user = session.get("actor")
    if isinstance(user, dict):
        return Actor(user["username"], int(user["la_id"]), tuple(user["roles"]))
    return None


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_actor()
        return view(*args, **kwargs)

    return cast(F, wrapper)
