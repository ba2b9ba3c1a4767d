"""Service-wide conformance over a period (working-together.md §5), pure over (case facts, rule rows).

Which rows count in the period (`basis`):

- ``due`` (the default): a row counts when its *date* falls in the period. A row's date is its due
  date; a rule with no clock (chair-independent, closure-authorised...) uses the date it was done;
  a row with neither (not applicable, never done) uses the date the referral was received.
- ``referral``: every row of every case whose referral was received in the period.

Rates: ``on_time_rate`` = met / (met + breached + overdue), the share of obligations that fell due
and were done properly; pending and not-applicable rows are left out. Rows are grouped by the
case's team, or by the profession group of its lead practitioner, as they stood when the step was
done (or, if it was not done, on the day it fell due): the team and practitioner accountable for it.
Re-referrals: a referral in the period for a child whose previous case closed no more than 12
months (calendar months) before it. Escalations: s47 enquiries started by a strategy discussion in
the period while s17 work was held by a lead practitioner who is not a social worker.

`ConformanceReport` accumulates case by case so a large LA can be streamed through it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from casepath.conformance.facts import ALTERNATIVELY_QUALIFIED, SOCIAL_WORKER, CaseFacts
from casepath.conformance.results import BREACHED, MET, NOT_APPLICABLE, OVERDUE, STATUSES, RuleResult
from casepath.domain.calendar import add_months
from casepath.domain.rules import RULE_IDS, RULES_BY_ID

GROUP_BY = ("team", "profession")
BASES = ("due", "referral")
ALL = "all"
TABLES = ("rules", "breaches", "trends", "rereferrals", "escalations")
REREFERRAL_MONTHS = 12
_MONTHS: dict[date, str] = {}  # "YYYY-MM" of a day: formatting dates is the costliest part of counting a row


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included (Europe/London dates)."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def row_date(row: RuleResult, facts: CaseFacts) -> date:
    """The date a row is counted on: due date, else when it was done, else the referral date."""
    return row.due_on or row.met_on or facts.referral_on


def on_time_rate(counts: Counter[str]) -> float | None:
    """met / (met + breached + overdue), rounded to 4 places; None when nothing fell due."""
    settled = counts[MET] + counts[BREACHED] + counts[OVERDUE]
    return round(counts[MET] / settled, 4) if settled else None


class ConformanceReport:
    """Accumulates cases into the tables of the service conformance report."""

    def __init__(self, period: Period, group_by: str = "team", basis: str = "due") -> None:
        if group_by not in GROUP_BY or basis not in BASES:
            raise ValueError(f"group_by must be one of {GROUP_BY} and basis one of {BASES}")
        self.period, self.group_by, self.basis = period, group_by, basis
        self.counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.months: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.breaches: list[dict[str, Any]] = []
        self.referrals: dict[str, list[tuple[date, date | None, str]]] = defaultdict(list)
        self.escalations: list[dict[str, Any]] = []
        self.escalation_counts: Counter[str] = Counter()
        self.cases = 0

    def add(self, facts: CaseFacts, rows: Sequence[RuleResult]) -> None:
        """Count one case: its rule rows, its referral (for re-referrals) and its escalations."""
        self.referrals[facts.child_id].append((facts.referral_on, facts.closed_on, facts.case_id))
        in_period = False
        period, counts = self.period, self.counts
        by_referral, by_team = self.basis == "referral", self.group_by == "team"
        for row in rows:
            day = row.due_on or row.met_on or facts.referral_on  # row_date, inlined: this loop runs millions of times
            if (facts.referral_on if by_referral else day) not in period:
                continue
            in_period = True
            when = row.met_on or day  # who held the case when it was done, or when it fell due undone
            group = facts.team_on(when) if by_team else facts.group_on(when)
            counts[(row.rule, ALL)][row.status] += 1
            counts[(row.rule, group)][row.status] += 1
            month = _MONTHS.get(day) or _MONTHS.setdefault(day, f"{day:%Y-%m}")
            self.months[(month, row.rule)][row.status] += 1
            if row.status == BREACHED:
                self.breaches.append(_breach(row, facts, day, group))
        self.cases += in_period
        self._escalations(facts)

    def _escalations(self, facts: CaseFacts) -> None:
        for escalation in facts.escalations:
            if escalation.on not in self.period:
                continue
            self.escalation_counts[escalation.from_group] += 1
            if escalation.from_group != SOCIAL_WORKER:
                self.escalations.append(
                    {
                        "case_id": facts.case_id,
                        "child_id": facts.child_id,
                        "escalated_on": escalation.on.isoformat(),
                        "s17_lead_practitioner": escalation.from_lead,
                        "s17_lead_profession": _profession(facts, escalation.from_lead),
                        "s17_lead_group": escalation.from_group,
                        "lead_social_worker": escalation.to_lead,
                        "concern_raised_by": escalation.concern_by,
                        "team": facts.team_on(escalation.on),
                    }
                )

    def rules_table(self) -> list[dict[str, Any]]:
        """One row per rule and group (group `all` first), with counts and the on-time rate."""
        table = []
        for rule in RULE_IDS:
            groups = sorted({g for (r, g) in self.counts if r == rule and g != ALL})
            for group in [ALL, *groups] if (rule, ALL) in self.counts else []:
                counts = self.counts[(rule, group)]
                table.append(
                    {
                        "rule": rule,
                        "title": RULES_BY_ID[rule].title,
                        "group": group,
                        **{status: counts[status] for status in STATUSES},
                        "applicable": sum(counts[s] for s in STATUSES if s != NOT_APPLICABLE),
                        "on_time_rate": on_time_rate(counts),
                    }
                )
        return table

    def trends_table(self) -> list[dict[str, Any]]:
        """One row per month and rule: counts and the on-time rate of rows dated that month."""
        return [
            {"month": month, "rule": rule, **{s: counts[s] for s in STATUSES}, "on_time_rate": on_time_rate(counts)}
            for (month, rule), counts in sorted(self.months.items(), key=lambda i: (i[0][0], RULE_IDS.index(i[0][1])))
        ]

    def rereferrals_table(self) -> list[dict[str, Any]]:
        """Referrals in the period of a child whose previous case closed within 12 months before."""
        found = []
        for child_id, cases in sorted(self.referrals.items()):
            cases.sort(key=lambda c: (c[0], c[2]))
            for (_, closed_on, previous), (referral_on, _, case_id) in pairwise(cases):
                if referral_on in self.period and closed_on is not None:
                    if closed_on <= referral_on <= add_months(closed_on, REREFERRAL_MONTHS):
                        found.append(_rereferral(child_id, case_id, referral_on, previous, closed_on))
        return sorted(found, key=lambda r: (r["referral_on"], r["case_id"]))

    def referrals_in_period(self) -> int:
        return sum(1 for cases in self.referrals.values() for referral_on, _, _ in cases if referral_on in self.period)

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every table, by the names the CSV download uses."""
        return {
            "rules": self.rules_table(),
            "breaches": sorted(self.breaches, key=lambda b: (b["date"], b["rule"], b["case_id"])),
            "trends": self.trends_table(),
            "rereferrals": self.rereferrals_table(),
            "escalations": sorted(self.escalations, key=lambda e: (e["escalated_on"], e["case_id"])),
        }

    def report(self) -> dict[str, Any]:
        """The whole report as JSON-ready data."""
        tables = self.tables()
        referrals = self.referrals_in_period()
        rereferrals = len(tables["rereferrals"])
        return {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "group_by": self.group_by,
            "basis": self.basis,
            "cases": self.cases,
            "summary": {
                "referrals": referrals,
                "rereferrals_within_12_months": rereferrals,
                "rereferral_rate": round(rereferrals / referrals, 4) if referrals else None,
                "s47_escalations_from_s17": {
                    SOCIAL_WORKER: self.escalation_counts[SOCIAL_WORKER],
                    ALTERNATIVELY_QUALIFIED: self.escalation_counts[ALTERNATIVELY_QUALIFIED],
                    "unknown": sum(
                        n
                        for g, n in self.escalation_counts.items()
                        if g not in (SOCIAL_WORKER, ALTERNATIVELY_QUALIFIED)
                    ),
                },
            },
            **tables,
        }


