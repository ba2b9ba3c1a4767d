"""Drafts: a process owner's unpublished pathway, saved from the editor or uploaded as BPMN files.

A draft holds a whole pathway (every diagram and form), starts from a published version or from
nothing, and is linted, rehearsed and finally published as a new immutable version. Uploaded
files are treated exactly as editor saves: the same size limits, the same safe XML parsing
(no DTD, no entities), the same lint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.errors import Conflict, InvalidForm, NotFound
from casepath.engine.diagrams import DiagramError
from casepath.engine.lint import check_xml, errors
from casepath.services.core import Casepath
from casepath.services.staff import Actor, require_role
from casepath.services.versions import latest_row, lint_against_latest, publish_version, version_row
from casepath.store import models

OWNERS = ("process_owner",)
READERS = ("process_owner", "reviewer", "admin")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DIAGRAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.bpmn$")
FORM_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,99}$")
MAX_DIAGRAMS = 60
MAX_FORMS = 200
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_DEPTH = 32
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
WIDGETS = ("text", "textarea", "radios", "checkboxes", "select", "date", "repeating")


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise NotFound(f"There is no draft called {name[:64]!r}: draft names are lower-case letters, digits, - and _.")
    return name


def _row(session: Session, actor: Actor, name: str) -> models.Draft:
    query = select(models.Draft).where(models.Draft.la_id == actor.la_id, models.Draft.name == check_name(name))
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"There is no draft called {name!r}.")
    return row


def view(row: models.Draft) -> dict[str, Any]:
    return {
        "name": row.name,
        "base_version": row.base_version,
        "updated_by": row.updated_by,
        "updated_at": row.updated_at.isoformat(),
        "diagrams": row.diagrams,
        "forms": row.forms,
    }


def _check_diagrams(diagrams: Any) -> dict[str, str]:
    if not isinstance(diagrams, dict) or not diagrams or len(diagrams) > MAX_DIAGRAMS:
        raise InvalidForm(
            f"Send between 1 and {MAX_DIAGRAMS} BPMN diagrams.", errors={"diagrams": ["Add at least one diagram"]}
        )
    problems: dict[str, list[str]] = {}
    for name, text in diagrams.items():
        if not DIAGRAM_NAME.match(str(name)) or not isinstance(text, str):
            problems[str(name)[:100]] = ["Name diagrams like assessment.bpmn and send each as BPMN XML text"]
            continue
        try:
            check_xml(name, text.encode())
        except DiagramError as err:
            problems[name] = [str(err)]
    if problems:
        raise InvalidForm("Some diagrams cannot be read.", errors=problems)
    return dict(diagrams)


def _check_forms(forms: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(forms, dict) or len(forms) > MAX_FORMS:
        raise InvalidForm(f"Send at most {MAX_FORMS} forms.", errors={"forms": ["Too many forms"]})
    bad = [str(k)[:100] for k, v in forms.items() if not FORM_NAME.match(str(k)) or not isinstance(v, dict)]
    if bad:
        raise InvalidForm(
            "Some forms are not valid.", errors={k: ["Send each form as a JSON Schema object"] for k in bad}
        )
    return dict(forms)


def save_draft(app: Casepath, actor: Actor, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create or replace a draft. `diagrams` is the whole set; `forms` (optional) defaults to the forms of
    `base_version`, or of the newest published version."""
    require_role(actor, *OWNERS)
    check_name(name)
    diagrams = _check_diagrams(body.get("diagrams"))
    with app.db.transaction() as session:
        base = body.get("base_version")
        base_row = (
            version_row(session, actor.la_id, base) if isinstance(base, int) else latest_row(session, actor.la_id)
        )
        forms = (
            _check_forms(body["forms"]) if body.get("forms") is not None else dict(base_row.forms if base_row else {})
        )
        query = select(models.Draft).where(models.Draft.la_id == actor.la_id, models.Draft.name == name)
        row = session.scalars(query).first()
        if row is None:
            row = models.Draft(la_id=actor.la_id, name=name)
            session.add(row)
        row.diagrams, row.forms = diagrams, forms
        row.base_version = base_row.version if base_row and isinstance(base, int) else row.base_version
        row.updated_by, row.updated_at = actor.username, app.now(session)
        session.flush()
        return view(row)


def get_draft(app: Casepath, actor: Actor, name: str) -> dict[str, Any]:
    require_role(actor, *OWNERS)
    with app.db.transaction() as session:
        return view(_row(session, actor, name))


