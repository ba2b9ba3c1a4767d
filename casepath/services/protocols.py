"""The local assessment protocol of each local authority: versioned and audited like a process version.

Every running rule reads the version in force (`Casepath.protocol`); publishing a new version is a
new row (old ones are never changed) and a `protocol_changed` event on the LA's stream with the diff.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain import protocol as local
from casepath.domain.calendar import CONVENTIONS
from casepath.domain.errors import InvalidForm, NotFound
from casepath.domain.protocol import LocalProtocol
from casepath.services import records
from casepath.services.admin import lock_la_stream
from casepath.services.core import Casepath
from casepath.services.staff import Actor, require_role
from casepath.store import models

PUBLISHERS = ("process_owner", "admin")
READERS = ("process_owner", "admin", "reviewer")
BOOLEANS = ("social_worker_for_every_assessment", "lcpp_may_chair")
TEXTS = ("caseload_mode", "working_day_convention", "icpc_anchor", "cp_case_holder", "assessment_timescale_set_by")
# the allowed values of each setting with a fixed set, for forms that edit the protocol
CHOICES: dict[str, tuple[str, ...]] = {
    "caseload_mode": local.CASELOAD_MODES,
    "working_day_convention": CONVENTIONS,
    "icpc_anchor": local.ICPC_ANCHORS,
    "cp_case_holder": local.CP_CASE_HOLDERS,
    "assessment_timescale_set_by": local.TIMESCALE_SETTERS,
}
PROFESSIONS = local.ALTERNATIVELY_QUALIFIED


def _versions(session: Session, la_id: int) -> list[models.Protocol]:
    query = select(models.Protocol).where(models.Protocol.la_id == la_id).order_by(models.Protocol.version.desc())
    return list(session.scalars(query))


def _view(row: models.Protocol) -> dict[str, Any]:
    return {
        "version": row.version,
        "protocol": LocalProtocol.from_dict(row.data).to_dict(),
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "reason": row.reason,
    }


def current_protocol(app: Casepath, actor: Actor) -> dict[str, Any]:
    """The protocol in force in the caller's local authority (every member of staff may read it)."""
    with app.db.transaction() as session:
        rows = _versions(session, actor.la_id)
        if not rows:
            raise NotFound("No local protocol has been installed: run `casepath init`.")
        return _view(rows[0])


def protocol_versions(app: Casepath, actor: Actor) -> list[dict[str, Any]]:
    """Every version, newest first (process owners, administrators, reviewers)."""
    require_role(actor, *READERS)
    with app.db.transaction() as session:
        return [_view(row) for row in _versions(session, actor.la_id)]


def protocol_diff(app: Casepath, actor: Actor, a: int, b: int) -> dict[str, Any]:
    """What changed from protocol version `a` to version `b` (process owners, administrators, reviewers)."""
    require_role(actor, *READERS)
    with app.db.transaction() as session:
        rows = {row.version: row for row in _versions(session, actor.la_id)}
        missing = [v for v in (a, b) if v not in rows]
        if missing:
            raise NotFound(f"Version {missing[0]} of the local protocol does not exist.")
        old, new = (LocalProtocol.from_dict(rows[v].data).to_dict() for v in (a, b))
        return {"from": _view(rows[a]), "to": _view(rows[b]), "changes": diff(old, new)}


def publish_protocol(app: Casepath, actor: Actor, data: dict[str, Any], reason: str) -> dict[str, Any]:
    """A new version of the protocol, in force from now (process owner or admin, with a reason).
    `data` is the whole protocol: a setting left out takes its national default."""
    require_role(actor, *PUBLISHERS)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidForm("Say why the protocol is changing.", errors={"reason": ["Enter the reason for the change"]})
    problems = shape_problems(data)
    if problems:
        raise InvalidForm("The local protocol is not valid: correct the settings listed.", errors=problems)
    new = LocalProtocol.from_dict(data).to_dict()

    with app.db.transaction() as session:
        now = app.now(session)
        stream = lock_la_stream(app, session, actor.la_id)
        rows = _versions(session, actor.la_id)
        old = LocalProtocol.from_dict(rows[0].data).to_dict() if rows else LocalProtocol().to_dict()
        changes = diff(old, new)
        if rows and not changes:
            raise InvalidForm(
                "This is the protocol already in force: change at least one setting.",
                errors={"protocol": ["No setting has changed"]},
            )
        version = (rows[0].version if rows else 0) + 1
        row = models.Protocol(
            la_id=actor.la_id,
            version=version,
            data=new,
            created_by=actor.username,
            created_at=now,
            reason=reason.strip(),
        )
        session.add(row)
        session.flush()
        event = {"version": version, "previous_version": version - 1, "reason": reason.strip(), "diff": changes}
        records.append(session, stream, actor.la_id, "protocol_changed", actor.username, event, now)
        return _view(row)


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """setting -> {before, after} for every setting that differs; dictionaries are compared key by key
    (`timescales.s47_wd`, `caseload_limits.family_support_worker`)."""
    found: dict[str, dict[str, Any]] = {}
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            for inner in sorted(set(before) | set(after)):
                if before.get(inner) != after.get(inner):
                    found[f"{key}.{inner}"] = {"before": before.get(inner), "after": after.get(inner)}
        elif before != after:
            found[key] = {"before": before, "after": after}
    return found


def shape_problems(data: Any) -> dict[str, list[str]]:
    """What LocalProtocol.from_dict does not check: that each setting has the right kind of value."""
    if not isinstance(data, dict):
        return {"protocol": ["Send the protocol as an object of settings"]}
    found: dict[str, list[str]] = {}
    for key in BOOLEANS:
        if key in data and not isinstance(data[key], bool):
            found[key] = ["must be true or false"]
    for key in TEXTS:
        if key in data and not isinstance(data[key], str):
            found[key] = ["must be text"]
    professions = data.get("lead_practitioner_professions", {})
    if not isinstance(professions, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(c, str) for c in v)
        for k, v in professions.items()
    ):
        found["lead_practitioner_professions"] = ["must map each profession to the competencies it must hold"]
    limits = data.get("caseload_limits", {})
    if not isinstance(limits, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 500
        for k, v in limits.items()
    ):
        found["caseload_limits"] = ["must map each profession to a whole number of cases from 1 to 500"]
    if not isinstance(data.get("timescales", {}), dict):
        found["timescales"] = ["must be an object of local timescales"]
    holidays = data.get("extra_holidays", [])
    if not isinstance(holidays, list) or not all(isinstance(d, str) for d in holidays):
        found["extra_holidays"] = ["must be a list of dates (YYYY-MM-DD)"]
    return found
