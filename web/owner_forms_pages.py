"""Forms editor: the forms of a draft (editable) or of a published version (read-only), each a JSON Schema
with GOV.UK hints, previewed live by the same renderer staff see on their task pages.

Process owners edit a draft's forms and start drafts from versions; reviewers open versions' forms read-only.
"""

from __future__ import annotations

import json
from typing import Any

from flask import flash, render_template, request

from casepath.domain.errors import CasepathError, InvalidForm, NotFound
from casepath.services import catalogue, drafts
from casepath.services.staff import Actor
from web.blueprint import blp, check_csrf, core, go, page, signed_in
from web.owner_tools_pages import OWNERS, allowed, error_items, render_form, status_of

VIEWERS = ("process_owner", "reviewer")
MAX_TEXT = 200_000
SCHEMA_FIELD = "#editor-schema"
STARTER: dict[str, Any] = {
    "$schema": drafts.DRAFT_2020_12,
    "title": "",
    "type": "object",
    "additionalProperties": False,
    "x-govuk-order": ["note"],
    "properties": {
        "note": {
            "title": "Note",
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "x-govuk": {"widget": "textarea", "errors": {"minLength": "Enter a note"}},
        }
    },
    "required": ["note"],
}


def _viewer() -> Actor:
    return allowed(VIEWERS, "Only a process owner or a reviewer may open the pathway's forms.")


def _editor() -> Actor:
    return allowed(OWNERS, "Only a process owner may change the pathway's forms.")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _source(me: Actor) -> dict[str, Any]:
    """The forms open: a draft's (`?draft=`, process owners) or a published version's (`?version=`, default newest)."""
    name = request.args.get("draft")
    if name and me.has(*OWNERS):
        found = drafts.get_draft(core(), me, name)
        return {"draft": name, "version": None, "base_version": found["base_version"], "forms": found["forms"]}
    listed = catalogue.list_versions(core(), me)
    if not listed:
        raise NotFound("No version of the pathway has been published yet.")
    version = _int(request.args.get("version")) or listed[0]["version"]
    forms = drafts.version_forms(core(), me, version)
    return {"draft": None, "version": version, "base_version": version, "forms": forms}


def _rows(forms: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"key": key, "title": schema.get("title") or key, "questions": len(schema.get("properties") or {})}
        for key, schema in sorted(forms.items())
    ]


@blp.get("/owner/forms")
@signed_in
def owner_forms() -> Any:
    me = _viewer()
    source = _source(me)
    return page(
        "owner/forms.html",
        source=source,
        rows=_rows(source["forms"]),
        may_edit=me.has(*OWNERS),
        versions=catalogue.list_versions(core(), me),
        draft_list=drafts.list_drafts(core(), me) if me.has(*OWNERS) else [],
        nav_active="editor",
    )


@blp.post("/owner/forms/start-draft")
@signed_in
def owner_forms_start_draft() -> Any:
    """Start a draft holding a published version's diagrams and forms."""
    check_csrf()
    me = _editor()
    name = request.form.get("name", "").strip()
    version = _int(request.form.get("version"))
    try:
        if version is None:
            raise InvalidForm("Choose a published version to start from.")
        drafts.start_draft(core(), me, name, version)
    except CasepathError as err:
        flash(" ".join(i["text"] for i in error_items(err)), "error")
        return go("web.owner_forms", version=version) if version else go("web.owner_forms")
    flash(f"Started the draft {name} from version {version}.", "success")
    return go("web.owner_forms", draft=name)


def _parse(text: str) -> Any:
    """The schema typed into the editor, or InvalidForm saying what is wrong with the JSON and where."""
    if len(text) > MAX_TEXT:
        raise InvalidForm("The form is too long.", errors={"schema": ["A form must be 64 KiB or less"]})
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        message = f"The form is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}. "
        message += "Check the commas, quotes and brackets around that place."
        raise InvalidForm(message, errors={"schema": [message]}) from None
    except RecursionError:
        message = f"The form is nested too deeply: keep it under {drafts.MAX_FORM_DEPTH} levels."
        raise InvalidForm(message, errors={"schema": [message]}) from None