def list_drafts(app: Casepath, actor: Actor) -> list[dict[str, Any]]:
    require_role(actor, *OWNERS)
    with app.db.transaction() as session:
        query = select(models.Draft).where(models.Draft.la_id == actor.la_id).order_by(models.Draft.name)
        return [
            {k: v for k, v in view(row).items() if k not in ("diagrams", "forms")}
            | {"diagram_names": sorted(row.diagrams)}
            for row in session.scalars(query)
        ]


def delete_draft(app: Casepath, actor: Actor, name: str) -> None:
    require_role(actor, *OWNERS)
    with app.db.transaction() as session:
        session.delete(_row(session, actor, name))


def lint_draft(app: Casepath, actor: Actor, name: str) -> dict[str, Any]:
    """The statutory lint of a draft, against the newest published version: can it be published?"""
    require_role(actor, *OWNERS)
    with app.db.transaction() as session:
        row = _row(session, actor, name)
        findings = lint_against_latest(session, actor.la_id, row.diagrams, row.forms)
        return {"publishable": not errors(findings), "findings": [f.as_dict() for f in findings]}


def publish_draft(app: Casepath, actor: Actor, name: str, reason: str) -> dict[str, Any]:
    """Publish a draft as a new version and remove the draft. Refused when the draft was started from a
    version that has since been superseded (publishing it would undo that newer version's changes)."""
    require_role(actor, *OWNERS)
    with app.db.transaction() as session:
        row = _row(session, actor, name)
        latest = latest_row(session, actor.la_id)
        if row.base_version is not None and latest is not None and latest.version > row.base_version:
            raise Conflict(
                f"This draft was started from version {row.base_version}, and version {latest.version} has been "
                "published since. Open the newest version, make your changes there, and publish that."
            )
        diagrams, forms = dict(row.diagrams), dict(row.forms)
    published = publish_version(app, actor, diagrams, forms, reason)
    delete_draft(app, actor, name)
    return published


# --- forms of a draft ---------------------------------------------------------------------------


def start_draft(app: Casepath, actor: Actor, name: str, version: int) -> dict[str, Any]:
    """A new draft holding every diagram and form of published `version`, to edit and publish later."""
    require_role(actor, *OWNERS)
    if not NAME.match(name):
        message = "Use lower-case letters, digits, - and _ (up to 64), starting with a letter or digit"
        raise InvalidForm("Choose another name for the draft.", errors={"name": [message]})
    with app.db.transaction() as session:
        query = select(models.Draft).where(models.Draft.la_id == actor.la_id, models.Draft.name == name)
        if session.scalars(query).first() is not None:
            message = f"A draft called {name!r} already exists: open it, or choose another name"
            raise InvalidForm("Choose another name for the draft.", errors={"name": [message]})
        base = version_row(session, actor.la_id, version)
        row = models.Draft(la_id=actor.la_id, name=name, diagrams=dict(base.diagrams), forms=dict(base.forms))
        row.base_version, row.updated_by, row.updated_at = base.version, actor.username, app.now(session)
        session.add(row)
        session.flush()
        return view(row)


def version_forms(app: Casepath, actor: Actor, version: int) -> dict[str, dict[str, Any]]:
    """Every form of published `version`, by form key (process owners, reviewers, administrators)."""
    require_role(actor, *READERS)
    with app.db.transaction() as session:
        return dict(version_row(session, actor.la_id, version).forms)


def save_form(app: Casepath, actor: Actor, name: str, form_key: str, schema: Any) -> dict[str, Any]:
    """Put one form (a JSON Schema with GOV.UK hints) into a draft, new or replacing the form of that key.
    It is published, and so versioned, with the draft's diagrams."""
    require_role(actor, *OWNERS)
    if not isinstance(form_key, str) or not FORM_NAME.match(form_key):
        message = "Name the form by its step id: lower-case letters, digits and _ (like check_assessment)"
        raise InvalidForm("The form key is not valid.", errors={"form_key": [message]})
    problems = form_problems(schema)
    if problems:
        first = next(iter(problems.values()))[0]
        raise InvalidForm(f"This form cannot be used: {first}.", errors=problems)
    with app.db.transaction() as session:
        row = _row(session, actor, name)
        if form_key not in row.forms and len(row.forms) >= MAX_FORMS:
            raise InvalidForm(f"A draft holds at most {MAX_FORMS} forms.", errors={"form_key": ["Too many forms"]})
        row.forms = {**row.forms, form_key: schema}
        row.updated_by, row.updated_at = actor.username, app.now(session)
        session.flush()
        return view(row)


