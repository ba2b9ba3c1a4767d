"""The task page: the step's form as GOV.UK components, save draft, add a row, complete; reassigning."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import flash, get_template_attribute, request
from flask_wtf.csrf import CSRFError  # type: ignore[import-untyped]

from casepath.domain.errors import CasepathError, DelayReasonRequired, Forbidden, InvalidForm
from casepath.services import pages, tasks
from web import forms
from web.blueprint import actor, blp, check_csrf, core, go, page, signed_in

OPEN = ("ready", "claimed")
EXPIRED = "Your session expired before you sent the form. Your answers are below: send them again."


def _render_component(component: forms.Component) -> str:
    return str(get_template_attribute("_fields.html", "field")(component))


def _task_page(
    task: dict[str, Any],
    data: Mapping[str, Any],
    errors: Mapping[str, Sequence[str]] | None = None,
    rows: Mapping[str, int] | None = None,
    problems: Sequence[str] = (),
    status: int = 200,
) -> tuple[str, int]:
    schema = task["form"]
    errors = errors or {}
    items = [{"text": p} for p in problems] + forms.error_list(schema, errors)
    if "delay_reason" in errors:
        items = [i for i in items if i["text"] not in errors["delay_reason"]]
        items += [{"text": m, "href": "#delay_reason"} for m in errors["delay_reason"]]
    me = actor()
    return page(
        "task.html",
        status,
        task=task,
        schema=schema,
        fields=forms.components(schema, data, errors, rows or {}, _render_component),
        delay_reason=str(data.get("delay_reason") or ""),
        delay_error=" ".join(errors.get("delay_reason", [])),
        error_items=items,
        can_edit=task["state"] in OPEN and task["assignee"] in (None, me.username),
        answers=_answers(schema, task.get("data") or {}),
    )


def _answers(schema: Mapping[str, Any], data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A completed task's answers as summary list rows, labelled from the schema."""
    props = schema.get("properties", {})
    rows = []
    for name in forms.order(schema):
        if name in data:
            label = props[name].get("title") or name
            value = data[name]
            text = "; ".join(_plain(v) for v in value) if isinstance(value, list) else _plain(value)
            rows.append({"key": {"text": label}, "value": {"text": text}})
    return rows


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values())
    return forms.as_text(value)


@blp.get("/tasks/<task_id>")
@signed_in
def task(task_id: str) -> Any:
    found = pages.task_page(core(), actor(), task_id)
    return _task_page(found, found.get("draft") or {})


@blp.post("/tasks/<task_id>")
@signed_in
def task_post(task_id: str) -> Any:
    found = pages.task_page(core(), actor(), task_id)
    data, rows = forms.parse(found["form"], request.form)
    delay = request.form.get("delay_reason", "").strip()
    typed = {**data, "delay_reason": delay} if delay else dict(data)
    try:
        check_csrf()
    except CSRFError:
        return _task_page(found, typed, rows=rows, problems=[EXPIRED], status=400)
    action = request.form.get("action", "submit")
    if action.startswith("add:"):
        name = action.removeprefix("add:")
        rows[name] = min(rows.get(name, forms.DEFAULT_ROWS) + 1, forms.MAX_ROWS)
        _keep_draft(found, typed)
        return _task_page(found, typed, rows=rows)
    if action == "draft":
        return _save_draft(found, typed, rows)
    return _complete(found, data, typed, delay, rows)


def _keep_draft(found: dict[str, Any], typed: dict[str, Any]) -> bool:
    """Save what was typed for the task's holder; quietly skipped for anyone else."""
    if found["assignee"] != actor().username or found["state"] not in OPEN:
        return False
    tasks.save_draft(core(), actor(), found["id"], typed)
    return True


def _save_draft(found: dict[str, Any], typed: dict[str, Any], rows: dict[str, int]) -> Any:
    try:
        if found["assignee"] is None:
            tasks.claim_task(core(), actor(), found["id"])
            found = pages.task_page(core(), actor(), found["id"])
        if not _keep_draft(found, typed):
            raise Forbidden("Only the person holding this task can save a draft of it.")
    except CasepathError as err:
        return _task_page(found, typed, rows=rows, problems=[err.detail], status=_status(err))
    flash("Your draft has been saved. Only you can see it until you complete the step.", "success")
    return go("web.task", task_id=found["id"])


def _complete(found: dict[str, Any], data: dict[str, Any], typed: dict[str, Any], delay: str, rows: Any) -> Any:
    payload = {**data, "delay_reason": delay} if found["late"] else data
    try:
        tasks.complete_task(core(), actor(), found["id"], {"data": payload}, with_case=False)
    except DelayReasonRequired as err:
        _keep_draft(found, typed)
        return _task_page(found, typed, errors={"delay_reason": [err.detail]}, rows=rows, status=422)
    except CasepathError as err:
        _keep_draft(found, typed)
        known = {k: v for k, v in err.errors.items() if forms.anchor(found["form"], k)}
        problems = [err.detail] if not known else [m for k, v in err.errors.items() if k not in known for m in v]
        return _task_page(found, typed, errors=known, rows=rows, problems=problems, status=_status(err))
    flash(f"{found['name']} for {found['child_name']} is complete.", "success")
    return go("web.inbox")


def _status(err: CasepathError) -> int:
    return {"invalid_form": 422, "not_found": 404, "already_claimed": 409}.get(
        err.code, 403 if "not" in err.code else 400
    )


@blp.get("/tasks/<task_id>/reassign")
@signed_in
def reassign(task_id: str) -> Any:
    return _reassign_page(task_id, {}, [])


def _reassign_page(task_id: str, form: dict[str, str], problems: list[dict[str, str]], status: int = 200) -> Any:
    found = pages.task_page(core(), actor(), task_id)
    candidates = pages.reassign_candidates(core(), actor(), task_id)
    return page("reassign.html", status, task=found, form=form, error_items=problems, candidates=candidates)


@blp.post("/tasks/<task_id>/reassign")
@signed_in
def reassign_post(task_id: str) -> Any:
    check_csrf()
    form = {"assignee": request.form.get("assignee", "").strip(), "reason": request.form.get("reason", "")}
    try:
        if not form["assignee"]:
            message = "Enter the username of the person to give the task to"
            raise InvalidForm(message, errors={"assignee": [message]})
        tasks.assign_task(core(), actor(), task_id, form["assignee"], form["reason"])
    except CasepathError as err:
        items = [{"text": m, "href": f"#{k}"} for k, v in err.errors.items() for m in v] or [
            {"text": err.detail, "href": "#assignee"}
        ]
        return _reassign_page(task_id, form, items, _status(err))
    flash(f"The task has been given to {form['assignee']}.", "success")
    return go("web.team")
