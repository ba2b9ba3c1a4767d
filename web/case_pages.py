"""The case page (people, clocks, timeline, diagram) and a practice supervisor's team page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import jsonify

from casepath.services import pages
from web.blueprint import actor, blp, core, page, signed_in

CLOCK_NAMES = {
    "referral-decision-1wd": "Referral decision within 1 working day",
    "lead-practitioner-allocation": "Lead practitioner allocated",
    "assessment-45wd": "Assessment within 45 working days",
    "assessment-planned-date": "Assessment by its planned date",
    "strategy-discussion-multiagency": "Strategy discussion",
    "s47-social-worker": "Section 47 enquiry",
    "icpc-15wd": "Initial child protection conference within 15 working days",
    "core-group-10wd": "First core group meeting within 10 working days",
    "rcpc-3m": "First review conference within 3 months",
    "rcpc-6m": "Review conference within 6 months",
    "cin-review-cadence": "Child in need plan review",
}


@blp.app_template_filter("long_date")
def long_date(value: str | None) -> str:
    """`2025-04-03` or an ISO time → `3 April 2025` (GOV.UK date style)."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        return value
    text = f"{parsed.day} {parsed:%B %Y}"
    return f"{text}, {parsed:%H:%M}" if isinstance(parsed, datetime) else text


@blp.app_template_filter("clock_name")
def clock_name(rule: str) -> str:
    return CLOCK_NAMES.get(rule, rule.replace("-", " ").capitalize())


@blp.get("/cases/<case_id>")
@signed_in
def case(case_id: str) -> Any:
    found = pages.case_page(core(), actor(), case_id)
    return page("case.html", case=found)


@blp.get("/cases/<case_id>/diagram")
@signed_in
def case_diagram(case_id: str) -> Any:
    """The current phase's BPMN XML and open steps, for the bpmn-js viewer on the case page."""
    return jsonify(pages.case_diagram(core(), actor(), case_id))


@blp.get("/team")
@signed_in
def team() -> Any:
    found = pages.team_overview(core(), actor())
    return page("team.html", found=found)