def form_problems(schema: Any) -> dict[str, list[str]]:
    """Why a form schema cannot be used (place -> problems; empty if it can): not a JSON object schema, not
    valid JSON Schema Draft 2020-12, too big, or GOV.UK hints the task pages cannot render."""
    if not isinstance(schema, dict):
        return {"schema": ["A form must be a JSON object (a JSON Schema)"]}
    if _depth(schema) > MAX_FORM_DEPTH:
        return {"schema": [f"A form must be nested less than {MAX_FORM_DEPTH} levels deep"]}
    if len(json.dumps(schema, ensure_ascii=False).encode()) > MAX_FORM_BYTES:
        return {"schema": ["A form must be 64 KiB or less"]}
    if schema.get("type") != "object":
        return {"type": ['A form must be a JSON Schema with "type": "object"']}
    if schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
        return {"$schema": [f"A form must use JSON Schema Draft 2020-12 ({DRAFT_2020_12}) or leave $schema out"]}
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        where = "/".join(str(p) for p in err.absolute_path) or "schema"
        return {where: [f"Not valid JSON Schema: {err.message}"]}
    return _question_problems(schema, "")


def _depth(value: Any) -> int:
    """How deeply `value` nests, counted without recursion (a hostile schema must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level <= MAX_FORM_DEPTH:
            children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
            stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _question_problems(schema: Mapping[str, Any], prefix: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    properties = schema.get("properties", {})
    order = schema.get("x-govuk-order")
    if order is not None and not (isinstance(order, list) and all(n in properties for n in order)):
        found[f"{prefix}x-govuk-order"] = ["x-govuk-order must list names of questions in properties"]
    for name, question in properties.items():
        where = f"{prefix}{name}"
        if not isinstance(question, dict):
            found[where] = ["Each question must be a JSON Schema object"]
            continue
        problem = _widget_problem(question) or _reveal_problem(question, properties)
        if problem:
            found[where] = [problem]
        item = question.get("items")
        if not problem and isinstance(item, dict) and item.get("type") == "object":
            found.update(_question_problems(item, f"{where}."))
    return found


def _widget_problem(question: Mapping[str, Any]) -> str | None:
    """What the GOV.UK renderer needs for the widget the question asks for (or would get by default)."""
    hint = question.get("x-govuk", {})
    labels = question.get("x-govuk-labels", {})
    if not isinstance(hint, dict) or not isinstance(labels, dict):
        return "x-govuk and x-govuk-labels must be JSON objects"
    named = hint.get("widget")
    if named is not None and named not in WIDGETS:
        return f"Unknown widget {str(named)[:40]!r}: use one of {', '.join(WIDGETS)}"
    found = question.get("items")
    item: dict[str, Any] = found if isinstance(found, dict) else {}
    choice = question.get("type") == "boolean" or isinstance(question.get("enum"), list)
    if named in ("radios", "select") and not choice:
        return f'A {named} question needs an enum of options (or "type": "boolean")'
    if named == "checkboxes" and not (question.get("type") == "array" and isinstance(item.get("enum"), list)):
        return 'A checkboxes question needs "type": "array" and "items" with an enum of options'
    if named == "repeating" or (named is None and question.get("type") == "array" and "enum" not in item):
        if question.get("type") != "array" or not item:
            return 'A repeating question needs "type": "array" and "items" (text, or an object of questions)'
        if item.get("type") == "object" and not isinstance(item.get("properties"), dict):
            return "The items of a repeating group need properties (the questions of each row)"
    return None


def _reveal_problem(question: Mapping[str, Any], properties: Mapping[str, Any]) -> str | None:
    reveal = question.get("x-govuk", {}).get("reveal_when")
    if reveal is None:
        return None
    if not isinstance(reveal, dict) or not all(isinstance(v, list) for v in reveal.values()):
        return 'reveal_when must name questions and the answers that show this one: {"decision": ["yes"]}'
    for controller, values in reveal.items():
        other = properties.get(controller)
        if not isinstance(other, dict):
            return f"reveal_when names {str(controller)[:40]!r}, which is not a question of this form"
        options = [True, False] if other.get("type") == "boolean" else other.get("enum")
        if isinstance(options, list) and any(v not in options for v in values):
            return f"reveal_when gives an answer that is not an option of {controller!r}"
    return None
