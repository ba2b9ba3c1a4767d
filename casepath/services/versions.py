"""Publishing the pathway: immutable process versions of diagrams and forms, checked by the statutory lint."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casepath.domain.errors import InvalidForm, NotFound
from casepath.domain.forms import load_forms
from casepath.engine.diagrams import DiagramError, parse_diagrams
from casepath.engine.lint import Finding, errors, lint, steps_of
from casepath.engine.migrate import diff_diagrams
from casepath.services import records
from casepath.services.core import Casepath
from casepath.services.staff import Actor, require_role
from casepath.store import models

OWNERS = ("process_owner",)
READERS = ("reviewer", "process_owner", "admin")
MAX_REASON = 2000


def read_folder(processes: Path, forms: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    diagrams = {p.name: p.read_text(encoding="utf-8") for p in sorted(processes.glob("*.bpmn"))}
    return diagrams, load_forms(forms)


def version_hash(diagrams: dict[str, str], forms: dict[str, Any]) -> str:
    body = json.dumps({"diagrams": diagrams, "forms": forms}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def encoded(diagrams: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode() for name, text in diagrams.items()}


def latest_row(session: Session, la_id: int) -> models.ProcessVersion | None:
    query = (
        select(models.ProcessVersion)
        .where(models.ProcessVersion.la_id == la_id)
        .order_by(models.ProcessVersion.version.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def version_row(session: Session, la_id: int, version: int) -> models.ProcessVersion:
    query = select(models.ProcessVersion).where(
        models.ProcessVersion.la_id == la_id, models.ProcessVersion.version == version
    )
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"Version {version} of the pathway has not been published.")
    return row


def lint_against_latest(session: Session, la_id: int, diagrams: dict[str, str], forms: dict[str, Any]) -> list[Finding]:
    """The statutory lint of a candidate version, against the steps of the newest published one."""
    latest = latest_row(session, la_id)
    previous = steps_of(encoded(latest.diagrams)) if latest else set()
    return lint(encoded(diagrams), set(forms), previous)


def refusal(findings: list[Finding]) -> InvalidForm:
    found = errors(findings)
    by_element: dict[str, list[str]] = {}
    for finding in found:
        by_element.setdefault(finding.element, []).append(f"[{finding.rule}] {finding.message}")
    first = found[0]
    return InvalidForm(
        f"The pathway cannot be published: {len(found)} problem(s) found by the statutory lint, "
        f"starting with {first.element} ({first.rule}): {first.message}",
        errors=by_element,
    )


def add_version(
    session: Session,
    la_id: int,
    diagrams: dict[str, str],
    forms: dict[str, dict[str, Any]],
    who: str,
    note: str,
    now: datetime,
) -> models.ProcessVersion:
    """Check and store a new immutable version; refuse a diagram that cannot run safely or breaks the
    statutory lint (casepath.engine.lint)."""
    findings = lint_against_latest(session, la_id, diagrams, forms)
    if errors(findings):
        raise refusal(findings)
    try:
        parse_diagrams(encoded(diagrams))
    except DiagramError as err:
        raise InvalidForm(str(err), errors={f["element"]: [f["message"]] for f in err.findings} or None) from None
    latest = session.scalar(select(func.max(models.ProcessVersion.version)).where(models.ProcessVersion.la_id == la_id))
    row = models.ProcessVersion(
        la_id=la_id,
        version=(latest or 0) + 1,
        diagrams=diagrams,
        forms=forms,
        hash=version_hash(diagrams, forms),
        published_by=who,
        published_at=now,
        note=note,
    )
    session.add(row)
    session.flush()
    la = session.get(models.LocalAuthority, la_id)
    records.append(
        session,
        f"la:{la.code if la else la_id}",
        la_id,
        "version_published",
        who,
        {"version": row.version, "hash": row.hash, "note": note},
        now,
    )
    return row


def check_reason(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidForm("Say why this change is being made.", errors={"reason": ["Enter the reason for the change"]})
    if len(text) > MAX_REASON:
        raise InvalidForm("The reason is too long.", errors={"reason": [f"Keep it under {MAX_REASON} characters"]})
    return text


def publish_version(
    app: Casepath, actor: Actor, diagrams: dict[str, str], forms: dict[str, dict[str, Any]], reason: str
) -> dict[str, Any]:
    """A process owner publishes a new immutable version, with the reason recorded; refused on any lint error."""
    require_role(actor, *OWNERS)
    why = check_reason(reason)
    with app.db.transaction() as session:
        row = add_version(session, actor.la_id, diagrams, forms, actor.username, why, app.now(session))
        return {
            "version": row.version,
            "hash": row.hash,
            "published_by": row.published_by,
            "published_at": row.published_at.isoformat(),
            "note": row.note,
        }


def diff_versions(app: Casepath, actor: Actor, a: int, b: int) -> dict[str, Any]:
    """What changed from version `a` to version `b`: per process, the elements added, removed and changed
    (steps with their name, lane, form key and timer; flows with their conditions), and the forms."""
    require_role(actor, *READERS)
    with app.db.transaction() as session:
        old, new = version_row(session, actor.la_id, a), version_row(session, actor.la_id, b)
        return {"from": a, "to": b, **diff_diagrams(encoded(old.diagrams), encoded(new.diagrams), old.forms, new.forms)}
