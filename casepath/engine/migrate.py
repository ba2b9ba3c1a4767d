"""Comparing process versions, and moving a running process instance onto a newer version.

A case runs on the version it started with until it is migrated on purpose. Migration uses
SpiffWorkflow's own diff (`diff_workflow`: each task spec of the old version aligned, by BPMN id
first, with one of the new) and `migrate_workflow` (tasks re-pointed at the new specs; every
READY or WAITING task reset and its future re-predicted, so timers are computed again). An
instance may move only when every place it waits at exists in the new diagram as the same kind
of element, and every task it keeps (its history too) still has a spec there: otherwise its
saved state would not load, or a person's open step would silently disappear.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from casepath.engine import runner
from casepath.engine.diagrams import DiagramError, Diagrams, _safe_tree
from casepath.engine.lint import BPMN, DEADLINE_CALL, _form_key, _local, _message_of, _Model, _read, _text

WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class MigrationRefused(Exception):
    """This instance cannot move to the new version; the message names the step and why."""


@dataclass(frozen=True)
class Migrated:
    instance: runner.Instance
    messages: list[runner.Message]


def _name(task: Any) -> str:
    spec = task.task_spec
    return str(getattr(spec, "bpmn_id", None) or spec.name)


def _label(task: Any) -> str:
    spec = task.task_spec
    name = getattr(spec, "bpmn_name", None)
    return f"{_name(task)} ({name})" if name else _name(task)


def _plan(workflow: Any, diagrams: Diagrams, process_id: str) -> tuple[Any, Any]:
    """The new spec and SpiffWorkflow's diff of this workflow against it; refuse what cannot move."""
    if process_id not in diagrams.processes:
        raise MigrationRefused(f"the phase {process_id} does not exist in the new version")
    if workflow.subprocesses:
        raise MigrationRefused(f"the phase {process_id} is running a subprocess, which cannot be migrated")
    spec, _subprocesses = diagrams.specs(process_id)
    diff, _ = diff_workflow(runner.SERIALIZER.registry, workflow, spec, {})
    for task in workflow.get_tasks(state=WAITING, skip_subprocesses=True):
        new_spec = diff.alignment.get(task)
        if new_spec is None:
            raise MigrationRefused(f"it is waiting at {_label(task)}, which the new version removes")
        if type(new_spec) is not type(task.task_spec):
            raise MigrationRefused(
                f"it is waiting at {_label(task)}, which the new version turns into a different kind of element"
            )
    return spec, diff


def _check_specs(workflow: Any, spec: Any) -> None:
    current = {id(s) for s in spec.task_specs.values()}
    for task in workflow.tasks.values():
        if id(task.task_spec) not in current:
            raise MigrationRefused(
                f"its record holds {_label(task)}, which the new version removes; the case's history in this phase "
                "would be lost"
            )


def migrate_instance(
    state: str, current: Diagrams, diagrams: Diagrams, process_id: str, context: runner.RunContext
) -> Migrated:
    """Move one saved instance from the diagrams it runs on (`current`) onto `diagrams`; raise MigrationRefused
    saying why it cannot move. Nothing is saved here: the caller dumps the returned instance when the whole
    case has moved."""
    workflow = runner.load_workflow(current, state)
    spec, diff = _plan(workflow, diagrams, process_id)
    instance = runner.Instance(workflow)
    try:
        with runner._running(context):
            migrate_workflow(diff, workflow, spec)
            _check_specs(workflow, spec)
            instance._run_engine()
        runner.load_workflow(diagrams, instance.dump())  # the migrated state must load again
    except (runner.EngineError, SpiffWorkflowException, KeyError) as err:
        raise MigrationRefused(f"the engine could not move it: {err}") from None
    return Migrated(instance, instance.messages_pending())


# --- comparing two versions' diagrams ----------------------------------------------------------


def _describe(diagrams: Mapping[str, bytes]) -> tuple[dict[str, dict[str, dict[str, Any]]], dict[str, str]]:
    """process id -> element id -> what matters about it (kind, name, lane, form, timer, condition...),
    and process id -> the diagram file it is drawn in."""
    model = _Model()
    files: dict[str, str] = {}
    for name, content in diagrams.items():
        known = len(model.scopes)
        try:
            _read(name, _safe_tree(name, content), model)
        except DiagramError:
            continue
        files.update((scope.id, name) for scope in model.scopes[known:])
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for scope in model.scopes:
        elements = found.setdefault(scope.id, {})
        for node_id, node in scope.nodes.items():
            about: dict[str, Any] = {"kind": _local(node), "name": node.get("name") or ""}
            if about["kind"] == "userTask":
                about.update(lane=scope.lanes.get(node_id), form_key=_form_key(node) or node_id)
            timer = node.find(f"{{{BPMN}}}timerEventDefinition/*")
            if timer is not None:
                about.update(timer=_text(timer), attached_to=node.get("attachedToRef"))
                match = DEADLINE_CALL.match(_text(timer))
                if match:
                    about["deadline_of"] = match.group(1)
            if node.find(f"{{{BPMN}}}script") is not None:
                about["script"] = _text(node.find(f"{{{BPMN}}}script"))
            if _message_of(node, model):
                about["message"] = _message_of(node, model)
            if node.get("default"):
                about["default"] = node.get("default")
            elements[node_id] = about
        for flow in scope.flows:
            elements[flow.id] = {
                "kind": "sequenceFlow",
                "source": flow.source,
                "target": flow.target,
                "condition": flow.condition,
            }
    return found, files


def _compare(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    added = [{"element": e, **new[e]} for e in sorted(set(new) - set(old))]
    removed = [{"element": e, **old[e]} for e in sorted(set(old) - set(new))]
    changed = []
    for element in sorted(set(old) & set(new)):
        keys = sorted(set(old[element]) | set(new[element]))
        changes = {
            k: {"from": old[element].get(k), "to": new[element].get(k)}
            for k in keys
            if old[element].get(k) != new[element].get(k)
        }
        if changes:
            changed.append({"element": element, "kind": new[element]["kind"], "changes": changes})
    return {"added": added, "removed": removed, "changed": changed}


def diff_diagrams(
    old: Mapping[str, bytes], new: Mapping[str, bytes], old_forms: Mapping[str, Any], new_forms: Mapping[str, Any]
) -> dict[str, Any]:
    """What changed between two sets of diagrams and forms, process by process."""
    (before, old_files), (after, new_files) = _describe(old), _describe(new)
    processes = []
    for process_id in sorted(set(before) | set(after)):
        status = "added" if process_id not in before else "removed" if process_id not in after else "changed"
        changes = _compare(before.get(process_id, {}), after.get(process_id, {}))
        if status != "changed" or any(changes.values()):
            drawn = {"diagram_before": old_files.get(process_id), "diagram_after": new_files.get(process_id)}
            processes.append({"process": process_id, "status": status, **drawn, **changes})
    return {
        "processes": processes,
        "forms": {
            "added": sorted(set(new_forms) - set(old_forms)),
            "removed": sorted(set(old_forms) - set(new_forms)),
            "changed": sorted(k for k in set(old_forms) & set(new_forms) if old_forms[k] != new_forms[k]),
        },
    }
