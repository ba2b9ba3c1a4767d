"""A saved instance holds its run, not its diagrams: it loads on the specs of the case's version, and a state
saved the old way (with every spec in it, as SpiffWorkflow saves) still loads and runs on."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from casepath.engine.diagrams import parse_diagrams
from casepath.engine.runner import EngineError, Instance, RunContext

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 4, 17, 9, tzinfo=UTC)
ASSESS = {"started_on": "2025-04-17", "factors": ["4B"], "summary": "s", "recommendation": "cin_plan"}
STOCK = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))  # SpiffWorkflow's own


@pytest.fixture(scope="module")
def diagrams():
    return parse_diagrams({p.name: p.read_bytes() for p in (ROOT / "processes").glob("*.bpmn")})


def context():
    return RunContext(now=NOW, deadline=lambda step: datetime(2030, 1, 1, tzinfo=UTC))


def allocated(diagrams):
    instance = Instance.start(diagrams, "assessment", {"received_on": "2025-04-17"}, context())
    task = instance.ready_tasks()[0]
    instance.complete(task.id, {"lead_practitioner": "fsw1", "practitioner_agreed": True, "rationale": "r"}, context())
    return instance


def run_to_the_end(diagrams, state):
    """Assess, approve: the steps the loaded instance offers and where it ends."""
    instance = Instance.load(diagrams, state)
    seen = []
    for data in (ASSESS, {"approved": True, "outcome": "nfa"}):
        task = instance.ready_tasks()[0]
        seen.append(task.step)
        instance.complete(task.id, data, context())
        instance = Instance.load(diagrams, instance.dump())
    return seen, instance.completed


def test_the_saved_state_names_its_process_and_holds_no_spec(diagrams):
    state = json.loads(allocated(diagrams).dump())
    assert state["spec"] == "assessment"
    assert "subprocess_specs" not in state
    assert len(allocated(diagrams).dump()) < len(STOCK.serialize_json(allocated(diagrams).workflow)) / 2


def test_a_saved_instance_runs_on_as_the_one_in_memory_does(diagrams):
    instance = allocated(diagrams)
    loaded = Instance.load(diagrams, instance.dump())
    assert [(t.id, t.step, t.data) for t in loaded.ready_tasks()] == [
        (t.id, t.step, t.data) for t in instance.ready_tasks()
    ]
    assert loaded.dump() == instance.dump()
    assert run_to_the_end(diagrams, instance.dump()) == (["child_and_family_assessment", "approve_assessment"], True)


def test_a_state_saved_with_its_specs_still_loads_and_runs_on(diagrams):
    old = STOCK.serialize_json(allocated(diagrams).workflow)
    assert isinstance(json.loads(old)["spec"], dict)
    assert run_to_the_end(diagrams, old) == (["child_and_family_assessment", "approve_assessment"], True)
    assert json.loads(Instance.load(diagrams, old).dump())["spec"] == "assessment"  # saved again the new way


def test_a_state_of_a_process_the_diagrams_do_not_hold_is_refused(diagrams):
    state = json.loads(allocated(diagrams).dump())
    state["spec"] = "no_such_process"
    with pytest.raises(EngineError, match="no_such_process"):
        Instance.load(diagrams, json.dumps(state))
