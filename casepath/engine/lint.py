"""The statutory lint: what a set of diagrams must satisfy before it may be published.

Publishing refuses a version with any error finding. The rules come from the pathway contract
(casepath.domain.pathway): user tasks drawn in lanes named by role codes, child protection work
only in social workers' lanes, approvals only in practice supervisors' lanes, every statutory
step timed by a boundary timer calling `deadline("<step>")`, every form key backed by a form, no
contract step silently removed, code that passes the sandbox, messages that someone catches,
and a flow with no unreachable elements, dead ends or unguarded exclusive gateways.

The checks read the XML (so each finding names a BPMN element the editor can highlight) and
then let SpiffWorkflow parse the diagrams (so whatever it would refuse at run time is refused now).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from casepath.domain.pathway import CONTRACT_STEPS, HANDLED_MESSAGES, OVERDUE_MESSAGE, ContractStep, known_lane
from casepath.engine.diagrams import DiagramError, _safe_tree
from casepath.engine.sandbox import SandboxError, compile_expression, compile_script

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ERROR, WARNING = "error", "warning"
FLOW_NODES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateThrowEvent",
        "intermediateCatchEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
# each kind of ring-fenced contract step: the rule id of a step drawn outside its lanes, and why
RING_FENCES = {
    "child_protection": ("social-work-lane", "child protection (s47) work is only for registered social workers"),
    "approval": ("approval-lane", "approvals are for social-work-qualified practice supervisors"),
    "chair": ("chair-lane", "conferences are chaired by an independent conference chair"),
}
DEADLINE_CALL = re.compile(r"""^\s*deadline\(\s*["']([A-Za-z0-9_.-]+)["']\s*\)\s*$""")


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a diagram: the element, the rule it breaks, how bad, and what to do."""

    element: str
    rule: str
    severity: str
    message: str
    diagram: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    condition: str | None


@dataclass
class _Scope:
    """A process (or an embedded subprocess): its flow nodes, sequence flows and lanes."""

    diagram: str
    id: str
    nodes: dict[str, Any] = field(default_factory=dict)
    flows: list[_Flow] = field(default_factory=list)
    lanes: dict[str, str] = field(default_factory=dict)


@dataclass
class _Model:
    scopes: list[_Scope] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # message element id -> name
    thrown: list[tuple[str, str, str]] = field(default_factory=list)  # (diagram, element, message name)
    caught: set[str] = field(default_factory=set)


def _local(element: Any) -> str:
    tag = element.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and tag.startswith(f"{{{BPMN}}}") else ""


def _text(element: Any) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _read(name: str, root: Any, model: _Model) -> None:
    for message in root.iter(f"{{{BPMN}}}message"):
        model.messages[message.get("id", "")] = message.get("name") or message.get("id", "")
    for process in root.iter(f"{{{BPMN}}}process"):
        _read_scope(name, process, model)


def _read_scope(name: str, parent: Any, model: _Model) -> None:
    scope = _Scope(name, parent.get("id", ""))
    for child in parent:
        kind = _local(child)
        if kind in FLOW_NODES:
            scope.nodes[child.get("id", "")] = child
            if kind == "subProcess":
                _read_scope(name, child, model)
        elif kind == "sequenceFlow":
            condition = child.find(f"{{{BPMN}}}conditionExpression")
            scope.flows.append(
                _Flow(
                    child.get("id", ""),
                    child.get("sourceRef", ""),
                    child.get("targetRef", ""),
                    _text(condition) if condition is not None else None,
                )
            )
    for lane in parent.iterfind(f".//{{{BPMN}}}lane"):
        for ref in lane.iterfind(f"{{{BPMN}}}flowNodeRef"):
            scope.lanes[_text(ref)] = lane.get("name") or ""
    model.scopes.append(scope)


def _message_of(node: Any, model: _Model) -> str | None:
    definition = node.find(f"{{{BPMN}}}messageEventDefinition")
    if definition is None:
        return None
    ref = str(definition.get("messageRef", ""))
    return model.messages.get(ref, ref)


def _form_key(node: Any) -> str | None:
    for prop in node.iterfind(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}properties/{{{SPIFF}}}property"):
        if prop.get("name") == "formKey":
            return prop.get("value") or None
    return None


def ring_fence(contract: ContractStep) -> str:
    """Which ring-fence (a key of RING_FENCES) a contract step with lanes is under."""
    return "child_protection" if contract.child_protection else "approval" if contract.approval else "chair"


# --- the rules ------------------------------------------------------------------------------


def _lanes(scope: _Scope) -> Iterator[Finding]:
    for node_id, node in scope.nodes.items():
        if _local(node) != "userTask":
            continue
        lane = scope.lanes.get(node_id)
        if not lane or not known_lane(lane):
            what = f"is in the lane {lane!r}" if lane else "is in no lane"
            yield Finding(
                node_id,
                "lane-role",
                ERROR,
                f"The step {node_id} {what}: draw it in a lane named by the role code of who takes it "
                "(for example practice_supervisor or lead_practitioner), or nobody can be given it.",
                scope.diagram,
            )
            continue
        contract = CONTRACT_STEPS.get(node_id)
        allowed = contract.lanes if contract else None
        if contract and allowed and lane not in allowed:
            rule, why = RING_FENCES[ring_fence(contract)]
            yield Finding(
                node_id,
                rule,
                ERROR,
                f"The step {node_id} is drawn in the {lane} lane, but {why}: move it into the "
                f"{' or '.join(allowed)} lane.",
                scope.diagram,
            )


def _timers(scope: _Scope, model: _Model) -> Iterator[Finding]:
    called: dict[str, list[str]] = {}
    for node_id, node in scope.nodes.items():
        if _local(node) != "boundaryEvent" or node.find(f"{{{BPMN}}}timerEventDefinition") is None:
            continue
        expression = _text(node.find(f"{{{BPMN}}}timerEventDefinition/*"))
        match = DEADLINE_CALL.match(expression)
        attached = node.get("attachedToRef", "")
        if match is None:
            continue
        called.setdefault(attached, []).append(match.group(1))
        if match.group(1) != attached:
            yield Finding(
                node_id,
                "deadline-timer",
                ERROR,
                f"The timer on {attached} calls deadline({match.group(1)!r}): a step's timer must call "
                f'deadline("{attached}") so it fires at that step\'s statutory deadline.',
                scope.diagram,
            )
        elif not _leads_to_overdue(scope, node_id, model):
            yield Finding(
                node_id,
                "deadline-timer",
                WARNING,
                f"The deadline timer on {attached} does not lead to an end event throwing {OVERDUE_MESSAGE}: "
                "nobody will be told the step is overdue.",
                scope.diagram,
            )
    for node_id, node in scope.nodes.items():
        contract = CONTRACT_STEPS.get(node_id)
        if _local(node) == "userTask" and contract and contract.rule and node_id not in called.get(node_id, []):
            yield Finding(
                node_id,
                "deadline-timer",
                ERROR,
                f"The step {node_id} is timed by the rule {contract.rule}: attach a non-interrupting boundary "
                f'timer whose date is deadline("{node_id}"), leading to an end event throwing {OVERDUE_MESSAGE}.',
                scope.diagram,
            )


def _leads_to_overdue(scope: _Scope, start: str, model: _Model) -> bool:
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        node = scope.nodes.get(current)
        if node is not None and _local(node) == "endEvent" and _message_of(node, model) == OVERDUE_MESSAGE:
            return True
        todo.extend(f.target for f in scope.flows if f.source == current)
    return False


def _forms(scope: _Scope, forms: Collection[str]) -> Iterator[Finding]:
    for node_id, node in scope.nodes.items():
        if _local(node) != "userTask":
            continue
        key = _form_key(node)
        if key is None:
            yield Finding(
                node_id,
                "form",
                WARNING if node_id in forms else ERROR,
                f"The step {node_id} has no formKey property"
                + ("; its form is found by the step id." if node_id in forms else ", and there is no form called ")
                + ("" if node_id in forms else f"{node_id}: add the property and the form."),
                scope.diagram,
            )
        elif key not in forms:
            yield Finding(
                node_id,
                "form",
                ERROR,
                f"The step {node_id} uses the form {key!r}, which does not exist: add the form or correct the formKey.",
                scope.diagram,
            )


def _code(scope: _Scope) -> Iterator[Finding]:
    checks: list[tuple[str, str, str]] = [(f.id, "condition", f.condition) for f in scope.flows if f.condition]
    for node_id, node in scope.nodes.items():
        script = node.find(f"{{{BPMN}}}script")
        if _local(node) == "scriptTask" and _text(script):
            checks.append((node_id, "script", _text(script)))
        timer = node.find(f"{{{BPMN}}}timerEventDefinition/*")
        if timer is not None and _text(timer):
            checks.append((node_id, "timer", _text(timer)))
    for element, kind, source in checks:
        try:
            (compile_script if kind == "script" else compile_expression)(source)
        except SandboxError as err:
            yield Finding(
                element,
                "sandbox",
                ERROR,
                f"The {kind} {source[:200]!r} is not allowed: {err}. Diagrams may only test and set task data.",
                scope.diagram,
            )


def _graph(scope: _Scope) -> Iterator[Finding]:
    outgoing: dict[str, list[_Flow]] = {}
    for flow in scope.flows:
        outgoing.setdefault(flow.source, []).append(flow)
    boundaries: dict[str, list[str]] = {}
    for node_id, node in scope.nodes.items():
        if _local(node) == "boundaryEvent":
            boundaries.setdefault(node.get("attachedToRef", ""), []).append(node_id)
    todo = [n for n, node in scope.nodes.items() if _local(node) == "startEvent"]
    reached: set[str] = set()
    while todo:
        current = todo.pop()
        if current not in reached:
            reached.add(current)
            todo.extend(f.target for f in outgoing.get(current, []))
            todo.extend(boundaries.get(current, []))
    for node_id, node in scope.nodes.items():
        if node_id not in reached:
            yield Finding(
                node_id,
                "unreachable",
                ERROR,
                f"{_label(node)} cannot be reached from a start event: connect it or delete it.",
                scope.diagram,
            )
        elif _local(node) != "endEvent" and not outgoing.get(node_id):
            yield Finding(
                node_id,
                "dead-end",
                ERROR,
                f"{_label(node)} has no outgoing flow, so a case would stop there: connect it to what "
                "comes next or to an end event.",
                scope.diagram,
            )
        if _local(node) == "exclusiveGateway":
            yield from _gateway(scope, node_id, node, outgoing.get(node_id, []))


def _gateway(scope: _Scope, node_id: str, node: Any, flows: list[_Flow]) -> Iterator[Finding]:
    if len(flows) < 2:
        return
    default = node.get("default")
    bare = [f.id for f in flows if not f.condition and f.id != default]
    if bare:
        yield Finding(
            node_id,
            "gateway-condition",
            ERROR,
            f"The gateway {node_id} has outgoing flows without a condition ({', '.join(bare)}) and no default: "
            "give each flow a condition or mark one as the default.",
            scope.diagram,
        )


def _label(node: Any) -> str:
    name = node.get("name")
    return f"{_local(node)} {node.get('id', '')}" + (f" ({name})" if name else "")


def _messages(model: _Model) -> Iterator[Finding]:
    for diagram, element, name in model.thrown:
        if name not in model.caught and name not in HANDLED_MESSAGES:
            yield Finding(
                element,
                "message-uncaught",
                ERROR,
                f"{element} throws the message {name!r}, but no process starts on or waits for it: the case "
                "would go nowhere. Correct the message or add the process that catches it.",
                diagram,
            )


def _collect_messages(model: _Model) -> None:
    for scope in model.scopes:
        for node_id, node in scope.nodes.items():
            name = _message_of(node, model)
            if name is None:
                continue
            if _local(node) in ("endEvent", "intermediateThrowEvent"):
                model.thrown.append((scope.diagram, node_id, name))
            else:
                model.caught.add(name)


def _steps(model: _Model, previous_steps: Collection[str]) -> Iterator[Finding]:
    where: dict[str, list[_Scope]] = {}
    for scope in model.scopes:
        for node_id, node in scope.nodes.items():
            if _local(node) == "userTask":
                where.setdefault(node_id, []).append(scope)
    for step in sorted(set(previous_steps) - set(where)):
        if step in CONTRACT_STEPS:
            message = (
                f"The step {step} was in the published pathway and is missing here. Step ids are a contract "
                "(API, conformance, CIN census, running cases): keep the id, even if you redraw the step."
            )
        else:
            message = (
                f"The local step {step} was in the published pathway and is missing here: cases waiting at "
                "it cannot be migrated to this version."
            )
        yield Finding(step, "step-removed", ERROR if step in CONTRACT_STEPS else WARNING, message)
    for step, scopes in sorted(where.items()):
        if len(scopes) > 1:
            yield Finding(
                step,
                "duplicate-step",
                ERROR,
                f"The step {step} appears in {len(scopes)} processes: each step id must be drawn once.",
                scopes[1].diagram,
            )
        if step not in CONTRACT_STEPS and step not in previous_steps:
            yield Finding(
                step,
                "unknown-step",
                WARNING,
                f"{step} is a new step, not one of the contract's: the API will offer it, but conformance "
                "and the CIN census will not count it.",
                scopes[0].diagram,
            )


def _spiff(trees: Mapping[str, Any]) -> Iterator[Finding]:
    parser = SpiffBpmnParser()
    try:
        for name, tree in sorted(trees.items()):
            parser.add_bpmn_xml(tree, filename=name)
        for process_id in parser.get_process_ids():
            parser.get_spec(process_id)
    except ValidationException as err:
        yield Finding(
            err.id or err.file_name or "diagram", "bpmn", ERROR, f"The engine cannot run it: {err}", err.file_name
        )
    except SpiffWorkflowException as err:
        yield Finding("diagram", "bpmn", ERROR, f"The engine cannot run it: {err}")


def lint(diagrams: Mapping[str, bytes], forms: Collection[str], previous_steps: Collection[str] = ()) -> list[Finding]:
    """Every finding for a set of BPMN files, the names of the forms that go with them, and the step ids
    of the version published before (a step present then and missing now is a finding). Errors first."""
    findings: list[Finding] = []
    trees: dict[str, Any] = {}
    model = _Model()
    for name, content in sorted(diagrams.items()):
        try:
            trees[name] = _safe_tree(name, content)
        except DiagramError as err:
            findings.append(Finding(name, "xml", ERROR, str(err), name))
            continue
        _read(name, trees[name], model)
    if not any(s for s in model.scopes):
        findings.append(Finding("diagram", "bpmn", ERROR, "There is no process to publish: add a BPMN process."))
    _collect_messages(model)
    for scope in model.scopes:
        for rule in (_lanes(scope), _timers(scope, model), _forms(scope, forms), _code(scope), _graph(scope)):
            findings.extend(rule)
    findings.extend(_messages(model))
    findings.extend(_steps(model, previous_steps))
    if trees and not any(f.severity == ERROR for f in findings):
        findings.extend(_spiff(trees))
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.diagram, f.element, f.rule))


def errors(findings: Collection[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def check_xml(name: str, content: bytes) -> None:
    """Refuse a file that is too large, not well-formed, or declares a DTD or entities (DiagramError)."""
    _safe_tree(name, content)


def steps_of(diagrams: Mapping[str, bytes]) -> set[str]:
    """The user task (step) ids drawn in a set of diagrams; unreadable files contribute none."""
    model = _Model()
    for name, content in diagrams.items():
        try:
            _read(name, _safe_tree(name, content), model)
        except DiagramError:
            continue
    return {node_id for s in model.scopes for node_id, node in s.nodes.items() if _local(node) == "userTask"}
