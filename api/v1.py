"""REST API v1 (design/api.md). Views only translate: every rule lives in casepath.services."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from api import schemas
from api.auth import core, current_actor
from casepath.services import admin, cases, reports, tasks

blp = Blueprint("v1", __name__, url_prefix="/api/v1", description="Casepath REST API v1")


@blp.route("/staff", methods=["POST"])
@blp.arguments(schemas.StaffIn)
@blp.response(201, schemas.StaffOut)
def create_staff(body: dict[str, Any]) -> dict[str, Any]:
    """Add a member of staff (admin)."""
    return admin.create_staff(core(), current_actor(), body)


@blp.route("/staff", methods=["GET"])
@blp.response(200, schemas.StaffOut(many=True))
def list_staff() -> list[dict[str, Any]]:
    """The staff directory of your local authority."""
    return admin.list_staff(core(), current_actor(), request.args.get("team"))


@blp.route("/staff/<string:username>/tokens", methods=["POST"])
@blp.response(201, schemas.TokenOut)
def create_token(username: str) -> dict[str, str]:
    """Issue an API token for a member of staff (admin). Only its hash is stored."""
    return admin.issue_token(core(), current_actor(), username)


@blp.route("/clock", methods=["GET"])
@blp.response(200, schemas.ClockOut)
def get_clock() -> dict[str, Any]:
    """The time Casepath is working to."""
    current_actor()
    return admin.read_clock(core())


@blp.route("/clock", methods=["PUT"])
@blp.arguments(schemas.ClockIn)
@blp.response(200, schemas.ClockOut)
def put_clock(body: dict[str, Any]) -> dict[str, Any]:
    """Move the test clock and fire every timer due by then (only with CASEPATH_TEST_CLOCK=1)."""
    return admin.set_clock(core(), current_actor(), body["now"])


@blp.route("/referrals", methods=["POST"])
@blp.arguments(schemas.ReferralIn)
@blp.response(201, schemas.ReferralOut)
def create_referral(body: dict[str, Any]) -> dict[str, str]:
    """Record a referral: opens a case for the child."""
    return cases.start_referral(core(), current_actor(), body)


@blp.route("/cases/<string:case_id>", methods=["GET"])
@blp.response(200, schemas.CaseOut)
def get_case(case_id: str) -> dict[str, Any]:
    """A case: the child, who holds it, its tasks and statutory clocks."""
    return cases.get_case(core(), current_actor(), case_id)


@blp.route("/cases/<string:case_id>/tasks", methods=["GET"])
@blp.arguments(schemas.CaseTasksQuery, location="query")
@blp.response(200, schemas.TaskOut(many=True))
def list_case_tasks(query: dict[str, Any], case_id: str) -> list[dict[str, Any]]:
    """Every task of a case, optionally of one state."""
    return tasks.list_case_tasks(core(), current_actor(), case_id, query["state"])


@blp.route("/cases/<string:case_id>/events", methods=["POST"])
@blp.arguments(schemas.CaseEventIn)
@blp.response(201, schemas.CaseEventOut)
def raise_event(body: dict[str, Any], case_id: str) -> dict[str, Any]:
    """Raise a child protection concern or start pre-proceedings on a case."""
    return {"case": cases.raise_case_event(core(), current_actor(), case_id, body["name"], body["data"])}


@blp.route("/cases/<string:case_id>/events", methods=["GET"])
@blp.response(200, schemas.EventOut(many=True))
def list_events(case_id: str) -> list[dict[str, Any]]:
    """The case's audit trail: every event, hash-chained."""
    return reports.case_events(core(), current_actor(), case_id)


@blp.route("/cases/<string:case_id>/conformance", methods=["GET"])
@blp.response(200, schemas.ConformanceOut)
def case_conformance(case_id: str) -> dict[str, Any]:
    """Each Working Together rule for this case: met, breached, pending, overdue or not applicable."""
    return reports.case_conformance(core(), current_actor(), case_id)


@blp.route("/tasks", methods=["GET"])
@blp.arguments(schemas.InboxQuery, location="query")
@blp.response(200, schemas.TaskOut(many=True))
def inbox(query: dict[str, Any]) -> list[dict[str, Any]]:
    """The inbox: mine, available to me, overdue in my team, or my team's."""
    return tasks.list_inbox(core(), current_actor(), query["view"], query["limit"], query["offset"], query["step"])


@blp.route("/tasks/<string:task_id>", methods=["GET"])
@blp.response(200, schemas.TaskDetailOut)
def get_task(task_id: str) -> dict[str, Any]:
    """A task with its form (JSON Schema) and data."""
    return tasks.get_task(core(), current_actor(), task_id)


@blp.route("/tasks/<string:task_id>/claim", methods=["POST"])
@blp.response(200, schemas.TaskOut)
def claim(task_id: str) -> dict[str, Any]:
    """Take a task (idempotent for its holder)."""
    return tasks.claim_task(core(), current_actor(), task_id)


@blp.route("/tasks/<string:task_id>/unclaim", methods=["POST"])
@blp.response(200, schemas.TaskOut)
def unclaim(task_id: str) -> dict[str, Any]:
    """Release a task (its holder or a practice supervisor)."""
    return tasks.unclaim_task(core(), current_actor(), task_id)


@blp.route("/tasks/<string:task_id>/assign", methods=["POST"])
@blp.arguments(schemas.AssignIn)
@blp.response(200, schemas.TaskOut)
def assign(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Give a task to someone allowed to do it, with a reason (practice supervisor)."""
    return tasks.assign_task(core(), current_actor(), task_id, body["assignee"], body["reason"])


@blp.route("/tasks/<string:task_id>/draft", methods=["PUT"])
@blp.arguments(schemas.DraftIn)
@blp.response(200, schemas.TaskOut)
def draft(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Save what has been typed so far (never validated, never enters the workflow)."""
    return tasks.save_draft(core(), current_actor(), task_id, body["data"])


@blp.route("/tasks/<string:task_id>/complete", methods=["POST"])
@blp.arguments(schemas.CompleteIn)
@blp.response(200, schemas.CompleteOut)
def complete(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Complete a task with its form's answers; a late step needs `delay_reason` in the data."""
    return tasks.complete_task(core(), current_actor(), task_id, body)


@blp.route("/returns/cin-census", methods=["GET"])
@blp.arguments(schemas.CensusQuery, location="query")
@blp.response(200, content_type="application/xml")
def cin_census(query: dict[str, Any]) -> Response:
    """The DfE Children in Need census for a collection year (reviewer, admin)."""
    xml = reports.cin_census(core(), current_actor(), query["year"])
    return Response(
        xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="cin-census-{query["year"]}.xml"'},
    )
