"""A national-scale data set made from the real diagrams.

Two stages:

1. Templates. A few hundred children's cases are driven through the real service layer (the real diagrams in
   processes/, the real forms, the test clock) on a throwaway SQLite database: referrals closed with no further
   action or stepped down to early help, s17 assessments, CIN plans with reviews, strategy discussions, s47
   enquiries, conferences and CP plans with core groups and reviews, closures. Each case starts on a random
   working day in the two years before `now` and runs until its pathway ends or the next step would fall after
   `now` (it is then still open, with its open tasks where the services left them).
2. Copies. Every template's rows (child, case, instances with their SpiffWorkflow state, tasks, events) are
   written again, as many times as needed, with fresh ids, the staff of another group (team) and all dates shifted
   by whole weeks, until there are `open_cases` open cases and `completed_tasks` completed tasks. PostgreSQL
   takes the rows by COPY, SQLite by executemany. Every copied event's hash chain is rebuilt over the copied
   content (`records.verify` accepts every copied case).

Ids: a copy's ids are its template's ids with the first eight hex digits replaced by the copy's number, so the
id map of one copy costs nothing and ids stay unique. Staff: every group has the templates' caseworkers under
its own usernames (`g00042sw1`) and team names (`g00042 east`); the LA's reviewer and administrator are shared.
Dates shift by whole weeks, so weekdays are kept; a bank holiday may fall on a copied working day.

Finished instances: a copy keeps every instance row, but a finished instance's SpiffWorkflow state is written as
`{}` (COMPACTED). The services load only active instances; at 15 KB a state, the finished ones would make the
instances table alone over 20 GB at full size. Active instances are copied whole (ids, names and dates
rewritten), so a copied open case goes on through the services (tests/bench/test_generate.py).
PostgreSQL loads with `session_replication_role = replica` (no per-row foreign key triggers: the rows are
consistent by construction, and SQLite checks every foreign key in the tests) and lz4 TOAST compression.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, insert, select, text

from casepath.domain.calendar import LONDON, WorkingDayCalendar
from casepath.domain.clock import FixedClock
from casepath.services import admin, cases, tasks
from casepath.services.core import Casepath, Settings
from casepath.services.records import GENESIS, event_hash
from casepath.services.setup import default_la_id, init
from casepath.services.staff import Actor
from casepath.store import models
from handlers import REGISTRY

CALENDAR = WorkingDayCalendar()
NOW = date(2026, 4, 20)  # the data set's today: three weeks after the 2026 census reference date
YEARS = 2  # cases are referred over the two years before NOW
RECENT = 0.15
REGISTERED = {"number": "SW123456", "expires_on": date(2099, 12, 31)}
# the caseworkers of one group, as in tests/conformance/pathways.py: (username, roles, team, extra)
GROUP_STAFF: list[tuple[str, list[str], str, dict[str, Any]]] = [
    ("fd1", ["front_door", "social_worker"], "front door", {}),
    ("ps1", ["practice_supervisor", "social_worker"], "east", {}),
    ("ps2", ["practice_supervisor", "social_worker"], "west", {}),
    ("fsw1", ["lead_practitioner"], "east",
     {"profession": "family_support_worker", "competencies": ["cin_assessment"], "line_manager": "ps1"}),
    ("daw1", ["lead_practitioner"], "east",
     {"profession": "domestic_abuse_worker", "competencies": ["cin_assessment"], "employer": "Refuge Trust",
      "line_manager": "ps1"}),
    ("sw1", ["social_worker", "lead_practitioner"], "west", {"line_manager": "ps2"}),
    ("lcpp1", ["lcpp", "social_worker"], "macpt", {}),
    ("chair1", ["conference_chair", "social_worker"], "review", {}),
    ("bs1", ["business_support"], "conference service", {"profession": "administrator"}),
]  # fmt: skip
USERS = [row[0] for row in GROUP_STAFF]
TEAMS = sorted({row[2] for row in GROUP_STAFF})
SHARED_STAFF = [("rev", ["reviewer"], "quality", {"profession": "quality_assurance"})]


@dataclass(frozen=True)
class Size:
    """How much to make. Templates are driven through the services; everything else is copied."""

    open_cases: int = 100_000
    completed_tasks: int = 2_000_000
    templates: int = 200
    cases_per_worker: int = 20  # open cases per lead practitioner: sets the number of groups
    seed: int = 9

    def groups(self) -> int:
        return max(1, self.open_cases // (3 * self.cases_per_worker))  # three lead practitioners per group


# --- stage 1: templates through the service layer -----------------------------------------------------------


class Stop(Exception):
    """The next step of a pathway would fall after NOW: the case stays open where it is."""


class Script:
    """One child's pathway, step by step, with the clock moved to each step's day."""

    def __init__(self, app: Casepath, la_id: int, rng: random.Random, start: date, number: int) -> None:
        self.app, self.la_id, self.rng, self.day, self.number = app, la_id, rng, start, number
        self.case_id = ""
        self.reader = Actor("admin", la_id, ("admin", "reviewer"))

    def actor(self, username: str) -> Actor:
        roles = next(row[1] for row in GROUP_STAFF if row[0] == username)
        return Actor(username, self.la_id, tuple(roles))

    def next(self, working_days: int, hour: int = 12) -> str:
        day = CALENDAR.add_working_days(self.day, working_days) if working_days else self.day
        if day > NOW:
            raise Stop
        self.day = day
        assert isinstance(self.app.clock, FixedClock)
        self.app.clock.set(datetime(day.year, day.month, day.day, hour, tzinfo=LONDON))
        return day.isoformat()

    def refer(self) -> None:
        self.next(0, 10)
        child = {"first_name": f"Child{self.number}", "last_name": "Example", "sex": self.rng.choice("MF"),
                 "date_of_birth": date(2008 + self.rng.randrange(14), 1 + self.rng.randrange(12), 1),
                 "ethnicity": self.rng.choice(["WBRI", "WBRI", "WBRI", "MWBC", "AIND", "BAFR", "OOTH"]),
                 "disabilities": ["NONE"]}  # fmt: skip
        source = self.rng.choice(["1B", "2A", "3A", "5A"])
        body = {"child": child, "received_at": self.app.clock.now(), "source": source, "concerns": "Concerns."}
        self.case_id = cases.start_referral(self.app, self.actor("fd1"), body)["case_id"]

    def open_task(self, step: str) -> dict[str, Any] | None:
        found = [t for t in tasks.list_case_tasks(self.app, self.reader, self.case_id, None)
                 if t["step"] == step and t["state"] in ("ready", "claimed")]  # fmt: skip
        return found[0] if found else None

    def do(self, username: str, step: str, **form: Any) -> None:
        task = self.open_task(step)
        if task is None:
            raise LookupError(f"template {self.number}: no open {step} on {self.day}")
        actor = self.actor(username)
        if task["due_on"] and task["due_on"] < self.day.isoformat():
            form["delay_reason"] = "Waiting for the family to be available."
        if task["assignee"] != username:
            tasks.claim_task(self.app, actor, task["id"])
        tasks.complete_task(self.app, actor, task["id"], {"data": form})

    def close(self, supervisor: str, reason: str) -> None:
        day = self.next(self.rng.randint(1, 5))
        if self.open_task("close_case"):
            self.do(supervisor, "close_case", reason=reason, closed_on=day, rationale="No longer in need.")


def nfa(s: Script) -> None:
    s.refer()
    s.next(1)
    s.do("fd1", "referral_decision", decision=s.rng.choice(["nfa", "nfa", "early_help"]), primary_need="N8",
         rationale="Seen the referral.", referrer_informed=True)  # fmt: skip


def s17(s: Script) -> None:
    s.refer()
    s.next(1)
    s.do("fd1", "referral_decision", decision="assessment", primary_need=s.rng.choice(["N2", "N3", "N4", "N5"]),
         rationale="Needs an assessment.", referrer_informed=True)  # fmt: skip
    lead, supervisor = s.rng.choice([("fsw1", "ps1"), ("daw1", "ps1"), ("sw1", "ps2")])
    started = s.next(1)
    s.do(supervisor, "allocate_lead_practitioner", lead_practitioner=lead, practitioner_agreed=True,
         rationale="Knows the family.")  # fmt: skip
    s.next(s.rng.randint(15, 50))
    outcome = s.rng.choice(["nfa", "early_help", "cin_plan", "cin_plan", "cin_plan"])
    s.do(lead, "child_and_family_assessment", started_on=started, factors=["4B"], summary="Needs support.",
         recommendation=outcome)  # fmt: skip
    s.next(s.rng.randint(1, 4))
    s.do(supervisor, "approve_assessment", approved=True, outcome=outcome, comments="Agreed.")
    if outcome == "cin_plan":
        cin_plan(s, lead, supervisor)


def cin_plan(s: Script, lead: str, supervisor: str) -> None:
    s.next(s.rng.randint(2, 8))
    s.do(lead, "draft_cin_plan", plan_summary="Support.", actions=["Visit weekly"])
    starts = s.next(s.rng.randint(1, 3))
    s.do(supervisor, "approve_cin_plan", approved=True, starts_on=starts)
    for review in range(s.rng.randint(1, 8), 0, -1):
        held = s.next(s.rng.randint(55, 70))
        s.do(lead, "cin_review", held_on=held, summary="Progress made.", outcome="continue" if review > 1 else "close")
    s.close(supervisor, "RC7")


def child_protection(s: Script) -> None:
    s.refer()
    s.next(1)
    s.do("fd1", "referral_decision", decision="strategy_discussion", primary_need="N1", rationale="Risk of harm.",
         referrer_informed=True)  # fmt: skip
    participants = [{"agency": a, "name": a} for a in ("la_social_care", "police", "health")]
    held = s.next(1)
    s.do("lcpp1", "strategy_discussion", held_on=held, participants=participants, decision="s47",
         lead_social_worker="sw1")  # fmt: skip
    s.next(s.rng.randint(5, 12))
    outcome = s.rng.choice(["icpc", "icpc", "icpc", "cin_plan", "close"])
    s.do("sw1", "section47_enquiry", started_on=held, factors=["3A"], findings="Risk continues.",
         recommendation=outcome)  # fmt: skip
    s.next(1)
    s.do("ps2", "approve_section47", approved=True, outcome=outcome, comments="Agreed.")
    if outcome == "cin_plan":
        return cin_plan(s, "sw1", "ps2")
    if outcome == "close":
        return s.close("ps2", "RC7")
    s.next(1)
    conference = CALENDAR.add_working_days(s.day, s.rng.randint(4, 9))
    s.do("bs1", "schedule_icpc", conference_date=conference.isoformat(), chair="chair1")
    held = s.next(CALENDAR.working_days_between(s.day, conference))
    if s.rng.random() < 0.15:
        s.do("chair1", "hold_icpc", held_on=held, decision="no_plan", next="close")
        return s.close("ps2", "RC7")
    category = s.rng.choice(["NEG", "PHY", "EMO", "SAB", "MUL"])
    s.do("chair1", "hold_icpc", held_on=held, decision="cp_plan", category_of_abuse=category,
         lead_social_worker="sw1", core_group=[{"agency": "health", "name": "HV"}])  # fmt: skip
    cp_plan(s, category)


def cp_plan(s: Script, category: str) -> None:
    """The core group within ten working days, a review at three months then every six, until the plan ends."""
    review_due = s.day + timedelta(days=85)
    held = s.next(s.rng.randint(5, 10))
    s.do("sw1", "core_group_meeting", held_on=held, summary="Plan agreed.")
    for review in range(s.rng.randint(1, 5), 0, -1):
        held = s.next(max(1, CALENDAR.working_days_between(s.day, review_due)))
        if review > 1:
            s.do("chair1", "review_conference", held_on=held, decision="continue", latest_category_of_abuse=category)
            review_due = s.day + timedelta(days=170)
            continue
        s.do("chair1", "review_conference", held_on=held, decision="end_plan", latest_category_of_abuse=category,
             next="close")  # fmt: skip
        s.close("ps2", "RC7")


PATHWAYS: list[tuple[float, Callable[[Script], None]]] = [(0.3, nfa), (0.45, s17), (0.25, child_protection)]


def template_app(path: Path) -> Casepath:
    return Casepath(Settings(database_url=f"sqlite:///{path}"), clock=FixedClock(datetime(2024, 1, 1, tzinfo=UTC)),
                    handlers=REGISTRY)  # fmt: skip


def drive_templates(path: Path, count: int, seed: int) -> Casepath:
    """`count` children's cases driven through the services into a new SQLite database at `path`."""
    app = template_app(path)
    init(app)
    la_id = default_la_id(app)
    actor = Actor("admin", la_id, ("admin", "process_owner"))
    for username, roles, team, extra in GROUP_STAFF + SHARED_STAFF:
        extra = dict(extra)
        profession = extra.pop("profession", "social_worker")
        admin.create_staff(app, actor, {"username": username, "name": username.upper(),
                                        "email": f"{username}@example.org", "roles": roles, "profession": profession,
                                        "swe_registration": REGISTERED if profession == "social_worker" else None,
                                        "team": team, **extra})  # fmt: skip
    rng = random.Random(seed)
    first = NOW - timedelta(days=365 * YEARS)
    weights = [w for w, _ in PATHWAYS]
    for number in range(count):
        pathway = rng.choices([p for _, p in PATHWAYS], weights)[0]
        recent = rng.random() < RECENT  # a referral of the last six weeks: work waiting to be picked up
        start = NOW - timedelta(days=rng.randrange(42) if recent else rng.randrange((NOW - first).days))
        script = Script(
            app, la_id, rng, start if CALENDAR.is_working_day(start) else CALENDAR.add_working_days(start, 1), number
        )
        try:
            pathway(script)
        except Stop:
            pass
    return app


