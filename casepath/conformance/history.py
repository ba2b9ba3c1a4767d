"""Reading a case's event record into the things rules talk about: task runs, episodes, CP plans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from casepath.domain.calendar import WorkingDayCalendar, local_date
from casepath.domain.deadlines import (
    Deadline,
    as_date,
    chose,
    completed_on,
    due_for_step,
    form_of,
    is_completion,
)
from casepath.domain.events import Event
from casepath.domain.protocol import LocalProtocol


@dataclass(frozen=True)
class CaseRecord:
    """A case's events with the calendar and protocol its deadlines are counted under."""

    events: tuple[Event, ...]
    calendar: WorkingDayCalendar
    protocol: LocalProtocol

    def due(self, step: str, index: int) -> Deadline | None:
        """The deadline `step` had when created just after the event at `index`: as its `task_created` event
        recorded it (the deadline staff were shown, counted under the protocol of the day), or, for records
        made before events carried `started_on`, counted again from the record up to `index`. Reading it is
        what keeps a long case's view cheap: counting again scans the record once per task."""
        created = self.events[index]
        if created.name == "task_created" and created.data.get("step") == step and "started_on" in created.data:
            due_on, rule = as_date(created.data.get("due_on")), created.data.get("rule")
            if due_on is None or not rule:
                return None
            return Deadline(str(rule), due_on, as_date(created.data["started_on"]))
        return due_for_step(step, self.events[: index + 1], self.calendar, self.protocol)


@dataclass(frozen=True)
class TaskRun:
    """One task of a step from its creation to what became of it."""

    index: int
    created: Event
    done: Event | None
    lapse: Event | None


@dataclass
class Episode:
    """A piece of work submitted (perhaps several times) until a supervisor approves it."""

    start: int
    submissions: list[Event] = field(default_factory=list)
    rejections: list[Event] = field(default_factory=list)
    approval: Event | None = None
    closure: Event | None = None
    end: int | None = None

    @property
    def author(self) -> str | None:
        """Who wrote the work: as the approval recorded it, else who last submitted it."""
        if self.approval is not None and self.approval.data.get("author"):
            return str(self.approval.data["author"])
        return self.submissions[-1].actor if self.submissions else None

    @property
    def accepted(self) -> Event | None:
        """The last submission, unless a supervisor sent it back afterwards."""
        if not self.submissions:
            return None
        last = self.submissions[-1]
        if any(r.seq > last.seq for r in self.rejections):
            return None
        return last


def profile(event: Event) -> dict[str, Any]:
    """The actor's profile recorded with a completion (roles, profession, registered, ...)."""
    data = event.data.get("actor_profile")
    return data if isinstance(data, dict) else {}


def is_registered(event: Event) -> bool | None:
    """Whether the actor held an in-date social work registration (None when not recorded)."""
    value = profile(event).get("registered")
    return value if isinstance(value, bool) else None


def has_role(event: Event, *roles: str) -> bool | None:
    """Whether the actor held any of these roles (None when not recorded)."""
    held = profile(event).get("roles")
    return any(role in held for role in roles) if isinstance(held, list) else None


def delay_reason(event: Event) -> str | None:
    """The recorded reason a step was late (on the event, or in the submitted form)."""
    reason = event.data.get("delay_reason") or form_of(event).get("delay_reason")
    return str(reason).strip() or None if reason else None


def held_on(event: Event) -> date:
    """The date a meeting was held, as recorded, else the completion date."""
    return as_date(form_of(event).get("held_on")) or completed_on(event)


def event_on(event: Event) -> date:
    """The local date of any event: its recorded completion or closure date, else when it was recorded."""
    return as_date(event.data.get("closed_on")) or as_date(event.data.get("completed_on")) or local_date(event.at)


def task_runs(events: Sequence[Event], step: str, done_step: str | None = None) -> list[TaskRun]:
    """Every task of `step` with the completion that did it (of `done_step`, if another step does it)."""
    runs = []
    for index, event in enumerate(events):
        if event.name == "task_created" and event.data.get("step") == step:
            runs.append(_follow(events, index, done_step or step))
    return runs


def _follow(events: Sequence[Event], index: int, done_step: str) -> TaskRun:
    created = events[index]
    task_id, own = created.data.get("task_id"), done_step == created.data.get("step")
    for event in events[index + 1 :]:
        ours = event.data.get("task_id") == task_id if own else event.data.get("step") == done_step
        if is_completion(event, done_step) and ours:
            return TaskRun(index, created, event, None)
        if event.name == "task_cancelled" and (ours or event.data.get("task_id") == task_id):
            return TaskRun(index, created, None, event)
        if event.name == "case_closed":
            return TaskRun(index, created, None, event)
    return TaskRun(index, created, None, None)


def episodes(
    events: Sequence[Event], openers: tuple[str, ...], submits: tuple[str, ...], approvals: tuple[str, ...]
) -> list[Episode]:
    """Split the record into episodes of work: opened by a task of `openers`, ended by approval."""
    found: list[Episode] = []
    current: Episode | None = None
    for index, event in enumerate(events):
        opens = (event.name == "task_created" and event.data.get("step") in openers) or is_completion(event, *submits)
        if current is None and opens:
            current = Episode(start=index)
        if current is None:
            continue
        if is_completion(event, *submits):
            current.submissions.append(event)
        elif is_completion(event, *approvals):
            if form_of(event).get("approved") is not True:
                current.rejections.append(event)
                continue
            current.approval = event
        elif event.name == "case_closed":
            current.closure = event
        else:
            continue
        if current.approval is not None or current.closure is not None:
            current.end = index
            found.append(current)
            current = None
    if current is not None:
        found.append(current)
    return found


@dataclass(frozen=True)
class CpPlan:
    """A child protection plan: the ICPC that started it and the event that ended it, if any."""

    index: int
    icpc: Event
    ended_by: Event | None


def cp_plans(events: Sequence[Event]) -> list[CpPlan]:
    """Every CP plan, in order, with what ended it (a review, another ICPC, or the case closing)."""
    plans = []
    for index, event in enumerate(events):
        if chose(event, "hold_icpc", "decision", "cp_plan"):
            plans.append(CpPlan(index, event, _plan_end(events[index + 1 :])))
    return plans


def _plan_end(later: Sequence[Event]) -> Event | None:
    for event in later:
        ends = chose(event, "review_conference", "decision", "end_plan") or chose(
            event, "hold_icpc", "decision", "cp_plan"
        )
        if ends or event.name == "case_closed":
            return event
    return None
