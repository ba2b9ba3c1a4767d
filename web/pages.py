"""Signing in and out, and the inbox (my tasks, tasks I may claim, my team's, overdue)."""

from __future__ import annotations

from typing import Any, cast

from flask import current_app, flash, redirect, request, session
from werkzeug.wrappers import Response as BaseResponse

from casepath.domain.errors import CasepathError, Unauthenticated
from casepath.services import login, pages, tasks
from casepath.services.staff import Actor
from web.blueprint import actor, blp, check_csrf, core, go, page, safe_next, signed_in

INBOX_TITLES = {
    "mine": "My tasks",
    "available": "Tasks I can claim",
    "team": "My team's tasks",
    "overdue": "Overdue",
}


def _login() -> dict[str, Any]:
    return cast(dict[str, Any], current_app.extensions["casepath_login"])


def _start_session(who: Actor, name: str) -> None:
    session.clear()
    session["actor"] = {"username": who.username, "la_id": who.la_id, "roles": list(who.roles)}
    session["name"] = name


def _name_of(username: str) -> str:
    return next((p["name"] for p in login.demo_people(core()) if p["username"] == username), username)


@blp.get("/sign-in")
def sign_in() -> tuple[str, int]:
    return _sign_in_page({}, None)


def _sign_in_page(form: dict[str, str], error: str | None, status: int = 200) -> tuple[str, int]:
    people = login.demo_people(core())
    items = [
        {"value": p["username"], "text": p["name"], "hint": {"text": ", ".join(p["roles"]).replace("_", " ")}}
        for p in people
    ]
    return page(
        "sign_in.html",
        status,
        form=form,
        error=error,
        demo_people=people,
        demo_items=items,
        next=safe_next(request.args.get("next") or request.form.get("next")),
    )


@blp.post("/sign-in")
def sign_in_post() -> Any:
    check_csrf()
    credentials = {"username": request.form.get("username", ""), "password": request.form.get("password", "")}
    address = request.remote_addr or "unknown"
    try:
        who = login.sign_in(core(), _login()["provider"], _login()["throttle"], credentials, address)
    except Unauthenticated as err:
        return _sign_in_page({"username": credentials["username"]}, err.detail, 401)
    _start_session(who, _staff_name(who))
    return redirect(safe_next(request.form.get("next")))


@blp.post("/sign-in/demo")
def sign_in_demo() -> Any:
    check_csrf()
    try:
        who = login.sign_in_demo(core(), request.form.get("username", ""))
    except Unauthenticated as err:
        return _sign_in_page({}, err.detail, 400)
    _start_session(who, _name_of(who.username))
    return go("web.inbox")


def _staff_name(who: Actor) -> str:
    return pages.display_name(core(), who.username)


@blp.post("/sign-out")
def sign_out() -> BaseResponse:
    check_csrf()
    session.clear()
    return go("web.sign_in")


@blp.get("/")
@signed_in
def home() -> BaseResponse:
    return go("web.inbox")


@blp.get("/inbox")
@signed_in
def inbox() -> Any:
    me = actor()
    view = request.args.get("view", "mine")
    views = [v for v in pages.INBOX_VIEWS if v != "team" or me.has("practice_supervisor")]
    if view not in views:
        view = "mine"
    found = pages.inbox(core(), me, view)
    return page("inbox.html", found=found, view=view, views=views, titles=INBOX_TITLES)


@blp.post("/tasks/<task_id>/claim")
@signed_in
def claim(task_id: str) -> Any:
    check_csrf()
    try:
        tasks.claim_task(core(), actor(), task_id)
    except CasepathError as err:
        flash(err.detail, "error")
        return go("web.inbox", view=request.form.get("view", "available"))
    flash("You have claimed the task. It is now in your tasks.", "success")
    return go("web.task", task_id=task_id)
