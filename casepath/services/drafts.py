"""Drafts: a process owner's unpublished pathway, saved from the editor or uploaded as BPMN files.

A draft holds a whole pathway (every diagram and form), starts from a published version or from
nothing, and is linted, rehearsed and finally published as a new immutable version. Uploaded
files are treated exactly as editor saves: the same size limits, the same safe XML parsing
(no DTD, no entities), the same lint.
"""

from __future__ import annotations

import re
from typing import Any

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
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DIAGRAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.bpmn$")
FORM_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,99}$")
MAX_DIAGRAMS = 60
MAX_FORMS = 200


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
