"""Long exports started from the web and run in the background: a small registry of jobs.

A job is a file pair under the exports folder (`var/exports/` by default): `<id>.json` holds who
started it, what it is, its status and progress; `<id><suffix>` is the result once it is done
(written to `<id>.part` first, so a half-written file is never offered). Keeping the state in files
lets every web worker process see every job; the thread that runs a job lives in the process that
started it. A job not heard from for `STALE` (its process stopped) counts as failed. Results are
deleted `TTL` after the job started. Only the person who started a job may see it or download its
result; starting and downloading are recorded in the access log.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from casepath.domain.errors import BadRequest, CasepathError, Conflict, NotFound
from casepath.services import reports
from casepath.services.core import Casepath
from casepath.services.staff import Actor, require_role
from casepath.store import models

log = logging.getLogger(__name__)
TTL = timedelta(hours=24)
STALE_SECONDS = 30 * 60
MAX_ACTIVE = 3  # running jobs per person
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True)
class Kind:
    title: str
    roles: tuple[str, ...]
    suffix: str
    mimetype: str


KINDS = {
    "xes": Kind("XES event log", ("reviewer",), ".xes", "application/xml"),
    "ocel": Kind("OCEL 2.0 event log", ("reviewer",), ".ocel.json", "application/json"),
    "census": Kind("Children in need census", ("reviewer", "admin"), ".xml", "application/xml"),
    "workforce": Kind("Families First workforce return", ("reviewer", "admin"), ".csv", "text/csv"),
}


def kinds_for(actor: Actor) -> list[str]:
    """The exports this person may start."""
    return [name for name, kind in KINDS.items() if actor.has(*kind.roles)]


@dataclass
class Job:
    """One background export and how far it has got."""

    id: str
    owner: str
    la_id: int
    kind: str
    params: dict[str, Any]
    filename: str
    created_at: str
    expires_at: str
    status: str = QUEUED
    done: int = 0
    total: int | None = None
    error: str | None = None
    finished_at: str | None = None
    heartbeat: float = field(default_factory=time.time)

    @property
    def title(self) -> str:
        return KINDS[self.kind].title

    @property
    def mimetype(self) -> str:
        return KINDS[self.kind].mimetype

    @property
    def percent(self) -> int | None:
        if self.status == DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "title": self.title, "percent": self.percent}


Produce = Callable[[Callable[[int, int], None]], Iterator[bytes]]


class JobRegistry:
    """Starts, lists and hands over the results of background exports (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    # --- starting ---------------------------------------------------------------------------------

    def start(self, app: Casepath, actor: Actor, kind: str, params: dict[str, Any]) -> Job:
        """Check who is asking and what for, then run the export in a background thread."""
        if kind not in KINDS:
            raise BadRequest(f"Choose one of the exports: {', '.join(KINDS)}.", errors={"kind": ["Choose an export"]})
        require_role(actor, *KINDS[kind].roles)
        produce, filename = _producer(app, actor, kind, params)
        with self._lock:
            if sum(1 for j in self.list(app, actor) if j.status in (QUEUED, RUNNING)) >= MAX_ACTIVE:
                raise Conflict(f"You already have {MAX_ACTIVE} exports running: wait for one to finish.")
            with app.db.transaction() as session:
                now = app.now(session)
                job = Job(
                    id=secrets.token_urlsafe(12), owner=actor.username, la_id=actor.la_id, kind=kind,
                    params=_jsonable(params), filename=filename, created_at=now.isoformat(),
                    expires_at=(now + TTL).isoformat(),
                )  # fmt: skip
                _audit(session, actor, f"export started: {kind} {job.id}", now)
            self._save(job)
            thread = threading.Thread(target=self._run, args=(app, job, produce), name=f"export-{job.id}", daemon=True)
            self._threads[job.id] = thread
        thread.start()
        return job

    def _run(self, app: Casepath, job: Job, produce: Produce) -> None:
        part = self.folder / f"{job.id}.part"
        job.status = RUNNING
        self._save(job)
        try:
            with part.open("wb") as out:
                for piece in produce(lambda done, total: self._progress(job, done, total)):
                    out.write(piece)
            part.replace(self._result_path(job))
            job.status = DONE
        except CasepathError as err:
            job.status, job.error = FAILED, err.detail
        except Exception:  # a background export must record any failure for its owner
            log.exception("export %s (%s) failed", job.id, job.kind)
            job.status, job.error = (
                FAILED,
                "The export failed unexpectedly. Try again; if it fails again, tell support.",
            )
        finally:
            part.unlink(missing_ok=True)
        with app.db.transaction() as session:
            job.finished_at = app.now(session).isoformat()
        self._save(job)

    def _progress(self, job: Job, done: int, total: int) -> None:
        job.done, job.total = done, total
        self._save(job)

    # --- reading ----------------------------------------------------------------------------------

    def list(self, app: Casepath, actor: Actor) -> list[Job]:
        """The person's jobs, newest first; expired ones are deleted on the way."""
        now = _now(app)
        found = []
        for path in self.folder.glob("*.json") if self.folder.exists() else []:
            job = self._load(path)
            if job is None:
                continue
            if datetime.fromisoformat(job.expires_at) <= now:
                self._delete(job)
            elif job.owner == actor.username and job.la_id == actor.la_id:
                found.append(job)
        return sorted(found, key=lambda j: (j.created_at, j.id), reverse=True)

    def get(self, app: Casepath, actor: Actor, job_id: str) -> Job:
        """One of the person's jobs; anyone else's (or an expired one) is not found."""
        job = self._load(self.folder / f"{job_id}.json") if JOB_ID.match(job_id) else None
        if job is None or job.owner != actor.username or job.la_id != actor.la_id:
            raise NotFound("There is no such export, or it was started by someone else.")
        if datetime.fromisoformat(job.expires_at) <= _now(app):
            self._delete(job)
            raise NotFound("That export has expired: its file was deleted. Start it again.")
        return job

    def result(self, app: Casepath, actor: Actor, job_id: str) -> tuple[Path, Job]:
        """The finished file of one of the person's jobs; the download is recorded."""
        job = self.get(app, actor, job_id)
        path = self._result_path(job)
        if job.status != DONE or not path.exists():
            raise Conflict("The export has not finished yet: wait for it, then download it.")
        with app.db.transaction() as session:
            _audit(session, actor, f"export downloaded: {job.kind} {job.id}", app.now(session))
        return path, job

    def wait(self, job_id: str, timeout: float = 60) -> None:
        """Wait for a job started by this process to end (tests, command line)."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)

    # --- files ------------------------------------------------------------------------------------

    def _result_path(self, job: Job) -> Path:
        return self.folder / f"{job.id}{KINDS[job.kind].suffix}"

    def _save(self, job: Job) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        job.heartbeat = time.time()
        temporary = self.folder / f"{job.id}.{threading.get_ident()}.tmp"
        temporary.write_text(json.dumps(asdict(job)), encoding="utf-8")
        os.replace(temporary, self.folder / f"{job.id}.json")

    def _load(self, path: Path) -> Job | None:
        try:
            job = Job(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        if job.status in (QUEUED, RUNNING) and time.time() - job.heartbeat > STALE_SECONDS:
            job.status, job.error = FAILED, "The export stopped when Casepath restarted. Start it again."
        return job

    def _delete(self, job: Job) -> None:
        for path in (self.folder / f"{job.id}.json", self._result_path(job)):
            path.unlink(missing_ok=True)


def _now(app: Casepath) -> datetime:
    with app.db.transaction() as session:
        return app.now(session)


def _audit(session: Any, actor: Actor, what: str, now: datetime) -> None:
    session.add(models.AccessLog(la_id=actor.la_id, at=now, actor=actor.username, case_id=None, child_id=None,
                                 what=what[:100]))  # fmt: skip


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in params.items()}


def _day(params: dict[str, Any], key: str) -> date:
    value = params.get(key)
    if not isinstance(value, date):
        raise BadRequest("Enter the dates the export covers.", errors={key: ["Enter a date"]})
    return value


def _year(params: dict[str, Any], low: int = 2010, high: int = 2100) -> int:
    year = params.get("year")
    if not isinstance(year, int) or not low <= year <= high:
        raise BadRequest("Enter a collection year, for example 2026.", errors={"year": ["Enter a year"]})
    return year


def _producer(app: Casepath, actor: Actor, kind: str, params: dict[str, Any]) -> tuple[Produce, str]:
    """What writes the export, checked now (who may, which period) and run later; and its file name."""
    if kind in ("xes", "ocel"):
        start, end = _day(params, "from"), _day(params, "to")
        reports.event_log(app, actor, kind, start, end)  # checks the role and the period now; reads nothing yet
        suffix = KINDS[kind].suffix
        return (lambda progress: reports.event_log(app, actor, kind, start, end, progress=progress)), (
            f"casepath-{start}-{end}{suffix}"
        )
    year = _year(params)
    if kind == "census":
        return (lambda progress: reports.cin_census_stream(app, actor, year, progress=progress)), (
            f"cin-census-{year}.xml"
        )
    quarter = params.get("quarter")
    if quarter not in (1, 2, 3, 4):
        raise BadRequest("Choose a quarter.", errors={"quarter": ["Choose a quarter"]})
    return (lambda progress: _workforce(app, actor, year, int(quarter), progress)), f"workforce-{year}-q{quarter}.csv"


def _workforce(
    app: Casepath, actor: Actor, year: int, quarter: int, progress: Callable[[int, int], None]
) -> Iterator[bytes]:
    progress(0, 1)
    text = reports.workforce_csv(reports.workforce_return(app, actor, year, quarter))
    progress(1, 1)
    yield text.encode()
