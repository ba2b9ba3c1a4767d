"""Reading a case's event record into the things rules talk about: task runs, episodes, CP plans."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
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

    @cached_property
    def index(self) -> RecordIndex:
        """Where each kind of event is in the record, read once: rules look up instead of scanning."""
        return RecordIndex(self.events)

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """What several rules read from the record (assessments, CP plans), worked out once per case."""
        return {}


class RecordIndex:
    """The positions of a case's events by name, by the step of their tasks and by task id.

    Each list is in record order. A rule that used to scan the whole record for the few events it
    reads iterates `among(...)` instead, applying the same tests: the answer is the same, the cost is
    that of the events that can matter rather than of the whole record (a long case has hundreds).
    """

    def __init__(self, events: Sequence[Event]) -> None:
        self.named: dict[object, list[int]] = {}
        self.created: dict[object, list[int]] = {}
        self.completed: dict[object, list[int]] = {}
        self.by_task: dict[object, list[int]] = {}
        for position, event in enumerate(events):
            name, data = event.name, event.data
            self.named.setdefault(name, []).append(position)
            if name == "task_created":
                self.created.setdefault(data.get("step"), []).append(position)
            elif name == "task_completed":
                self.completed.setdefault(data.get("step"), []).append(position)
            if "task_id" in data:
                self.by_task.setdefault(data["task_id"], []).append(position)

    def among(
        self,
        *,
        names: Iterable[str] = (),
        created: Iterable[str] = (),
        completed: Iterable[str] = (),
        tasks: Iterable[object] = (),
        after: int = -1,
    ) -> list[int]:
        """The positions after `after` of events with these names, creating or completing tasks of these
        steps, or of these tasks: sorted, each once."""
        wanted = ((self.named, names), (self.created, created), (self.completed, completed), (self.by_task, tasks))
        parts = [
            positions[bisect_right(positions, after) :]
            for index, keys in wanted
            for key in keys
            if (positions := index.get(key)) and positions[-1] > after
        ]
        if len(parts) == 1:
            return parts[0]
        return sorted({p for part in parts for p in part})


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


def task_runs(record: CaseRecord, step: str, done_step: str | None = None) -> list[TaskRun]:
    """Every task of `step` with the completion that did it (of `done_step`, if another step does it)."""
    return [_follow(record, index, done_step or step) for index in record.index.created.get(step, ())]


def _follow(record: CaseRecord, index: int, done_step: str) -> TaskRun:
    events, created = record.events, record.events[index]
    task_id, own = created.data.get("task_id"), done_step == created.data.get("step")
    # Every later event that can end the run: the task's own events, completions of `done_step` (when
    # another step does it), cancellations and closures; tested in record order as a full scan would.
    later = record.index.among(
        names=("task_cancelled", "case_closed"), completed=() if own else (done_step,), tasks=(task_id,), after=index
    )
    for event in (events[p] for p in later):
        ours = event.data.get("task_id") == task_id if own else event.data.get("step") == done_step
        if is_completion(event, done_step) and ours:
            return TaskRun(index, created, event, None)
        if event.name == "task_cancelled" and (ours or event.data.get("task_id") == task_id):
            return TaskRun(index, created, None, event)
        if event.name == "case_closed":
            return TaskRun(index, created, None, event)
    return TaskRun(index, created, None, None)


def episodes(
    record: CaseRecord, openers: tuple[str, ...], submits: tuple[str, ...], approvals: tuple[str, ...]
) -> list[Episode]:
    """Split the record into episodes of work: opened by a task of `openers`, ended by approval.

    Worked out once per record and kind of work (several rules read the same episodes)."""
    key = ("episodes", openers, submits, approvals)
    if key not in record.memo:
        record.memo[key] = _episodes(record, openers, submits, approvals)
    found: list[Episode] = record.memo[key]
    return found


def _episodes(
    record: CaseRecord, openers: tuple[str, ...], submits: tuple[str, ...], approvals: tuple[str, ...]
) -> list[Episode]:
    found: list[Episode] = []
    current: Episode | None = None
    # only these events open, add to or end an episode: the rest would be passed over
    relevant = record.index.among(names=("case_closed",), created=openers, completed=submits + approvals)
    for index, event in ((p, record.events[p]) for p in relevant):
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


def cp_plans(record: CaseRecord) -> list[CpPlan]:
    """Every CP plan, in order, with what ended it (a review, another ICPC, or the case closing)."""
    if "cp_plans" not in record.memo:
        events, conferences = record.events, record.index.completed.get("hold_icpc", [])
        record.memo["cp_plans"] = [
            CpPlan(index, events[index], _plan_end(record, index))
            for index in conferences
            if chose(events[index], "hold_icpc", "decision", "cp_plan")
        ]
    plans: list[CpPlan] = record.memo["cp_plans"]
    return plans


def _plan_end(record: CaseRecord, index: int) -> Event | None:
    later = record.index.among(names=("case_closed",), completed=("review_conference", "hold_icpc"), after=index)
    for event in (record.events[p] for p in later):
        ends = chose(event, "review_conference", "decision", "end_plan") or chose(
            event, "hold_icpc", "decision", "cp_plan"
        )
        if ends or event.name == "case_closed":
            return event
    return None