# --- stage 2: compiled templates, copied ---------------------------------------------------------------------

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NAMES = "|".join(re.escape(n) for n in sorted(USERS + TEAMS, key=len, reverse=True))
TOKEN = re.compile(rf'({UUID}|\d{{4}}-\d\d-\d\d|"(?:{NAMES})"|\x02(?:{NAMES})\x03)')
PREV, HASH = "\x05prev\x05", "\x05hash\x05"
TABLES = {
    "children": ["id", "la_id", "first_name", "last_name", "date_of_birth", "expected_date_of_birth", "sex",
                 "ethnicity", "disabilities", "upn", "created_at"],
    "cases": ["id", "la_id", "child_id", "process_version_id", "status", "phase", "people", "received_at", "closed_on",
              "closure_reason", "incident", "version", "created_at", "updated_at", "last_seq", "last_hash"],
    "instances": ["id", "case_id", "process_id", "state", "serializer_version", "status", "next_timer_at",
                  "started_at", "updated_at"],
    "tasks": ["id", "case_id", "instance_id", "la_id", "step", "name", "role", "form_key", "state", "assignee",
              "team", "due_on", "rule", "draft", "data", "created_at", "completed_by", "completed_at", "escalated_at",
              "reminded_at"],
    "events": ["stream", "la_id", "seq", "name", "at", "actor", "data", "prev_hash", "hash"],
}  # fmt: skip
HEAD = ("last_seq", "last_hash")  # the last two columns of a case
COMPACTED = "{}"  # a copied finished instance's state: the services never load a finished instance again
NAME_COLUMNS = {"actor", "assignee", "completed_by", "team"}


