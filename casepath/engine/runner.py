"""Running one process instance of a case: start, complete a user task, fire timers, save, load.

Everything SpiffWorkflow-specific stays in this package. The service layer gives a `RunContext`
for every run: the time (tests and the rehearsal clock move it), the statutory deadlines
computed in the domain (timers in diagrams call `deadline("step")`), and the service-task handlers.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.util.task import TaskState

from casepath.engine import sandbox
from casepath.engine.diagrams import Diagrams

NEVER = "9999-12-31T00:00:00+00:00"


class _WorkflowBySpecName(BpmnWorkflowConverter):  # type: ignore[misc]
    """A workflow saved without its specs, which the case's process version holds (its diagrams, parsed once):
    the saved state is two fifths the size, and loading it no longer rebuilds every spec of the process.
    A state saved with its specs (before 2026-12-07) loads as SpiffWorkflow saved it."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["spec"] = workflow.spec.name  # the process id
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], diagrams: Diagrams | None = None) -> BpmnWorkflow:
        if not isinstance(dct["spec"], str):
            return super().from_dict(dct)
        if diagrams is None or dct["spec"] not in diagrams.processes:
            raise EngineError(None, f"the process {dct['spec']!r} is not in the diagrams this state was loaded with")
        spec, subprocess_specs = diagrams.specs(dct.pop("spec"))
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


SERIALIZER = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _WorkflowBySpecName})
)
SERIALIZER_VERSION = f"spiff-{SERIALIZER.VERSION}-by-spec-name"


class EngineError(Exception):
    """The diagram failed while running: `step` names the BPMN element, `message` the real error."""

    def __init__(self, step: str | None, message: str) -> None:
        super().__init__(f"{step or 'the diagram'}: {message}")
        self.step = step
        self.message = message


@dataclass(frozen=True)
class HandlerCall:
    """What a service-task handler receives: one input object (Temporal's style)."""

    operation: str
    params: dict[str, Any]
    data: dict[str, Any]
    case_id: str
    now: datetime


@dataclass
class RunContext:
    now: datetime
    case_id: str = ""
    deadline: Callable[[str], datetime | None] = lambda step: None
    handlers: Mapping[str, Callable[[HandlerCall], Any]] = field(default_factory=dict)


_context: contextvars.ContextVar[RunContext] = contextvars.ContextVar("casepath_run")


class _ClockedDatetime(datetime):
    """SpiffWorkflow's timers read `datetime.now()`; in Casepath time is injected."""

    @classmethod
    def now(cls, tz: Any = None) -> _ClockedDatetime:
        context = _context.get(None)
        moment = context.now if context else datetime.now(UTC)
        return cls.fromtimestamp(moment.timestamp(), tz or UTC)


spiff_timer.datetime = _ClockedDatetime


def _diagram_functions() -> dict[str, Callable[..., Any]]:
    context = _context.get(None)

    def deadline(step: str) -> str:
        due = context.deadline(step) if context else None
        return due.isoformat() if due else NEVER

    return {"deadline": deadline}


class _SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        names = {**(external_context or {}), **context}
        return sandbox.evaluate(expression, names, _diagram_functions())

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        sandbox.execute(script, context, _diagram_functions())
        return True


class _ScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(environment=_SandboxEnvironment())

    def call_service(self, task: Any, **kwargs: Any) -> str:
        # SpiffWorkflow's own call_service masks handler errors as a NameError (pitfall 6).
        context = _context.get()
        operation = kwargs["operation_name"]
        handler = context.handlers.get(operation)
        if handler is None:
            raise EngineError(task.task_spec.bpmn_id, f"no handler is registered for operation {operation!r}")
        params = {k: v["value"] for k, v in kwargs.get("operation_params", {}).items()}
        call = HandlerCall(operation, params, dict(task.data), context.case_id, context.now)
        try:
            return json.dumps(handler(call))
        except Exception as err:
            raise EngineError(
                task.task_spec.bpmn_id, f"handler {operation!r} failed: {type(err).__name__}: {err}"
            ) from err


SCRIPT_ENGINE = _ScriptEngine()


@dataclass(frozen=True)
class ReadyTask:
    id: str
    step: str
    name: str
    lane: str | None
    form_key: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Message:
    """A message thrown by an end event: the link to the next phase of the pathway."""

    name: str
    payload: dict[str, Any]


@contextmanager
def _running(context: RunContext) -> Iterator[None]:
    token = _context.set(context)
    try:
        yield
    except EngineError:
        raise
    except (SpiffWorkflowException, sandbox.SandboxError) as err:
        raise _engine_error(err) from err
    finally:
        _context.reset(token)


