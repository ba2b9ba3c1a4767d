"""Statutory due dates of the pathway's user tasks (working-together.md §3), read from a case's events.

The services call `due_for_step` when they create a task, and conformance calls it again over the
same events, so a task's due date and its conformance row always agree. Dates the practitioners
record (`received_on`, `held_on`, `starts_on`) anchor deadlines, never the moment someone clicked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from casepath.domain.calendar import WorkingDayCalendar, add_months, local_date
from casepath.domain.events import Event
from casepath.domain.protocol import LocalProtocol

ASSESSMENT_WD = 45
ICPC_WD = 15
CORE_GROUP_WD = 10
FIRST_REVIEW_MONTHS = 3
LATER_REVIEW_MONTHS = 6
APPROVAL_STEPS = ("approve_assessment", "approve_section47")


@dataclass(frozen=True)
class Deadline:
    """The rule that times a task, the last day (Europe/London) on which it is on time, and its trigger day."""

    rule: str
    due_on: date
    started_on: date | None = field(default=None, compare=False)  # shown on the case's clocks


# --- reading the event record -------------------------------------------------------------


def as_date(value: object) -> date | None:
    """A date from a recorded value: a date, an aware moment (its London date) or an ISO string."""
    if isinstance(value, str):
        return _parsed(value) if value else None
    if isinstance(value, datetime):
        return local_date(value)
    if isinstance(value, date):
        return value
    return None


@lru_cache(maxsize=65_536)  # a record holds the same few thousand dates over and over; reports read millions
def _parsed(value: str) -> date | None:
    try:
        return local_date(datetime.fromisoformat(value)) if len(value) > 10 else date.fromisoformat(value)
    except ValueError:
        return None


def form_of(event: Event) -> dict[str, Any]:
    """The submitted form of a `task_completed` event, or the data of a `case_event`."""
    data = event.data.get("data")
    return data if isinstance(data, dict) else {}


def completed_on(event: Event) -> date:
    """The local date an event happened: its recorded `completed_on`, else the London date of `at`."""
    return as_date(event.data.get("completed_on")) or local_date(event.at)


def recorded_on(event: Event, name: str) -> date:
    """A date the practitioner recorded in the form (e.g. `held_on`), else the completion date."""
    return as_date(form_of(event).get(name)) or completed_on(event)


def is_completion(event: Event, *steps: str) -> bool:
    """Whether the event completes one of these steps."""
    return event.name == "task_completed" and event.data.get("step") in steps


def is_case_event(event: Event, name: str) -> bool:
    """Whether the event is a `case_event` of this name (e.g. child_protection_concern)."""
    return event.name == "case_event" and event.data.get("name") == name


def is_approval(event: Event) -> bool:
    """An approved assessment or section 47 enquiry: the assessment's authorisation."""
    return is_completion(event, *APPROVAL_STEPS) and form_of(event).get("approved") is True


def chose(event: Event, step: str, field: str, value: str) -> bool:
    """Whether the event completes `step` with form field `field` set to `value`."""
    return is_completion(event, step) and form_of(event).get(field) == value


def last_index(events: Sequence[Event], test: Callable[[Event], bool]) -> int | None:
    """The position of the last event passing `test`, or None."""
    for index in range(len(events) - 1, -1, -1):
        if test(events[index]):
            return index
    return None


def received_on(events: Sequence[Event]) -> date | None:
    """The date the referral was received, as recorded when the case was opened."""
    for event in events:
        if event.name == "case_opened":
            data = event.data
            return as_date(data.get("received_on")) or as_date(data.get("received_at")) or local_date(event.at)
    return None


# --- anchors --------------------------------------------------------------------------------


def decision_to_assess_on(events: Sequence[Event]) -> date | None:
    """The date of the latest decision to assess under s17 (referral decision or a no-s47 discussion)."""
    for event in reversed(events):
        if chose(event, "referral_decision", "decision", "assessment"):
            return completed_on(event)
        if chose(event, "strategy_discussion", "decision", "no_s47"):
            return recorded_on(event, "held_on")
    return None


