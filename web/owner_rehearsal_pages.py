"""Rehearsing a draft: start a throwaway Casepath with its own clock, refer made-up children, complete their
steps as any role through the same GOV.UK forms staff use, move the clock on and watch timers and
escalations fire, then discard it. Nothing here touches a real case (casepath.services.rehearsal).

Process owners only.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from flask import flash, request

from casepath.domain.errors import CasepathError, InvalidForm
from casepath.services import drafts, rehearsal
from casepath.services.staff import Actor
from web import forms
from web.blueprint import blp, check_csrf, core, go, page, signed_in
from web.owner_tools_pages import OWNERS, allowed, error_items, render_form, status_of

ROLES = [name for name in rehearsal.PEOPLE if name != "reviewer"]
OPEN = ("ready", "claimed")


def _owner() -> Actor:
    return allowed(OWNERS, "Only a process owner may rehearse a draft.")


def _start_moment(form: dict[str, str]) -> datetime | None:
    """The rehearsal clock's start: 09:00 UTC on the day entered, or None (now) if no day was entered."""
    parts = [form.get(f"start-{p}", "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        day, month, year = (int(p) for p in parts)
        return datetime.combine(datetime(year, month, day).date(), time(9), tzinfo=UTC)
    except ValueError:
        message = "Enter a real date for the rehearsal clock to start, like 2 6 2025, or leave it blank for today"
        raise InvalidForm(message, errors={"start": [message]}) from None


@blp.get("/owner/rehearsals")
@signed_in
def owner_rehearsals() -> Any:
    me = _owner()
    return _index(me, {}, [])


def _index(me: Actor, form: dict[str, str], items: list[dict[str, str]], status: int = 200) -> Any:
    return page(
        "owner/rehearsals.html",
        status,
        running=rehearsal.list_rehearsals(core(), me),
        draft_list=drafts.list_drafts(core(), me),
        form=form,
        error_items=items,
        errors={i["href"][1:]: i["text"] for i in items if i.get("href")},
        nav_active="editor",
    )


@blp.post("/owner/rehearsals")
@signed_in
def owner_rehearsal_start() -> Any:
    check_csrf()
    me = _owner()
    form = {k: str(v) for k, v in request.form.items()}
    try:
        if not form.get("draft"):
            raise InvalidForm("Choose a draft to rehearse.", errors={"draft": ["Choose a draft to rehearse"]})
        started = rehearsal.start_rehearsal(core(), me, form["draft"], _start_moment(form))
    except CasepathError as err:
        if err.code not in ("invalid_form", "conflict", "not_found"):
            raise
        return _index(me, form, error_items(err, {"draft": "#draft", "start": "#start-day"}), status_of(err))
    flash(f"Rehearsal of the draft {started['draft']} started. Nothing you do here touches a real case.", "success")
    return go("web.owner_rehearsal", rid=started["id"])


@blp.get("/owner/rehearsals/<rid>")
@signed_in
def owner_rehearsal(rid: str) -> Any:
    me = _owner()
    return _rehearsal_page(me, rid, [])


def _rehearsal_page(me: Actor, rid: str, items: list[dict[str, str]], status: int = 200) -> Any:
    found = rehearsal.get_rehearsal(core(), me, rid)
    listed = rehearsal.list_tasks(core(), me, rid)
    return page(
        "owner/rehearsal.html",
        status,
        rehearsal=found,
        open_tasks=[t for t in listed if t["state"] in OPEN],
        done_tasks=[t for t in listed if t["state"] not in OPEN],
        error_items=items,
        travel_error=" ".join(i["text"] for i in items if i.get("href") == "#working_days"),
        max_days=rehearsal.MAX_TRAVEL_WORKING_DAYS,
        nav_active="editor",
    )


@blp.post("/owner/rehearsals/<rid>/referrals")
@signed_in
def owner_rehearsal_refer(rid: str) -> Any:
    check_csrf()
    me = _owner()
    made = rehearsal.refer(core(), me, rid, {})
    flash(f"A made-up child was referred: case {made['case_id'][:8]}.", "success")
    return go("web.owner_rehearsal", rid=rid)


@blp.post("/owner/rehearsals/<rid>/travel")
@signed_in
def owner_rehearsal_travel(rid: str) -> Any:
    """Move the rehearsal clock forward a number of working days: due timers and escalations fire."""
    check_csrf()
    me = _owner()
    raw = request.form.get("working_days", "").strip()
    try:
        days = int(raw) if raw.isdigit() and len(raw) < 6 else 0
        moved = rehearsal.travel(core(), me, rid, days)
    except InvalidForm as err:
        return _rehearsal_page(me, rid, error_items(err, {"working_days": "#working_days"}), 422)
    flash(f"The rehearsal clock is now {moved['now'][:10]}: {moved['fired']} timer(s) fired.", "success")
    return go("web.owner_rehearsal", rid=rid)


@blp.post("/owner/rehearsals/<rid>/end")
@signed_in
def owner_rehearsal_end(rid: str) -> Any:
    check_csrf()
    me = _owner()
    rehearsal.end_rehearsal(core(), me, rid)
    flash("The rehearsal was discarded.", "success")
    return go("web.owner_rehearsals")


def _task_page(me: Actor, rid: str, task: dict[str, Any], **state: Any) -> Any:
    errors = state.get("errors") or {}
    schema = task["form"]
    items = [{"text": p} for p in state.get("problems", [])] + forms.error_list(schema, errors)
    role = state.get("role") or (task["assignee"] if task["assignee"] in ROLES else task["role"])
    return page(
        "owner/rehearsal_task.html",
        state.get("status", 200),
        rid=rid,
        task=task,
        fields=render_form(schema, state.get("data") or {}, errors, state.get("rows") or {}),
        roles=ROLES,
        role=role,
        error_items=items,
        delay_reason=state.get("delay_reason", ""),
        late=task["late"] or "delay_reason" in errors,
        delay_error=" ".join(errors.get("delay_reason", [])),
        nav_active="editor",
    )


@blp.get("/owner/rehearsals/<rid>/tasks/<task_id>")
@signed_in
def owner_rehearsal_task(rid: str, task_id: str) -> Any:
    me = _owner()
    return _task_page(me, rid, rehearsal.get_task(core(), me, rid, task_id))


@blp.post("/owner/rehearsals/<rid>/tasks/<task_id>")
@signed_in
def owner_rehearsal_complete(rid: str, task_id: str) -> Any:
    """Complete a rehearsal step as the chosen role, through the step's own form."""
    check_csrf()
    me = _owner()
    task = rehearsal.get_task(core(), me, rid, task_id)
    data, rows = forms.parse(task["form"], request.form)
    role, delay = request.form.get("role", ""), request.form.get("delay_reason", "").strip()
    state = {"data": data, "rows": rows, "role": role, "delay_reason": delay}
    action = request.form.get("action", "submit")
    if action.startswith("add:"):
        name = action.removeprefix("add:")
        rows[name] = min(rows.get(name, forms.DEFAULT_ROWS) + 1, forms.MAX_ROWS)
        return _task_page(me, rid, task, **state)
    try:
        rehearsal.complete(core(), me, rid, task_id, role, {**data, "delay_reason": delay} if delay else data)
    except CasepathError as err:
        if err.code == "not_found":
            raise
        known = {k: v for k, v in err.errors.items() if k == "delay_reason" or forms.anchor(task["form"], k)}
        if err.code == "delay_reason_required":
            known = {"delay_reason": [err.detail]}
        problems = [m for k, v in err.errors.items() if k not in known for m in v] or ([] if known else [err.detail])
        return _task_page(me, rid, task, **state, errors=known, problems=problems, status=status_of(err))
    flash(f"{task['name']} was completed as {role.replace('_', ' ')}.", "success")
    return go("web.owner_rehearsal", rid=rid)
