"""A Casepath deployed as in docs/deploy.md: gunicorn workers and `casepath worker` processes on one
PostgreSQL database; staff with API tokens; the casework loop a client runs through the HTTP API;
and the checks after a run (no lost or doubled step, every audit chain whole).

Used by tests/faults/test_deployment.py (small, in CI) and bench/load.py (locust, 10× peak).
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from casepath.services.core import Casepath, Settings
from casepath.store import models
from tests.faults.helpers import ROOT, free_port, serving, spawn, wait_for

BIN = ROOT / ".venv" / "bin"
PG_ADMIN_URL = os.environ.get("CASEPATH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# (method, path, body) -> (status, JSON body)
Send = Callable[[str, str, Any], tuple[int, Any]]
# a claim or completion someone else got to first: the answer a client expects now and then, not an error
RACED = {"already_claimed", "task_not_ready", "conflict"}
TEAMS = 3  # each team: two front door workers, two practice supervisors, two social workers


def fresh_database(name: str) -> str:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Deployment:
    """`casepath init`, then gunicorn with `web` workers and `timers` timer workers, as docs/deploy.md says."""

    url: str
    logs: Path
    web: int = 2
    timers: int = 2
    test_clock: bool = False  # CASEPATH_TEST_CLOCK: the time is the one stored by `set_clock`
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.url,
            "CASEPATH_SECRET_KEY": "load-test-only",
            "CASEPATH_TEST_CLOCK": "1" if self.test_clock else "",
        }

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        init = spawn([str(BIN / "casepath"), "init"], self.logs / "init.log", self.env)
        assert init.wait(timeout=300) == 0, (self.logs / "init.log").read_text()
        gunicorn = [str(BIN / "gunicorn"), "--workers", str(self.web), "--bind", f"127.0.0.1:{self.port}"]
        web = spawn([*gunicorn, "--access-logfile", "-", "casepath.cli:wsgi()"], self.logs / "gunicorn.log", self.env)
        self.processes.append(web)
        for n in range(self.timers):
            timer = [str(BIN / "casepath"), "worker", "--interval", "2"]
            self.processes.append(spawn(timer, self.logs / f"worker{n}.log", self.env))
        wait_for(lambda: serving(self.port), "gunicorn to serve", timeout=120, process=web)

    def stop(self) -> list[int | None]:
        """SIGTERM (gunicorn and the workers finish what they hold); their exit codes."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        return [process.wait(timeout=60) for process in self.processes]

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.processes)


def staff_tokens(url: str, teams: int = TEAMS) -> dict[str, str]:
    """Create `teams` teams of staff and an API token each; {username: token}."""
    from casepath.services import admin
    from handlers import REGISTRY
    from tests.factories import Factory

    core = Casepath(Settings(database_url=url), handlers=REGISTRY)
    make, names = Factory(core).create_staff, []
    for t in range(teams):
        team = f"team {t}"
        for s in ("a", "b"):
            make(f"fd{t}{s}", ["front_door", "social_worker"], team=team)
            make(f"ps{t}{s}", ["practice_supervisor", "social_worker"], team=team)
            make(f"sw{t}{s}", ["social_worker", "lead_practitioner"], team=team, line_manager=f"ps{t}a")
            names += [f"fd{t}{s}", f"ps{t}{s}", f"sw{t}{s}"]
    tokens = {name: admin.issue_token(core, None, name)["token"] for name in names}
    core.db.dispose()
    return tokens


_CHILDREN = itertools.count(1)
_CHILDREN_LOCK = threading.Lock()


def referral(username: str, received_at: datetime | None = None) -> dict[str, Any]:
    with _CHILDREN_LOCK:
        n = next(_CHILDREN)
    child = {"first_name": f"Load{n}", "last_name": f"{username}-{os.getpid()}", "date_of_birth": "2016-05-03",
             "sex": "F", "ethnicity": "WBRI", "disabilities": ["NONE"]}  # fmt: skip
    body = {"child": child, "source": "2A", "concerns": "Attendance has fallen."}
    return body if received_at is None else {**body, "received_at": received_at.isoformat()}


def form(step: str, username: str) -> dict[str, Any] | None:
    """What the person records for this step (None: a step the load does not take)."""
    today = datetime.now(UTC).date().isoformat()
    team = username[2:3]
    return {
        "referral_decision": {"decision": "assessment", "primary_need": "N4", "rationale": "Needs assessing.",
                              "referrer_informed": True},
        "allocate_lead_practitioner": {"lead_practitioner": f"sw{team}{random.choice('ab')}",
                                       "practitioner_agreed": True, "rationale": "Knows the family."},
        "child_and_family_assessment": {"started_on": today, "factors": ["4B"], "summary": "Seen the family.",
                                        "recommendation": "cin_plan"},
        "approve_assessment": {"approved": True, "outcome": "nfa"},
    }.get(step)  # fmt: skip


