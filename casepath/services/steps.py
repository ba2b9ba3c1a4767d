"""Rules a step's answers must meet beyond its form: who may be named, and what must come first."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from casepath.domain.deadlines import planned_date_limit
from casepath.domain.errors import FgdmRequired, InvalidForm, NotEligible, NotFound
from casepath.domain.people import (
    CHAIR_STEPS,
    chair_conflicts,
    check_chair_nominee,
    check_lead_practitioner,
    check_registered_social_worker,
)
from casepath.services.runtime import CaseRun
from casepath.services.staff import get_staff, person_of
from casepath.store import models


def _nominee(run: CaseRun, username: str, field: str) -> Any:
    try:
        row = get_staff(run.session, username, run.case.la_id)
    except NotFound:
        raise NotEligible(
            f"There is no member of staff called {username!r}.",
            errors={field: ["Enter the username of a member of staff"]},
        ) from None
    return person_of(row, run.today), row


def check_step(run: CaseRun, task: models.Task, data: dict[str, Any]) -> dict[str, Any]:
    """Check what the form cannot; return extra facts for the completion event."""
    step, extra = task.step, {}
    if step == "allocate_lead_practitioner":
        extra = _allocation(run, data)
    elif step == "strategy_discussion" and data.get("decision") == "s47":
        extra = _lead_social_worker(run, data, "the lead social worker for a s47 enquiry")
    elif step == "schedule_icpc":
        person, _ = _nominee(run, data["chair"], "chair")
        from casepath.services.tasks import case_facts  # noqa: PLC0415 - avoid an import cycle

        facts = case_facts(run)
        check_chair_nominee(person, facts.team, facts.chains, run.protocol, facts.workers)
        if date.fromisoformat(data["conference_date"]).weekday() >= 5:
            raise InvalidForm(
                "Conferences are not held at weekends.",
                errors={"conference_date": ["Conference date must be a working day"]},
            )
    elif step == "hold_icpc" and data.get("decision") == "cp_plan":
        extra = _lead_social_worker(run, data, "the lead social worker for a child protection plan")
    elif step == "care_application":
        _fgdm_duty(run)
    if step in CHAIR_STEPS:
        extra.update(chair_independent=True, chair_conflicts=[])
    return extra


def _allocation(run: CaseRun, data: dict[str, Any]) -> dict[str, Any]:
    person, row = _nominee(run, data["lead_practitioner"], "lead_practitioner")
    check_lead_practitioner(person, run.protocol)
    limit_day = planned_date_limit(run.events, run.calendar)
    planned = data.get("planned_completion_on")
    if planned and date.fromisoformat(planned) > limit_day:
        raise InvalidForm(
            f"The planned completion date must be on or before {limit_day:%d %B %Y}, "
            "45 working days after the referral.",
            errors={"planned_completion_on": [f"Planned date must be on or before {limit_day:%d/%m/%Y}"]},
        )
    if not planned:
        data["planned_completion_on"] = limit_day.isoformat()
    return _caseload(run, row, person.profession, "lead_practitioner")


def _lead_social_worker(run: CaseRun, data: dict[str, Any], what: str) -> dict[str, Any]:
    person, row = _nominee(run, data["lead_social_worker"], "lead_social_worker")
    try:
        check_registered_social_worker(person, what)
    except NotEligible as err:
        raise NotEligible(err.detail, errors={"lead_social_worker": [err.detail]}) from None
    return _caseload(run, row, person.profession, "lead_social_worker")


def held_cases(run: CaseRun, username: str) -> int:
    """Open cases (other than this one) that `username` holds as lead practitioner or lead social worker."""
    people = models.Case.people
    query = (
        select(func.count())
        .select_from(models.Case)
        .where(
            models.Case.la_id == run.case.la_id,
            models.Case.status == "open",
            models.Case.id != run.case.id,
            or_(
                people["lead_practitioner"].as_string() == username,
                people["lead_social_worker"].as_string() == username,
            ),
        )
    )
    return run.session.scalar(query) or 0


def _caseload(run: CaseRun, row: models.Staff, profession: str, field: str) -> dict[str, Any]:
    """The caseload limit (the person's own, else the protocol's for their profession): warned about in the
    completion event, or refused when the protocol enforces it."""
    limit = row.caseload_limit or run.protocol.caseload_limits.get(profession)
    if not limit:
        return {}
    held = held_cases(run, row.username)
    if held < limit:
        return {}
    if run.protocol.caseload_mode == "enforce":
        raise NotEligible(
            f"{row.username} already holds {held} cases, the limit for them under the local "
            "protocol. Choose someone else or agree a change with their manager.",
            errors={field: [f"{row.username} is at their caseload limit ({limit})"]},
        )
    return {
        "caseload_warning": f"{row.username} holds {held} cases; the protocol's limit is {limit}.",
        "caseload": {"username": row.username, "held": held, "limit": limit},
    }


def _fgdm_duty(run: CaseRun) -> None:
    for event in reversed(run.events):
        step, data = event.data.get("step"), event.data.get("data") or {}
        if event.name != "task_completed":
            continue
        if step == "fgdm_meeting" and data.get("outcome") in ("held", "declined"):
            return
        if (
            step == "letter_before_proceedings"
            and data.get("fgdm_offered") is False
            and data.get("fgdm_exception_reason")
        ):
            return
    raise FgdmRequired(
        "A family group decision-making meeting must be offered and held or declined (or a "
        "best-interests exception recorded) before applying to court."
    )


__all__ = ["chair_conflicts", "check_step"]
