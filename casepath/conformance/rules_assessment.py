"""Rules over pieces of work a supervisor approves: assessments, s47 enquiries and child in need plans."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from casepath.conformance.history import (
    CaseRecord,
    Episode,
    delay_reason,
    episodes,
    event_on,
    has_role,
    is_registered,
)
from casepath.conformance.results import Occurrence, day
from casepath.domain.calendar import WorkingDayCalendar
from casepath.domain.deadlines import (
    ASSESSMENT_WD,
    as_date,
    assessment_anchor_on,
    chose,
    completed_on,
    form_of,
    is_approval,
    is_completion,
)
from casepath.domain.events import Event

ASSESSMENT_OPENERS = ("allocate_lead_practitioner", "child_and_family_assessment", "section47_enquiry")
ASSESSMENT_SUBMITS = ("child_and_family_assessment", "section47_enquiry")
ASSESSMENT_APPROVALS = ("approve_assessment", "approve_section47")


def assessments(record: CaseRecord) -> list[Episode]:
    """Every assessment of the case; a s47 enquiry continues an s17 assessment that is still open."""
    return episodes(record, ASSESSMENT_OPENERS, ASSESSMENT_SUBMITS, ASSESSMENT_APPROVALS)


def _undone(occ: Occurrence, work: Episode) -> Occurrence:
    if work.closure is None:
        return occ
    return replace(occ, lapsed_on=event_on(work.closure), note="the case was closed first")


def _due_45wd(record: CaseRecord, work: Episode, calendar: WorkingDayCalendar) -> tuple[date | None, date | None]:
    anchor = assessment_anchor_on(record.events[: work.start + 1])
    return anchor, calendar.add_working_days(anchor, ASSESSMENT_WD) if anchor else None


def assessment_45wd(record: CaseRecord) -> list[Occurrence]:
    """assessment-45wd: each assessment completed and authorised within 45 WD of its referral."""
    found = []
    for work in assessments(record):
        anchor, due = _due_45wd(record, work, record.calendar)
        by = f" by {work.author}" if work.author else ""
        subject = f"The assessment{by}" + (f" (clock started {day(anchor)})" if anchor else "")
        occ = Occurrence(
            "assessment-45wd",
            subject,
            due_on=due,
            actor=work.author,
            verb="completed and authorised",
            name_actor=False,
            started_on=anchor,
        )
        if work.approval is None:
            found.append(_undone(occ, work))
            continue
        reasons = tuple(dict.fromkeys(r for r in (delay_reason(work.approval), _submission_reason(work)) if r))
        note = f"authorised by {work.approval.actor}"
        found.append(replace(occ, done_on=completed_on(work.approval), reasons=reasons, note=note))
    return found


def _submission_reason(work: Episode) -> str | None:
    accepted = work.accepted
    return delay_reason(accepted) if accepted is not None else None


def assessment_planned_date(record: CaseRecord) -> list[Occurrence]:
    """assessment-planned-date: each assessment submitted by the date agreed at its allocation."""
    found = []
    for work in assessments(record):
        window = record.events[work.start : (work.end + 1) if work.end is not None else None]
        allocation = next((e for e in reversed(window) if is_completion(e, "allocate_lead_practitioner")), None)
        planned = as_date(form_of(allocation).get("planned_completion_on")) if allocation else None
        if planned is None:
            continue
        occ = Occurrence(
            "assessment-planned-date",
            "The assessment",
            due_on=planned,
            started_on=completed_on(allocation) if allocation else None,
            verb="submitted",
            note=f"planned date agreed by {allocation.actor if allocation else 'the supervisor'}",
        )
        accepted = work.accepted
        if accepted is None:
            found.append(_undone(replace(occ, actor=work.author), work))
            continue
        reason = delay_reason(accepted)
        found.append(
            replace(occ, done_on=completed_on(accepted), actor=accepted.actor, reasons=(reason,) if reason else ())
        )
    return found


def _approval_occurrence(rule: str, subject: str, work: Episode) -> Occurrence:
    occ = Occurrence(rule, subject, verb="approved", actor=work.approval.actor if work.approval else None)
    if work.approval is None:
        return _undone(replace(occ, note=f"submitted by {work.author}" if work.author else None), work)
    approval, breaches = work.approval, []
    if work.author and approval.actor == work.author:
        breaches.append(f"but {approval.actor} is also its author")
    if is_registered(approval) is False:
        breaches.append(f"but {approval.actor} is not a registered social worker")
    if has_role(approval, "practice_supervisor") is False:
        breaches.append(f"but {approval.actor} is not a practice supervisor")
    note = f"written by {work.author}" if work.author and not breaches else None
    return replace(occ, done_on=completed_on(approval), breaches=tuple(breaches), note=note)


def assessment_approval(record: CaseRecord) -> list[Occurrence]:
    """assessment-approval: each submitted assessment approved by a qualified supervisor, not its author."""
    return [
        _approval_occurrence("assessment-approval", "The assessment", work)
        for work in assessments(record)
        if work.submissions
    ]


def plan_approval(record: CaseRecord) -> list[Occurrence]:
    """plan-approval: each child in need plan approved by a qualified supervisor, not its author, before it starts."""
    found = []
    for work in episodes(record, ("draft_cin_plan",), ("draft_cin_plan",), ("approve_cin_plan",)):
        occ = _approval_occurrence("plan-approval", "The child in need plan", work)
        starts = as_date(form_of(work.approval).get("starts_on")) if work.approval else None
        if starts is not None and occ.done_on is not None and starts < occ.done_on:
            occ = replace(occ, breaches=(*occ.breaches, f"after the plan had started on {day(starts)}"))
        found.append(occ)
    return found


def s47_social_worker(record: CaseRecord) -> list[Occurrence]:
    """s47-social-worker: each s47 enquiry led by a registered social worker, within the local timescale."""
    events = record.events
    discussions = record.index.completed.get("strategy_discussion", [])
    starts = [i for i in discussions if chose(events[i], "strategy_discussion", "decision", "s47")]
    found = []
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(events)
        window = events[start + 1 : stop]
        deadline = record.due("section47_enquiry", start)
        occ = _s47_occurrence(window, deadline.due_on if deadline else None)
        found.append(replace(occ, started_on=deadline.started_on) if deadline else occ)
    return found


def _s47_occurrence(window: tuple[Event, ...], due: date | None) -> Occurrence:
    enquiries = [e for e in window if is_completion(e, "section47_enquiry")]
    occ = Occurrence("s47-social-worker", "The section 47 enquiry", due_on=due)
    breaches = tuple(
        f"{e.actor}, who carried it out, is not a registered social worker"
        for e in enquiries
        if is_registered(e) is False
    )
    rejected = [e for e in window if is_completion(e, "approve_section47") and not is_approval(e)]
    accepted = enquiries[-1] if enquiries and not any(r.seq > enquiries[-1].seq for r in rejected) else None
    if accepted is None:
        closure = next((e for e in window if e.name == "case_closed"), None)
        lapsed = event_on(closure) if closure else None
        return replace(occ, breaches=breaches, lapsed_on=lapsed, note="the case was closed" if closure else None)
    reason = delay_reason(accepted)
    return replace(
        occ,
        done_on=completed_on(accepted),
        actor=accepted.actor,
        breaches=breaches,
        reasons=(reason,) if reason else (),
    )
