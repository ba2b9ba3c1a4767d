"""REST API v1, service-wide: conformance across the LA, process-mining exports, the workforce return.

Large answers stream: the XES and OCEL exports are written case by case as the database is read
(`stream_with_context`), so memory stays flat however many cases an LA has. Who is asking and the
query are checked before the first byte is sent, so every refusal is still a problem+json answer.
The conformance report is aggregated before it is sent (its tables are small); the web UI will run
the long ones in the background later.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, stream_with_context
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import core, current_actor
from api.openapi import problems
from casepath.conformance.aggregate import BASES, GROUP_BY, TABLES
from casepath.conformance.exports import LIFECYCLES
from casepath.services import reports

blp = Blueprint("v1_reports", __name__, url_prefix="/api/v1", description="Casepath REST API v1: reports and exports")
DATES = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31), error="Enter a date between 2000 and 2100.")


class PeriodQuery(Schema):
    start = fields.Date(data_key="from", load_default=None, validate=DATES, metadata={"description": "first day"})
    end = fields.Date(data_key="to", load_default=None, validate=DATES, metadata={"description": "last day"})

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError("`to` must be on or after `from`.", "to")


class ConformanceQuery(PeriodQuery):
    group_by = fields.String(load_default="team", validate=validate.OneOf(GROUP_BY))
    basis = fields.String(load_default="due", validate=validate.OneOf(BASES))


class ConformanceCsvQuery(ConformanceQuery):
    table = fields.String(required=True, validate=validate.OneOf(TABLES))


class ExportQuery(PeriodQuery):
    lifecycle = fields.String(load_default="complete", validate=validate.OneOf(LIFECYCLES))


class WorkforceQuery(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2010, max=2100))
    quarter = fields.Integer(required=True, validate=validate.Range(min=1, max=4))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


def _period(query: dict[str, Any]) -> tuple[date, date]:
    """The period asked for; by default the 12 months up to today."""
    end = query.get("end") or reports.today(core())
    return query.get("start") or end - timedelta(days=364), end


def _conformance(query: dict[str, Any]) -> dict[str, Any]:
    start, end = _period(query)
    return reports.service_conformance(
        core(), current_actor(), start, end, group_by=query["group_by"], basis=query["basis"]
    )


def _csv(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route("/conformance", methods=["GET"])
@blp.arguments(ConformanceQuery, location="query", error_status_code=400)
@blp.response(200)
@problems(blp, 403)
def conformance(query: dict[str, Any]) -> dict[str, Any]:
    """Conformance across the service (reviewer): per rule and team or lead-practitioner profession.

    A row counts in the period by its due date (`basis=due`), or when its case's referral was
    received in the period (`basis=referral`). Also: monthly trends, every breach with its reason,
    re-referrals within 12 months, and s47 escalations from s17 work held by non-social workers.
    """
    return _conformance(query)


@blp.route("/conformance.csv", methods=["GET"])
@blp.arguments(ConformanceCsvQuery, location="query", error_status_code=400)
@blp.response(200, content_type="text/csv")
@problems(blp, 403)
def conformance_csv(query: dict[str, Any]) -> Response:
    """One table of the conformance report as CSV: rules, breaches, trends, rereferrals or escalations."""
    start, end = _period(query)
    text = reports.conformance_csv(_conformance(query), query["table"])
    return _csv(text, f"conformance-{query['table']}-{start}-{end}.csv")


def _export(kind: str, query: dict[str, Any], mimetype: str) -> Response:
    start, end = _period(query)
    pieces = reports.event_log(core(), current_actor(), kind, start, end, lifecycle=query["lifecycle"])
    filename = f"casepath-{start}-{end}.{'xes' if kind == 'xes' else 'ocel.json'}"
    return Response(
        stream_with_context(pieces),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/exports/xes", methods=["GET"])
@blp.arguments(ExportQuery, location="query", error_status_code=400)
@blp.response(200, content_type="application/xml")
@problems(blp, 403)
def export_xes(query: dict[str, Any]) -> Response:
    """The event log of the cases referred in the period as XES (IEEE 1849), one trace per case (reviewer)."""
    return _export("xes", query, "application/xml")


@blp.route("/exports/ocel", methods=["GET"])
@blp.arguments(ExportQuery, location="query", error_status_code=400)
@blp.response(200, content_type="application/json")
@problems(blp, 403)
def export_ocel(query: dict[str, Any]) -> Response:
    """The object-centric event log (OCEL 2.0 JSON) of the cases referred in the period (reviewer)."""
    return _export("ocel", query, "application/json")


@blp.route("/returns/workforce", methods=["GET"])
@blp.arguments(WorkforceQuery, location="query", error_status_code=400)
@blp.response(200)
@problems(blp, 403)
def workforce(query: dict[str, Any]) -> Any:
    """The quarterly Families First workforce return (reviewer, admin), as JSON or CSV (`format=csv`).

    Quarters are of the collection year: year 2026 quarter 1 is April to June 2025.
    """
    result = reports.workforce_return(core(), current_actor(), query["year"], query["quarter"])
    if query["format"] == "csv":
        return _csv(reports.workforce_csv(result), f"workforce-{query['year']}-q{query['quarter']}.csv")
    return result
