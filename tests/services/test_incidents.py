"""A diagram that misbehaves is refused at publish time or stopped at run time; the case records an
incident and nothing of the step is saved."""

import pytest

from casepath.domain.errors import Incident, InvalidForm
from casepath.services import cases, records, tasks
from casepath.store import models

REFERRAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="step_overdue" name="step_overdue"/>
  <bpmn:process id="referral" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="front_door">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>referral_decision</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>script</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="referral_decision"/>
    <bpmn:userTask id="referral_decision" name="Decide">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="referral_decision"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="referral_decision" targetRef="script"/>
    <bpmn:scriptTask id="script" name="Work something out"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="script" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="deadline" cancelActivity="false" attachedToRef="referral_decision">
      <bpmn:outgoing>f4</bpmn:outgoing><bpmn:timerEventDefinition id="t">
      <bpmn:timeDate>deadline("referral_decision")</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="deadline" targetRef="overdue"/>
    <bpmn:endEvent id="overdue"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:messageEventDefinition id="m" messageRef="step_overdue"/></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def publish(core, factory, script: str) -> None:
    factory.publish_with("referral.bpmn", REFERRAL.replace("SCRIPT", script))


@pytest.mark.parametrize("script", ["import os", "y = ().__class__.__subclasses__()", "while True:\n    pass"])
def test_a_diagram_with_an_unsafe_script_is_refused_at_publish_time(core, factory, script):
    with pytest.raises(InvalidForm) as refused:
        publish(core, factory, script)
    assert "script" in refused.value.errors


@pytest.mark.parametrize(
    "script",
    ["x = open('/etc/passwd')", "total = 0\nfor a in range(10000):\n    for b in range(10000):\n        total += 1"],
)
def test_a_script_that_misbehaves_at_run_time_is_stopped_and_recorded_as_an_incident(core, factory, script):
    publish(core, factory, script)
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    factory.at("2025-04-17T10:00:00+01:00")
    case_id = factory.create_referral(fd, received_at="2025-04-17T09:00:00+01:00")
    task = factory.open_task(case_id, "referral_decision")
    tasks.claim_task(core, fd, task["id"])
    with pytest.raises(Incident) as stopped:
        tasks.complete_task(
            core, fd, task["id"], {"data": {"decision": "nfa", "rationale": "No concerns.", "referrer_informed": True}}
        )
    assert stopped.value.element == "script"
    case = cases.get_case(core, factory.admin_reviewer(), case_id)
    assert case["incident"].startswith("script:")
    assert [t["state"] for t in case["tasks"]] == ["claimed"]  # nothing of the step was saved
    with core.db.transaction() as session:
        names = [e.name for e in records.list_events(session, case_id)]
        assert names.count("task_completed") == 0 and names[-1] == "incident"
        assert session.get(models.Case, case_id).status == "open"
