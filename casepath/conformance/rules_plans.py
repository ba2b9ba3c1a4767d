"""Rules about conferences, plans, proceedings and closure: checked at the event, not against a clock."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from casepath.conformance.history import (
    CaseRecord,
    CpPlan,
    cp_plans,
    event_on,
    has_role,
    held_on,
)
from casepath.conformance.results import Occurrence, day
from casepath.domain.deadlines import (
    as_date,
    completed_on,
    form_of,
    is_case_event,
    is_completion,
)
from casepath.domain.events import Event

CLOSURE_REASON = re.compile(r"RC[1-9]")
# The steps whose completion closes a case (pathway.md); anything else closing it is recorded as its actor.
CLOSING_STEPS = ("close_case", "approve_assessment", "approve_section47", "referral_decision")


def _involved(events: Sequence[Event]) -> dict[str, str]:
    """Who holds or supervises the case, from the record (a fallback when independence was not recorded)."""
    involved: dict[str, str] = {}
    for event in events:
        if is_completion(event, "allocate_lead_practitioner"):
            involved.setdefault(str(event.actor), "the allocating practice supervisor")
            involved[str(form_of(event).get("lead_practitioner"))] = "the lead practitioner"
        elif is_completion(event, "strategy_discussion", "hold_icpc") and form_of(event).get("lead_social_worker"):
            involved[str(form_of(event)["lead_social_worker"])] = "the lead social worker"
    return involved


def _conflicts(record: CaseRecord, index: int) -> list[str]:
    conference = record.events[index]
    recorded = conference.data.get("chair_independent", form_of(conference).get("chair_independent"))
    listed = conference.data.get("chair_conflicts", form_of(conference).get("chair_conflicts")) or []
    if recorded is False:
        return [str(c) for c in listed] or ["recorded as not independent of the case"]
    if recorded is True:
        return []
    role = _involved(record.events[:index]).get(str(conference.actor))
    return [f"{role} on this case"] if role else []


def chair_independent(record: CaseRecord) -> list[Occurrence]:
    """chair-independent: every ICPC and review conference chaired by someone independent of the case."""
    found = []
    for index in record.index.among(completed=("hold_icpc", "review_conference")):
        event = record.events[index]
        kind = "initial" if event.data.get("step") == "hold_icpc" else "review"
        chair = event.actor
        breaches = [f"but {chair} is {c}" for c in _conflicts(record, index)]
        note = None
        if has_role(event, "lcpp"):
            # working-together.md §4: LCPP chairs are a local choice, and every one is shown.
            allowed = record.protocol.lcpp_may_chair
            (breaches if not allowed else []).append(f"but {chair} is a lead child protection practitioner")
            note = (
                f"{chair} is a lead child protection practitioner, which the local protocol allows" if allowed else None
            )
        found.append(
            Occurrence(
                "chair-independent",
                f"The {kind} child protection conference",
                done_on=held_on(event),
                actor=chair,
                breaches=tuple(breaches),
                verb="chaired",
                note=note,
            )
        )
    return found


def cp_plan_starts_at_icpc(record: CaseRecord) -> list[Occurrence]:
    """cp-plan-starts-at-icpc: each CP plan starts at its ICPC, alone, with no CIN plan alongside."""
    plans = cp_plans(record)
    found = []
    for n, plan in enumerate(plans):
        icpc_on = held_on(plan.icpc)
        breaches = []
        starts = as_date(form_of(plan.icpc).get("plan_starts_on"))
        if starts is not None and starts != icpc_on:
            breaches.append(f"but the plan was recorded as starting on {day(starts)}")
        if n and plans[n - 1].ended_by is plan.icpc:
            breaches.append(f"while the plan that started on {day(held_on(plans[n - 1].icpc))} was still open")
        breaches.extend(_cin_plans_alongside(record.events, plan))
        found.append(
            Occurrence(
                "cp-plan-starts-at-icpc",
                "The child protection plan",
                due_on=icpc_on,
                done_on=icpc_on,
                actor=plan.icpc.actor,
                breaches=tuple(breaches),
                verb="started",
            )
        )
    return found


def _cin_plans_alongside(events: Sequence[Event], plan: CpPlan) -> list[str]:
    end = events.index(plan.ended_by) if plan.ended_by is not None else len(events)
    return [
        f"but a child in need plan was approved by {e.actor} on {day(completed_on(e))} while it was open"
        for e in events[plan.index + 1 : end]
        if is_completion(e, "approve_cin_plan") and form_of(e).get("approved") is True
    ]


def cp_plan_ends_at_review(record: CaseRecord) -> list[Occurrence]:
    """cp-plan-ends-at-review: each CP plan that ended was ended by a review conference."""
    found = []
    for plan in cp_plans(record):
        subject = f"The child protection plan that started on {day(held_on(plan.icpc))}"
        occ = Occurrence("cp-plan-ends-at-review", subject, verb="ended")
        end = plan.ended_by
        if end is None:
            found.append(replace(occ, note="it is still open"))
        elif is_completion(end, "review_conference"):
            found.append(replace(occ, done_on=held_on(end), actor=end.actor, note="at a review conference"))
        else:
            how = "by the case being closed" if end.name == "case_closed" else "by a new initial conference"
            found.append(
                replace(occ, done_on=event_on(end), actor=end.actor, breaches=(f"{how}, not at a review conference",))
            )
    return found


def fgdm_before_proceedings(record: CaseRecord) -> list[Occurrence]:
    """fgdm-before-proceedings: FGDM offered before proceedings and held or declined before the application."""
    events = record.events
    starts = [i for i in record.index.named.get("case_event", []) if is_case_event(events[i], "pre_proceedings")]
    return [
        _fgdm(events[start : (starts[n + 1] if n + 1 < len(starts) else len(events))]) for n, start in enumerate(starts)
    ]


def _first(window: Sequence[Event], step: str) -> Event | None:
    return next((e for e in window if is_completion(e, step)), None)


def _fgdm(window: Sequence[Event]) -> Occurrence:
    letter, meeting = _first(window, "letter_before_proceedings"), _first(window, "fgdm_meeting")
    application = _first(window, "care_application")
    occ = Occurrence("fgdm-before-proceedings", "Family group decision-making", verb="offered and held or declined")
    issued = as_date(form_of(application).get("issued_on")) or completed_on(application) if application else None
    if letter is not None and form_of(letter).get("fgdm_offered") is not True:
        return _not_offered(occ, letter)
    if meeting is not None:
        return _meeting(occ, meeting, issued)
    if issued is not None:
        return replace(occ, breaches=(f"before the care application was issued on {day(issued)}",))
    closure = next((e for e in window if e.name == "case_closed"), None)
    return replace(occ, lapsed_on=event_on(closure), note="the case was closed") if closure else occ


def _not_offered(occ: Occurrence, letter: Event) -> Occurrence:
    occ = replace(occ, done_on=recorded(letter, "sent_on"), actor=letter.actor)
    exception = str(form_of(letter).get("fgdm_exception_reason") or "").strip()
    if exception:
        # CA1989 s31ZA: the duty does not apply where FGDM is not in the child's best interests.
        note = "not offered: a best-interests exception was recorded"
        return replace(occ, reasons=(exception,), note=note, verb="settled")
    return replace(occ, breaches=("but the letter before proceedings did not offer it and recorded no exception",))


def _meeting(occ: Occurrence, meeting: Event, issued: date | None) -> Occurrence:
    held = form_of(meeting).get("outcome") == "held"
    met_on = held_on(meeting) if held else completed_on(meeting)
    late = (f"after the care application was issued on {day(issued)}",) if issued and issued < met_on else ()
    note = f"the family {'met' if held else 'declined'}"
    return replace(occ, done_on=met_on, actor=meeting.actor, breaches=late, note=note)


def recorded(event: Event, name: str) -> date:
    """A date recorded in the form, else the completion date."""
    return as_date(form_of(event).get(name)) or completed_on(event)


def closure_authorised(record: CaseRecord) -> list[Occurrence]:
    """closure-authorised: each closure authorised by a practice supervisor, with a reason and a sound date."""
    events = record.events
    return [_closure(events[:index], events[index]) for index in record.index.named.get("case_closed", [])]


def _closure(before: Sequence[Event], closed: Event) -> Occurrence:
    last = next((e for e in reversed(before) if e.name == "task_completed"), None)
    closing = last if last is not None and is_completion(last, *CLOSING_STEPS) else None
    closed_on = event_on(closed)
    actor = closing.actor if closing is not None else closed.actor
    occ = Occurrence("closure-authorised", "The closure of the case", done_on=closed_on, actor=actor, verb="recorded")
    if closing is not None and is_completion(closing, "referral_decision"):
        return replace(
            occ,
            done_on=None,
            applicable=False,
            note=f"the referral was closed at the front door on {day(closed_on)} by {actor}'s decision, "
            "which referral-decision-1wd covers",
        )
    breaches = []
    if not CLOSURE_REASON.fullmatch(str(closed.data.get("reason") or "")):
        breaches.append("without a closure reason RC1-RC9")
    if closing is not None and has_role(closing, "practice_supervisor") is False:
        breaches.append(f"but {actor} is not a practice supervisor")
    later = [e for e in before if e is not closing and e.name == "task_completed" and _activity_on(e) > closed_on]
    if later:
        latest = max(later, key=_activity_on)
        breaches.append(f"before the {latest.data.get('step')} of {day(_activity_on(latest))}")
    return replace(occ, breaches=tuple(breaches), note=f"reason {closed.data.get('reason')}" if not breaches else None)


def _activity_on(event: Event) -> date:
    return max(completed_on(event), as_date(form_of(event).get("held_on")) or completed_on(event))
