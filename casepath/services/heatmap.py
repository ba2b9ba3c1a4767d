"""How each user task of a published pathway version performs, for the diagram heatmap (reviewers).

Per step, over the tasks of the cases on that version (the tasks table, not the event log):

- ``cases``: how many cases completed the step (a case that did it twice counts once);
- ``completed``: how many times it was completed; ``open``: how many are open now;
- ``median_working_days``: the median number of working days from the task being created to its
  completion (0: done on the day it was created or before the next working day);
  ``median_hours``: the same median in elapsed hours;
- ``late_share``: of the completions of a step with a due date, the share completed after it
  (by their Europe/London dates); ``None`` when no completion had a due date;
- ``band``: the heatmap's colour band from the late share (``none`` when nothing was completed).

The query reads a few columns of `tasks` narrowed by `la_id` (the leading column of the tasks
indexes) joined to `cases` by primary key; medians are taken in Python.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.calendar import WorkingDayCalendar, local_date
from casepath.domain.errors import NotFound
from casepath.services import versions
from casepath.services.core import Casepath, PublishedVersion
from casepath.services.staff import Actor, require_role
from casepath.store import models

REVIEWERS = ("reviewer", "admin")
OPEN = ("ready", "claimed")
BANDS = ((0.0, "on-time"), (0.25, "some-late"), (0.5, "often-late"), (1.01, "mostly-late"))
_PROCESS = re.compile(r"<(?:[A-Za-z0-9_]+:)?process\b[^>]*\bid=\"([^\"]+)\"")


def band(late_share: float | None, completed: int) -> str:
    """`none` (nothing completed), `on-time` (none late), then below 25%, below 50%, 50% or more late."""
    if not completed:
        return "none"
    if not late_share:
        return "on-time"
    return next(name for limit, name in BANDS[1:] if late_share < limit)


@dataclass
class _Step:
    """The completions of one step, accumulated row by row."""

    cases: set[str] = field(default_factory=set)
    working_days: list[int] = field(default_factory=list)
    hours: list[float] = field(default_factory=list)
    due: int = 0
    late: int = 0
    open: int = 0

    def add(self, row: Any, calendar: WorkingDayCalendar) -> None:
        if row.state in OPEN:
            self.open += 1
            return
        if row.state != "completed" or row.completed_at is None:
            return
        created, completed = row.created_at, row.completed_at
        done_on = local_date(completed)
        self.cases.add(row.case_id)
        self.working_days.append(max(0, calendar.working_days_between(local_date(created), done_on)))
        self.hours.append(max(0.0, (completed - created).total_seconds() / 3600))
        if row.due_on is not None:
            self.due += 1
            self.late += done_on > row.due_on

    def figures(self) -> dict[str, Any]:
        completed = len(self.hours)
        late_share = round(self.late / self.due, 4) if self.due else None
        return {
            "cases": len(self.cases),
            "completed": completed,
            "open": self.open,
            "median_working_days": median(self.working_days) if completed else None,
            "median_hours": round(median(self.hours), 1) if completed else None,
            "with_due_date": self.due,
            "late": self.late,
            "late_share": late_share,
            "band": band(late_share, completed),
        }


def step_figures(app: Casepath, session: Session, la_id: int, version_id: int) -> dict[str, dict[str, Any]]:
    """The figures of every step with tasks on cases of the version, by step id."""
    calendar = app.calendar(app.protocol(session, la_id))
    query = (
        select(
            models.Task.step,
            models.Task.case_id,
            models.Task.state,
            models.Task.created_at,
            models.Task.completed_at,
            models.Task.due_on,
        )
        .join(models.Case, models.Case.id == models.Task.case_id)
        .where(models.Task.la_id == la_id, models.Case.process_version_id == version_id)
        .execution_options(yield_per=1000)
    )
    steps: dict[str, _Step] = defaultdict(_Step)
    for row in session.execute(query):
        steps[row.step].add(row, calendar)
    return {step: found.figures() for step, found in steps.items()}


def _diagram_steps(version: PublishedVersion, xml: str) -> list[dict[str, str]]:
    """The user tasks drawn in one diagram file, in the order the processes declare them."""
    found = []
    for process_id in _PROCESS.findall(xml):
        process = version.diagrams.processes.get(process_id)
        if process is not None:
            found += [{"step": t.step, "name": t.name, "process": process_id} for t in process.user_tasks.values()]
    return found


def heatmap(app: Casepath, actor: Actor, version: int | None = None, diagram: str | None = None) -> dict[str, Any]:
    """One diagram of a published version (the first by name unless `diagram` names one) with each user
    task's figures, and the list of the version's diagrams (reviewer, admin)."""
    require_role(actor, *REVIEWERS)
    with app.db.transaction() as session:
        la = actor.la_id
        row = versions.version_row(session, la, version) if version else versions.latest_row(session, la)
        if row is None:
            raise NotFound("No pathway has been published yet.")
        published = app.version(session, row.id)
        files: dict[str, str] = dict(row.diagrams)
        name = diagram or min(files)
        if name not in files:
            raise NotFound(f"Version {row.version} has no diagram called {name!r}.")
        figures = step_figures(app, session, actor.la_id, row.id)
        newest = versions.latest_row(session, actor.la_id)
        session.add(
            models.AccessLog(
                la_id=actor.la_id, at=app.now(session), actor=actor.username, case_id=None, child_id=None,
                what=f"heatmap v{row.version} {name}"[:100],
            )
        )  # fmt: skip
    steps = [{**s, **figures.get(s["step"], _Step().figures())} for s in _diagram_steps(published, files[name])]
    return {
        "version": row.version,
        "latest_version": newest.version if newest else row.version,
        "published_at": row.published_at.isoformat(),
        "diagram": name,
        "diagrams": sorted(files),
        "xml": files[name],
        "steps": steps,
    }