def _engine_error(err: Exception) -> EngineError:
    task = getattr(err, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(err, "task_spec", None)
    step = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    cause = getattr(err, "exception", None) or err.__cause__ or err
    if isinstance(cause, EngineError):
        return cause
    return EngineError(step, str(cause) if cause is not err else str(err))


def load_workflow(diagrams: Diagrams, state: str) -> BpmnWorkflow:
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    workflow = SERIALIZER.from_dict(dct, diagrams=diagrams)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


class Instance:
    """One running process instance (one phase of a case's pathway)."""

    def __init__(self, workflow: BpmnWorkflow) -> None:
        self.workflow = workflow
        self._thrown: list[Message] = []

    @classmethod
    def start(cls, diagrams: Diagrams, process_id: str, data: dict[str, Any], context: RunContext) -> Instance:
        """Start a process with `data` as its initial data and run it to its first wait."""
        spec, subprocesses = diagrams.specs(process_id)
        workflow = BpmnWorkflow(spec, subprocesses, script_engine=SCRIPT_ENGINE)
        instance = cls(workflow)
        with _running(context):
            for task in workflow.get_tasks(state=TaskState.READY):
                task.set_data(**data)
            instance._run_engine()  # a deadline already past fires here: its message is kept, not lost
            # a phase linked by a message starts at its message start event: deliver the message
            for task in workflow.get_tasks(state=TaskState.WAITING):
                if isinstance(task.task_spec, StartEvent):
                    workflow.send_event(BpmnEvent(task.task_spec.event_definition, payload={}))
            instance._run_engine()
        return instance

    @classmethod
    def load(cls, diagrams: Diagrams, state: str) -> Instance:
        """A saved instance, on the specs of `diagrams` (the diagrams of the version it runs on)."""
        return cls(load_workflow(diagrams, state))

    def dump(self) -> str:
        result: str = SERIALIZER.serialize_json(self.workflow)
        return result

    @property
    def completed(self) -> bool:
        return bool(self.workflow.completed)

    def ready_tasks(self) -> list[ReadyTask]:
        """The user tasks waiting for a person, in the diagram's order."""
        tasks = []
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            spec = task.task_spec
            if isinstance(spec, UserTask):
                form_key = spec.extensions.get("properties", {}).get("formKey")
                tasks.append(
                    ReadyTask(
                        str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, spec.lane, form_key, dict(task.data)
                    )
                )
        return tasks

    def complete(self, task_id: str, data: dict[str, Any], context: RunContext) -> list[Message]:
        """Complete a ready user task with validated data and run on to the next wait."""
        task = self.workflow.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY:
            raise EngineError(None, f"task {task_id} is not ready")
        with _running(context):
            task.set_data(**data)
            task.run()
            self._run_engine()
        return self._messages()

    def fire_timers(self, context: RunContext) -> list[Message]:
        """Fire every timer due by `context.now` and run on."""
        with _running(context):
            self.workflow.refresh_timers()
            self._run_engine()
        return self._messages()

    def next_timer(self) -> datetime | None:
        """When the earliest waiting timer falls due (UTC), if any."""
        moments = []
        for event in self.workflow.waiting_events():
            if "Time" in event.event_type and event.value:
                moment = datetime.fromisoformat(str(event.value))
                moments.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        return min(moments) if moments else None

    def cancel(self) -> None:
        self.workflow.cancel()

    def _run_engine(self) -> None:
        self.workflow.do_engine_steps(did_complete_task=self._note_thrown)
        self.workflow.get_events()  # drained: messages are collected as their end events complete

    def _note_thrown(self, task: Any) -> None:
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(task.task_spec, EndEvent) and isinstance(definition, MessageEventDefinition):
            payload = dict(task.data)
            payload.update(_overdue_step(task))
            self._thrown.append(Message(definition.name, payload))

    def messages_pending(self) -> list[Message]:
        """Messages thrown while starting (a phase may end at once, e.g. after a script)."""
        return self._messages()

    def _messages(self) -> list[Message]:
        thrown, self._thrown = self._thrown, []
        return thrown


def _overdue_step(task: Any) -> dict[str, str]:
    """For a path leaving a boundary timer: which user task's deadline passed."""
    node = task
    while node is not None and type(node.task_spec).__name__ != "BoundaryEvent":
        node = node.parent
    if node is None or node.parent is None:
        return {}
    for sibling in node.parent.children:
        if isinstance(sibling.task_spec, UserTask):
            return {"overdue_task_id": str(sibling.id), "overdue_step": sibling.task_spec.bpmn_id}
    return {}
