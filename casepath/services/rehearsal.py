"""Rehearsing a draft: run it in a sandbox with its own clock, as any role, without touching real cases.

A rehearsal is a throwaway Casepath on a temporary SQLite database: the shipped pathway and the
LA's current local protocol are installed, the draft is published on top (through the same lint as
a real publication), one pseudo-person per casework role is created (their username is the role
code, so forms can name them: `"lead_practitioner": "lead_practitioner"`), and a FixedClock the
process owner moves by hand fires every timer that falls due.

Limits (documented for process owners): rehearsals live in the memory of one server process,
keyed by id; they vanish when that process restarts, are not shared between gunicorn workers,
expire after `TTL` without use, and at most `MAX_REHEARSALS` run at once. Service-task handlers are
replaced by stubs that record the call and do nothing (a rehearsal must never send an invitation).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from casepath.domain.calendar import WorkingDayCalendar, local_date
from casepath.domain.clock import FixedClock
from casepath.domain.errors import Conflict, InvalidForm, NotFound
from casepath.engine.runner import HandlerCall
from casepath.services import cases, tasks, timers
from casepath.services.core import Casepath, Settings
from casepath.services.drafts import get_draft
from casepath.services.setup import default_la_id, init
from casepath.services.staff import Actor, add_staff, require_role
from casepath.services.versions import add_version
from casepath.store import models

OWNERS = ("process_owner",)
TTL_SECONDS = 2 * 60 * 60
MAX_REHEARSALS = 8
MAX_TRAVEL_WORKING_DAYS = 260
REGISTERED = {"number": "REHEARSAL", "expires_on": date(2099, 12, 31)}
# one pseudo-person per role: (roles, profession, registered social worker?)
PEOPLE: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "front_door": (("front_door", "social_worker"), "social_worker", True),
    "practice_supervisor": (("practice_supervisor", "social_worker"), "social_worker", True),
    "lead_practitioner": (("lead_practitioner", "social_worker"), "social_worker", True),
    "social_worker": (("social_worker", "lead_practitioner"), "social_worker", True),
    "lcpp": (("lcpp", "social_worker"), "social_worker", True),
    "conference_chair": (("conference_chair",), "social_worker", True),
    "business_support": (("business_support",), "administrator", False),
    "reviewer": (("reviewer",), "quality_assurance", False),
}


@dataclass
class Rehearsal:
    id: str
    la_id: int
    draft: str
    started_by: str
    core: Casepath
    clock: FixedClock
    folder: str
    people: dict[str, Actor]
    version: int
    cases: list[str] = field(default_factory=list)
    handler_calls: list[dict[str, Any]] = field(default_factory=list)
    touched: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        self.core.db.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


_REHEARSALS: dict[str, Rehearsal] = {}
_GUARD = threading.Lock()


def _expire(now: float) -> None:
    with _GUARD:
        gone = [r for r in _REHEARSALS.values() if now - r.touched > TTL_SECONDS]
        for rehearsal in gone:
            del _REHEARSALS[rehearsal.id]
    for rehearsal in gone:
        rehearsal.close()


@contextmanager
def _using(actor: Actor, rehearsal_id: str) -> Iterator[Rehearsal]:
    """The rehearsal, for a process owner of its LA, one request at a time."""
    require_role(actor, *OWNERS)
    _expire(time.monotonic())
    rehearsal = _REHEARSALS.get(rehearsal_id)
    if rehearsal is None or rehearsal.la_id != actor.la_id:
        raise NotFound("There is no such rehearsal: it may have expired. Start a new one.")
    with rehearsal.lock:
        rehearsal.touched = time.monotonic()
        yield rehearsal


def _stub(calls: list[dict[str, Any]]) -> Any:
    def record(call: HandlerCall) -> dict[str, Any]:
        calls.append({"operation": call.operation, "params": call.params, "at": call.now.isoformat()})
        return {"rehearsal": True}

    return record


def _build(app: Casepath, actor: Actor, draft: dict[str, Any], start: datetime) -> Rehearsal:
    folder = tempfile.mkdtemp(prefix="casepath-rehearsal-")
    clock = FixedClock(start)
    calls: list[dict[str, Any]] = []
    settings = Settings(database_url=f"sqlite:///{folder}/rehearsal.db", root=app.settings.root)
    core = Casepath(settings, clock=clock, handlers={name: _stub(calls) for name in app.handlers})
    try:
        init(core)
        la_id = default_la_id(core)
        with app.db.transaction() as session:
            protocol = app.protocol(session, actor.la_id).to_dict()
        with core.db.transaction() as session:
            session.add(models.Protocol(la_id=la_id, version=2, data=protocol, created_by=actor.username,
                                        created_at=start, reason="the local protocol, for a rehearsal"))  # fmt: skip
            row = add_version(session, la_id, draft["diagrams"], draft["forms"], actor.username, "rehearsal", start)
            version = row.version
            for username, (roles, profession, registered) in PEOPLE.items():
                add_staff(session, la_id, {"username": username, "name": username.replace("_", " ").title(),
                                           "email": f"{username}@rehearsal.invalid", "roles": list(roles),
                                           "profession": profession, "team": "rehearsal",
                                           "swe_registration": REGISTERED if registered else None}, start)  # fmt: skip
    except BaseException:
        core.db.dispose()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    people = {name: Actor(name, la_id, roles) for name, (roles, _, _) in PEOPLE.items()}
    return Rehearsal(str(uuid.uuid4()), actor.la_id, draft["name"], actor.username, core, clock, folder, people,
                     version, handler_calls=calls)  # fmt: skip


def start_rehearsal(app: Casepath, actor: Actor, draft_name: str, start: datetime | None = None) -> dict[str, Any]:
    """A new rehearsal of a draft, its clock at `start` (default: now). Refused if the draft would not publish."""
    require_role(actor, *OWNERS)
    _expire(time.monotonic())
    if len(_REHEARSALS) >= MAX_REHEARSALS:
        raise Conflict(f"{MAX_REHEARSALS} rehearsals are running already. End one, or wait for one to expire.")
    draft = get_draft(app, actor, draft_name)
    rehearsal = _build(app, actor, draft, start or app.clock.now())
    with _GUARD:
        _REHEARSALS[rehearsal.id] = rehearsal
    return _summary(rehearsal)


def _summary(rehearsal: Rehearsal) -> dict[str, Any]:
    return {
        "id": rehearsal.id,
        "draft": rehearsal.draft,
        "version": rehearsal.version,
        "now": rehearsal.clock.now().isoformat(),
        "people": sorted(rehearsal.people),
        "cases": list(rehearsal.cases),
        "handler_calls": list(rehearsal.handler_calls),
        "expires_in_seconds": max(0, int(TTL_SECONDS - (time.monotonic() - rehearsal.touched))),
    }


def get_rehearsal(app: Casepath, actor: Actor, rehearsal_id: str) -> dict[str, Any]:
    with _using(actor, rehearsal_id) as rehearsal:
        return _summary(rehearsal)


def end_rehearsal(app: Casepath, actor: Actor, rehearsal_id: str) -> None:
    with _using(actor, rehearsal_id) as rehearsal, _GUARD:
        _REHEARSALS.pop(rehearsal.id, None)
    rehearsal.close()


def refer(app: Casepath, actor: Actor, rehearsal_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A rehearsal referral (a made-up child) received now on the rehearsal clock."""
    with _using(actor, rehearsal_id) as rehearsal:
        n = len(rehearsal.cases) + 1
        referral = {
            "child": {
                "first_name": f"Rehearsal{n}",
                "last_name": "Child",
                "date_of_birth": date(2018, 1, 1),
                "sex": "U",
                "ethnicity": "NOBT",
                "disabilities": ["NONE"],
            },
            "source": body.get("source") or "1A",
            "concerns": body.get("concerns") or "A rehearsal referral.",
        }
        case_id = cases.start_referral(rehearsal.core, rehearsal.people["front_door"], referral)["case_id"]
        rehearsal.cases.append(case_id)
        return {"case_id": case_id, "tasks": _tasks(rehearsal)}


