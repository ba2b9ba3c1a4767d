"""Rules that time one task: each is a line of `TIMED_STEPS` plus optional checks on its completion.

A new timed rule is a `due_for_step` entry in `casepath.domain.deadlines` and a `TimedStep` here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from casepath.conformance.history import (
    CaseRecord,
    TaskRun,
    delay_reason,
    event_on,
    has_role,
    held_on,
    is_registered,
    task_runs,
)
from casepath.conformance.results import Occurrence
from casepath.domain.deadlines import Deadline, completed_on, form_of
from casepath.domain.events import Event

REQUIRED_AGENCIES = ("la_social_care", "police", "health")

# A check looks at the completion and returns (how it was done in breach, the reason recorded), or None.
Finding = tuple[str, str | None]
Check = Callable[[Event], Finding | None]


@dataclass(frozen=True)
class TimedStep:
    """A rule timed by the tasks of one step: who did it, when, and what else it must satisfy."""

    rules: tuple[str, ...]
    step: str
    subject: str
    verb: str
    done_step: str | None = None
    when_held: bool = False  # the obligation is a meeting: its recorded held_on is when it was done
    checks: tuple[Check, ...] = ()


def _agreed(done: Event) -> Finding | None:
    if form_of(done).get("practitioner_agreed") is True:
        return None
    practitioner = form_of(done).get("lead_practitioner")
    return f"without a record that {practitioner} agreed to be the lead practitioner", None


def _eligible(done: Event) -> Finding | None:
    # Recorded by the services from the local protocol at the time of allocation (WT2023 ch. 3).
    if done.data.get("eligible") is not False:
        return None
    why = done.data.get("eligibility_reason") or "not eligible under the local protocol"
    return f"{form_of(done).get('lead_practitioner')} was {why}", None


def _by_supervisor(done: Event) -> Finding | None:
    if has_role(done, "practice_supervisor") is False:
        return f"{done.actor} is not a practice supervisor", None
    return None


def _agencies(done: Event) -> Finding | None:
    participants = form_of(done).get("participants") or []
    present = {p.get("agency") for p in participants if isinstance(p, dict)}
    missing = [agency.replace("_", " ") for agency in REQUIRED_AGENCIES if agency not in present]
    if not missing:
        return None
    exception = str(form_of(done).get("exception_reason") or "").strip() or None
    recorded = "under a recorded exception" if exception else "with no exception recorded"
    return f"held without {' or '.join(missing)} {recorded}", exception


def _led_by_social_worker(done: Event) -> Finding | None:
    if is_registered(done) is False:
        return f"{done.actor}, who led it, is not a registered social worker", None
    return None


def _by_front_door_or_supervisor(done: Event) -> Finding | None:
    if has_role(done, "front_door", "practice_supervisor") is False:
        return f"{done.actor} is neither at the front door nor a practice supervisor", None
    return None


TIMED_STEPS: tuple[TimedStep, ...] = (
    TimedStep(
        ("referral-decision-1wd",),
        "referral_decision",
        "The decision on the referral",
        "made",
        checks=(_by_front_door_or_supervisor,),
    ),
    TimedStep(
        ("lead-practitioner-allocation",),
        "allocate_lead_practitioner",
        "The allocation of a lead practitioner",
        "made",
        checks=(_agreed, _eligible, _by_supervisor),
    ),
    TimedStep(
        ("strategy-discussion-multiagency",),
        "strategy_discussion",
        "The strategy discussion",
        "held",
        when_held=True,
        checks=(_agencies, _led_by_social_worker),
    ),
    TimedStep(
        ("icpc-15wd",),
        "schedule_icpc",
        "The initial child protection conference",
        "held",
        done_step="hold_icpc",
        when_held=True,
    ),
    TimedStep(("core-group-10wd",), "core_group_meeting", "The first core group meeting", "held", when_held=True),
    TimedStep(("rcpc-3m", "rcpc-6m"), "review_conference", "The review conference", "held", when_held=True),
    TimedStep(("cin-review-cadence",), "cin_review", "The child in need plan review", "held", when_held=True),
)


def timed_occurrences(record: CaseRecord, spec: TimedStep) -> list[Occurrence]:
    """One occurrence per task of the step that a rule of `spec` timed."""
    found = []
    for run in task_runs(record, spec.step, spec.done_step):
        deadline = record.due(spec.step, run.index)
        if deadline is not None and deadline.rule in spec.rules:
            found.append(_occurrence(record, spec, run, deadline))
    return found


def _holder(record: CaseRecord, run: TaskRun) -> str | None:
    task_id, holder = run.created.data.get("task_id"), run.created.data.get("assignee")
    for position in record.index.among(tasks=(task_id,), after=run.index):
        event = record.events[position]
        if event.name in ("task_claimed", "task_assigned", "task_unclaimed"):
            holder = None if event.name == "task_unclaimed" else event.data.get("assignee")
    return str(holder) if holder else None


def _occurrence(record: CaseRecord, spec: TimedStep, run: TaskRun, deadline: Deadline) -> Occurrence:
    done, lapse = run.done, run.lapse
    done_on = lapsed_on = actor = note = None
    breaches: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    if done is not None:
        findings = [f for f in (check(done) for check in spec.checks) if f is not None]
        breaches = tuple(f[0] for f in findings)
        reasons = tuple(r for r in [*(f[1] for f in findings), delay_reason(done)] if r)
        done_on, actor = held_on(done) if spec.when_held else completed_on(done), done.actor
    elif lapse is not None:
        why = "the case was closed" if lapse.name == "case_closed" else lapse.data.get("reason")
        lapsed_on, note = event_on(lapse), str(why) if why else None
    elif actor := _holder(record, run):  # an open step: name who has it, so a reviewer knows whom to ask
        note = f"{actor} has the task"
    return Occurrence(
        rule=deadline.rule,
        subject=spec.subject,
        verb=spec.verb,
        due_on=deadline.due_on,
        started_on=deadline.started_on,
        done_on=done_on,
        actor=actor,
        breaches=breaches,
        reasons=reasons,
        lapsed_on=lapsed_on,
        note=note,
    )
