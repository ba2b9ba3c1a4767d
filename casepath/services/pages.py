"""Read-only queries for the staff pages: inbox rows with names and clock markers, the case page,
the diagram of a case's current phase, and a practice supervisor's view of the team.

Each function checks access through the same services the API uses (tasks, cases, reports), then
adds the names and labels people need to read a page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.calendar import WorkingDayCalendar, local_date
from casepath.domain.errors import InvalidForm
from casepath.services import cases, reports, tasks
from casepath.services import inbox as inboxes
from casepath.services.core import Casepath
from casepath.services.staff import Actor, get_staff, require_role
from casepath.store import models

INBOX_VIEWS = ("mine", "available", "team", "overdue")
AMBER_WORKING_DAYS = 2


def clock_status(due_on: date | None, today: date, calendar: WorkingDayCalendar) -> str | None:
    """red: overdue; amber: due within 2 working days; green: otherwise; None: no statutory clock."""
    if due_on is None:
        return None
    if today > due_on:
        return "red"
    if due_on <= calendar.add_working_days(today, AMBER_WORKING_DAYS):
        return "amber"
    return "green"


def _today_and_calendar(app: Casepath, session: Session, la_id: int) -> tuple[date, WorkingDayCalendar]:
    return local_date(app.now(session)), app.calendar(app.protocol(session, la_id))


def _child_names(session: Session, case_ids: Iterable[str]) -> dict[str, str]:
    query = (
        select(models.Case.id, models.Child.first_name, models.Child.last_name)
        .join(models.Child, models.Child.id == models.Case.child_id)
        .where(models.Case.id.in_(sorted(set(case_ids))))
    )
    return {case_id: f"{first} {last}" for case_id, first, last in session.execute(query)}


def staff_names(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({u for u in usernames if u})
    query = select(models.Staff.username, models.Staff.name).where(models.Staff.username.in_(wanted))
    return {username: name for username, name in session.execute(query)}


def display_name(app: Casepath, username: str) -> str:
    with app.db.transaction() as session:
        return staff_names(session, [username]).get(username, username)


def inbox(app: Casepath, actor: Actor, view: str) -> dict[str, Any]:
    """One list of the inbox (mine, available, team, overdue) with child names and clock markers."""
    if view not in INBOX_VIEWS:
        raise InvalidForm(
            "Choose one of the inbox lists.", errors={"view": [f"Choose one of {', '.join(INBOX_VIEWS)}"]}
        )
    if view == "team":
        require_role(actor, "practice_supervisor")
    rows, _ = inboxes.list_inbox(app, actor, inboxes.InboxFilter(view=view), limit=inboxes.PAGE_MAX)
    with app.db.transaction() as session:
        today, calendar = _today_and_calendar(app, session, actor.la_id)
        names = _child_names(session, (r["case_id"] for r in rows))
        people = staff_names(session, (r["assignee"] for r in rows))
    for row in rows:
        due = date.fromisoformat(row["due_on"]) if row["due_on"] else None
        row["child_name"] = names.get(row["case_id"], "")
        row["assignee_name"] = people.get(row["assignee"] or "", row["assignee"])
        row["clock"] = clock_status(due, today, calendar)
    return {"view": view, "rows": rows, "today": today.isoformat()}


def task_page(app: Casepath, actor: Actor, task_id: str) -> dict[str, Any]:
    """The task (access checked by tasks.get_task), its child, and whether it is late today."""
    task = tasks.get_task(app, actor, task_id)
    with app.db.transaction() as session:
        today, calendar = _today_and_calendar(app, session, actor.la_id)
        task["child_name"] = _child_names(session, [task["case_id"]]).get(task["case_id"], "")
        task["assignee_name"] = staff_names(session, [task["assignee"]]).get(task["assignee"] or "")
    due = date.fromisoformat(task["due_on"]) if task["due_on"] else None
    task["late"] = due is not None and today > due
    task["clock"] = clock_status(due, today, calendar)
    task["today"] = today.isoformat()
    return task


def case_page(app: Casepath, actor: Actor, case_id: str) -> dict[str, Any]:
    """The case view with names for the people on it, its clocks and a timeline of its events."""
    case = cases.get_case(app, actor, case_id)
    events = reports.case_events(app, actor, case_id)
    with app.db.transaction() as session:
        today, calendar = _today_and_calendar(app, session, actor.la_id)
        keys = ("lead_practitioner", "lead_social_worker", "supervisor", "chair")
        names = staff_names(session, [case[k] for k in keys] + [e["actor"] for e in events])
    case["names"] = names
    for clock in case["clocks"]:
        due = date.fromisoformat(clock["due_on"]) if clock["due_on"] else None
        clock["marker"] = "met" if clock["met_on"] else clock_status(due, today, calendar)
    steps = {t["id"]: t["name"] for t in case["tasks"]}
    case["timeline"] = [timeline_entry(e, steps, names) for e in reversed(events)]
    case["open_tasks"] = [t for t in case["tasks"] if t["state"] in ("ready", "claimed")]
    return case


_EVENT_TITLES = {
    "case_opened": "Referral received",
    "phase_started": "Pathway phase started",
    "task_created": "Step opened",
    "task_claimed": "Step claimed",
    "task_unclaimed": "Step released",
    "task_assigned": "Step reassigned",
    "task_completed": "Step completed",
    "task_cancelled": "Step no longer needed",
    "task_overdue": "Step overdue: escalated",
    "case_event": "Concern raised",
    "case_closed": "Case closed",
}


def timeline_entry(event: dict[str, Any], steps: dict[str, str], names: dict[str, str]) -> dict[str, Any]:
    data = event["data"] or {}
    step = steps.get(str(data.get("task_id")), str(data.get("step") or "").replace("_", " "))
    details = {
        "phase_started": str(data.get("process", "")).replace("_", " "),
        "task_assigned": f"{step} to {data.get('assignee')}: {data.get('reason', '')}",
        "case_event": str(data.get("name", "")).replace("_", " "),
        "case_closed": f"Reason {data.get('reason') or 'not given'}, closed on {data.get('closed_on')}",
        "case_opened": str(data.get("concerns", "")),
        "task_completed": step + (f" (late: {data['delay_reason']})" if data.get("delay_reason") else ""),
    }
    actor = event["actor"]
    return {
        "title": _EVENT_TITLES.get(event["name"], event["name"].replace("_", " ").capitalize()),
        "at": event["at"],
        "by": names.get(actor or "", actor) if actor else "Casepath",
        "body": details.get(event["name"], step),
    }


_PROCESS = re.compile(r"<(?:[A-Za-z0-9_]+:)?process\b[^>]*\bid=\"([^\"]+)\"")


def case_diagram(app: Casepath, actor: Actor, case_id: str) -> dict[str, Any]:
    """The BPMN XML of the case's current phase and the ids of its open steps in that diagram."""
    case = cases.get_case(app, actor, case_id)
    with app.db.transaction() as session:
        row = session.scalars(select(models.Case).where(models.Case.id == case_id)).first()
        assert row is not None
        version = session.get(models.ProcessVersion, row.process_version_id)
        assert version is not None
        diagrams: dict[str, str] = dict(version.diagrams)
    open_steps = [t["step"] for t in case["tasks"] if t["state"] in ("ready", "claimed")]
    phase = case["phase"]
    for name, xml in sorted(diagrams.items()):
        if phase in _PROCESS.findall(xml):
            return {"process": phase, "file": name, "xml": xml, "open_steps": open_steps}
    return {"process": phase, "file": None, "xml": None, "open_steps": open_steps}


