"""Rehearsing a draft: run it in a sandbox with its own clock, as any role, without touching real cases.

A rehearsal is a throwaway Casepath on its own SQLite database: the shipped pathway and the LA's
current local protocol are installed, the draft is published on top (through the same lint as a
real publication), one pseudo-person per casework role is created (their username is the role
code, so forms can name them: `"lead_practitioner": "lead_practitioner"`), and a FixedClock the
process owner moves by hand fires every timer that falls due. Service-task handlers are replaced
by stubs that record the call and do nothing (a rehearsal must never send an invitation).

Each rehearsal is a folder `<rehearsals_dir>/<uuid4>/` (default `var/rehearsals/`, mode 0700):
`rehearsal.db` (its database), `rehearsal.json` (who started it, the draft, the clock, its cases,
the stubbed handler calls, when it was last used) and `lock`. Any server process opens it by id,
so it works from every gunicorn worker and survives a restart. A use holds an exclusive `flock`
on `lock` from reading `rehearsal.json` to writing it back (atomically), so one request at a
time runs on a rehearsal across processes. Each use takes the clock from the file (another process
may have moved it) and opens the database afresh, closing it at the end: no process keeps it open
between uses, so no SQLite WAL is left to share (a cached engine would save ~10 ms a use).
Rehearsals expire `TTL_SECONDS` after their last use (any process removes expired folders); at
most `MAX_REHEARSALS` exist at once. Several hosts share rehearsals only if
`CASEPATH_REHEARSALS_DIR` is on a filesystem they all mount with working `flock` (docs/deploy.md).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
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
GONE = "There is no such rehearsal: it may have expired. Start a new one."
DATABASE, META, LOCK = "rehearsal.db", "rehearsal.json", "lock"


@dataclass
class Rehearsal:
    """One rehearsal, open for one use: its metadata (`rehearsal.json`) and its database."""

    id: str
    folder: Path
    meta: dict[str, Any]
    core: Casepath
    clock: FixedClock
    handler_calls: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False

    @property
    def people(self) -> dict[str, Actor]:
        la_id = self.meta["sandbox_la_id"]
        return {name: Actor(name, la_id, tuple(roles)) for name, roles in self.meta["people"].items()}

    @property
    def cases(self) -> list[str]:
        return list(self.meta["cases"])

    def sync(self) -> dict[str, Any]:
        """The metadata with this use's clock and handler calls."""
        self.meta.update(now=self.clock.now().isoformat(), handler_calls=list(self.handler_calls))
        return self.meta


# --- folders, locks and metadata ---------------------------------------------------------------


def _home(app: Casepath) -> Path:
    home = app.settings.rehearsals_dir or app.settings.root / "var" / "rehearsals"
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home


def _folder(app: Casepath, rehearsal_id: str) -> Path:
    """The folder of a rehearsal id; the id must be a uuid4 as we print them (never a path)."""
    try:
        parsed = uuid.UUID(rehearsal_id)
    except (ValueError, TypeError, AttributeError):
        raise NotFound(GONE) from None
    if parsed.version != 4 or str(parsed) != rehearsal_id:
        raise NotFound(GONE)
    return _home(app) / rehearsal_id


def _is_id(name: str) -> bool:
    try:
        return str(uuid.UUID(name)) == name
    except ValueError:
        return False


@contextmanager
def _locked(path: Path, wait: bool = True, create: bool = True) -> Iterator[bool]:
    """An exclusive flock on `path` while inside (False if busy and not waiting); flock locks are per open
    file, so this excludes other threads of this process as well as other processes."""
    fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _read(folder: Path) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads((folder / META).read_text())
    except FileNotFoundError:
        return None
    return found


def _write(folder: Path, meta: dict[str, Any]) -> None:
    """Replace `rehearsal.json` whole: a reader sees the old file or the new one, never half of one."""
    temporary = folder / f"{META}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(meta, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, folder / META)


def _expired(meta: dict[str, Any] | None, now: float) -> bool:
    """Unused for `TTL_SECONDS`, or never finished (a start holds the lock until its metadata is written)."""
    return meta is None or bool(now - meta["last_used"] > TTL_SECONDS)


