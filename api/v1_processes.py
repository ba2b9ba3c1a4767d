"""REST API v1, owning the pathway: drafts, lint, publish, diffs, migration of running cases, rehearsals.

Process owners change things; reviewers may read diffs and migration previews. Uploaded BPMN files
go through the same PUT as editor saves. Views only translate: the rules live in casepath.services.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import core, current_actor
from api.openapi import problems
from api.schemas import MOMENTS, Strict
from casepath.services import drafts, migration, rehearsal, versions

blp = Blueprint(
    "v1_processes", __name__, url_prefix="/api/v1", description="Casepath REST API v1: the pathway's owners"
)
MAX_VERSION = 2_147_483_647
DRAFT = "<string(maxlength=64):name>"
VERSION = f"<int(max={MAX_VERSION}):version>"
REASON = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PathwayDraftIn(Strict):
    diagrams = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=105)), values=fields.String(),
                           required=True, validate=validate.Length(min=1, max=60))  # fmt: skip
    forms = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)), values=fields.Dict(),
                        allow_none=True, load_default=None, validate=validate.Length(max=200))  # fmt: skip
    base_version = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_VERSION))


class PathwayDraftSummaryOut(Schema):
    name = fields.String()
    base_version = fields.Integer(allow_none=True)
    updated_by = fields.String()
    updated_at = fields.String()
    diagram_names = fields.List(fields.String())


class PathwayDraftOut(Schema):
    name = fields.String()
    base_version = fields.Integer(allow_none=True)
    updated_by = fields.String()
    updated_at = fields.String()
    diagrams = fields.Dict(keys=fields.String(), values=fields.String())
    forms = fields.Dict(keys=fields.String(), values=fields.Dict())


class FindingOut(Schema):
    element = fields.String()
    rule = fields.String()
    severity = fields.String(validate=validate.OneOf(("error", "warning")))
    message = fields.String()
    diagram = fields.String()


class LintOut(Schema):
    publishable = fields.Boolean()
    findings = fields.List(fields.Nested(FindingOut))


class ReasonIn(Strict):
    reason = REASON


class PublishedOut(Schema):
    version = fields.Integer()
    hash = fields.String()
    published_by = fields.String()
    published_at = fields.String()
    note = fields.String()


class DiffQuery(Strict):
    against = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_VERSION))


class DiffOut(Schema):
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    processes = fields.List(fields.Dict())
    forms = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class PreviewOut(Schema):
    case_id = fields.String()
    from_version = fields.Integer()
    can_migrate = fields.Boolean()
    reason = fields.String()


class MigrateIn(Strict):
    case_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=500))
    reason = REASON


class MigratedOut(Schema):
    case_id = fields.String()
    migrated = fields.Boolean()
    from_version = fields.Integer()
    reason = fields.String()


@blp.route("/drafts", methods=["GET"])
@blp.response(200, PathwayDraftSummaryOut(many=True))
@problems(blp, 403)
def list_drafts() -> list[dict[str, Any]]:
    """The drafts of the pathway being edited (process owner)."""
    return drafts.list_drafts(core(), current_actor())


@blp.route(f"/drafts/{DRAFT}", methods=["GET"])
@blp.response(200, PathwayDraftOut)
@problems(blp, 403, 404)
def get_draft(name: str) -> dict[str, Any]:
    """A draft: every diagram as BPMN XML, and every form (process owner)."""
    return drafts.get_draft(core(), current_actor(), name)


@blp.route(f"/drafts/{DRAFT}", methods=["PUT"])
@blp.arguments(PathwayDraftIn)
@blp.response(200, PathwayDraftOut)
@problems(blp, 403, 404, 413, 415, 422)
def save_draft(body: dict[str, Any], name: str) -> dict[str, Any]:
    """Save a draft from the editor or from uploaded BPMN files: the whole set of diagrams; forms default to the
    base version's (process owner)."""
    return drafts.save_draft(core(), current_actor(), name, body)


@blp.route(f"/drafts/{DRAFT}", methods=["DELETE"])
@blp.response(204)
@problems(blp, 403, 404)
def delete_draft(name: str) -> Response:
    """Throw a draft away (process owner)."""
    drafts.delete_draft(core(), current_actor(), name)
    return Response(status=204)


@blp.route(f"/drafts/{DRAFT}/lint", methods=["POST"])
@blp.response(200, LintOut)
@problems(blp, 403, 404)
def lint_draft(name: str) -> dict[str, Any]:
    """Run the statutory lint: each finding names the element and the rule; errors block publishing."""
    return drafts.lint_draft(core(), current_actor(), name)


@blp.route(f"/drafts/{DRAFT}/publish", methods=["POST"])
@blp.arguments(ReasonIn)
@blp.response(201, PublishedOut)
@problems(blp, 403, 404, 409, 413, 415, 422)
def publish_draft(body: dict[str, Any], name: str) -> dict[str, Any]:
    """Publish a draft as a new immutable version, with the reason for the change (process owner)."""
    return drafts.publish_draft(core(), current_actor(), name, body["reason"])


@blp.route(f"/processes/{VERSION}/diff", methods=["GET"])
@blp.arguments(DiffQuery, location="query", error_status_code=400)
@blp.response(200, DiffOut)
@problems(blp, 403, 404)
def diff(query: dict[str, Any], version: int) -> dict[str, Any]:
    """What changed from version `against` to this one (process owner, reviewer, admin)."""
    return versions.diff_versions(core(), current_actor(), query["against"], version)