def team_overview(app: Casepath, actor: Actor) -> dict[str, Any]:
    """A practice supervisor's team: its open work and the open cases each lead practitioner holds."""
    require_role(actor, "practice_supervisor")
    work = inbox(app, actor, "team")
    with app.db.transaction() as session:
        me = get_staff(session, actor.username, actor.la_id)
        members = list(
            session.scalars(
                select(models.Staff)
                .where(models.Staff.la_id == actor.la_id, models.Staff.team == me.team, models.Staff.active.is_(True))
                .order_by(models.Staff.name)
            )
        )
        open_cases = session.scalars(
            select(models.Case.people).where(models.Case.la_id == actor.la_id, models.Case.status == "open")
        )
        held = Counter(str(p.get("lead_practitioner") or p.get("lead_social_worker")) for p in open_cases if p)
        caseloads = [
            {"username": m.username, "name": m.name, "roles": list(m.roles), "open_cases": held.get(m.username, 0)}
            for m in members
        ]
        return {"team": me.team, "rows": work["rows"], "caseloads": caseloads}


def reassign_candidates(app: Casepath, actor: Actor, task_id: str) -> list[dict[str, Any]]:
    """Who may take the task and why everyone else may not (practice supervisors only, on this page)."""
    require_role(actor, "practice_supervisor")
    return tasks.candidates(app, actor, task_id)