def _sweep(app: Casepath) -> list[Path]:
    """Remove expired rehearsals (skipping any in use); the rehearsals left. Call under the home lock."""
    home, now, left = _home(app), time.time(), []
    for folder in sorted(p for p in home.iterdir() if p.is_dir() and _is_id(p.name)):
        try:
            with _locked(folder / LOCK, wait=False, create=False) as mine:
                if mine and _expired(_read(folder), now):
                    shutil.rmtree(folder, ignore_errors=True)
                    continue
        except FileNotFoundError:  # ended meanwhile, or half removed by a process that died: never in use
            shutil.rmtree(folder, ignore_errors=True)
            continue
        left.append(folder)
    return left


@contextmanager
def _using(app: Casepath, actor: Actor, rehearsal_id: str) -> Iterator[Rehearsal]:
    """The rehearsal, for a process owner of its LA, one use at a time across every process."""
    require_role(actor, *OWNERS)
    folder = _folder(app, rehearsal_id)
    with _locked(_home(app) / LOCK):
        _sweep(app)
    with ExitStack() as stack:
        try:
            stack.enter_context(_locked(folder / LOCK, create=False))
        except FileNotFoundError:
            raise NotFound(GONE) from None
        meta = _read(folder)  # under the lock: ended or moved on by another process meanwhile?
        if meta is None or meta["la_id"] != actor.la_id or _expired(meta, time.time()):
            raise NotFound(GONE)
        clock, calls = FixedClock(datetime.fromisoformat(meta["now"])), list(meta["handler_calls"])
        rehearsal = Rehearsal(rehearsal_id, folder, meta, _sandbox(app, folder, clock, calls), clock, calls)
        try:
            yield rehearsal
        finally:
            rehearsal.core.db.dispose()
            if not rehearsal.ended:
                _write(folder, rehearsal.sync() | {"last_used": time.time()})


def _stub(calls: list[dict[str, Any]]) -> Any:
    def record(call: HandlerCall) -> dict[str, Any]:
        calls.append({"operation": call.operation, "params": call.params, "at": call.now.isoformat()})
        return {"rehearsal": True}

    return record


def _sandbox(app: Casepath, folder: Path, clock: FixedClock, calls: list[dict[str, Any]]) -> Casepath:
    settings = Settings(database_url=f"sqlite:///{folder / DATABASE}", root=app.settings.root)
    return Casepath(settings, clock=clock, handlers={name: _stub(calls) for name in app.handlers})


def _build(app: Casepath, actor: Actor, draft: dict[str, Any], folder: Path, start: datetime) -> dict[str, Any]:
    """Install the pathway, the LA's protocol, the draft and the pseudo-people; the new rehearsal's metadata."""
    core = _sandbox(app, folder, FixedClock(start), [])
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
    finally:
        core.db.dispose()
    people = {name: list(roles) for name, (roles, _, _) in PEOPLE.items()}
    return {"id": folder.name, "la_id": actor.la_id, "draft": draft["name"], "started_by": actor.username,
            "version": version, "sandbox_la_id": la_id, "people": people, "now": start.isoformat(), "cases": [],
            "handler_calls": [], "last_used": time.time()}  # fmt: skip


def start_rehearsal(app: Casepath, actor: Actor, draft_name: str, start: datetime | None = None) -> dict[str, Any]:
    """A new rehearsal of a draft, its clock at `start` (default: now). Refused if the draft would not publish."""
    require_role(actor, *OWNERS)
    draft = get_draft(app, actor, draft_name)
    folder = _home(app) / str(uuid.uuid4())
    with ExitStack() as stack:
        with _locked(_home(app) / LOCK):
            if len(_sweep(app)) >= MAX_REHEARSALS:
                raise Conflict(f"{MAX_REHEARSALS} rehearsals are running already. End one, or wait for one to expire.")
            folder.mkdir(mode=0o700)
            stack.enter_context(_locked(folder / LOCK))  # held until built: nobody sees it half made
        try:
            meta = _build(app, actor, draft, folder, start or app.clock.now())
            _write(folder, meta)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return _summary(meta)