def _value(column: str, value: Any) -> str | None:
    """A column's value as COPY text (without escaping), names marked for the tokenizer."""
    if value is None:
        return None
    if column in ("la_id", "process_version_id"):
        return f"\x05{column}\x05"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if column in NAME_COLUMNS and value in USERS + TEAMS:
        return f"\x02{value}\x03"
    return str(value)


def _fields(compiled: str) -> str:
    """The format fields that are not tokens: the target's LA and version, an event's chain."""
    for name in ("la_id", "process_version_id", "prev", "hash"):
        compiled = compiled.replace(f"\x05{name}\x05", "{" + name + "}")
    return compiled


def _escape(value: str | None) -> str:
    if value is None:
        return "\\N"
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Compiler:
    """Turns texts with ids, dates and names into format strings over one list of tokens per template."""

    def __init__(self) -> None:
        self.tokens: dict[str, int] = {}

    def compile(self, value: str) -> str:
        parts = TOKEN.split(value)
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append("{" + str(self.tokens.setdefault(part, len(self.tokens))) + "}")
            else:
                out.append(part.replace("{", "{{").replace("}", "}}"))
        return "".join(out)


@dataclass
class Template:
    """One child's cases as format strings: COPY lines per table, and each event's hash body."""

    open_cases: int
    completed: int
    first: date
    last: date
    tokens: list[str] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (stream format, hash body, line)


