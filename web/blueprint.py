"""The `web` blueprint and what every page shares: who is signed in, CSRF, templates, error pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf  # type: ignore[import-untyped]
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.wrappers import Response as BaseResponse

from casepath.domain.errors import CasepathError, Unauthenticated
from casepath.services.core import Casepath
from casepath.services.staff import Actor

HERE = Path(__file__).parent
F = TypeVar("F", bound=Callable[..., Any])
STATUS = {"not_found": 404, "forbidden": 403, "not_qualified": 403, "four_eyes": 403, "not_independent": 403}


class PagesBlueprint(Blueprint):
    """Templates from web/templates, and the GOV.UK Frontend Jinja macros under `govuk_frontend_jinja/`."""

    @property
    def jinja_loader(self) -> BaseLoader | None:
        return ChoiceLoader(
            [
                FileSystemLoader(HERE / "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        )


blp = PagesBlueprint("web", __name__, static_folder="static", static_url_path="/static")


def core() -> Casepath:
    return cast(Casepath, current_app.extensions["casepath"])


def actor() -> Actor:
    found = g.get("actor")
    if found is None:
        raise Unauthenticated("Sign in to continue.")
    return cast(Actor, found)


def signed_in(view: F) -> F:
    """Send anyone not signed in to the sign-in page, then back here."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            back = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("web.sign_in", next=back))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def check_csrf() -> None:
    """Every form post carries the session's CSRF token (flask-wtf), else CSRFError."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValueError as err:  # wtforms' ValidationError
        raise CSRFError(str(err)) from None


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


@blp.context_processor
def _globals() -> dict[str, Any]:
    person = g.get("actor")
    return {
        "csrf_token": generate_csrf,
        "me": person,
        "me_name": session.get("name") if person else None,
        "council": core().settings.la_name,
    }


@blp.errorhandler(CasepathError)
def _domain_error(err: CasepathError) -> Any:
    if isinstance(err, Unauthenticated):
        return redirect(url_for("web.sign_in"))
    return page("error.html", STATUS.get(err.code, 400), title=err.title, detail=err.detail)


@blp.errorhandler(CSRFError)
def _csrf_error(err: CSRFError) -> Any:
    detail = "Your session has expired or the form was not sent from Casepath. Go back, reload the page and try again."
    return page("error.html", 400, title="Sorry, there is a problem with the form", detail=detail)


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("web.inbox")


def go(endpoint: str, **values: Any) -> BaseResponse:
    return redirect(url_for(endpoint, **values))


__all__ = ["Response", "actor", "blp", "check_csrf", "core", "go", "page", "safe_next", "signed_in"]
