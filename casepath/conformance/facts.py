"""What a service-wide report needs to know about one case, read once from its event record (pure).

Who held the case and which team it sat with change over its life; `CaseFacts` keeps both as
timelines so a rule's row is grouped by the team and lead practitioner *at that time*, not as the
case stands today. A lead practitioner's profession comes from the `actor_profile` recorded on their
own completions (the record of the moment), else from the staff directory the caller passes in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from casepath.conformance.history import held_on, profile
from casepath.domain.calendar import local_date
from casepath.domain.deadlines import as_date, chose, completed_on, form_of, is_case_event, is_completion, received_on
from casepath.domain.events import Event

SOCIAL_WORKER = "social_worker"
ALTERNATIVELY_QUALIFIED = "alternatively_qualified"
NO_LEAD = "no_lead_practitioner"
UNKNOWN = "unknown"
PROFESSION_GROUPS = (SOCIAL_WORKER, ALTERNATIVELY_QUALIFIED, NO_LEAD, UNKNOWN)


def profession_group(person: Mapping[str, Any] | None) -> str:
    """social_worker (profession or an in-date registration), alternatively_qualified, or unknown."""
    if not person:
        return UNKNOWN
    if person.get("profession") == SOCIAL_WORKER or person.get("registered") is True:
        return SOCIAL_WORKER
    return ALTERNATIVELY_QUALIFIED if person.get("profession") else UNKNOWN


@dataclass(frozen=True)
class Escalation:
    """A strategy discussion that started a s47 enquiry while s17 work was held by a lead practitioner."""

    on: date
    from_lead: str
    from_group: str
    to_lead: str | None
    concern_by: str | None  # who raised the child protection concern that led to it, if one was raised


@dataclass(frozen=True)
class CaseFacts:
    """One case as the service-wide reports see it."""

    case_id: str
    child_id: str
    referral_on: date
    closed_on: date | None
    teams: tuple[tuple[date, str], ...]  # the team the case sat with, from each date on
    leads: tuple[tuple[date, str | None], ...]  # the lead practitioner, from each date on
    profiles: Mapping[str, Mapping[str, Any]]  # what was recorded about each lead practitioner
    s17_from: date | None  # the first s17 work: a lead practitioner allocated, or a CIN plan started
    escalations: tuple[Escalation, ...] = ()
    fgdm_offered: tuple[date, ...] = ()  # letters before proceedings that offered FGDM
    fgdm_not_offered: tuple[date, ...] = ()  # letters that recorded a best-interests exception instead
    fgdm_held: tuple[date, ...] = ()
    fgdm_declined: tuple[date, ...] = ()

    def team_on(self, day: date) -> str:
        """The case's team as `day` began (the first team known, before anyone set one)."""
        return _at(self.teams, day) or (self.teams[0][1] if self.teams else UNKNOWN)

    def lead_on(self, day: date) -> str | None:
        """Who held the case as lead practitioner as `day` began."""
        lead: str | None = _at(self.leads, day)
        return lead

    def group_on(self, day: date) -> str:
        """The profession group of the lead practitioner on `day`."""
        lead = self.lead_on(day)
        return profession_group(self.profiles.get(lead)) if lead else NO_LEAD

    def lead_spells(self) -> list[tuple[str, date, date | None]]:
        """(lead practitioner, from, to) for each spell; `to` is the day the next one took over or the closure."""
        spells = []
        for n, (start, lead) in enumerate(self.leads):
            end = self.leads[n + 1][0] if n + 1 < len(self.leads) else self.closed_on
            if lead:
                spells.append((lead, start, end))
        return spells


def _at(timeline: Sequence[tuple[date, Any]], day: date) -> Any:
    # As the day began: a change made on `day` itself (an allocation on the day a referral
    # decision fell due) belongs to what comes after it.
    found = None
    for start, value in timeline:
        if start >= day:
            break
        found = value
    return found