def _rows(conn: Connection, table: str, where: str, ids: list[str]) -> list[dict[str, Any]]:
    found = models.Base.metadata.tables[table]
    order = (found.c.stream, found.c.seq) if table == "events" else (found.c.id,)
    rows = conn.execute(select(found).where(found.c[where].in_(ids)).order_by(*order)).mappings().all()
    return [dict(r) for r in rows]


def compile_templates(app: Casepath) -> list[Template]:
    """Read every child's rows from the template database and compile them."""
    out = []
    with app.db.engine.connect() as conn:
        children = [r[0] for r in conn.execute(select(models.Child.id).order_by(models.Child.created_at))]
        for child_id in children:
            compiler = Compiler()
            case_rows = _rows(conn, "cases", "child_id", [child_id])
            case_ids = [c["id"] for c in case_rows]
            tables = {
                "children": _rows(conn, "children", "id", [child_id]),
                "cases": case_rows,
                "instances": _rows(conn, "instances", "case_id", case_ids),
                "tasks": _rows(conn, "tasks", "case_id", case_ids),
            }
            for row in tables["instances"]:
                if row["status"] != "active":
                    row["state"] = COMPACTED
            event_rows = _rows(conn, "events", "stream", case_ids)
            days = [e["at"].date() for e in event_rows]
            template = Template(
                open_cases=sum(c["status"] == "open" for c in case_rows),
                completed=sum(t["state"] == "completed" for t in tables["tasks"]),
                first=min(days),
                last=max(days),
            )
            for table, rows in tables.items():
                columns = [c for c in TABLES[table] if c not in HEAD]  # a copy's chain head is its own (`rows`)
                template.lines[table] = [
                    _fields(compiler.compile("\t".join(_escape(_value(c, r[c])) for c in columns))) for r in rows
                ]
            for e in event_rows:
                assert e["hash"] == event_hash(e["prev_hash"], e["stream"], e["seq"], e["name"], e["at"], e["actor"],
                                               e["data"]), "the template's own chain must verify"  # fmt: skip
                at = e["at"].astimezone(UTC)
                body = json.dumps([PREV, e["stream"], e["seq"], e["name"], at.isoformat(), e["actor"], e["data"]],
                                  sort_keys=True, separators=(",", ":"), default=str)  # fmt: skip
                row = {**e, "prev_hash": PREV, "hash": HASH, "actor": e["actor"]}
                line = "\t".join(_escape(_value(c, row[c])) for c in TABLES["events"])
                body = compiler.compile(body).replace(json.dumps(PREV), '"{prev}"')
                line = _fields(compiler.compile(line))
                template.events.append((compiler.compile(e["stream"]), body, line))
            template.tokens = list(compiler.tokens)
            out.append(template)
    return out


