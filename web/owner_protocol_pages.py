"""The local protocol editor: the version in force as a GOV.UK form, saved with a reason as a new version
(audited by casepath.services.protocols), the history of versions and the changes between two of them.

Process owners and administrators change it; reviewers read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import flash, request

from casepath.domain.errors import CasepathError, InvalidForm
from casepath.services import protocols
from casepath.services.staff import Actor
from web.blueprint import blp, check_csrf, core, go, page, signed_in
from web.owner_tools_pages import allowed, error_items, status_of

CHOICE_LABELS = {
    "warn": "Warn the supervisor when a practitioner is over the limit",
    "enforce": "Refuse to allocate over the limit",
    "trigger_day_zero": "The day of the trigger is day 0 (the count starts the next working day)",
    "trigger_day_one": "The day of the trigger counts as the first working day",
    "initiating": "after the first (initiating) strategy discussion",
    "last": "after the last strategy discussion",
    "lead_social_worker": "The lead child protection practitioner or lead social worker, co-working with the "
    "family help lead practitioner",
    "family_help_lead_practitioner": "The family help lead practitioner, while the lead child protection "
    "practitioner takes the statutory child protection decisions",
    "practitioner": "The lead practitioner",
    "practitioner_with_supervisor": "The lead practitioner with their practice supervisor",
}
SETTINGS = {
    "caseload_mode": "When a caseload limit is reached",
    "working_day_convention": "Counting working days",
    "icpc_anchor": "The initial child protection conference is due 15 working days",
    "cp_case_holder": "Who holds a child protection case",
    "assessment_timescale_set_by": "Who sets an assessment's timescale",
    "social_worker_for_every_assessment": "Must a registered social worker lead every assessment?",
    "lcpp_may_chair": "May a lead child protection practitioner chair conferences?",
}
TIMESCALES = {
    "allocation_wd": "Allocate a lead practitioner within (working days)",
    "strategy_discussion_wd": "Hold a strategy discussion within (working days)",
    "s47_wd": "Complete a section 47 enquiry within (working days)",
    "cin_review_months": "Review a child in need plan every (months)",
    "conference_report_wd": "Share the conference report before the conference (working days)",
    "reminder_wd": "Remind the holder of a timed step before it is due (working days)",
}
VIEWERS = protocols.READERS
EDITORS = protocols.PUBLISHERS


def _viewer() -> Actor:
    return allowed(VIEWERS, "Only a process owner, an administrator or a reviewer may open the local protocol.")


def _editor() -> Actor:
    return allowed(EDITORS, "Only a process owner or an administrator may change the local protocol.")


def _professions(protocol: Mapping[str, Any]) -> list[str]:
    return sorted(set(protocols.PROFESSIONS) | set(protocol["lead_practitioner_professions"]))


def _caseload_professions(protocol: Mapping[str, Any]) -> list[str]:
    others = (set(protocols.PROFESSIONS) | set(protocol["caseload_limits"])) - {"social_worker"}
    return ["social_worker", *sorted(others)]


def _values(protocol: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields, filled from a protocol (field name -> posted text)."""
    values: dict[str, Any] = {key: protocol[key] for key in protocols.CHOICES}
    for key in ("social_worker_for_every_assessment", "lcpp_may_chair"):
        values[key] = "true" if protocol[key] else "false"
    for name, competencies in protocol["lead_practitioner_professions"].items():
        values[f"lp-{name}"] = "yes"
        values[f"lp-{name}-competencies"] = ", ".join(competencies)
    for name, limit in protocol["caseload_limits"].items():
        values[f"caseload-{name}"] = str(limit)
    for name, value in protocol["timescales"].items():
        values[f"timescales-{name}"] = str(value)
    values["extra_holidays"] = "\n".join(protocol["extra_holidays"])
    return values


def _whole(text: str) -> int | str:
    return int(text) if text.isdigit() and len(text) < 6 else text


