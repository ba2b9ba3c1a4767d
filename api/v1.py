"""REST API v1 (design/api.md). Views only translate: every rule lives in casepath.services."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import Response, request
from flask_smorest import Blueprint

from api import schemas
from api.auth import core, current_actor
from api.openapi import ETAG_HEADER, IF_MATCH, TOTAL_HEADER, problems
from casepath.domain.errors import NotFound
from casepath.services import admin, cases, inbox, reports, tasks
from casepath.services.views import task_etag

blp = Blueprint("v1", __name__, url_prefix="/api/v1", description="Casepath REST API v1")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
Headers = dict[str, str]


def if_match() -> list[str] | None:
    """The ETags of an If-Match header (None when absent; ["*"] for any)."""
    if "If-Match" not in request.headers:
        return None
    tags = request.if_match
    return ["*"] if tags.star_tag else list(tags)


def quoted(tag: str) -> str:
    return f'"{tag}"'


def page(items: list[Any], query: dict[str, Any]) -> tuple[list[Any], Headers]:
    """One page of a list the service returned whole, with the total in X-Total-Count."""
    offset, limit = query["offset"], query["limit"]
    return items[offset : offset + limit], {"X-Total-Count": str(len(items))}


@blp.route("/staff", methods=["POST"])
@blp.arguments(schemas.StaffIn)
@blp.response(201, schemas.StaffOut)
@problems(blp, 403, 413, 415, 422)
def create_staff(body: dict[str, Any]) -> dict[str, Any]:
    """Add a member of staff (admin)."""
    return admin.create_staff(core(), current_actor(), body)


@blp.route("/staff", methods=["GET"])
@blp.arguments(schemas.StaffQuery, location="query", error_status_code=400)
@blp.response(200, schemas.StaffOut(many=True), headers=TOTAL_HEADER)
@problems(blp, 403)
def list_staff(query: dict[str, Any]) -> tuple[list[dict[str, Any]], Headers]:
    """The staff directory of your local authority (admin, practice supervisor, reviewer, business support)."""
    return page(admin.list_staff(core(), current_actor(), query["team"]), query)


@blp.route("/staff/<string:username>/tokens", methods=["POST"])
@blp.response(201, schemas.TokenOut)
@problems(blp, 403, 404)
def create_token(username: str) -> dict[str, str]:
    """Issue an API token for a member of staff (admin). Only its hash is stored; it expires after 90 days."""
    actor = current_actor()
    if not USERNAME.match(username):
        raise NotFound(f"There is no member of staff called {username[:64]!r}.")
    return admin.issue_token(core(), actor, username)


@blp.route("/clock", methods=["GET"])
@blp.response(200, schemas.ClockOut)
@problems(blp)
def get_clock() -> dict[str, Any]:
    """The time Casepath is working to."""
    current_actor()
    return admin.read_clock(core())


@blp.route("/clock", methods=["PUT"])
@blp.arguments(schemas.ClockIn)
@blp.response(200, schemas.ClockOut)
@problems(blp, 403, 404, 413, 415, 422)
def put_clock(body: dict[str, Any]) -> dict[str, Any]:
    """Move the test clock and fire every timer due by then (admin; only with CASEPATH_TEST_CLOCK=1, else 404)."""
    return admin.set_clock(core(), current_actor(), body["now"])


@blp.route("/referrals", methods=["POST"])
@blp.arguments(schemas.ReferralIn)
@blp.response(201, schemas.ReferralOut)
@problems(blp, 403, 404, 409, 413, 415, 422)
def create_referral(body: dict[str, Any]) -> dict[str, str]:
    """Record a referral: opens a case for the child (front door, practice supervisor, business support)."""
    return cases.start_referral(core(), current_actor(), body)


@blp.route("/cases/<uuid:case_id>", methods=["GET"])
@blp.response(200, schemas.CaseOut, headers=ETAG_HEADER)
@problems(blp, 404)
def get_case(case_id: UUID) -> tuple[dict[str, Any], Headers]:
    """A case: the child, who holds it, its tasks and statutory clocks. `ETag` changes whenever the case does."""
    view = cases.get_case(core(), current_actor(), str(case_id))
    return view, {"ETag": quoted(view["etag"])}


@blp.route("/cases/<uuid:case_id>/tasks", methods=["GET"])
@blp.arguments(schemas.CaseTasksQuery, location="query", error_status_code=400)
@blp.response(200, schemas.TaskOut(many=True), headers=TOTAL_HEADER)
@problems(blp, 404)
def list_case_tasks(query: dict[str, Any], case_id: UUID) -> tuple[list[dict[str, Any]], Headers]:
    """Every task of a case, optionally of one state, oldest first."""
    return page(tasks.list_case_tasks(core(), current_actor(), str(case_id), query["state"]), query)


@blp.route("/cases/<uuid:case_id>/events", methods=["POST"])
@blp.arguments(schemas.CaseEventIn)
@blp.response(201, schemas.CaseEventOut, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
@problems(blp, 403, 404, 409, 413, 415, 422)
def raise_event(body: dict[str, Any], case_id: UUID) -> tuple[dict[str, Any], Headers]:
    """Raise a child protection concern or start pre-proceedings on a case (If-Match: the case's ETag)."""
    view = cases.raise_case_event(core(), current_actor(), str(case_id), body["name"], body["data"], if_match())
    return {"case": view}, {"ETag": quoted(view["etag"])}


@blp.route("/cases/<uuid:case_id>/events", methods=["GET"])
@blp.arguments(schemas.EventsQuery, location="query", error_status_code=400)
@blp.response(200, schemas.EventOut(many=True), headers=TOTAL_HEADER)
@problems(blp, 404)
def list_events(query: dict[str, Any], case_id: UUID) -> tuple[list[dict[str, Any]], Headers]:
    """The case's audit trail: every event in order, hash-chained."""
    return page(reports.case_events(core(), current_actor(), str(case_id)), query)


@blp.route("/cases/<uuid:case_id>/conformance", methods=["GET"])
@blp.response(200, schemas.ConformanceOut)
@problems(blp, 404)
def case_conformance(case_id: UUID) -> dict[str, Any]:
    """Each Working Together rule for this case: met, breached, pending, overdue or not applicable."""
    return reports.case_conformance(core(), current_actor(), str(case_id))


@blp.route("/tasks", methods=["GET"])
@blp.arguments(schemas.InboxQuery, location="query", error_status_code=400)
@blp.response(200, schemas.TaskOut(many=True), headers=TOTAL_HEADER)
@problems(blp)
def list_inbox(query: dict[str, Any]) -> tuple[list[dict[str, Any]], Headers]:
    """The inbox: mine, available to me, overdue in my team, or my team's; narrowed by the filters."""
    limit, offset = query.pop("limit"), query.pop("offset")
    rows, total = inbox.list_inbox(core(), current_actor(), inbox.InboxFilter(**query), limit, offset)
    return rows, {"X-Total-Count": str(total)}


def _task_answer(view: dict[str, Any]) -> tuple[dict[str, Any], Headers]:
    return view, {"ETag": quoted(task_etag(view))}


@blp.route("/tasks/<uuid:task_id>", methods=["GET"])
@blp.response(200, schemas.TaskDetailOut, headers=ETAG_HEADER)
@problems(blp, 404)
def get_task(task_id: UUID) -> tuple[dict[str, Any], Headers]:
    """A task with its form (JSON Schema) and data. Send its `ETag` as If-Match when completing it."""
    return _task_answer(tasks.get_task(core(), current_actor(), str(task_id)))


@blp.route("/tasks/<uuid:task_id>/claim", methods=["POST"])
@blp.response(200, schemas.TaskOut, headers=ETAG_HEADER)
@problems(blp, 403, 404, 409)
def claim(task_id: UUID) -> tuple[dict[str, Any], Headers]:
    """Take a task (idempotent for its holder)."""
    return _task_answer(tasks.claim_task(core(), current_actor(), str(task_id)))


@blp.route("/tasks/<uuid:task_id>/unclaim", methods=["POST"])
@blp.response(200, schemas.TaskOut, headers=ETAG_HEADER)
@problems(blp, 403, 404, 409)
def unclaim(task_id: UUID) -> tuple[dict[str, Any], Headers]:
    """Release a task (its holder or a practice supervisor)."""
    return _task_answer(tasks.unclaim_task(core(), current_actor(), str(task_id)))


@blp.route("/tasks/<uuid:task_id>/assign", methods=["POST"])
@blp.arguments(schemas.AssignIn)
@blp.response(200, schemas.TaskOut, headers=ETAG_HEADER)
@problems(blp, 403, 404, 409, 413, 415, 422)
def assign(body: dict[str, Any], task_id: UUID) -> tuple[dict[str, Any], Headers]:
    """Give a task to someone allowed to do it, with a reason (practice supervisor)."""
    return _task_answer(tasks.assign_task(core(), current_actor(), str(task_id), body["assignee"], body["reason"]))


@blp.route("/tasks/<uuid:task_id>/draft", methods=["PUT"])
@blp.arguments(schemas.DraftIn)
@blp.response(200, schemas.TaskOut, headers=ETAG_HEADER)
@problems(blp, 403, 404, 409, 413, 415, 422)
def draft(body: dict[str, Any], task_id: UUID) -> tuple[dict[str, Any], Headers]:
    """Save what has been typed so far (never validated, never enters the workflow; the ETag is unchanged)."""
    return _task_answer(tasks.save_draft(core(), current_actor(), str(task_id), body["data"]))


@blp.route("/tasks/<uuid:task_id>/complete", methods=["POST"])
@blp.arguments(schemas.CompleteIn)
@blp.response(200, schemas.CompleteOut)
@blp.doc(parameters=[IF_MATCH])
@problems(blp, 403, 404, 409, 413, 415, 422)
def complete(body: dict[str, Any], task_id: UUID) -> dict[str, Any]:
    """Complete a task with its form's answers; a late step needs `delay_reason` in the data.
    With If-Match (the task's ETag), a task changed since you opened it is refused: 409 conflict."""
    return tasks.complete_task(core(), current_actor(), str(task_id), body, if_match())


@blp.route("/returns/cin-census", methods=["GET"])
@blp.arguments(schemas.CensusQuery, location="query", error_status_code=400)
@blp.response(200, content_type="application/xml")
@problems(blp, 403)
def cin_census(query: dict[str, Any]) -> Response:
    """The DfE Children in Need census for a collection year (reviewer, admin)."""
    xml = reports.cin_census(core(), current_actor(), query["year"])
    return Response(
        xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="cin-census-{query["year"]}.xml"'},
    )