def _tasks(rehearsal: Rehearsal) -> list[dict[str, Any]]:
    found = []
    for case_id in rehearsal.cases:
        for task in tasks.list_case_tasks(rehearsal.core, rehearsal.people["reviewer"], case_id, None):
            found.append({k: task.get(k) for k in ("id", "case_id", "step", "name", "role", "state", "assignee")}
                         | {"due_on": str(task["due_on"]) if task.get("due_on") else None})  # fmt: skip
    return found


def list_tasks(app: Casepath, actor: Actor, rehearsal_id: str) -> list[dict[str, Any]]:
    with _using(actor, rehearsal_id) as rehearsal:
        return _tasks(rehearsal)


def complete(
    app: Casepath, actor: Actor, rehearsal_id: str, task_id: str, role: str, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """Complete a rehearsal task as the pseudo-person of `role` (claiming it first if nobody holds it)."""
    with _using(actor, rehearsal_id) as rehearsal:
        person = rehearsal.people.get(role)
        if person is None or role == "reviewer":
            raise InvalidForm(f"Choose a role: {', '.join(p for p in PEOPLE if p != 'reviewer')}.",
                              errors={"role": ["Choose a casework role"]})  # fmt: skip
        if task_id not in {t["id"] for t in _tasks(rehearsal)}:
            raise NotFound("There is no such task in this rehearsal.")
        task = tasks.get_task(rehearsal.core, rehearsal.people["reviewer"], task_id)
        if not task.get("assignee"):
            tasks.claim_task(rehearsal.core, person, task_id)
        tasks.complete_task(rehearsal.core, person, task_id, {"data": data})
        return _tasks(rehearsal)


def move_clock(app: Casepath, actor: Actor, rehearsal_id: str, moment: datetime) -> dict[str, Any]:
    """Move the rehearsal clock forward and fire every timer that fell due (deadlines, escalations)."""
    with _using(actor, rehearsal_id) as rehearsal:
        if moment < rehearsal.clock.now():
            raise InvalidForm("The rehearsal clock only moves forward.", errors={"now": ["Enter a later time"]})
        rehearsal.clock.set(moment)
        fired = timers.fire_due_timers(rehearsal.core)
        return {**_summary(rehearsal), "fired": fired}


def list_rehearsals(app: Casepath, actor: Actor) -> list[dict[str, Any]]:
    """The rehearsals running for the caller's local authority (process owners)."""
    require_role(actor, *OWNERS)
    _expire(time.monotonic())
    with _GUARD:
        mine = [r for r in _REHEARSALS.values() if r.la_id == actor.la_id]
    return [_summary(r) for r in sorted(mine, key=lambda r: r.touched)]


def get_task(app: Casepath, actor: Actor, rehearsal_id: str, task_id: str) -> dict[str, Any]:
    """One rehearsal task with its form (the JSON Schema the draft gives its step) and its answers."""
    with _using(actor, rehearsal_id) as rehearsal:
        if task_id not in {t["id"] for t in _tasks(rehearsal)}:
            raise NotFound("There is no such task in this rehearsal.")
        found = tasks.get_task(rehearsal.core, rehearsal.people["reviewer"], task_id)
        today = local_date(rehearsal.clock.now()).isoformat()
        return found | {"late": bool(found["due_on"]) and found["due_on"] < today, "now": today}


def travel(app: Casepath, actor: Actor, rehearsal_id: str, working_days: int) -> dict[str, Any]:
    """Move the rehearsal clock forward `working_days` working days (same time of day, the rehearsal's
    local holidays counted) and fire every timer that fell due."""
    if not 1 <= working_days <= MAX_TRAVEL_WORKING_DAYS:
        message = f"Enter a whole number of working days from 1 to {MAX_TRAVEL_WORKING_DAYS}"
        raise InvalidForm("The clock cannot move that far.", errors={"working_days": [message]})
    with _using(actor, rehearsal_id) as rehearsal, rehearsal.core.db.transaction() as session:
        protocol = rehearsal.core.protocol(session, rehearsal.people["reviewer"].la_id)
    now = rehearsal.clock.now()
    today = local_date(now)
    target = WorkingDayCalendar(protocol.extra_holidays).add_working_days(today, working_days)
    return move_clock(app, actor, rehearsal_id, now + timedelta(days=(target - today).days))
