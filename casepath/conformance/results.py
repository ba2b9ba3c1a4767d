"""One conformance row: what an extractor found (`Occurrence`) and how it is judged (`RuleResult`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

MET = "met"
BREACHED = "breached"
PENDING = "pending"
OVERDUE = "overdue"
NOT_APPLICABLE = "not_applicable"
STATUSES = (MET, BREACHED, PENDING, OVERDUE, NOT_APPLICABLE)


@dataclass(frozen=True)
class RuleResult:
    """One row of a case's conformance report (design/api.md)."""

    rule: str
    status: str
    due_on: date | None
    met_on: date | None
    actor: str | None
    reason: str | None
    detail: str
    started_on: date | None = None  # the trigger day the rule's clock counts from, for timed rules

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data, dates in ISO form."""
        return {
            "rule": self.rule,
            "status": self.status,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "met_on": self.met_on.isoformat() if self.met_on else None,
            "actor": self.actor,
            "reason": self.reason,
            "detail": self.detail,
            "started_on": self.started_on.isoformat() if self.started_on else None,
        }


@dataclass(frozen=True)
class Occurrence:
    """One time a rule applied to the case, as read from the events, before it is judged.

    `breaches` are clauses saying how the obligation was done in breach (naming people and dates);
    `reasons` are what the practitioners recorded (a delay reason, an exception); `lapsed_on` is when
    the obligation fell away undone (task cancelled, case closed), with `note` saying why.
    """

    rule: str
    subject: str
    due_on: date | None = None
    done_on: date | None = None
    actor: str | None = None
    breaches: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    lapsed_on: date | None = None
    note: str | None = None
    verb: str = "completed"
    name_actor: bool = True  # False: the subject already names who did it (the actor is not who acted last)
    applicable: bool = True  # False: the trigger happened but the rule does not cover it (note says why)
    started_on: date | None = None  # the trigger day a timed rule's clock counts from


@lru_cache(maxsize=4096)
def day(value: date) -> str:
    """A date as a reviewer reads it: 'Monday 29 December 2025'."""
    return f"{value:%A} {value.day} {value:%B %Y}"


def status_of(occ: Occurrence, today: date) -> str:
    """met, breached, pending, overdue or not_applicable, from what was done and when."""
    if not occ.applicable:
        return NOT_APPLICABLE
    if occ.done_on is None:
        if occ.lapsed_on is not None:
            late = occ.due_on is not None and occ.lapsed_on > occ.due_on
            return BREACHED if late or occ.breaches else NOT_APPLICABLE
        if occ.breaches:
            return BREACHED
        return OVERDUE if occ.due_on is not None and today > occ.due_on else PENDING
    late = occ.due_on is not None and occ.done_on > occ.due_on
    return BREACHED if late or occ.breaches else MET


def judge(occ: Occurrence, today: date) -> RuleResult:
    """Turn an occurrence into its report row."""
    status = status_of(occ, today)
    return RuleResult(
        rule=occ.rule,
        status=status,
        due_on=occ.due_on,
        met_on=occ.done_on,
        actor=occ.actor,
        reason="; ".join(occ.reasons) or None,
        detail=_detail(occ, status, today),
        started_on=occ.started_on,
    )


@cache  # one row per rule and reason: rows are frozen, so every case can share it
def not_applicable(rule: str, why: str) -> RuleResult:
    """The row for a rule that never applied to this case."""
    return RuleResult(rule, NOT_APPLICABLE, None, None, None, None, f"Not applicable: {why}.")


def _detail(occ: Occurrence, status: str, today: date) -> str:
    if not occ.applicable:
        return f"Not applicable: {occ.note or 'the rule does not cover this'}."
    if occ.done_on is not None:
        return _done_detail(occ, occ.done_on)
    if occ.lapsed_on is not None or occ.breaches:
        return _lapsed_detail(occ)
    if status == OVERDUE and occ.due_on is not None:
        days = (today - occ.due_on).days
        note = f" ({occ.note})" if occ.note else ""
        return f"{occ.subject} has not been {occ.verb}: it was due by {day(occ.due_on)}, {days} day(s) ago{note}."
    due = f"; it is due by {day(occ.due_on)}" if occ.due_on else ""
    note = f" ({occ.note})" if occ.note else ""
    return f"{occ.subject} has not been {occ.verb} yet{due}{note}."


def _done_detail(occ: Occurrence, done_on: date) -> str:
    head = f"{occ.subject} was {occ.verb} on {day(done_on)}" + (
        f" by {occ.actor}" if occ.actor and occ.name_actor else ""
    )
    clauses: list[str] = []
    late = occ.due_on is not None and done_on > occ.due_on
    if occ.due_on is not None:
        clauses.append(f"{'after' if late else 'within'} the deadline of {day(occ.due_on)}")
    clauses.extend(occ.breaches)
    if occ.note:
        clauses.append(occ.note)
    clauses.extend(_reason_clauses(occ, late))
    return head + (", " + "; ".join(clauses) if clauses else "") + "."


def _lapsed_detail(occ: Occurrence) -> str:
    clauses = list(occ.breaches)
    if occ.lapsed_on is not None:
        clauses.append(f"it was no longer needed from {day(occ.lapsed_on)}" + (f" ({occ.note})" if occ.note else ""))
    if occ.due_on is not None:
        clauses.append(f"it was due by {day(occ.due_on)}")
    late = occ.due_on is not None and occ.lapsed_on is not None and occ.lapsed_on > occ.due_on
    clauses.extend(_reason_clauses(occ, late))
    return f"{occ.subject} was not {occ.verb}: " + "; ".join(clauses) + "."


def _reason_clauses(occ: Occurrence, late: bool) -> list[str]:
    if occ.reasons:
        return [f"reason recorded: \u201c{reason}\u201d" for reason in occ.reasons]
    return ["no reason for the delay was recorded"] if late else []
