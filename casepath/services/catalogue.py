"""The published pathway, read-only: process versions, their steps and their diagrams."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.errors import NotFound
from casepath.services.core import Casepath
from casepath.services.staff import Actor, require_role
from casepath.store import models

READERS = ("reviewer", "process_owner", "admin")


def _summary(row: models.ProcessVersion) -> dict[str, Any]:
    return {
        "version": row.version,
        "hash": row.hash,
        "published_by": row.published_by,
        "published_at": row.published_at.isoformat(),
        "note": row.note,
        "diagrams": sorted(row.diagrams),
        "forms": sorted(row.forms),
    }


def _row(session: Session, actor: Actor, version: int) -> models.ProcessVersion:
    query = select(models.ProcessVersion).where(
        models.ProcessVersion.la_id == actor.la_id, models.ProcessVersion.version == version
    )
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"Version {version} of the pathway has not been published.")
    return row


def list_versions(app: Casepath, actor: Actor) -> list[dict[str, Any]]:
    """Every published version of the pathway, newest first."""
    require_role(actor, *READERS)
    with app.db.transaction() as session:
        query = (
            select(models.ProcessVersion)
            .where(models.ProcessVersion.la_id == actor.la_id)
            .order_by(models.ProcessVersion.version.desc())
        )
        return [_summary(row) for row in session.scalars(query)]


def get_version(app: Casepath, actor: Actor, version: int) -> dict[str, Any]:
    """One published version: its processes and the user tasks (steps) each one contains."""
    require_role(actor, *READERS)
    with app.db.transaction() as session:
        row = _row(session, actor, version)
        parsed = app.version(session, row.id).diagrams
        processes = [
            {
                "id": info.process_id,
                "name": info.name,
                "start_message": info.start_message,
                "user_tasks": [
                    {
                        "step": task.step,
                        "name": task.name,
                        "role": task.lane,
                        "form_key": task.form_key or task.step,
                        "timed": task.timed,
                    }
                    for task in info.user_tasks.values()
                ],
            }
            for info in sorted(parsed.processes.values(), key=lambda p: p.process_id)
        ]
        return {**_summary(row), "processes": processes}


def get_diagram(app: Casepath, actor: Actor, version: int, name: str) -> str:
    """The BPMN XML of one diagram of a published version, exactly as published."""
    require_role(actor, *READERS)
    with app.db.transaction() as session:
        row = _row(session, actor, version)
        text = row.diagrams.get(name)
        if not isinstance(text, str):
            raise NotFound(f"Version {version} has no diagram called {name!r}.")
        return text
