"""Publishing the pathway: immutable process versions of diagrams and forms."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casepath.domain.errors import InvalidForm
from casepath.domain.forms import load_forms
from casepath.engine.diagrams import DiagramError, parse_diagrams
from casepath.services import records
from casepath.store import models


def read_folder(processes: Path, forms: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    diagrams = {p.name: p.read_text(encoding="utf-8") for p in sorted(processes.glob("*.bpmn"))}
    return diagrams, load_forms(forms)


def version_hash(diagrams: dict[str, str], forms: dict[str, Any]) -> str:
    body = json.dumps({"diagrams": diagrams, "forms": forms}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def add_version(
    session: Session,
    la_id: int,
    diagrams: dict[str, str],
    forms: dict[str, dict[str, Any]],
    who: str,
    note: str,
    now: datetime,
) -> models.ProcessVersion:
    """Check and store a new immutable version; refuse a diagram that cannot run safely."""
    try:
        parsed = parse_diagrams({name: text.encode() for name, text in diagrams.items()})
    except DiagramError as err:
        raise InvalidForm(str(err), errors={f["element"]: [f["message"]] for f in err.findings} or None) from None
    missing = sorted(
        {t.form_key or t.step for p in parsed.processes.values() for t in p.user_tasks.values()} - set(forms)
    )
    if missing:
        raise InvalidForm(f"These steps have no form: {', '.join(missing)}.", errors={m: ["No form"] for m in missing})
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
