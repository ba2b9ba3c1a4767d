"""Moving running cases onto a newer version of the pathway, on purpose and with a reason.

Preview says, for every open case, whether it can move and why not; migrate moves the chosen
cases one by one, each in its own transaction under its case lock, so one refusal does not hold
up the rest. A case moves whole (every active phase) or not at all, and its event record keeps
a `case_migrated` event with the versions and the reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.errors import InvalidForm
from casepath.engine.migrate import MigrationRefused, migrate_instance
from casepath.engine.runner import Message
from casepath.services.cases import lock_case
from casepath.services.core import Casepath, PublishedVersion
from casepath.services.runtime import CaseRun
from casepath.services.staff import Actor, require_role
from casepath.services.versions import check_reason, version_row
from casepath.store import models

OWNERS = ("process_owner",)
READERS = ("process_owner", "reviewer", "admin")
MAX_CASES = 500


def _target(app: Casepath, session: Session, actor: Actor, to_version: int) -> PublishedVersion:
    return app.version(session, version_row(session, actor.la_id, to_version).id)


def _version_number(app: Casepath, session: Session, case: models.Case) -> int:
    return app.version(session, case.process_version_id).version


def _plan(run: CaseRun, target: PublishedVersion) -> tuple[dict[str, Any], list[Message]]:
    """Move every active phase of the case in memory: (instance id -> migrated engine, messages thrown).
    Raises MigrationRefused naming the phase and the step."""
    case = run.case
    if case.status != "open":
        raise MigrationRefused("the case is closed")
    current = run.version.version
    if current >= target.version:
        raise MigrationRefused(f"the case is already on version {current}")
    moved: dict[str, Any] = {}
    messages: list[Message] = []
    for row in run.active_instances():
        try:
            result = migrate_instance(row.state, run.version.diagrams, target.diagrams, row.process_id, run.context())
        except MigrationRefused as err:
            raise MigrationRefused(f"in the {row.process_id} phase, {err}") from None
        moved[row.id] = result.instance
        messages.extend(result.messages)
    return moved, messages


def preview(app: Casepath, actor: Actor, to_version: int) -> list[dict[str, Any]]:
    """Every open case not on `to_version`: can it move there, and if not, why not. Changes nothing."""
    require_role(actor, *READERS)
    with app.db.transaction() as session:
        target = _target(app, session, actor, to_version)
        now = app.now(session)
        query = (
            select(models.Case)
            .where(
                models.Case.la_id == actor.la_id,
                models.Case.status == "open",
                models.Case.process_version_id != target.id,
            )
            .order_by(models.Case.received_at)
        )
        results = []
        for case in session.scalars(query):
            run = CaseRun(app, session, case, now)
            try:
                _plan(run, target)
                reason = f"every open step exists in version {to_version}"
                can = True
            except MigrationRefused as err:
                reason, can = str(err), False
            results.append(
                {"case_id": case.id, "from_version": run.version.version, "can_migrate": can, "reason": reason}
            )
        session.rollback()  # a dry run: nothing of it may be saved
        return results


def _migrate_case(app: Casepath, actor: Actor, case_id: str, to_version: int, reason: str) -> dict[str, Any]:
    with app.db.transaction() as session:
        case = lock_case(app, session, case_id, actor.la_id)
        target = _target(app, session, actor, to_version)
        run = CaseRun(app, session, case, app.now(session))
        from_version = run.version.version
        moved, messages = _plan(run, target)
        for row in run.active_instances():
            row.state = moved[row.id].dump()
        case.process_version_id = target.id
        case.version += 1
        case.updated_at = run.now
        run.version = target
        run.record(
            "case_migrated",
            actor.username,
            {"from_version": from_version, "to_version": to_version, "reason": reason, "phases": sorted(moved)},
        )
        for instance_id in moved:
            _refresh_open_tasks(run, instance_id)
        run.follow(messages, actor.username)
        run.sync()
        return {"case_id": case_id, "migrated": True, "from_version": from_version, "reason": reason}


def _refresh_open_tasks(run: CaseRun, instance_id: str) -> None:
    """An open step keeps its id, holder and due date; its name, lane and form come from the new version."""
    ready = {t.id: t for t in run.instance(instance_id).ready_tasks()}
    for task in run.open_tasks(instance_id):
        view = ready.get(task.id)
        if view is not None:
            task.name, task.role, task.form_key = view.name, view.lane, view.form_key or view.step


def migrate(app: Casepath, actor: Actor, case_ids: list[str], to_version: int, reason: str) -> list[dict[str, Any]]:
    """Move each case onto `to_version` in its own transaction; a case that cannot move is left as it was
    and its entry says why."""
    require_role(actor, *OWNERS)
    why = check_reason(reason)
    if not case_ids or len(case_ids) > MAX_CASES:
        raise InvalidForm(
            f"Choose between 1 and {MAX_CASES} cases to migrate.", errors={"case_ids": ["Choose the cases to migrate"]}
        )
    results = []
    for case_id in dict.fromkeys(case_ids):
        try:
            results.append(_migrate_case(app, actor, case_id, to_version, why))
        except MigrationRefused as err:
            results.append({"case_id": case_id, "migrated": False, "reason": f"Cannot migrate: {err}."})
    return results