def case_facts(
    case_id: str,
    child_id: str,
    events: Sequence[Event],
    *,
    cp_case_holder: str = "lead_social_worker",
    directory: Mapping[str, Mapping[str, Any]] | None = None,
    first_team: str | None = None,
) -> CaseFacts:
    """The facts of one case from its events in sequence order.

    `directory` gives staff profiles (profession, registered, employer) for lead practitioners who
    never completed a step on the case; `first_team` is the team that received the referral.
    """
    reader = _Reader(first_team)
    for event in events:
        reader.read(event, cp_case_holder)
    profiles = {lead: reader.seen.get(lead) or (directory or {}).get(lead) or {} for _, lead in reader.leads if lead}
    closed = next((e for e in reversed(events) if e.name == "case_closed"), None)
    referral_on = received_on(events) or (local_date(events[0].at) if events else date.min)
    return CaseFacts(
        case_id=case_id,
        child_id=child_id,
        referral_on=referral_on,
        closed_on=(as_date(closed.data.get("closed_on")) or local_date(closed.at)) if closed else None,
        teams=tuple(reader.teams),
        leads=tuple(reader.leads),
        profiles={lead: dict(p) for lead, p in profiles.items()},
        s17_from=reader.s17_from,
        escalations=tuple(
            Escalation(on, lead, profession_group(profiles.get(lead)), to, by)
            for on, lead, to, by in reader.escalations
        ),
        fgdm_offered=tuple(reader.fgdm["offered"]),
        fgdm_not_offered=tuple(reader.fgdm["not_offered"]),
        fgdm_held=tuple(reader.fgdm["held"]),
        fgdm_declined=tuple(reader.fgdm["declined"]),
    )


class _Reader:
    """Replays a case's events, keeping the timelines (mirrors `casepath.domain.people.after_step`)."""

    def __init__(self, first_team: str | None) -> None:
        self.teams: list[tuple[date, str]] = []
        self.leads: list[tuple[date, str | None]] = []
        self.seen: dict[str, dict[str, Any]] = {}
        self.s17_from: date | None = None
        self.s17_lead: str | None = None  # who holds s17 work (allocated), until a s47 enquiry starts
        self.supervised = False
        self.concern_by: str | None = None
        self.escalations: list[tuple[date, str, str | None, str | None]] = []
        self.fgdm: dict[str, list[date]] = {"offered": [], "not_offered": [], "held": [], "declined": []}
        self.first_team = first_team

    def read(self, event: Event, cp_case_holder: str) -> None:
        if event.name == "case_opened" and self.first_team:
            self.teams.append((_on(event), self.first_team))
        elif is_case_event(event, "child_protection_concern"):
            self.concern_by = event.actor
        elif event.name == "task_completed":
            self._completion(event, cp_case_holder)

    def _completion(self, event: Event, cp_case_holder: str) -> None:
        person, step, form, on = profile(event), str(event.data.get("step")), form_of(event), completed_on(event)
        if event.actor:
            self.seen[event.actor] = {**person, "username": event.actor}
        team = str(person.get("team") or "") or None
        if step == "referral_decision" and not self.teams and team:
            self.teams.append((on, team))
        elif step == "allocate_lead_practitioner":
            self._lead(on, str(form.get("lead_practitioner") or "") or None)
            self.s17_lead = self.leads[-1][1]
            self.s17_from = self.s17_from or on
            self.supervised = True
            if team:
                self.teams.append((on, team))
        elif step.startswith("approve_") and not self.supervised:
            self.supervised = True
            if team:
                self.teams.append((on, team))
        if step == "approve_cin_plan" and form.get("approved") is True:
            self.s17_from = self.s17_from or (as_date(form.get("starts_on")) or on)
        self._child_protection(event, form, cp_case_holder)
        self._fgdm(event, form, on)

    def _child_protection(self, event: Event, form: Mapping[str, Any], cp_case_holder: str) -> None:
        if chose(event, "strategy_discussion", "decision", "s47"):
            to = str(form.get("lead_social_worker") or "") or None
            held = held_on(event)
            if self.s17_lead:
                self.escalations.append((held, self.s17_lead, to, self.concern_by))
            self._lead(held, to)
            self.s17_lead, self.concern_by = None, None
        elif chose(event, "hold_icpc", "decision", "cp_plan") and cp_case_holder == "lead_social_worker":
            self._lead(held_on(event), str(form.get("lead_social_worker") or "") or None)

    def _fgdm(self, event: Event, form: Mapping[str, Any], on: date) -> None:
        if is_completion(event, "letter_before_proceedings"):
            sent = as_date(form.get("sent_on")) or on
            self.fgdm["offered" if form.get("fgdm_offered") is True else "not_offered"].append(sent)
        elif is_completion(event, "fgdm_meeting"):
            held = form.get("outcome") == "held"
            self.fgdm["held" if held else "declined"].append(held_on(event) if held else on)

    def _lead(self, on: date, lead: str | None) -> None:
        if lead and (not self.leads or self.leads[-1][1] != lead):
            self.leads.append((on, lead))


def _on(event: Event) -> date:
    return as_date(event.data.get("received_on")) or local_date(event.at)
