"""REST API v1: who may do what. The staff directory (admin), the local assessment protocol (process
owner), and who may take a task and why everyone else may not (practice supervisor)."""

from __future__ import annotations

import re
from dataclasses import fields as dataclass_fields
from typing import Any
from uuid import UUID

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api import schemas
from api.auth import core, current_actor
from api.openapi import problems
from casepath.domain.calendar import CONVENTIONS
from casepath.domain.errors import NotFound
from casepath.domain.people import ROLES
from casepath.domain.protocol import CASELOAD_MODES, CP_CASE_HOLDERS, ICPC_ANCHORS, TIMESCALE_SETTERS, Timescales
from casepath.services import admin, protocols, tasks
from casepath.services.staff import Actor

blp = Blueprint("v1_people", __name__, url_prefix="/api/v1", description="Staff, the local protocol, routing")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
NAME = validate.Length(min=1, max=64)


# --- schemas ---------------------------------------------------------------------------------------------


class StaffPatchIn(schemas.Strict):
    """Only the fields sent are changed; `swe_registration` and `line_manager` may be null."""

    name = fields.String(validate=schemas.SHORT)
    email = fields.Email(validate=validate.Length(max=254))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), validate=validate.Length(min=1, max=len(ROLES)))
    profession = fields.String(validate=NAME)
    swe_registration = fields.Nested(schemas.Registration, allow_none=True)
    competencies = fields.List(fields.String(validate=NAME), validate=validate.Length(max=50))
    team = fields.String(validate=validate.Length(max=100))
    line_manager = fields.String(allow_none=True, validate=schemas.USERNAME)
    employer = fields.String(validate=validate.Length(min=1, max=200))
    caseload_limit = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=500))

    @validates_schema
    def at_least_one_field(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")


class StaffDetailOut(schemas.StaffOut):
    active = fields.Boolean()
    open_tasks = fields.Integer(metadata={"description": "Open tasks still assigned to them (after deactivation)"})


class TokensRevokedOut(Schema):
    username = fields.String()
    revoked = fields.Integer()


TimescalesIn = schemas.Strict.from_dict(
    {
        f.name: fields.Integer(strict=True, validate=validate.Range(min=1, max=120))
        for f in dataclass_fields(Timescales)
    },
    name="TimescalesIn",
)


class ProtocolSettings(schemas.Strict):
    """The whole local protocol: a setting left out takes its national default."""

    lead_practitioner_professions = fields.Dict(
        keys=fields.String(validate=NAME),
        values=fields.List(fields.String(validate=NAME), validate=validate.Length(max=20)),
    )
    social_worker_for_every_assessment = fields.Boolean(truthy={True}, falsy={False})
    caseload_limits = fields.Dict(
        keys=fields.String(validate=NAME), values=fields.Integer(strict=True, validate=validate.Range(min=1, max=500))
    )
    caseload_mode = fields.String(validate=validate.OneOf(CASELOAD_MODES))
    timescales = fields.Nested(TimescalesIn)
    working_day_convention = fields.String(validate=validate.OneOf(CONVENTIONS))
    icpc_anchor = fields.String(validate=validate.OneOf(ICPC_ANCHORS))
    cp_case_holder = fields.String(validate=validate.OneOf(CP_CASE_HOLDERS))
    lcpp_may_chair = fields.Boolean(truthy={True}, falsy={False})
    assessment_timescale_set_by = fields.String(validate=validate.OneOf(TIMESCALE_SETTERS))
    extra_holidays = fields.List(
        fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="Enter a date as YYYY-MM-DD")),
        validate=validate.Length(max=100),
    )


