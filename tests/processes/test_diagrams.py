"""The published pathway diagrams keep the contract of shared/domain/pathway.md (no Flask, no database)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from casepath.engine.diagrams import Diagrams, parse_diagrams

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {
    "bpmn": BPMN,
    "bpmndi": DI,
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": SPIFF,
}

# The contract: step id -> the lane (role code) its user task sits in.
STEPS = {
    "referral_decision": "front_door",
    "allocate_lead_practitioner": "practice_supervisor",
    "child_and_family_assessment": "lead_practitioner",
    "approve_assessment": "practice_supervisor",
    "draft_cin_plan": "lead_practitioner",
    "approve_cin_plan": "practice_supervisor",
    "cin_review": "lead_practitioner",
    "close_case": "practice_supervisor",
    "strategy_discussion": "social_worker",
    "section47_enquiry": "social_worker",
    "approve_section47": "practice_supervisor",
    "schedule_icpc": "business_support",
    "hold_icpc": "conference_chair",
    "core_group_meeting": "social_worker",
    "review_conference": "conference_chair",
    "letter_before_proceedings": "social_worker",
    "fgdm_meeting": "social_worker",
    "care_application": "practice_supervisor",
    "overdue_review": "practice_supervisor",
}
TIMED = {
    "referral_decision",
    "allocate_lead_practitioner",
    "child_and_family_assessment",
    "approve_assessment",
    "cin_review",
    "strategy_discussion",
    "section47_enquiry",
    "approve_section47",
    "schedule_icpc",
    "hold_icpc",
    "core_group_meeting",
    "review_conference",
}
ROLES = {
    "front_door",
    "practice_supervisor",
    "lead_practitioner",
    "social_worker",
    "conference_chair",
    "business_support",
}
STARTS = {  # process id -> the message its start event catches (None: a plain start event)
    "referral": None,
    "assessment": "assessment_requested",
    "cin_plan": "cin_plan_requested",
    "cin_plan_review": "cin_review_due",
    "closure": "closure_requested",
    "strategy": "strategy_requested",
    "section47": "s47_started",
    "icpc": "icpc_requested",
    "cp_plan": "cp_plan_started",
    "cp_review": "review_due",
    "pre_proceedings": "pre_proceedings",
    "overdue": "step_overdue",
}
THROWS = {
    "referral": {"case_closed", "assessment_requested", "strategy_requested", "step_overdue"},
    "assessment": {"case_closed", "cin_plan_requested", "strategy_requested", "step_overdue"},
    "cin_plan": {"cin_review_due"},
    "cin_plan_review": {"cin_review_due", "closure_requested", "strategy_requested", "step_overdue"},
    "closure": {"case_closed"},
    "strategy": {"s47_started", "assessment_requested", "step_overdue"},
    "section47": {"icpc_requested", "cin_plan_requested", "closure_requested", "step_overdue"},
    "icpc": {"cp_plan_started", "cin_plan_requested", "closure_requested", "step_overdue"},
    "cp_plan": {"review_due", "step_overdue"},
    "cp_review": {"review_due", "cin_plan_requested", "closure_requested", "step_overdue"},
    "pre_proceedings": set(),
    "overdue": set(),
}
CANCELS = {"section47": ("assessment",), "cp_plan": ("cin_plan", "cin_plan_review")}


def _files() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(PROCESSES.glob("*.bpmn"))}


def _trees() -> dict[str, etree._Element]:
    return {name: etree.fromstring(content) for name, content in _files().items()}


@pytest.fixture(scope="module")
def diagrams() -> Diagrams:
    return parse_diagrams(_files())


def test_there_is_one_file_per_phase_named_after_its_process() -> None:
    trees = _trees()
    assert set(trees) == {f"{pid}.bpmn" for pid in STARTS}
    for name, tree in trees.items():
        processes = tree.findall("bpmn:process", NS)
        assert [p.get("id") for p in processes] == [name.removesuffix(".bpmn")]
        assert processes[0].get("isExecutable") == "true"


def test_every_diagram_parses_and_passes_the_sandbox(diagrams: Diagrams) -> None:
    assert set(diagrams.processes) == set(STARTS)


def test_every_contract_step_exists_exactly_once_in_the_lane_of_its_role(diagrams: Diagrams) -> None:
    seen = Counter(step for process in diagrams.processes.values() for step in process.user_tasks)
    assert set(seen) == set(STEPS)
    assert all(count == 1 for count in seen.values()), seen
    for step, role in STEPS.items():
        info = diagrams.user_task(step)
        assert info is not None
        assert info.lane == role, f"{step} is in lane {info.lane}, not {role}"
        assert info.form_key == step
        assert info.name and info.name != step


def test_every_user_task_documents_the_step_and_its_statutory_source(diagrams: Diagrams) -> None:
    for step in STEPS:
        documentation = diagrams.user_task(step).documentation  # type: ignore[union-attr]
        assert len(documentation) > 80, step
        assert "Working Together" in documentation or "Children Act" in documentation or "pathway" in documentation


def test_every_step_timed_by_a_statutory_rule_has_a_deadline_timer(diagrams: Diagrams) -> None:
    timed = {step for process in diagrams.processes.values() for step, info in process.user_tasks.items() if info.timed}
    assert timed == TIMED


def test_every_timer_is_a_non_interrupting_boundary_event_on_the_deadline_of_its_step() -> None:
    timers = 0
    for tree in _trees().values():
        for event in tree.iterfind(".//bpmn:boundaryEvent", NS):
            step = event.get("attachedToRef")
            assert event.get("cancelActivity") == "false", step
            assert event.findtext("bpmn:timerEventDefinition/bpmn:timeDate", namespaces=NS) == f'deadline("{step}")'
            timers += 1
            (outgoing,) = event.findall("bpmn:outgoing", NS)
            flow = tree.find(f".//bpmn:sequenceFlow[@id='{outgoing.text}']", NS)
            end = tree.find(f".//bpmn:endEvent[@id='{flow.get('targetRef')}']", NS)
            ref = end.find("bpmn:messageEventDefinition", NS).get("messageRef")
            assert tree.find(f"bpmn:message[@id='{ref}']", NS).get("name") == "step_overdue"
    assert timers == len(TIMED)


def test_each_phase_starts_on_its_message_and_throws_the_contract_messages(diagrams: Diagrams) -> None:
    for pid, message in STARTS.items():
        process = diagrams.processes[pid]
        assert process.start_message == message, pid
        assert set(process.thrown_messages) == THROWS[pid], pid
        assert tuple(sorted(process.cancels)) == tuple(sorted(CANCELS.get(pid, ()))), pid


def test_every_thrown_message_except_case_closed_starts_exactly_one_process(diagrams: Diagrams) -> None:
    thrown = {m for process in diagrams.processes.values() for m in process.thrown_messages}
    assert "case_closed" in thrown
    assert diagrams.starting_on("case_closed") == []
    for message in thrown - {"case_closed"}:
        assert len(diagrams.starting_on(message)) == 1, message


def test_phases_cancel_only_processes_that_exist(diagrams: Diagrams) -> None:
    for process in diagrams.processes.values():
        assert set(process.cancels) <= set(diagrams.processes)


def test_every_closure_records_a_reason_before_the_case_closed_message() -> None:
    for name, tree in _trees().items():
        closing = {m.get("id") for m in tree.iterfind("bpmn:message", NS) if m.get("name") == "case_closed"}
        for end in tree.iterfind(".//bpmn:endEvent", NS):
            definition = end.find("bpmn:messageEventDefinition", NS)
            if definition is None or definition.get("messageRef") not in closing:
                continue
            (incoming,) = end.findall("bpmn:incoming", NS)
            flow = tree.find(f".//bpmn:sequenceFlow[@id='{incoming.text}']", NS)
            script = tree.find(f".//bpmn:scriptTask[@id='{flow.get('sourceRef')}']", NS)
            assert script is not None, f"{name}: {end.get('id')} is not preceded by a script task"
            assert script.findtext("bpmn:script", namespaces=NS).startswith("closure_reason = "), name


def test_every_exclusive_choice_has_a_condition_on_every_outgoing_flow() -> None:
    for name, tree in _trees().items():
        for gateway in tree.iterfind(".//bpmn:exclusiveGateway", NS):
            outgoing = gateway.findall("bpmn:outgoing", NS)
            if len(outgoing) < 2:
                continue  # a merge
            assert gateway.get("default") is None
            for ref in outgoing:
                flow = tree.find(f".//bpmn:sequenceFlow[@id='{ref.text}']", NS)
                assert (flow.findtext("bpmn:conditionExpression", namespaces=NS) or "").strip(), (
                    f"{name}: {flow.get('id')} has no condition"
                )


def test_every_lane_is_named_by_a_role_code_and_every_node_sits_in_one_lane() -> None:
    for name, tree in _trees().items():
        process = tree.find("bpmn:process", NS)
        lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
        assert lanes, name
        assert {lane.get("name") for lane in lanes} <= ROLES, name
        refs = Counter(ref.text for lane in lanes for ref in lane.iterfind("bpmn:flowNodeRef", NS))
        nodes = {
            el.get("id")
            for el in process
            if etree.QName(el).localname not in ("laneSet", "sequenceFlow", "documentation", "extensionElements")
        }
        assert set(refs) == nodes, name
        assert all(count == 1 for count in refs.values()), name


def test_ids_are_unique_within_each_file_so_bpmn_js_keeps_every_element() -> None:
    for name, tree in _trees().items():
        ids = Counter(el.get("id") for el in tree.iter() if el.get("id"))
        assert [i for i, n in ids.items() if n > 1] == [], name


def test_every_element_is_drawn_with_shapes_inside_its_lane_and_edges_with_waypoints() -> None:
    for name, tree in _trees().items():
        collaboration = tree.find("bpmn:collaboration", NS)
        (participant,) = collaboration.findall("bpmn:participant", NS)
        process = tree.find("bpmn:process", NS)
        assert participant.get("processRef") == process.get("id")
        plane = tree.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
        assert plane.get("bpmnElement") == collaboration.get("id")
        shapes = {s.get("bpmnElement"): s.find("dc:Bounds", NS) for s in plane.iterfind("bpmndi:BPMNShape", NS)}
        edges = {e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in plane.iterfind("bpmndi:BPMNEdge", NS)}

        def box(element_id: str, shapes: dict[str, Any] = shapes) -> tuple[float, float, float, float]:
            b = shapes[element_id]
            return float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height"))

        px, py, pw, ph = box(participant.get("id"))
        lane_boxes = {}
        for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS):
            lx, ly, lw, lh = box(lane.get("id"))
            assert px < lx and lx + lw == px + pw and py <= ly and ly + lh <= py + ph, name
            assert 150 <= lh <= 450, f"{name}: lane {lane.get('name')} is {lh} px high"
            for ref in lane.iterfind("bpmn:flowNodeRef", NS):
                lane_boxes[ref.text] = (lx, ly, lw, lh)
        for node_id, (lx, ly, lw, lh) in lane_boxes.items():
            x, y, w, h = box(node_id)
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, f"{name}: {node_id} leaves its lane"
            tag = etree.QName(process.find(f"*[@id='{node_id}']", NS)).localname
            if tag in ("userTask", "scriptTask"):
                assert (w, h) == (100, 80), f"{name}: {node_id}"
        for flow in process.iterfind("bpmn:sequenceFlow", NS):
            assert len(edges[flow.get("id")]) >= 2, f"{name}: {flow.get('id')} has no waypoints"
