"""The case page (people, clocks, timeline, diagram) and a practice supervisor's team page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import flash, jsonify, request

from casepath.domain.errors import CasepathError
from casepath.services import cases, pages
from web.blueprint import STATUS, actor, blp, check_csrf, core, go, page, signed_in

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
    return page("case.html", case=found, **escalations(found))


def escalations(found: dict[str, Any]) -> dict[str, bool]:
    """Which escalation forms the case page offers (the service checks again): pathway.md."""
    me, is_open = actor(), found["status"] == "open"
    holders = (found["lead_practitioner"], found["lead_social_worker"])
    concern = is_open and (me.has("front_door", "practice_supervisor") or me.username in holders)
    return {"may_concern": concern, "may_proceed": is_open and me.has("practice_supervisor")}


CASE_EVENTS = {
    "child_protection_concern": ("concern-reason", "Child protection concern raised: a strategy discussion is open."),
    "pre_proceedings": ("proceedings-reason", "Pre-proceedings started: the letter before proceedings is open."),
}


@blp.post("/cases/<case_id>/events")
@signed_in
def case_event(case_id: str) -> Any:
    """Raise a child protection concern (with a reason) or start pre-proceedings, from the case page."""
    check_csrf()
    name = request.form.get("name", "")
    field, done = CASE_EVENTS.get(name, ("concern-reason", ""))
    reason = request.form.get("reason", "").strip()
    form = {"name": name, "reason": reason}
    if name == "child_protection_concern" and not reason:
        return _case_with_error(
            case_id, form, field, "Enter why you think the child may be at risk of significant harm", 400
        )
    try:
        cases.raise_case_event(core(), actor(), case_id, name, {"reason": reason} if reason else {},
                               [request.form.get("etag", "*")])  # fmt: skip
    except CasepathError as err:
        if err.code == "not_found":
            raise
        return _case_with_error(
            case_id, form, field, err.detail, STATUS.get(err.code, 409 if err.code == "conflict" else 400)
        )
    flash(done)
    return go("web.case", case_id=case_id)


def _case_with_error(case_id: str, form: dict[str, str], field: str, message: str, status: int) -> Any:
    found = pages.case_page(core(), actor(), case_id)
    offered = escalations(found)
    shown = offered["may_concern" if field == "concern-reason" else "may_proceed"]
    item = {"text": message, "href": f"#{field}"} if shown else {"text": message}
    return page("case.html", status, case=found, event_form=form, event_error={"field": field, "text": message},
                error_items=[item], **offered)  # fmt: skip


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