def _check(text: str) -> tuple[Any, list[str], list[dict[str, str]]]:
    """(schema, preview HTML, problems): problems say why the text is not a form the pages can show."""
    try:
        schema = _parse(text)
    except InvalidForm as err:
        return None, [], [{"text": m, "href": SCHEMA_FIELD} for m in err.errors["schema"]]
    found = drafts.form_problems(schema)
    if found:
        return schema, [], [{"text": f"{where}: {m}", "href": SCHEMA_FIELD} for where, ms in found.items() for m in ms]
    try:
        return schema, render_form(schema), []
    except Exception as err:  # noqa: BLE001  the renderer meets an owner's schema: any failure is the schema's
        why = f"{type(err).__name__}: {str(err)[:200]}"
        text = f"The task pages cannot show this form ({why}). Check its x-govuk hints."
        return schema, [], [{"text": text, "href": SCHEMA_FIELD}]


def _edit_page(me: Actor, name: str, key: str, text: str, problems: list[dict[str, str]], status: int = 200) -> Any:
    _, preview, found = _check(text)
    return page(
        "owner/form_edit.html",
        status,
        draft=name,
        key=key,
        text=text,
        preview=preview,
        preview_problems=found,
        error_items=problems,
        is_new=key not in drafts.get_draft(core(), me, name)["forms"],
        nav_active="editor",
    )


def _key(value: str | None) -> str:
    key = (value or "").strip()
    if not drafts.FORM_NAME.match(key):
        raise InvalidForm(
            "Name the form by its step id: lower-case letters, digits and _ (like check_assessment).",
            errors={"form_key": ["Name the form by its step id: lower-case letters, digits and _"]},
        )
    return key


@blp.get("/owner/drafts/<name>/forms/edit")
@signed_in
def owner_form_edit(name: str) -> Any:
    me = _editor()
    try:
        key = _key(request.args.get("key"))
    except InvalidForm as err:
        flash(err.detail, "error")
        return go("web.owner_forms", draft=name)
    schema = drafts.get_draft(core(), me, name)["forms"].get(key)
    starter = {**STARTER, "title": key.replace("_", " ").capitalize()}
    return _edit_page(me, name, key, json.dumps(schema or starter, indent=2, ensure_ascii=False), [])


@blp.post("/owner/drafts/<name>/forms/edit")
@signed_in
def owner_form_save(name: str) -> Any:
    """Save the form into the draft, or (action=preview, without JavaScript) show the preview."""
    check_csrf()
    me = _editor()
    key = _key(request.form.get("key"))
    text = request.form.get("schema", "")
    if request.form.get("action") == "preview":
        return _edit_page(me, name, key, text, [])
    schema, _, problems = _check(text)
    if problems:
        return _edit_page(me, name, key, text, problems, 422)
    try:
        drafts.save_form(core(), me, name, key, schema)
    except CasepathError as err:
        if err.code != "invalid_form":
            raise
        return _edit_page(me, name, key, text, error_items(err, {"schema": SCHEMA_FIELD}), status_of(err))
    flash(f"Saved the form {key} in the draft {name}. It is published with the draft's diagrams.", "success")
    return go("web.owner_form_edit", name=name, key=key)


@blp.post("/owner/forms/preview")
@signed_in
def owner_form_preview() -> Any:
    """The live preview (htmx): the typed schema rendered as staff would see it, or what stops it rendering."""
    check_csrf()
    _editor()
    _, preview, problems = _check(request.form.get("schema", ""))
    return render_template("owner/_form_preview.html", preview=preview, preview_problems=problems)


@blp.get("/owner/versions/<int:version>/forms/<key>")
@signed_in
def owner_form_view(version: int, key: str) -> Any:
    """A published version's form, read-only: its JSON Schema and how it looks."""
    me = _viewer()
    schema = drafts.version_forms(core(), me, version).get(key)
    if schema is None:
        raise NotFound(f"Version {version} has no form called {key[:100]!r}.")
    text = json.dumps(schema, indent=2, ensure_ascii=False)
    _, preview, problems = _check(text)
    return page(
        "owner/form_view.html",
        version=version,
        key=key,
        text=text,
        preview=preview,
        preview_problems=problems,
        may_edit=me.has(*OWNERS),
        nav_active="editor",
    )