class ProtocolIn(schemas.Strict):
    protocol = fields.Nested(ProtocolSettings, required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ProtocolOut(Schema):
    version = fields.Integer()
    protocol = fields.Dict()
    created_by = fields.String()
    created_at = fields.String()
    reason = fields.String()


class CandidateOut(Schema):
    username = fields.String()
    name = fields.String()
    allowed = fields.Boolean()
    code = fields.String(allow_none=True, metadata={"description": "Why not: the error a claim or assignment gives"})
    reason = fields.String(allow_none=True)
    holds_task = fields.Boolean()


# --- staff -----------------------------------------------------------------------------------------------


def _known(username: str) -> Actor:
    """Who is asking, once the username is at least well formed (anything else is no one we know)."""
    actor = current_actor()
    if not USERNAME.match(username):
        raise NotFound(f"There is no member of staff called {username[:64]!r}.")
    return actor


@blp.route("/staff/<string:username>", methods=["GET"])
@blp.response(200, StaffDetailOut)
@problems(blp, 403, 404)
def get_staff(username: str) -> dict[str, Any]:
    """One member of staff (admin, practice supervisor, reviewer, business support, or themselves)."""
    return admin.get_staff_member(core(), _known(username), username)


@blp.route("/staff/<string:username>", methods=["PATCH"])
@blp.arguments(StaffPatchIn)
@blp.response(200, StaffDetailOut)
@problems(blp, 403, 404, 409, 413, 415, 422)
def update_staff(body: dict[str, Any], username: str) -> dict[str, Any]:
    """Change roles, registration, competencies, team, line manager, employer or caseload limit (admin).
    Recorded on the local authority's audit stream with who changed what, before and after."""
    return admin.update_staff(core(), _known(username), username, body)


@blp.route("/staff/<string:username>", methods=["DELETE"])
@blp.response(200, StaffDetailOut)
@problems(blp, 403, 404, 409)
def deactivate_staff(username: str) -> dict[str, Any]:
    """Deactivate a member of staff (admin): no more sign-in or new work; their tokens are revoked. Their
    open tasks stay for a practice supervisor to reassign (`open_tasks` says how many)."""
    return admin.deactivate_staff(core(), _known(username), username)


@blp.route("/staff/<string:username>/tokens", methods=["DELETE"])
@blp.response(200, TokensRevokedOut)
@problems(blp, 403, 404)
def revoke_tokens(username: str) -> dict[str, Any]:
    """Revoke every API token of a member of staff (admin, or the person themselves)."""
    return admin.revoke_staff_tokens(core(), _known(username), username)


# --- the local assessment protocol -----------------------------------------------------------------------


@blp.route("/protocol", methods=["GET"])
@blp.response(200, ProtocolOut)
@problems(blp, 404)
def get_protocol() -> dict[str, Any]:
    """The local assessment protocol in force (any member of staff)."""
    return protocols.current_protocol(core(), current_actor())


@blp.route("/protocol/versions", methods=["GET"])
@blp.response(200, ProtocolOut(many=True))
@problems(blp, 403)
def list_protocol_versions() -> list[dict[str, Any]]:
    """Every version of the protocol, newest first (process owner, admin, reviewer)."""
    return protocols.protocol_versions(core(), current_actor())


@blp.route("/protocol", methods=["PUT"])
@blp.arguments(ProtocolIn)
@blp.response(200, ProtocolOut)
@problems(blp, 403, 413, 415, 422)
def put_protocol(body: dict[str, Any]) -> dict[str, Any]:
    """Publish a new version of the protocol, in force from now (process owner or admin, with a reason).
    Send the whole protocol: a setting left out takes its national default."""
    return protocols.publish_protocol(core(), current_actor(), body["protocol"], body["reason"])


# --- routing ---------------------------------------------------------------------------------------------


@blp.route("/tasks/<uuid:task_id>/candidates", methods=["GET"])
@blp.response(200, CandidateOut(many=True))
@problems(blp, 403, 404)
def task_candidates(task_id: UUID) -> list[dict[str, Any]]:
    """Who may take this task, and why everyone else may not: the same checks as claiming or assigning it
    (practice supervisor who can see the case, reviewer, admin)."""
    return tasks.candidates(core(), current_actor(), str(task_id))
