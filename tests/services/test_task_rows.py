"""The task rows follow the engine: a step the pathway stops waiting on without anyone completing it (a
parallel branch ended by a terminate event, a step an interrupting timer takes away) has its row cancelled,
whether the step's unit of work knew the open rows from the stored instance or had to read them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from casepath.services import records, runtime, tasks
from casepath.services.timers import fire_due_timers
from casepath.store import models

REFERRAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="step_overdue" name="step_overdue"/>
  <bpmn:process id="referral" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="front_door">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>referral_decision</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>split</bpmn:flowNodeRef><bpmn:flowNodeRef>record_contact</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>stop</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>taken_away</bpmn:flowNodeRef><bpmn:flowNodeRef>overdue</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:parallelGateway id="split"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="referral_decision"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="record_contact"/>
    <bpmn:userTask id="referral_decision" name="Decide">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="referral_decision"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="referral_decision" targetRef="stop"/>
    <bpmn:endEvent id="stop"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:terminateEventDefinition id="term"/></bpmn:endEvent>
    <bpmn:userTask id="record_contact" name="Record the contact">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="referral_decision"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f5" sourceRef="record_contact" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="contact_window" cancelActivity="true" attachedToRef="record_contact">
      <bpmn:outgoing>f6</bpmn:outgoing><bpmn:timerEventDefinition id="t">
      <bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f6" sourceRef="contact_window" targetRef="taken_away"/>
    <bpmn:manualTask id="taken_away" name="Window closed"><bpmn:incoming>f6</bpmn:incoming>
      <bpmn:outgoing>f7</bpmn:outgoing></bpmn:manualTask>
    <bpmn:sequenceFlow id="f7" sourceRef="taken_away" targetRef="end"/>
    <bpmn:boundaryEvent id="deadline" cancelActivity="false" attachedToRef="referral_decision">
      <bpmn:outgoing>f8</bpmn:outgoing><bpmn:timerEventDefinition id="t2">
      <bpmn:timeDate>deadline("referral_decision")</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f8" sourceRef="deadline" targetRef="overdue"/>
    <bpmn:endEvent id="overdue"><bpmn:incoming>f8</bpmn:incoming>
      <bpmn:messageEventDefinition id="m" messageRef="step_overdue"/></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""

DECISION = {"decision": "nfa", "rationale": "No concerns.", "referrer_informed": True}


@pytest.fixture
def front_door(core: Any, factory: Any) -> Any:
    factory.publish_with("referral.bpmn", REFERRAL)
    return factory.create_staff("fd1", ["front_door", "social_worker"])


def rows(core: Any, case_id: str) -> dict[str, str]:
    with core.db.transaction() as session:
        query = select(models.Task).where(models.Task.case_id == case_id)
        return {row.step: row.state for row in session.scalars(query)}


def cancelled_because(core: Any, case_id: str) -> list[tuple[str, str]]:
    with core.db.transaction() as session:
        events = records.list_events(session, case_id)
        return [(e.data["step"], e.data["reason"]) for e in events if e.name == "task_cancelled"]


@pytest.mark.parametrize("knows_open_rows", [True, False], ids=["open rows from the instance", "open rows read"])
def test_a_branch_ended_by_a_terminate_event_cancels_the_other_branchs_open_step(
    core: Any, factory: Any, front_door: Any, monkeypatch: pytest.MonkeyPatch, knows_open_rows: bool
) -> None:
    if not knows_open_rows:  # the unit of work does not know the stored open rows: it reads them
        real = runtime.CaseRun.instance

        def forget(run: runtime.CaseRun, instance_id: str) -> Any:
            engine = real(run, instance_id)
            run._loaded[instance_id].open_rows = None
            return engine

        monkeypatch.setattr(runtime.CaseRun, "instance", forget)
    case_id = factory.create_referral(front_door)
    assert rows(core, case_id) == {"referral_decision": "ready", "record_contact": "ready"}
    task = factory.open_task(case_id, "referral_decision")
    tasks.claim_task(core, front_door, task["id"])
    tasks.complete_task(core, front_door, task["id"], {"data": DECISION})
    assert rows(core, case_id) == {"referral_decision": "completed", "record_contact": "cancelled"}
    assert cancelled_because(core, case_id) == [("record_contact", "no longer part of the pathway")]


def test_a_step_an_interrupting_timer_takes_away_has_its_row_cancelled_by_the_worker(
    core: Any, factory: Any, front_door: Any
) -> None:
    case_id = factory.create_referral(front_door, received_at="2025-04-01T09:00:00+01:00")
    factory.at("2025-04-02T12:00:00+01:00")  # the contact window has closed; the decision is not yet due
    assert fire_due_timers(core) == 1
    assert rows(core, case_id) == {"referral_decision": "ready", "record_contact": "cancelled"}
    assert cancelled_because(core, case_id) == [("record_contact", "no longer part of the pathway")]
