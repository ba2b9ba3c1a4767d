"""Conformance of one case with Working Together (working-together.md §3), from its event record.

`EXTRACTORS` is the rule table: each entry names the rules it reads and a function from the case
record to occurrences. Timed rules come from `rules_timed.TIMED_STEPS`; the rest are functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial

from casepath.conformance.history import CaseRecord
from casepath.conformance.results import Occurrence, RuleResult, judge, not_applicable
from casepath.conformance.rules_assessment import (
    assessment_45wd,
    assessment_approval,
    assessment_planned_date,
    plan_approval,
    s47_social_worker,
)
from casepath.conformance.rules_plans import (
    chair_independent,
    closure_authorised,
    cp_plan_ends_at_review,
    cp_plan_starts_at_icpc,
    fgdm_before_proceedings,
)
from casepath.conformance.rules_timed import TIMED_STEPS, timed_occurrences
from casepath.domain.calendar import WorkingDayCalendar
from casepath.domain.events import Event
from casepath.domain.protocol import LocalProtocol
from casepath.domain.rules import RULE_IDS

Extractor = Callable[[CaseRecord], list[Occurrence]]

# The events the rules and the service-wide facts read: a report over a whole LA reads only these
# (phase_started, task_overdue and the like are a fifth of a record and change no row).
EVENTS_READ = ("case_opened", "case_event", "case_closed", "task_created", "task_claimed", "task_unclaimed",
               "task_assigned", "task_completed", "task_cancelled")  # fmt: skip

EXTRACTORS: tuple[Extractor, ...] = (
    *(partial(timed_occurrences, spec=spec) for spec in TIMED_STEPS),
    assessment_45wd,
    assessment_planned_date,
    assessment_approval,
    plan_approval,
    s47_social_worker,
    chair_independent,
    cp_plan_starts_at_icpc,
    cp_plan_ends_at_review,
    fgdm_before_proceedings,
    closure_authorised,
)

# Why a rule has no row on a case: said once per rule, in a reviewer's words.
NOT_APPLICABLE_WHY: dict[str, str] = {
    "referral-decision-1wd": "no referral decision task has been created on this case",
    "lead-practitioner-allocation": "no decision to assess under section 17 needed a lead practitioner allocated",
    "assessment-45wd": "no assessment was started on this case",
    "assessment-planned-date": "no planned completion date was agreed at allocation, so the 45-working-day "
    "maximum applies alone",
    "assessment-approval": "no assessment has been submitted for approval",
    "plan-approval": "no child in need plan has been drafted",
    "strategy-discussion-multiagency": "no strategy discussion was needed on this case",
    "s47-social-worker": "no section 47 enquiry was started",
    "icpc-15wd": "no initial child protection conference was needed",
    "chair-independent": "no child protection conference has been held",
    "cp-plan-starts-at-icpc": "no child protection plan was made",
    "core-group-10wd": "no child protection plan was made",
    "rcpc-3m": "no child protection plan was made",
    "rcpc-6m": "no review conference has continued a child protection plan",
    "cp-plan-ends-at-review": "no child protection plan was made",
    "cin-review-cadence": "no child in need plan has started",
    "fgdm-before-proceedings": "pre-proceedings were not started",
    "closure-authorised": "the case has not been closed",
}


class MemoCalendar(WorkingDayCalendar):
    """The same calendar, remembering its answers: a report over a whole LA asks the same few thousand
    questions (is this a working day, what is N working days after that) millions of times."""

    def __init__(self, base: WorkingDayCalendar) -> None:
        super().__init__(base.extra_holidays, base.convention)
        self._working: dict[date, bool] = {}
        self._added: dict[tuple[date, int], date] = {}

    def is_working_day(self, day: date) -> bool:
        found = self._working.get(day)
        if found is None:
            found = self._working[day] = super().is_working_day(day)
        return found

    def add_working_days(self, start: date, count: int) -> date:
        found = self._added.get((start, count))
        if found is None:
            found = self._added[(start, count)] = super().add_working_days(start, count)
        return found


def evaluate_case(
    events: Sequence[Event], calendar: WorkingDayCalendar, protocol: LocalProtocol, today: date
) -> list[RuleResult]:
    """Every rule of working-together.md §3 judged over a case's events as at `today` (a London date).

    Rules that recur give one row per occurrence (each assessment, each review); a rule that never
    applied gives one `not_applicable` row. Rows come in the order of the rule table.
    """
    record = CaseRecord(tuple(sorted(events, key=lambda e: e.seq)), calendar, protocol)
    found: dict[str, list[RuleResult]] = {rule: [] for rule in RULE_IDS}
    for extract in EXTRACTORS:
        for occurrence in extract(record):
            found[occurrence.rule].append(judge(occurrence, today))
    return [row for rule in RULE_IDS for row in (found[rule] or [not_applicable(rule, NOT_APPLICABLE_WHY[rule])])]
