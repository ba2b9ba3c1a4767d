"""CIN census episodes built from a case's event record.

One case is one CIN episode (the DfE's "CINdetails": one referral and everything done under it).
The builder replays the case's events in order and keeps the census view of the case: the
referral, its assessments, CIN plans, section 47 enquiries and child protection plans, and how the
episode closed. It knows nothing of the collection year; `period.CollectionPeriod` trims an
episode to the year being returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from casepath.domain.calendar import WorkingDayCalendar, local_date
from casepath.domain.events import Event

# Working Together 2023 ch. 3: the initial conference within 15 working days of the strategy
# discussion at which the section 47 enquiry was initiated.
ICPC_TARGET_WORKING_DAYS = 15
# RC8/RC9 mean "closed after assessment": DfE rule 8825Q queries them on an episode without an
# assessment, so a referral closed with no further action is returned as RC7.
NFA_REFERRAL_CLOSURE = "RC7"
CLOSURE_AFTER_ASSESSMENT = {"nfa": "RC8", "early_help": "RC9"}
NO_FURTHER_ACTION = frozenset({"nfa", "early_help"})


@dataclass(slots=True)
class Assessment:
    """A child and family assessment (s17, or the assessment of a section 47 enquiry)."""

    started_on: date
    authorised_on: date | None = None
    factors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CinPlan:
    """A child in need plan, from the approved start date until it ends."""

    starts_on: date
    ends_on: date | None = None


@dataclass(slots=True)
class Section47:
    """A section 47 enquiry and its initial child protection conference (ICPC)."""

    started_on: date
    icpc_target: date
    icpc_on: date | None = None
    icpc_not_required: bool = False
    concluded_on: date | None = None  # the approval that made a conference unnecessary


@dataclass(slots=True)
class CpPlan:
    """A child protection plan: starts at the ICPC, reviewed at conferences, ended at one."""

    starts_on: date
    initial_category: str
    latest_category: str
    ends_on: date | None = None
    review_dates: list[date] = field(default_factory=list)
    previous_plans: int = 0


@dataclass(slots=True)
class Episode:
    """One referral and everything done under it (the census CINdetails)."""

    case_id: str
    referral_on: date
    source: str | None
    primary_need: str | None = None
    referral_nfa: bool = False
    closed_on: date | None = None
    closure_reason: str | None = None
    initial_cpc_on: date | None = None  # an ICPC with no section 47 enquiry in the episode
    assessments: list[Assessment] = field(default_factory=list)
    cin_plans: list[CinPlan] = field(default_factory=list)
    section47s: list[Section47] = field(default_factory=list)
    cp_plans: list[CpPlan] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case's id and its events in sequence order."""

    case_id: str
    events: Sequence[Event]


def as_date(value: Any) -> date:
    """A date from an event field: an ISO date, or an ISO moment taken as its Europe/London date."""
    if isinstance(value, datetime):
        return local_date(value)
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    return local_date(datetime.fromisoformat(text))


def _referral_date(event: Event) -> date:
    data = event.data
    if data.get("received_on"):
        return as_date(data["received_on"])
    return as_date(data.get("received_at") or event.at)


class _EpisodeBuilder:
    """Replays one case's events into an Episode, remembering what is open."""

    def __init__(self, episode: Episode, calendar: WorkingDayCalendar) -> None:
        self.episode = episode
        self.calendar = calendar
        self.assessment: Assessment | None = None  # open: not yet authorised
        # The record holds an assessment's start only once its form is submitted; until then the
        # allocation (s17) or the strategy discussion (s47) stands in, and the form replaces it.
        self.provisional_start: str | None = None
        self.submitted_factors: list[str] = []
        self.section47: Section47 | None = None
        self.cin_plan: CinPlan | None = None
        self.cp_plan: CpPlan | None = None

    def apply(self, event: Event) -> None:
        if self.episode.closed_on is not None:
            return  # DfE rule 8565: nothing is returned after the episode closed
        if event.name == "case_closed":
            self.close(as_date(event.data["closed_on"]), str(event.data.get("reason") or ""))
        elif event.name == "task_completed":
            handler = _STEP_HANDLERS.get(str(event.data.get("step")))
            if handler is not None:
                handler(self, event.data.get("data") or {}, as_date(event.data["completed_on"]))

    def close(self, on: date, reason: str) -> None:
        self.episode.closed_on = on
        self.episode.closure_reason = reason or None
        self.end_cin_plan(on)
        if self.cp_plan is not None:
            self.cp_plan.ends_on = on
            self.cp_plan = None

    def end_cin_plan(self, on: date) -> None:
        if self.cin_plan is not None:
            self.cin_plan.ends_on = on
            self.cin_plan = None

    def open_assessment(self, started_on: date, provisional: str | None) -> None:
        self.assessment = Assessment(started_on)
        self.episode.assessments.append(self.assessment)
        self.provisional_start = provisional
        self.submitted_factors = []

    def submit_assessment(self, form: Mapping[str, Any], replaces: str, default_start: date) -> None:
        started_on = as_date(form["started_on"]) if form.get("started_on") else default_start
        if self.assessment is None:
            self.open_assessment(started_on, None)
        elif self.provisional_start == replaces:
            self.assessment.started_on = started_on
            self.provisional_start = None
        self.submitted_factors = [str(code) for code in form.get("factors") or []]

    def authorise_assessment(self, on: date) -> None:
        if self.assessment is not None:
            self.assessment.authorised_on = on
            self.assessment.factors = list(self.submitted_factors)
        self.assessment = None
        self.provisional_start = None


