"""Service tasks call registered handlers; a failing handler names the BPMN task and the real error."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from casepath.engine.diagrams import parse_diagrams
from casepath.engine.runner import EngineError, HandlerCall, Instance, RunContext
from handlers import REGISTRY
from handlers.conference import conference_invitations

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 6, 23, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def diagrams():
    return parse_diagrams({p.name: p.read_bytes() for p in (ROOT / "processes").glob("*.bpmn")})


def schedule(diagrams, handlers):
    context = RunContext(now=NOW, case_id="c1", deadline=lambda step: None, handlers=handlers)
    instance = Instance.start(diagrams, "icpc", {"lead_social_worker": "sw1"}, context)
    task = instance.ready_tasks()[0]
    instance.complete(task.id, {"conference_date": "2025-06-27", "chair": "chair1"}, context)
    return instance


def test_conference_invitations_set_reports_due_three_working_days_before_the_conference():
    call = HandlerCall(
        "conference_invitations",
        {},
        {"conference_date": "2025-05-08", "chair": "c", "lead_social_worker": "sw"},
        "c1",
        NOW,
    )
    # 8 May 2025 is a Thursday; bank holiday 5 May: 7, 6 and 2 May are the three working days before it
    assert conference_invitations(call) == {"invitees": ["sw", "c"], "reports_due_on": "2025-05-02"}


def test_the_icpc_diagram_calls_the_invitations_handler_and_keeps_its_result(diagrams):
    instance = schedule(diagrams, REGISTRY)
    hold = instance.ready_tasks()[0]
    assert hold.step == "hold_icpc"
    assert hold.data["invitations"] == {"invitees": ["sw1", "chair1"], "reports_due_on": "2025-06-24"}


def test_a_failing_handler_is_reported_with_the_bpmn_task_and_the_real_error(diagrams):
    def broken(call):
        raise KeyError("conference_room")

    with pytest.raises(EngineError) as failed:
        schedule(diagrams, {"conference_invitations": broken})
    assert failed.value.step == "invite_conference"
    assert "KeyError" in failed.value.message and "conference_room" in failed.value.message


def test_a_service_task_without_a_registered_handler_says_so(diagrams):
    with pytest.raises(EngineError) as failed:
        schedule(diagrams, {})
    assert failed.value.step == "invite_conference"
    assert "no handler is registered for operation 'conference_invitations'" in failed.value.message
