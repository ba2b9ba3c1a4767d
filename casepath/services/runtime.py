"""Driving one case through its process instances inside a unit of work.

A case runs as linked process instances (one per phase). After every step: follow the messages
the finished phases threw (start the next phase, escalate an overdue step, close the case),
derive the human tasks from the engine, record the events, and save each touched instance.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session

from casepath.domain.calendar import end_of_day, local_date
from casepath.domain.deadlines import due_for_step
from casepath.domain.errors import Incident, TaskNotReady
from casepath.domain.events import Event
from casepath.domain.people import HELD_BY, CaseTeam
from casepath.domain.protocol import LocalProtocol
from casepath.engine.runner import SERIALIZER_VERSION, EngineError, Instance, Message, RunContext
from casepath.services import records
from casepath.services.core import Casepath
from casepath.store import models

NOT_PHASES = ("overdue", "pre_proceedings")
OPEN = ("ready", "claimed")


@dataclass
class _Loaded:
    """An instance row and its engine. `open_rows`: the ids of the instance's open task rows, when known
    without asking the database: every save of an instance's state derives its task rows from it (`_sync`), so
    the open rows of a stored instance are its ready user tasks as stored, and a new instance has none."""

    row: models.Instance
    engine: Instance
    open_rows: frozenset[str] | None = None


class CaseRun:
    """One unit of work on one case (the caller has locked the case row)."""

    def __init__(
        self,
        app: Casepath,
        session: Session,
        case: models.Case,
        now: datetime,
        read: models.Instance | None = None,
        protocol: LocalProtocol | None = None,
    ) -> None:
        """`read`: an instance of the case the caller has already read with it (loaded when first run);
        `protocol`: the LA's protocol in force, when the caller has read it."""
        self.app, self.session, self.case, self.now = app, session, case, now
        self._read = {read.id: read} if read is not None else {}
        self._staff: dict[str, models.Staff] = {}
        self.version = app.version(session, case.process_version_id)
        self.protocol = protocol if protocol is not None else app.protocol(session, case.la_id)
        self.calendar = app.calendar(self.protocol)
        self.events = records.stream_events(session, case)
        self._loaded: dict[str, _Loaded] = {}
        self._early_escalations: list[dict[str, Any]] = []

    @property
    def today(self) -> date:
        return local_date(self.now)

    @property
    def team(self) -> CaseTeam:
        return CaseTeam.from_dict(self.case.people)

    def record(self, name: str, actor: str | None, data: dict[str, Any]) -> Event:
        event = records.to_domain(records.append_to_case(self.session, self.case, name, actor, data, self.now))
        self.events.append(event)
        records.keep(self.case, self.events)
        return event

    def know_staff(self, row: models.Staff | None) -> None:
        """A member of staff's row the caller has read in this unit of work."""
        if row is not None:
            self._staff[row.username] = row

    def staff(self, usernames: Iterable[str]) -> dict[str, models.Staff]:
        """Members of staff by username (those that exist), each read once in this unit of work."""
        wanted = set(usernames)
        missing = sorted(wanted - self._staff.keys())
        if missing:
            query = select(models.Staff).where(models.Staff.username.in_(missing))
            self._staff.update((row.username, row) for row in self.session.scalars(query))
        return {username: self._staff[username] for username in wanted if username in self._staff}

    def context(self) -> RunContext:
        return RunContext(now=self.now, case_id=self.case.id, deadline=self._deadline, handlers=self.app.handlers)

    def _deadline(self, step: str) -> datetime | None:
        due = due_for_step(step, self.events, self.calendar, self.protocol)
        return end_of_day(due.due_on) if due else None

    def instance(self, instance_id: str) -> Instance:
        if instance_id not in self._loaded:
            row = self._read.get(instance_id) or self.session.get(models.Instance, instance_id)
            assert row is not None and row.case_id == self.case.id
            engine = Instance.load(self.version.diagrams, row.state)
            stored = inspect(row)
            as_stored = stored.persistent and not stored.attrs.state.history.has_changes()
            open_rows = frozenset(task.id for task in engine.ready_tasks()) if as_stored else None
            self._loaded[instance_id] = _Loaded(row, engine, open_rows)
        return self._loaded[instance_id].engine

    def active_instances(self) -> list[models.Instance]:
        """The case's active instances as this unit of work has them, without writing its changes first: a row
        it returns is the one in the session, as changed, and rows added and not yet written count too."""
        query = select(models.Instance).where(
            models.Instance.case_id == self.case.id, models.Instance.status == "active"
        )
        with self.session.no_autoflush:
            rows = list(self.session.scalars(query))
        added = [row for row in self.session.new if isinstance(row, models.Instance) and row.case_id == self.case.id]
        return [row for row in rows + sorted(added, key=lambda row: row.id) if row.status == "active"]

    def phase_data(self) -> dict[str, Any]:
        team = self.team
        return {
            "lead_practitioner_allocated": bool(team.lead_practitioner),
            "lead_practitioner": team.lead_practitioner,
            "lead_social_worker": team.lead_social_worker,
            "chair": team.chair,
            "received_on": local_date(self.case.received_at).isoformat(),
        }

    def start_process(self, process_id: str, actor: str | None, extra: dict[str, Any] | None = None) -> None:
        """Start a phase on this case, ending the phases its start event says it replaces."""
        info = self.version.diagrams.processes[process_id]
        for row in self.active_instances():
            if row.process_id in info.cancels:
                self.cancel_instance(row, f"{process_id} started", actor)
        engine = Instance.start(
            self.version.diagrams, process_id, {**self.phase_data(), **(extra or {})}, self.context()
        )
        row = models.Instance(
            id=str(uuid.uuid4()),
            case_id=self.case.id,
            process_id=process_id,
            state="",
            serializer_version=SERIALIZER_VERSION,
            status="active",
            started_at=self.now,
            updated_at=self.now,
        )
        self.session.add(row)
        self._loaded[row.id] = _Loaded(row, engine, frozenset())
        if process_id not in NOT_PHASES:
            self.case.phase = process_id
        self.record("phase_started", actor, {"process": process_id, "instance_id": row.id})
        self.follow(engine.messages_pending(), actor)

    @contextmanager
    def incidents(self) -> Iterator[None]:
        """A diagram or handler failure becomes an Incident naming the element and the real error."""
        try:
            yield
        except EngineError as err:
            raise Incident(
                f"The pathway could not continue at {err.step or 'the diagram'}: {err.message}. Nothing of this "
                "step was saved; the incident is recorded on the case for the process owner to correct.",
                case_id=self.case.id,
                element=err.step,
                error=err.message,
            ) from None

    def complete_step(self, task: models.Task, data: dict[str, Any]) -> None:
        """Complete a user task in its instance and follow what it leads to."""
        engine = self.instance(task.instance_id)
        if task.id not in {ready.id for ready in engine.ready_tasks()}:
            raise TaskNotReady("This step is no longer waiting in the pathway; reload the case.")
        with self.incidents():
            messages = engine.complete(task.id, data, self.context())
        self.follow(messages, task.completed_by)

    def fire_timers(self, instance_id: str) -> None:
        with self.incidents():
            messages = self.instance(instance_id).fire_timers(self.context())
        self.follow(messages, None)

    def cancel_instance(self, row: models.Instance, reason: str, actor: str | None) -> None:
        row.status = "cancelled"
        row.next_timer_at = None
        row.updated_at = self.now
        self._loaded.pop(row.id, None)
        for task in self.open_tasks(row.id):
            self.cancel_task(task, reason, actor)

    def open_tasks(self, instance_id: str | None = None) -> list[models.Task]:
        query = select(models.Task).where(models.Task.case_id == self.case.id, models.Task.state.in_(OPEN))
        if instance_id:
            query = query.where(models.Task.instance_id == instance_id)
        return list(self.session.scalars(query))

    def cancel_task(self, task: models.Task, reason: str, actor: str | None) -> None:
        task.state = "cancelled"
        self.record("task_cancelled", actor, {"task_id": task.id, "step": task.step, "reason": reason})

    def follow(self, messages: list[Message], actor: str | None) -> None:
        """What the finished parts of the pathway asked for."""
        for message in messages:
            if self.case.status == "closed":
                return
            if message.name == "case_closed":
                self.close(message.payload, actor)
            elif message.name == "step_overdue":
                self.escalate(message.payload)
            else:
                for process_id in self.version.diagrams.starting_on(message.name):
                    self.start_process(process_id, actor)

    def follow_message(self, name: str, actor: str | None) -> None:
        """A message raised from outside the diagrams (a case event)."""
        self.follow([Message(name, {})], actor)

    def escalate(self, payload: dict[str, Any], *, later: bool = True) -> None:
        task = self.session.get(models.Task, str(payload.get("overdue_task_id")))
        if task is None and later:
            # The step's deadline had passed when its phase started: the engine fired the timer before the
            # task row existed. Escalate once the rows are derived (`_sync`).
            self._early_escalations.append(payload)
            return
        if task is None or task.state not in OPEN or task.escalated_at is not None:
            return
        task.escalated_at = self.now
        self.record(
            "task_overdue",
            None,
            {
                "task_id": task.id,
                "step": task.step,
                "due_on": task.due_on,
                "rule": task.rule,
                "assignee": task.assignee,
            },
        )
        for process_id in self.version.diagrams.starting_on("step_overdue"):
            self.start_process(
                process_id,
                None,
                {
                    "overdue_step": task.step,
                    "overdue_task_id": task.id,
                    "overdue_due_on": str(task.due_on),
                    "overdue_assignee": task.assignee,
                },
            )

    def close(self, payload: dict[str, Any], actor: str | None) -> None:
        closed_on = str(payload.get("closed_on") or self.today.isoformat())
        reason = str(payload.get("closure_reason") or payload.get("reason") or "")
        self.case.status, self.case.phase = "closed", "closed"
        self.case.closed_on, self.case.closure_reason = date.fromisoformat(closed_on), reason[:8] or None
        self.record("case_closed", actor, {"closed_on": closed_on, "reason": reason})
        for row in self.active_instances():
            if row.id not in self._loaded or not self._loaded[row.id].engine.completed:
                self.cancel_instance(row, "case closed", actor)

    def sync(self) -> None:
        with self.incidents():
            self._sync()

    def _sync(self) -> None:
        """Derive the human tasks from every touched instance and save the instances; then escalate the steps
        that were overdue as soon as they began (which may start more instances, saved in the next round)."""
        saved: set[str] = set()
        while True:
            for loaded in [loaded for key, loaded in self._loaded.items() if key not in saved]:
                saved.add(loaded.row.id)
                if loaded.row.status != "active":
                    continue
                self._sync_tasks(loaded)
                loaded.row.state = loaded.engine.dump()
                loaded.row.serializer_version = SERIALIZER_VERSION
                loaded.row.next_timer_at = loaded.engine.next_timer()
                loaded.row.status = "completed" if loaded.engine.completed else "active"
                loaded.row.updated_at = self.now
            if not self._early_escalations:
                return
            early, self._early_escalations = self._early_escalations, []
            for payload in early:
                self.escalate(payload, later=False)

    def _sync_tasks(self, loaded: _Loaded) -> None:
        """Open a task row for each ready task of the instance that has no row yet (in any state), and cancel
        the instance's open rows the pathway no longer waits on. The open rows are known without a query when
        the instance was read as stored (`_Loaded.open_rows`); otherwise one query reads the ids of both. It does
        not flush what this unit of work changed: a row it names is taken as the session has it, as changed (a
        task just completed is not open), and the rows added and not yet written are counted with it; all is
        written at once at the end (the step's events in one statement)."""
        ready = {t.id: t for t in loaded.engine.ready_tasks()}
        added = {
            row.id: row for row in self.session.new if isinstance(row, models.Task) and row.instance_id == loaded.row.id
        }
        with self.session.no_autoflush:
            if loaded.open_rows is None:
                mine = and_(models.Task.instance_id == loaded.row.id, models.Task.state.in_(OPEN))
                query = select(models.Task.id).where(or_(mine, models.Task.id.in_(list(ready))))
                found: set[str] | frozenset[str] = set(self.session.scalars(query)) | added.keys()
            else:
                found = loaded.open_rows | added.keys()
            for task_id in sorted(found - ready.keys()):
                task = added.get(task_id) or self.session.get(models.Task, task_id)  # the session's row, as changed
                if task is not None and task.instance_id == loaded.row.id and task.state in OPEN:
                    self.cancel_task(task, "no longer part of the pathway", None)
        for task_id, view in ready.items():
            if task_id not in found:
                self.create_task(loaded.row, view.id, view.step, view.name, view.lane, view.form_key, view.data)
        loaded.open_rows = frozenset(ready)

    def create_task(
        self,
        instance: models.Instance,
        task_id: str,
        step: str,
        name: str,
        lane: str | None,
        form_key: str | None,
        data: dict[str, Any],
    ) -> models.Task:
        due = due_for_step(step, self.events, self.calendar, self.protocol)
        holder_key = HELD_BY.get(step)
        assignee = self.case.people.get(holder_key) if holder_key else None
        task = models.Task(
            id=task_id,
            case_id=self.case.id,
            instance_id=instance.id,
            la_id=self.case.la_id,
            step=step,
            name=name,
            role=lane,
            form_key=form_key or step,
            state="claimed" if assignee else "ready",
            assignee=assignee,
            team=self.case.people.get("team"),
            due_on=due.due_on if due else None,
            rule=due.rule if due else None,
            created_at=self.now,
            data={k: data[k] for k in ("overdue_step", "overdue_task_id", "overdue_due_on") if k in data},
        )
        self.session.add(task)
        self.record(
            "task_created",
            None,
            {
                "task_id": task_id,
                "step": step,
                "role": lane,
                "assignee": assignee,
                "due_on": task.due_on,
                "rule": task.rule,
                "started_on": due.started_on if due else None,
            },
        )
        return task