@dataclass
class Copier:
    """Fills compiled templates for one copy: ids, group and date shift."""

    la_id: int
    version_id: int
    _dates: dict[tuple[str, int], str] = field(default_factory=dict)

    def values(self, template: Template, number: int, group: int, shift: int) -> list[str]:
        prefix = f"{number:08x}"
        out = []
        for token in template.tokens:
            first = token[0]
            if first == '"':
                out.append(f'"{group_name(group, token[1:-1])}"')
            elif first == "\x02":
                out.append(group_name(group, token[1:-1]))
            elif len(token) == 36:
                out.append(prefix + token[8:])
            else:
                key = (token, shift)
                if key not in self._dates:
                    self._dates[key] = (date.fromisoformat(token) + timedelta(days=shift)).isoformat()
                out.append(self._dates[key])
        return out

    def rows(self, template: Template, number: int, group: int, shift: int) -> Iterator[tuple[str, str]]:
        """(table, COPY line) for every row of one copy, events with their rebuilt hash chain."""
        values = self.values(template, number, group, shift)
        common = {"la_id": self.la_id, "process_version_id": self.version_id}
        events: list[str] = []
        heads: dict[str, str] = {}  # each case's chain head (last seq and hash), which its row carries
        stream, prev, seq = "", GENESIS, 0
        for stream_format, body, line in template.events:
            this = stream_format.format(*values)
            if this != stream:
                stream, prev, seq = this, GENESIS, 0
            digest = hashlib.sha256(body.format(*values, prev=prev).encode()).hexdigest()
            events.append(line.format(*values, prev=prev, hash=digest, **common))
            prev, seq = digest, seq + 1
            heads[stream] = f"{seq}\t{digest}"
        for table in ("children", "cases", "instances", "tasks"):
            for line in template.lines[table]:
                line = line.format(*values, **common)
                if table == "cases":
                    line += "\t" + heads.get(line.split("\t", 1)[0], f"0\t{GENESIS}")
                yield table, line
        for line in events:
            yield "events", line