def strategy_decision_on(events: Sequence[Event]) -> date | None:
    """The date of the latest decision to hold a strategy discussion (WT2023 ch. 3: 'at any point')."""
    for event in reversed(events):
        if chose(event, "referral_decision", "decision", "strategy_discussion"):
            return completed_on(event)
        if is_completion(event, "approve_assessment") and form_of(event).get("outcome") == "strategy_discussion":
            return completed_on(event)
        if chose(event, "cin_review", "outcome", "strategy_discussion"):
            return recorded_on(event, "held_on")
        if is_case_event(event, "child_protection_concern"):
            return as_date(form_of(event).get("raised_on")) or local_date(event.at)
    return None


def _ends_s47_episode(event: Event) -> bool:
    if is_completion(event, "hold_icpc"):
        return True
    return is_completion(event, "approve_section47") and is_approval(event) and form_of(event).get("outcome") != "icpc"


def icpc_anchor_on(events: Sequence[Event], protocol: LocalProtocol) -> date | None:
    """The held_on of the strategy discussion that started the current s47 enquiry (or the last one)."""
    start = last_index(events, _ends_s47_episode)
    since = events[(start + 1 if start is not None else 0) :]
    first = next((i for i, e in enumerate(since) if chose(e, "strategy_discussion", "decision", "s47")), None)
    if first is None:
        return None
    anchor = since[first]
    if protocol.icpc_anchor == "last":
        # WT2023 ch. 3 (initial child protection conferences): 15 WD of the last strategy discussion.
        anchor = [e for e in since[first:] if is_completion(e, "strategy_discussion")][-1]
    return recorded_on(anchor, "held_on")


def assessment_anchor_on(events: Sequence[Event]) -> date | None:
    """Where the current assessment's 45-working-day clock starts.

    WT2023 ch. 3 (timeliness) counts from the referral. A later assessment in the same episode (one
    begun after an earlier assessment was authorised, e.g. s47 during a CIN plan) has no referral
    of its own, so its clock starts at the decision that began it.
    """
    approved = last_index(events, is_approval)
    if approved is None:
        return received_on(events)
    for event in events[approved + 1 :]:
        if chose(event, "strategy_discussion", "decision", "s47"):
            return recorded_on(event, "held_on")
        if chose(event, "referral_decision", "decision", "assessment") or chose(
            event, "strategy_discussion", "decision", "no_s47"
        ):
            return decision_to_assess_on([event])
    return received_on(events)


def planned_date_limit(events: Sequence[Event], calendar: WorkingDayCalendar) -> date:
    """The latest `planned_completion_on` allowed at allocation: 45 WD after the assessment's anchor."""
    anchor = assessment_anchor_on(events)
    if anchor is None:
        raise ValueError("the case has no referral: no assessment timescale can be set")
    return calendar.add_working_days(anchor, ASSESSMENT_WD)


def _current_allocation(events: Sequence[Event]) -> Event | None:
    approved = last_index(events, is_approval)
    for event in reversed(events[(approved + 1 if approved is not None else 0) :]):
        if is_completion(event, "allocate_lead_practitioner"):
            return event
    return None


def planned_completion_on(events: Sequence[Event]) -> date | None:
    """The planned completion date agreed at the allocation of the current assessment, if any."""
    allocation = _current_allocation(events)
    return as_date(form_of(allocation).get("planned_completion_on")) if allocation else None


def allocated_on(events: Sequence[Event]) -> date | None:
    """When the lead practitioner of the current assessment was allocated (the planned date's trigger)."""
    allocation = _current_allocation(events)
    return completed_on(allocation) if allocation else None


def _plan_icpc(events: Sequence[Event]) -> int | None:
    return last_index(events, lambda e: chose(e, "hold_icpc", "decision", "cp_plan"))


# --- one function per timed step --------------------------------------------------------------

DeadlineFn = Callable[[Sequence[Event], WorkingDayCalendar, LocalProtocol], Deadline | None]