def _referral_decision(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    if form.get("primary_need"):
        b.episode.primary_need = str(form["primary_need"])
    if form.get("decision") in NO_FURTHER_ACTION:
        b.episode.referral_nfa = True
        b.close(on, NFA_REFERRAL_CLOSURE)


def _allocate_lead_practitioner(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    if b.assessment is None:
        b.open_assessment(on, "allocation")


def _child_and_family_assessment(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    b.submit_assessment(form, "allocation", on)


def _approve_assessment(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    if not form.get("approved"):
        return
    b.authorise_assessment(on)
    outcome = str(form.get("outcome"))
    if outcome in CLOSURE_AFTER_ASSESSMENT:
        b.close(on, CLOSURE_AFTER_ASSESSMENT[outcome])


def _strategy_discussion(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    if form.get("decision") != "s47" or b.section47 is not None:
        return  # a further strategy discussion within an open enquiry does not start another
    held_on = as_date(form.get("held_on") or on)
    target = b.calendar.add_working_days(held_on, ICPC_TARGET_WORKING_DAYS)
    b.section47 = Section47(held_on, target)
    b.episode.section47s.append(b.section47)
    if b.assessment is None:
        b.open_assessment(held_on, "strategy_discussion")
    else:
        b.provisional_start = None  # the enquiry continues the open s17 assessment, from its start


def _section47_enquiry(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    default_start = b.section47.started_on if b.section47 is not None else on
    b.submit_assessment(form, "strategy_discussion", default_start)


def _approve_section47(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    if not form.get("approved"):
        return
    b.authorise_assessment(on)
    if form.get("outcome") != "icpc" and b.section47 is not None:
        b.section47.icpc_not_required = True
        b.section47.concluded_on = on
        b.section47 = None


def _hold_icpc(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    held_on = as_date(form.get("held_on") or on)
    if b.section47 is not None:
        b.section47.icpc_on = held_on
        b.section47 = None
    elif b.episode.initial_cpc_on is None:
        b.episode.initial_cpc_on = held_on
    if form.get("decision") == "cp_plan" and b.cp_plan is None:
        # DfE rules 4001/4017: no CIN plan runs alongside a CP plan; it ends as the CP plan starts.
        b.end_cin_plan(held_on)
        category = str(form.get("category_of_abuse") or "")
        b.cp_plan = CpPlan(held_on, category, category)
        b.episode.cp_plans.append(b.cp_plan)


def _review_conference(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    plan = b.cp_plan
    if plan is None:
        return
    held_on = as_date(form.get("held_on") or on)
    plan.review_dates.append(held_on)
    if form.get("latest_category_of_abuse"):
        plan.latest_category = str(form["latest_category_of_abuse"])
    if form.get("decision") == "end_plan":
        plan.ends_on = held_on
        b.cp_plan = None


def _approve_cin_plan(b: _EpisodeBuilder, form: Mapping[str, Any], on: date) -> None:
    if not form.get("approved") or b.cin_plan is not None:
        return  # a plan re-approved while one runs continues that plan (DfE rule 4014: no overlaps)
    b.cin_plan = CinPlan(as_date(form.get("starts_on") or on))
    b.episode.cin_plans.append(b.cin_plan)


_STEP_HANDLERS: dict[str, Callable[[_EpisodeBuilder, Mapping[str, Any], date], None]] = {
    "referral_decision": _referral_decision,
    "allocate_lead_practitioner": _allocate_lead_practitioner,
    "child_and_family_assessment": _child_and_family_assessment,
    "approve_assessment": _approve_assessment,
    "strategy_discussion": _strategy_discussion,
    "section47_enquiry": _section47_enquiry,
    "approve_section47": _approve_section47,
    "hold_icpc": _hold_icpc,
    "review_conference": _review_conference,
    "approve_cin_plan": _approve_cin_plan,
}


def build_episode(
    case_id: str, events: Iterable[Event], *, calendar: WorkingDayCalendar | None = None
) -> Episode | None:
    """The census episode of one case from its events in sequence order (None before a referral).

    `calendar` is the LA's working-day calendar, used for the ICPC target date.
    """
    builder: _EpisodeBuilder | None = None
    for event in events:
        if builder is None:
            if event.name == "case_opened":
                source = event.data.get("source")
                episode = Episode(case_id, _referral_date(event), str(source) if source else None)
                builder = _EpisodeBuilder(episode, calendar or WorkingDayCalendar())
            continue
        builder.apply(event)
    return builder.episode if builder is not None else None


def build_child_episodes(cases: Iterable[CaseRecord], *, calendar: WorkingDayCalendar | None = None) -> list[Episode]:
    """All of a child's episodes in referral order, each CP plan counting the child's earlier plans."""
    calendar = calendar or WorkingDayCalendar()
    episodes = [e for case in cases if (e := build_episode(case.case_id, case.events, calendar=calendar))]
    episodes.sort(key=lambda episode: (episode.referral_on, episode.case_id))
    starts = sorted(plan.starts_on for episode in episodes for plan in episode.cp_plans)
    for episode in episodes:
        for plan in episode.cp_plans:
            plan.previous_plans = sum(1 for start in starts if start < plan.starts_on)
    return episodes