@dataclass
class Tally:
    """What a client saw: completions acknowledged (task ids), races lost, anything unexpected."""

    completed: list[str] = field(default_factory=list)
    referred: list[str] = field(default_factory=list)
    raced: int = 0
    unexpected: list[str] = field(default_factory=list)

    def expect(self, what: str, status: int, body: Any, ok: int = 200) -> bool:
        if status == ok:
            return True
        if status == 409 and isinstance(body, dict) and body.get("code") in RACED:
            self.raced += 1
            return False
        self.unexpected.append(f"{what}: {status} {str(body)[:300]}")
        return False


def work_once(send: Send, username: str, tally: Tally) -> bool:
    """One turn of a member of staff: the front door also takes a referral; then take one task from the inbox
    (mine first, then any of the available ones, as colleagues do), read it, claim it, complete it. True when
    a step was completed."""
    if username.startswith("fd"):
        status, body = send("POST", "/referrals", referral(username))
        if tally.expect("refer", status, body, ok=201):
            tally.referred.append(body["case_id"])
    for view in ("mine", "available"):
        status, listed = send("GET", f"/tasks?view={view}&limit=10", None)
        if not tally.expect(f"inbox {view}", status, listed):
            continue
        for task in random.sample(listed, len(listed)):
            data = form(task["step"], username)
            if data is None:
                continue
            status, body = send("GET", f"/tasks/{task['id']}", None)
            if not tally.expect("read task", status, body):
                continue
            if task["assignee"] != username:
                status, body = send("POST", f"/tasks/{task['id']}/claim", None)
                if not tally.expect("claim", status, body):
                    continue
            status, body = send("POST", f"/tasks/{task['id']}/complete", {"data": data})
            if status == 422 and isinstance(body, dict) and body.get("code") == "delay_reason_required":
                data["delay_reason"] = "Caught up after the backlog."  # as the answer asks: say why it is late
                status, body = send("POST", f"/tasks/{task['id']}/complete", {"data": data})
            if tally.expect(f"complete {task['step']}", status, body):
                tally.completed.append(task["id"])
                return True
    return False


def check_record(url: str, acknowledged: list[str]) -> list[str]:
    """After a run: each acknowledged completion is in the event record exactly once, nothing else was
    completed, the task rows agree, and every case's hash chain verifies. The problems found."""
    from casepath.services.audit import verify_all

    problems = []
    if len(set(acknowledged)) != len(acknowledged):
        problems.append("a completion was acknowledged twice")
    core = Casepath(Settings(database_url=url))
    with core.db.transaction() as session:
        task_id = models.Event.data["task_id"].as_string()
        query = select(task_id, func.count()).where(models.Event.name == "task_completed").group_by(task_id)
        recorded = {str(task): int(n) for task, n in session.execute(query)}
        rows = set(session.scalars(select(models.Task.id).where(models.Task.state == "completed")))
    if doubled := [t for t, n in recorded.items() if n != 1]:
        problems.append(f"{len(doubled)} completion(s) recorded more than once")
    if missing := set(acknowledged) - set(recorded):
        problems.append(f"{len(missing)} acknowledged completion(s) not in the event record")
    if unacknowledged := set(recorded) - set(acknowledged):
        problems.append(f"{len(unacknowledged)} completion(s) recorded but never acknowledged")
    if rows != set(recorded):
        problems.append("the completed task rows do not match the event record")
    problems += [f"audit chain {stream} broken at {seq}: {why}" for stream, seq, why in verify_all(core, None)]
    core.db.dispose()
    return problems


def overdue_fired(url: str) -> dict[str, int]:
    """How many times a step's deadline timer fired ('task_overdue' events), by case."""
    core = Casepath(Settings(database_url=url))
    with core.db.transaction() as session:
        query = select(models.Event.stream, func.count()).where(models.Event.name == "task_overdue")
        fired = {str(stream): int(n) for stream, n in session.execute(query.group_by(models.Event.stream))}
    core.db.dispose()
    return fired


def set_clock(url: str, moment: datetime) -> None:
    """Move a test-clock deployment's time (every process reads it from the database)."""
    from casepath.services.core import TEST_CLOCK_KEY

    core = Casepath(Settings(database_url=url))
    with core.db.transaction() as session:
        session.merge(models.Setting(key=TEST_CLOCK_KEY, value=moment.isoformat()))
    core.db.dispose()