def group_name(group: int, name: str) -> str:
    return f"g{group:05d}{name}" if name in USERS else f"g{group:05d} {name}"


def copy_plan(templates: list[Template], size: Size) -> Iterator[tuple[Template, int]]:
    """Which template each copy is of, and its shift in days (whole weeks, never after NOW): open templates until
    there are enough open cases, then closed ones until there are enough completed tasks."""
    rng = random.Random(size.seed)
    open_ones = [t for t in templates if t.open_cases]
    closed = [t for t in templates if not t.open_cases]
    first = NOW - timedelta(days=365 * YEARS)
    open_cases = completed = 0
    while open_cases < size.open_cases and open_ones:
        t = rng.choice(open_ones)
        open_cases += t.open_cases
        completed += t.completed
        yield t, -7 * rng.randint(0, 6)  # open cases stay current: up to six weeks earlier
    while completed < size.completed_tasks and closed:
        t = rng.choice(closed)
        completed += t.completed
        earliest = -((t.first - first).days // 7)
        latest = (NOW - t.last).days // 7
        yield t, 7 * rng.randint(min(earliest, latest), latest)


@dataclass
class Generated:
    templates: int
    copies: int
    groups: int
    rows: dict[str, int]
    drive_seconds: float
    copy_seconds: float


def _staff_rows(groups: int, la_id: int, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for group in range(groups):
        for username, roles, team, extra in GROUP_STAFF:
            extra = dict(extra)
            profession = extra.pop("profession", "social_worker")
            manager = extra.pop("line_manager", None)
            registered = profession == "social_worker"
            rows.append({"la_id": la_id, "username": group_name(group, username), "name": username.upper(),
                         "email": f"{group_name(group, username)}@example.org", "roles": roles,
                         "profession": profession, "swe_number": "SW123456" if registered else None,
                         "swe_expires_on": date(2099, 12, 31) if registered else None,
                         "competencies": extra.pop("competencies", []), "team": group_name(group, team),
                         "line_manager": group_name(group, manager) if manager else None,
                         "employer": extra.pop("employer", "la"), "caseload_limit": None, "active": True,
                         "password_hash": None, "demo": False, "created_at": now})  # fmt: skip
    return rows


def generate(target: Casepath, size: Size, log: Callable[[str], None] = print, batch: int = 2000) -> Generated:
    """Make the data set in the target Casepath (initialised, with version 1 of the shipped pathway)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        source = drive_templates(Path(folder) / "templates.db", size.templates, size.seed)
        drove = time.perf_counter() - started
        log(f"drove {size.templates} template children through the services in {drove:.0f} s")
        with source.db.transaction() as session:
            source_version = session.scalars(select(models.ProcessVersion)).one()
        with target.db.transaction() as session:
            la_id = default_la_id(target)
            version = target.latest_version(session, la_id)
            row = session.get(models.ProcessVersion, version.id)
            assert row is not None
            if row.hash != source_version.hash:
                raise ValueError("the target's latest pathway is not the shipped one the templates ran on")
            session.execute(insert(models.Staff), _staff_rows(size.groups(), la_id, target.now(session)))
            has_reviewer = session.scalars(select(models.Staff).where(models.Staff.username == "rev")).first()
        if has_reviewer is None:
            data = {"username": "rev", "name": "REV", "email": "rev@example.org", "roles": ["reviewer"],
                    "profession": "quality_assurance", "team": "quality"}  # fmt: skip
            admin.create_staff(target, Actor("admin", la_id, ("admin",)), data)
        templates = compile_templates(source)
        source.db.dispose()
    copier = Copier(la_id, version.id)
    copy_started = time.perf_counter()
    groups, copies = size.groups(), 0
    with _sink(target) as sink:
        for template, shift in copy_plan(templates, size):
            for table, line in copier.rows(template, copies, copies % groups, shift):
                sink.write(table, line)
            copies += 1
            if copies % batch == 0:
                log(f"copies {copies}: " + ", ".join(f"{n} {t}" for t, n in sink.counts.items()))
    _analyze(target)
    return Generated(len(templates), copies, groups, dict(sink.counts), drove, time.perf_counter() - copy_started)


class Sink:
    """Where copied rows go, table by table."""

    def __init__(self) -> None:
        self.counts = {t: 0 for t in TABLES}
        self.pending: dict[str, list[str]] = {t: [] for t in TABLES}

    def write(self, table: str, line: str) -> None:
        self.counts[table] += 1
        pending = self.pending[table]
        pending.append(line)
        if len(pending) >= 2000:
            self.flush(table)

    def flush(self, table: str) -> None:
        raise NotImplementedError


class SqliteSink(Sink):
    def __init__(self, app: Casepath) -> None:
        super().__init__()
        self.raw = app.db.engine.raw_connection()

    def flush(self, table: str) -> None:
        """Parents before children (SQLite checks the foreign keys): every table up to this one."""
        cursor = self.raw.cursor()
        for name in list(TABLES)[: list(TABLES).index(table) + 1]:
            marks = ", ".join("?" for _ in TABLES[name])
            sql = f"INSERT INTO {name} ({', '.join(TABLES[name])}) VALUES ({marks})"  # noqa: S608 - constants
            cursor.executemany(sql, [_unescape_line(line) for line in self.pending[name]])
            self.pending[name] = []

    def close(self) -> None:
        self.flush(list(TABLES)[-1])
        self.raw.commit()
        self.raw.close()


class PostgresSink(Sink):
    """One connection and one COPY per table, fed by a writer thread each: PostgreSQL takes the rows on other
    cores while Python makes the next ones."""

    def __init__(self, app: Casepath) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.copies: dict[str, Any] = {}
        self.raws = []
        for table, columns in TABLES.items():
            raw = app.db.engine.raw_connection()
            self.raws.append(raw)
            cursor = raw.cursor()
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET TimeZone = 'UTC'")
            cursor.execute("SET default_toast_compression = lz4")  # SpiffWorkflow states: faster than pglz
            # the rows are consistent by construction (SQLite checks their foreign keys in the tests): no
            # per-row foreign key triggers while loading
            cursor.execute("SET session_replication_role = replica")
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            copy = cast(Any, cursor).copy(statement, writer=QueuedLibpqWriter(cast(Any, cursor)))
            self.copies[table] = self.stack.enter_context(copy)

    def flush(self, table: str) -> None:
        if self.pending[table]:
            self.copies[table].write("\n".join(self.pending[table]) + "\n")
            self.pending[table] = []

    def close(self) -> None:
        for table in TABLES:
            self.flush(table)
        self.stack.close()
        for raw in self.raws:
            raw.commit()
            raw.close()


@contextmanager
def _sink(app: Casepath) -> Iterator[Sink]:
    sink: SqliteSink | PostgresSink = PostgresSink(app) if app.db.is_postgres else SqliteSink(app)
    yield sink
    sink.close()


def _unescape_line(line: str) -> list[str | None]:
    fields: list[str | None] = []
    for value in line.split("\t"):
        if value == "\\N":
            fields.append(None)
        else:
            fields.append(re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m[1], m[1]), value))
    return fields


def _analyze(app: Casepath) -> None:
    """Statistics for the planner; on PostgreSQL the tasks' visibility map too (index-only scans for the inbox)."""
    with app.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if app.db.is_postgres:
            conn.execute(text("VACUUM ANALYZE tasks"))
        conn.execute(text("ANALYZE"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an initialised Casepath database (casepath init)")
    parser.add_argument("--open-cases", type=int, default=Size.open_cases)
    parser.add_argument("--completed-tasks", type=int, default=Size.completed_tasks)
    parser.add_argument("--templates", type=int, default=Size.templates)
    parser.add_argument("--seed", type=int, default=Size.seed)
    args = parser.parse_args(argv)
    app = Casepath(Settings(database_url=args.database_url))
    size = Size(args.open_cases, args.completed_tasks, args.templates, seed=args.seed)
    done = generate(app, size, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
