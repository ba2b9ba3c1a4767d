"""Parsing and reading BPMN diagrams: what a published process version contains.

The pathway is split into linked processes (one phase each: referral, assessment, CIN plan...).
A phase ends by throwing a BPMN message from an end event; the process whose message start event
catches that message is started next on the same case. Each instance stays small, so a case ten
years long costs per step what a new one does (SpiffWorkflow builds a process's future tasks up
front, and deep task trees stop iterating at depth 1000).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import UserTask

from casepath.engine.sandbox import SandboxError, compile_expression, compile_script

MAX_DIAGRAM_BYTES = 2_000_000


class DiagramError(Exception):
    """A diagram cannot be used; `findings` name the element and what is wrong."""

    def __init__(self, message: str, findings: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


@dataclass(frozen=True)
class UserTaskInfo:
    step: str
    name: str
    lane: str | None
    form_key: str | None
    documentation: str
    timed: bool


@dataclass(frozen=True)
class ProcessInfo:
    process_id: str
    name: str
    start_message: str | None
    thrown_messages: tuple[str, ...]
    cancels: tuple[str, ...] = ()
    user_tasks: dict[str, UserTaskInfo] = field(default_factory=dict)


class Diagrams:
    """The parsed processes of one process version."""

    def __init__(self, parser: SpiffBpmnParser) -> None:
        self._parser = parser
        self.processes: dict[str, ProcessInfo] = {}
        for process_id in parser.get_process_ids():
            self.processes[process_id] = _describe(process_id, parser.get_spec(process_id))
        self._specs: dict[str, tuple[Any, dict[str, Any]]] = {}

    def specs(self, process_id: str) -> tuple[Any, dict[str, Any]]:
        """The SpiffWorkflow spec and its subprocess specs, parsed once per version."""
        if process_id not in self._specs:
            self._specs[process_id] = (self._parser.get_spec(process_id), self._parser.get_subprocess_specs(process_id))
        return self._specs[process_id]

    def starting_on(self, message: str) -> list[str]:
        """The processes whose message start event catches `message`."""
        return sorted(p.process_id for p in self.processes.values() if p.start_message == message)

    def user_task(self, step: str) -> UserTaskInfo | None:
        for process in self.processes.values():
            if step in process.user_tasks:
                return process.user_tasks[step]
        return None


def _describe(process_id: str, spec: Any) -> ProcessInfo:
    start_message, thrown, tasks, cancels = None, [], {}, ()
    timed = _timed_steps(spec)
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(task_spec, StartEvent) and isinstance(definition, MessageEventDefinition):
            start_message = definition.name
            cancels = tuple(task_spec.extensions.get("properties", {}).get("cancels", "").split())
        elif isinstance(task_spec, EndEvent) and isinstance(definition, MessageEventDefinition):
            thrown.append(definition.name)
        elif isinstance(task_spec, UserTask):
            props = task_spec.extensions.get("properties", {})
            tasks[task_spec.bpmn_id] = UserTaskInfo(
                step=task_spec.bpmn_id,
                name=task_spec.bpmn_name or task_spec.bpmn_id,
                lane=task_spec.lane,
                form_key=props.get("formKey"),
                documentation=task_spec.documentation or "",
                timed=task_spec.bpmn_id in timed,
            )
    return ProcessInfo(
        process_id, spec.description or process_id, start_message, tuple(sorted(set(thrown))), cancels, tasks
    )


def _timed_steps(spec: Any) -> set[str]:
    """Steps with a boundary timer (SpiffWorkflow wraps them in a BoundaryEventSplit)."""
    timed = set()
    for split in spec.task_specs.values():
        if type(split).__name__ != "BoundaryEventSplit":
            continue
        events = [o for o in split.outputs if isinstance(getattr(o, "event_definition", None), TimerEventDefinition)]
        main = [o for o in split.outputs if getattr(o, "event_definition", None) is None]
        if events and main:
            timed.add(main[0].bpmn_id)
    return timed


def _safe_tree(name: str, content: bytes) -> Any:
    if len(content) > MAX_DIAGRAM_BYTES:
        raise DiagramError(f"{name} is larger than 2 MB; split the pathway into smaller diagrams.")
    try:
        safe_xml.fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise DiagramError(f"{name} declares a DTD or entities, which diagrams may not use.") from None
    except safe_xml.ParseError as err:
        raise DiagramError(f"{name} is not well-formed XML: {err}.") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(content, parser=parser)


def parse_diagrams(files: Mapping[str, bytes]) -> Diagrams:
    """Parse and check a set of BPMN files; raise DiagramError naming what is wrong."""
    parser = SpiffBpmnParser()
    try:
        for name, content in sorted(files.items()):
            parser.add_bpmn_xml(_safe_tree(name, content), filename=name)
        diagrams = Diagrams(parser)
    except (ValidationException, SpiffWorkflowException) as err:
        raise DiagramError(f"The diagram cannot be read: {err}.") from None
    findings = check_code(parser)
    if findings:
        raise DiagramError("Some conditions or scripts are not allowed.", findings)
    return diagrams


def check_code(parser: SpiffBpmnParser) -> list[dict[str, str]]:
    """Every gateway condition, timer expression and script must pass the sandbox's rules."""
    findings = []
    for process_id in parser.get_process_ids():
        for task_spec in parser.get_spec(process_id).task_specs.values():
            for kind, source in _code_of(task_spec):
                try:
                    (compile_script if kind == "script" else compile_expression)(source)
                except SandboxError as err:
                    findings.append(
                        {
                            "element": getattr(task_spec, "bpmn_id", None) or task_spec.name,
                            "rule": "sandbox",
                            "message": f"{kind} {source!r}: {err}",
                        }
                    )
    return findings


def _code_of(task_spec: Any) -> list[tuple[str, str]]:
    code = []
    if getattr(task_spec, "script", None):
        code.append(("script", task_spec.script))
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        if condition is not None and getattr(condition, "args", None):
            code.append(("condition", str(condition.args[0])))
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        code.append(("timer", definition.expression))
    return code