def aggregate(
    cases: Iterable[tuple[CaseFacts, Sequence[RuleResult]]], period: Period, group_by: str = "team", basis: str = "due"
) -> dict[str, Any]:
    """The service conformance report over `cases` for `period` (see the module docstring)."""
    report = ConformanceReport(period, group_by, basis)
    for facts, rows in cases:
        report.add(facts, rows)
    return report.report()


def _profession(facts: CaseFacts, username: str | None) -> str | None:
    person = facts.profiles.get(username or "") or {}
    return str(person["profession"]) if person.get("profession") else None


def _breach(row: RuleResult, facts: CaseFacts, day: date, group: str) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "rule": row.rule,
        "case_id": facts.case_id,
        "child_id": facts.child_id,
        "group": group,
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "met_on": row.met_on.isoformat() if row.met_on else None,
        "actor": row.actor,
        "reason_recorded": row.reason is not None,
        "reason": row.reason,
        "detail": row.detail,
    }


def _rereferral(child_id: str, case_id: str, referral_on: date, previous: str, closed_on: date) -> dict[str, Any]:
    return {
        "child_id": child_id,
        "case_id": case_id,
        "referral_on": referral_on.isoformat(),
        "previous_case_id": previous,
        "previous_closed_on": closed_on.isoformat(),
        "days_since_closure": (referral_on - closed_on).days,
    }