def _summary(meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": meta["id"],
        "draft": meta["draft"],
        "version": meta["version"],
        "now": meta["now"],
        "people": sorted(meta["people"]),
        "cases": list(meta["cases"]),
        "handler_calls": list(meta["handler_calls"]),
        "expires_in_seconds": max(0, int(TTL_SECONDS - (time.time() - meta["last_used"]))),
    }


def get_rehearsal(app: Casepath, actor: Actor, rehearsal_id: str) -> dict[str, Any]:
    with _using(app, actor, rehearsal_id) as rehearsal:
        return _summary(rehearsal.sync())


def end_rehearsal(app: Casepath, actor: Actor, rehearsal_id: str) -> None:
    with _using(app, actor, rehearsal_id) as rehearsal:
        rehearsal.core.db.dispose()
        shutil.rmtree(rehearsal.folder, ignore_errors=True)
        rehearsal.ended = True


def refer(app: Casepath, actor: Actor, rehearsal_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A rehearsal referral (a made-up child) received now on the rehearsal clock."""
    with _using(app, actor, rehearsal_id) as rehearsal:
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
        rehearsal.meta["cases"].append(case_id)
        return {"case_id": case_id, "tasks": _tasks(rehearsal)}


def _tasks(rehearsal: Rehearsal) -> list[dict[str, Any]]:
    found = []
    for case_id in rehearsal.cases:
        for task in tasks.list_case_tasks(rehearsal.core, rehearsal.people["reviewer"], case_id, None):
            found.append({k: task.get(k) for k in ("id", "case_id", "step", "name", "role", "state", "assignee")}
                         | {"due_on": str(task["due_on"]) if task.get("due_on") else None})  # fmt: skip
    return found


def list_tasks(app: Casepath, actor: Actor, rehearsal_id: str) -> list[dict[str, Any]]:
    with _using(app, actor, rehearsal_id) as rehearsal:
        return _tasks(rehearsal)


def complete(
    app: Casepath, actor: Actor, rehearsal_id: str, task_id: str, role: str, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """Complete a rehearsal task as the pseudo-person of `role` (claiming it first if nobody holds it)."""
    with _using(app, actor, rehearsal_id) as rehearsal:
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


def _move(rehearsal: Rehearsal, moment: datetime) -> dict[str, Any]:
    if moment < rehearsal.clock.now():
        raise InvalidForm("The rehearsal clock only moves forward.", errors={"now": ["Enter a later time"]})
    rehearsal.clock.set(moment)
    fired = timers.fire_due_timers(rehearsal.core)
    return {**_summary(rehearsal.sync()), "fired": fired}


def move_clock(app: Casepath, actor: Actor, rehearsal_id: str, moment: datetime) -> dict[str, Any]:
    """Move the rehearsal clock forward and fire every timer that fell due (deadlines, escalations)."""
    with _using(app, actor, rehearsal_id) as rehearsal:
        return _move(rehearsal, moment)


def list_rehearsals(app: Casepath, actor: Actor) -> list[dict[str, Any]]:
    """The rehearsals running for the caller's local authority (process owners)."""
    require_role(actor, *OWNERS)
    with _locked(_home(app) / LOCK):
        folders = _sweep(app)
    found = [meta for meta in map(_read, folders) if meta is not None and meta["la_id"] == actor.la_id]
    return [_summary(meta) for meta in sorted(found, key=lambda meta: float(meta["last_used"]))]


def get_task(app: Casepath, actor: Actor, rehearsal_id: str, task_id: str) -> dict[str, Any]:
    """One rehearsal task with its form (the JSON Schema the draft gives its step) and its answers."""
    with _using(app, actor, rehearsal_id) as rehearsal:
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
    with _using(app, actor, rehearsal_id) as rehearsal:
        with rehearsal.core.db.transaction() as session:
            protocol = rehearsal.core.protocol(session, rehearsal.people["reviewer"].la_id)
        now = rehearsal.clock.now()
        today = local_date(now)
        target = WorkingDayCalendar(protocol.extra_holidays).add_working_days(today, working_days)
        return _move(rehearsal, now + timedelta(days=(target - today).days))