def _parse(form: Mapping[str, str], current: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The protocol the form describes, and the problems found reading it (dates, numbers)."""
    problems: dict[str, list[str]] = {}
    data: dict[str, Any] = {key: form.get(key, "") for key in protocols.CHOICES}
    for key in ("social_worker_for_every_assessment", "lcpp_may_chair"):
        data[key] = form.get(key) == "true"
    data["lead_practitioner_professions"] = {
        name: [c.strip() for c in form.get(f"lp-{name}-competencies", "").split(",") if c.strip()]
        for name in _professions(current)
        if form.get(f"lp-{name}") == "yes"
    }
    limits: dict[str, int] = {}
    for name in _caseload_professions(current):
        text = form.get(f"caseload-{name}", "").strip()
        if text and not (text.isdigit() and 0 < int(text) <= 500):
            problems[f"caseload_limits.{name}"] = ["Enter a whole number of cases from 1 to 500, or leave it blank"]
        elif text:
            limits[name] = int(text)
    data["caseload_limits"] = limits
    data["timescales"] = {name: _whole(form.get(f"timescales-{name}", "").strip()) for name in current["timescales"]}
    days = [line.strip() for line in form.get("extra_holidays", "").splitlines() if line.strip()]
    for day in days:
        try:
            date.fromisoformat(day)
        except ValueError:
            problems["extra_holidays"] = [f"‘{day[:20]}’ is not a date: write one date a line, like 2026-12-29"]
            break
    data["extra_holidays"] = days
    return data, problems


def _anchors(protocol: Mapping[str, Any]) -> dict[str, str]:
    found = {key: f"#{key}" for key in (*protocols.CHOICES, "social_worker_for_every_assessment", "lcpp_may_chair")}
    found |= {f"timescales.{n}": f"#timescales-{n}" for n in protocol["timescales"]}
    found |= {f"caseload_limits.{n}": f"#caseload-{n}" for n in _caseload_professions(protocol)}
    first = _professions(protocol)[0]
    found |= {"caseload_limits": "#caseload-social_worker", "lead_practitioner_professions": f"#lp-{first}"}
    return found | {"extra_holidays": "#extra_holidays", "reason": "#reason"}


def _page(me: Actor, values: Mapping[str, Any], items: list[dict[str, str]], status: int = 200) -> Any:
    current = protocols.current_protocol(core(), me)
    field_errors: dict[str, dict[str, str]] = {}
    for item in items:
        if item.get("href"):
            shown = field_errors.setdefault(item["href"][1:], {"text": ""})
            shown["text"] = f"{shown['text']} {item['text']}".strip()
    return page(
        "owner/protocol.html",
        status,
        current=current,
        values=values,
        error_items=items,
        field_errors=field_errors,
        may_edit=me.has(*EDITORS),
        professions=_professions(current["protocol"]),
        caseload_professions=_caseload_professions(current["protocol"]),
        choices=protocols.CHOICES,
        labels=CHOICE_LABELS,
        settings=SETTINGS,
        timescales=TIMESCALES,
        as_json=json.dumps(current["protocol"], indent=2),
        nav_active="editor",
    )


@blp.get("/owner/protocol")
@signed_in
def owner_protocol() -> Any:
    me = _viewer()
    return _page(me, _values(protocols.current_protocol(core(), me)["protocol"]), [])


@blp.post("/owner/protocol")
@signed_in
def owner_protocol_save() -> Any:
    """A new version of the protocol from the form, with the reason for the change."""
    check_csrf()
    me = _editor()
    current = protocols.current_protocol(core(), me)["protocol"]
    form = {k: str(v) for k, v in request.form.items()}
    data, problems = _parse(form, current)
    try:
        if problems:
            raise InvalidForm("The local protocol is not valid: correct the settings listed.", errors=problems)
        saved = protocols.publish_protocol(core(), me, data, form.get("reason", ""))
    except CasepathError as err:
        if err.code != "invalid_form":
            raise
        return _page(me, form, error_items(err, _anchors(current)), status_of(err))
    flash(f"Version {saved['version']} of the local protocol is in force from now.", "success")
    return go("web.owner_protocol_diff", to=saved["version"])


@blp.get("/owner/protocol/history")
@signed_in
def owner_protocol_history() -> Any:
    me = _viewer()
    return page("owner/protocol_history.html", rows=protocols.protocol_versions(core(), me), nav_active="editor")


def _version_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@blp.get("/owner/protocol/diff")
@signed_in
def owner_protocol_diff() -> Any:
    """The settings that changed between two versions (default: the newest and the one before it)."""
    me = _viewer()
    newest = protocols.current_protocol(core(), me)["version"]
    to = _version_arg("to") or newest
    before = _version_arg("from") or max(to - 1, 1)
    found = protocols.protocol_diff(core(), me, before, to)
    return page("owner/protocol_diff.html", diff=found, nav_active="editor")