def _after(rule: str, anchor: date | None, calendar: WorkingDayCalendar, days: int) -> Deadline | None:
    return Deadline(rule, calendar.add_working_days(anchor, days), anchor) if anchor else None


def _referral_decision(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    return _after("referral-decision-1wd", received_on(events), cal, 1)


def _allocation(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    return _after("lead-practitioner-allocation", decision_to_assess_on(events), cal, p.timescales.allocation_wd)


def _assessment(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    planned = planned_completion_on(events)
    if planned is not None:
        return Deadline("assessment-planned-date", planned, allocated_on(events))
    return _assessment_authorised(events, cal, p)


def _assessment_authorised(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    return _after("assessment-45wd", assessment_anchor_on(events), cal, ASSESSMENT_WD)


def _strategy_discussion(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    anchor = strategy_decision_on(events)
    return _after("strategy-discussion-multiagency", anchor, cal, p.timescales.strategy_discussion_wd)


def _section47(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    index = last_index(events, lambda e: chose(e, "strategy_discussion", "decision", "s47"))
    anchor = recorded_on(events[index], "held_on") if index is not None else None
    return _after("s47-social-worker", anchor, cal, p.timescales.s47_wd)


def _icpc(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    return _after("icpc-15wd", icpc_anchor_on(events, p), cal, ICPC_WD)


def _core_group(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    icpc = _plan_icpc(events)
    if icpc is None or any(is_completion(e, "core_group_meeting") for e in events[icpc:]):
        return None  # later core groups follow a local cadence, not the national 10 WD
    return _after("core-group-10wd", recorded_on(events[icpc], "held_on"), cal, CORE_GROUP_WD)


def _months(rule: str, anchor: date, months: int) -> Deadline:
    return Deadline(rule, add_months(anchor, months), anchor)


def _review_conference(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    icpc = _plan_icpc(events)
    if icpc is None:
        return None
    reviews = [e for e in events[icpc:] if is_completion(e, "review_conference")]
    if not reviews:
        return _months("rcpc-3m", recorded_on(events[icpc], "held_on"), FIRST_REVIEW_MONTHS)
    return _months("rcpc-6m", recorded_on(reviews[-1], "held_on"), LATER_REVIEW_MONTHS)


def _cin_review(events: Sequence[Event], cal: WorkingDayCalendar, p: LocalProtocol) -> Deadline | None:
    """From the latest of the last review and the latest approved plan: a review's date, or the plan's start.
    The search stops at the newest of them, so a long case with hundreds of reviews costs no more per step;
    a review held without an approved plan still sets the next one's date (a missing clock escalates nothing)."""
    for event in reversed(events):
        if event.name != "task_completed":
            continue
        step = event.data.get("step")
        if step == "cin_review":
            return _months("cin-review-cadence", recorded_on(event, "held_on"), p.timescales.cin_review_months)
        if step == "approve_cin_plan" and form_of(event).get("approved") is True:
            return _months("cin-review-cadence", recorded_on(event, "starts_on"), p.timescales.cin_review_months)
    return None


STEP_DEADLINES: dict[str, DeadlineFn] = {
    "referral_decision": _referral_decision,
    "allocate_lead_practitioner": _allocation,
    "child_and_family_assessment": _assessment,
    "approve_assessment": _assessment_authorised,
    "approve_section47": _assessment_authorised,
    "strategy_discussion": _strategy_discussion,
    "section47_enquiry": _section47,
    "schedule_icpc": _icpc,
    "hold_icpc": _icpc,
    "core_group_meeting": _core_group,
    "review_conference": _review_conference,
    "cin_review": _cin_review,
}


def due_for_step(
    step: str, events: Sequence[Event], calendar: WorkingDayCalendar, protocol: LocalProtocol
) -> Deadline | None:
    """The statutory deadline of a `step` task being created now, given the case's events so far.

    `events` already holds the completion that creates the task. None for steps no rule times,
    and for a timed step whose anchor is missing from the record (nothing to count from).
    """
    compute = STEP_DEADLINES.get(step)
    return compute(events, calendar, protocol) if compute else None