@blp.route(f"/processes/{VERSION}/migration-preview", methods=["GET"])
@blp.response(200, PreviewOut(many=True))
@problems(blp, 403, 404)
def preview_migration(version: int) -> list[dict[str, Any]]:
    """Which open cases could move to this version, and why the others cannot (process owner, reviewer, admin)."""
    return migration.preview(core(), current_actor(), version)


@blp.route(f"/processes/{VERSION}/migrations", methods=["POST"])
@blp.arguments(MigrateIn)
@blp.response(200, MigratedOut(many=True))
@problems(blp, 403, 404, 413, 415, 422)
def migrate(body: dict[str, Any], version: int) -> list[dict[str, Any]]:
    """Move running cases to this version with a reason; each result says whether it moved, or why not."""
    ids = [str(case_id) for case_id in body["case_ids"]]
    return migration.migrate(core(), current_actor(), ids, version, body["reason"])


# --- rehearsals ------------------------------------------------------------------------------


class RehearsalIn(Strict):
    draft = fields.String(required=True, validate=validate.Length(min=1, max=64))
    now = fields.AwareDateTime(load_default=None, allow_none=True, validate=MOMENTS)


class RehearsalOut(Schema):
    id = fields.String()
    draft = fields.String()
    version = fields.Integer()
    now = fields.String()
    people = fields.List(fields.String())
    cases = fields.List(fields.String())
    handler_calls = fields.List(fields.Dict())
    expires_in_seconds = fields.Integer()
    fired = fields.Integer()


class RehearsalTaskOut(Schema):
    id = fields.String()
    case_id = fields.String()
    step = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    state = fields.String()
    assignee = fields.String(allow_none=True)
    due_on = fields.String(allow_none=True)


class RehearsalReferralIn(Strict):
    source = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=4))
    concerns = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10_000))


class RehearsalReferralOut(Schema):
    case_id = fields.String()
    tasks = fields.List(fields.Nested(RehearsalTaskOut))


class RehearsalCompleteIn(Strict):
    role = fields.String(required=True, validate=validate.OneOf(sorted(rehearsal.PEOPLE)))
    data = fields.Dict(required=True)


class RehearsalClockIn(Strict):
    now = fields.AwareDateTime(required=True, validate=MOMENTS)


@blp.route("/rehearsals", methods=["POST"])
@blp.arguments(RehearsalIn)
@blp.response(201, RehearsalOut)
@problems(blp, 403, 404, 409, 413, 415, 422)
def start_rehearsal(body: dict[str, Any]) -> dict[str, Any]:
    """Rehearse a draft in a sandbox with its own clock and one pseudo-person per role (process owner)."""
    return rehearsal.start_rehearsal(core(), current_actor(), body["draft"], body["now"])


@blp.route("/rehearsals/<uuid:rehearsal_id>", methods=["GET"])
@blp.response(200, RehearsalOut)
@problems(blp, 403, 404)
def get_rehearsal(rehearsal_id: UUID) -> dict[str, Any]:
    """A rehearsal: its clock, its cases, the handler calls it stubbed (process owner)."""
    return rehearsal.get_rehearsal(core(), current_actor(), str(rehearsal_id))


@blp.route("/rehearsals/<uuid:rehearsal_id>", methods=["DELETE"])
@blp.response(204)
@problems(blp, 403, 404)
def end_rehearsal(rehearsal_id: UUID) -> Response:
    """End a rehearsal and throw its sandbox away (process owner)."""
    rehearsal.end_rehearsal(core(), current_actor(), str(rehearsal_id))
    return Response(status=204)


@blp.route("/rehearsals/<uuid:rehearsal_id>/referrals", methods=["POST"])
@blp.arguments(RehearsalReferralIn)
@blp.response(201, RehearsalReferralOut)
@problems(blp, 403, 404, 409, 413, 415, 422)
def rehearsal_referral(body: dict[str, Any], rehearsal_id: UUID) -> dict[str, Any]:
    """Start a rehearsal referral of a made-up child, received now on the rehearsal clock (process owner)."""
    return rehearsal.refer(core(), current_actor(), str(rehearsal_id), body)


@blp.route("/rehearsals/<uuid:rehearsal_id>/tasks", methods=["GET"])
@blp.response(200, RehearsalTaskOut(many=True))
@problems(blp, 403, 404)
def rehearsal_tasks(rehearsal_id: UUID) -> list[dict[str, Any]]:
    """Every task of the rehearsal's cases (process owner)."""
    return rehearsal.list_tasks(core(), current_actor(), str(rehearsal_id))


@blp.route("/rehearsals/<uuid:rehearsal_id>/tasks/<uuid:task_id>/complete", methods=["POST"])
@blp.arguments(RehearsalCompleteIn)
@blp.response(200, RehearsalTaskOut(many=True))
@problems(blp, 403, 404, 409, 413, 415, 422)
def rehearsal_complete(body: dict[str, Any], rehearsal_id: UUID, task_id: UUID) -> list[dict[str, Any]]:
    """Complete a rehearsal task as a role, with the step's form answers; the rehearsal's tasks after it."""
    return rehearsal.complete(core(), current_actor(), str(rehearsal_id), str(task_id), body["role"], body["data"])


@blp.route("/rehearsals/<uuid:rehearsal_id>/clock", methods=["PUT"])
@blp.arguments(RehearsalClockIn)
@blp.response(200, RehearsalOut)
@problems(blp, 403, 404, 413, 415, 422)
def rehearsal_clock(body: dict[str, Any], rehearsal_id: UUID) -> dict[str, Any]:
    """Move the rehearsal clock forward; every timer that fell due fires (process owner)."""
    return rehearsal.move_clock(core(), current_actor(), str(rehearsal_id), body["now"])
