"""REST API v1, reading: lists of cases, a child's record, the published pathway (design/api.md)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask_smorest import Blueprint

from api import schemas
from api.auth import core, current_actor
from api.openapi import TOTAL_HEADER, problems
from casepath.services import cases, catalogue, children

blp = Blueprint("v1_browse", __name__, url_prefix="/api/v1", description="Casepath REST API v1: browsing")
MAX_VERSION = 2_147_483_647


@blp.route("/cases", methods=["GET"])
@blp.arguments(schemas.CaseListQuery, location="query", error_status_code=400)
@blp.response(200, schemas.CaseSummaryOut(many=True), headers=TOTAL_HEADER)
@problems(blp)
def list_cases(query: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The cases you may see, newest referral first; narrowed by status, phase, team and received date."""
    limit, offset = query.pop("limit"), query.pop("offset")
    rows, total = cases.list_cases(core(), current_actor(), cases.CaseFilter(**query), limit, offset)
    return rows, {"X-Total-Count": str(total)}


@blp.route("/children/<uuid:child_id>", methods=["GET"])
@blp.response(200, schemas.ChildOut)
@problems(blp, 404)
def get_child(child_id: UUID) -> dict[str, Any]:
    """A child and every episode (case) they have had; for anyone who may see one of those cases."""
    return children.get_child(core(), current_actor(), str(child_id))


@blp.route("/processes", methods=["GET"])
@blp.response(200, schemas.VersionOut(many=True))
@problems(blp, 403)
def list_processes() -> list[dict[str, Any]]:
    """Every published version of the pathway, newest first (reviewer, process owner, admin)."""
    return catalogue.list_versions(core(), current_actor())


@blp.route(f"/processes/<int(max={MAX_VERSION}):version>", methods=["GET"])
@blp.response(200, schemas.VersionDetailOut)
@problems(blp, 403, 404)
def get_process(version: int) -> dict[str, Any]:
    """One published version: its processes and their steps (reviewer, process owner, admin)."""
    return catalogue.get_version(core(), current_actor(), version)


@blp.route(f"/processes/<int(max={MAX_VERSION}):version>/diagrams/<string:name>", methods=["GET"])
@blp.response(200, content_type="application/xml", description="The BPMN 2.0 XML, exactly as published")
@problems(blp, 403, 404)
def get_diagram(version: int, name: str) -> Response:
    """A diagram of a published version as BPMN XML (reviewer, process owner, admin)."""
    xml = catalogue.get_diagram(core(), current_actor(), version, name)
    return Response(xml, mimetype="application/xml")
