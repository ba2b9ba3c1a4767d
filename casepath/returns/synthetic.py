"""Synthetic children on realistic pathways, for tests and benchmarks of the returns.

Every pathway of `domain/pathway.md` (no further action, assessment then closure, CIN plan, child
protection with reviews, s47 still open, unborn children, repeat referrals with earlier CP plans),
dated in working days from the referral so that a clean return has no DfE errors or queries.
`synthetic_children(10_000)` makes a collection-year-2026 return of about ten thousand children.
Events are written the way the services write them, with the actor's profile on each completion.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from casepath.domain.calendar import LONDON, WorkingDayCalendar, add_months
from casepath.domain.events import Event
from casepath.domain.upn import make_upn
from casepath.returns.cin_census import CensusChild
from casepath.returns.episodes import CaseRecord

YEAR = 2026
YEAR_START = date(YEAR - 1, 4, 1)
REFERENCE_DATE = date(YEAR, 3, 31)
CALENDAR = WorkingDayCalendar()
PROFILE: dict[str, Any] = {"roles": ["social_worker"], "profession": "social_worker", "registered": True,
                           "employer": "la", "team": "synthetic"}  # fmt: skip


@dataclass
class CaseEvents:
    """A case's event record, written the way the services write it."""

    case_id: str
    events: list[Event] = field(default_factory=list)

    def add(self, name: str, on: date, **data: Any) -> CaseEvents:
        moment = datetime(on.year, on.month, on.day, 12, tzinfo=LONDON)
        self.events.append(Event(seq=len(self.events) + 1, name=name, at=moment, actor="staff", data=data))
        return self

    def complete(self, step: str, on: date, **form: Any) -> CaseEvents:
        form = {key: value.isoformat() if isinstance(value, date) else value for key, value in form.items()}
        task_id = f"{self.case_id}-{len(self.events)}"
        return self.add("task_completed", on, task_id=task_id, step=step, data=form, completed_on=on.isoformat(),
                        due_on=None, rule=None, late=False, delay_reason=None, author=None,
                        actor_profile=PROFILE)  # fmt: skip

    def close(self, on: date, reason: str) -> CaseEvents:
        return self.add("case_closed", on, closed_on=on.isoformat(), reason=reason)

    def record(self) -> CaseRecord:
        return CaseRecord(self.case_id, list(self.events))


def create_case(case_id: str, received_on: date, source: str) -> CaseEvents:
    received_at = datetime(received_on.year, received_on.month, received_on.day, 10, tzinfo=LONDON).isoformat()
    return CaseEvents(case_id).add("case_opened", received_on, received_at=received_at,
                                   received_on=received_on.isoformat(), source=source)  # fmt: skip


def wd(day: date, count: int) -> date:
    return CALENDAR.add_working_days(day, count)


# Synthetic children: every pathway, dated so that a clean return has no errors and no queries.


class Pathways:
    """Writes one case for each pathway, with working-day dates from the referral on."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def referral_day(self, first: date, last: date) -> date:
        day = first + timedelta(days=self.rng.randrange((last - first).days + 1))
        return day if CALENDAR.is_working_day(day) else wd(day, 1)

    def factors(self) -> list[str]:
        return self.rng.sample(["1B", "2B", "3A", "3B", "4B", "5B", "6B", "7A", "10A", "16A", "17A", "18C", "24A"], 2)

    def open_case(self, case_id: str, referral: date, decision: str) -> CaseEvents:
        source = self.rng.choice(["1A", "2A", "3A", "3B", "5D", "6", "8", "9"])
        case = create_case(case_id, referral, source)
        need = {"nfa": None}.get(decision, self.rng.choice(["N1", "N2", "N3", "N4", "N5", "N8"]))
        form = {"decision": decision, "primary_need": need} if need else {"decision": decision}
        return case.complete("referral_decision", wd(referral, 1), **form)

    def nfa_referral(self, case_id: str, referral: date) -> tuple[CaseEvents, date]:
        decision = self.rng.choice(["nfa", "early_help"])
        case = self.open_case(case_id, referral, decision)
        return case.close(wd(referral, 1), "RC7"), wd(referral, 1)

    def assessment(self, case: CaseEvents, start: date, outcome: str, factors: list[str] | None = None) -> date:
        case.complete("allocate_lead_practitioner", start, lead_practitioner="fsw")
        submitted = wd(start, self.rng.randrange(8, 35))
        case.complete(
            "child_and_family_assessment", submitted, started_on=wd(start, 1), factors=factors or self.factors()
        )
        approved = wd(submitted, 1)
        case.complete("approve_assessment", approved, approved=True, outcome=outcome)
        return approved

    def assessment_closed(self, case_id: str, referral: date) -> tuple[CaseEvents, date]:
        outcome = self.rng.choice(["nfa", "early_help"])
        case = self.open_case(case_id, referral, "assessment")
        factors = ["21"] if self.rng.random() < 0.3 else None  # 21 only where the episode closes RC8/RC9 (8873Q)
        approved = self.assessment(case, wd(referral, 1), outcome, factors)
        return case.close(approved, {"nfa": "RC8", "early_help": "RC9"}[outcome]), approved

    def cin_plan(self, case: CaseEvents, after: date) -> date:
        starts = wd(after, 2)
        case.complete("approve_cin_plan", starts, approved=True, starts_on=starts)
        return starts

    def close(self, case: CaseEvents, on: date) -> tuple[CaseEvents, date]:
        case.complete("close_case", on, reason="RC7", closed_on=on)
        return case.close(on, "RC7"), on

    def s17_cin_plan(self, case_id: str, referral: date) -> tuple[CaseEvents, date]:
        case = self.open_case(case_id, referral, "assessment")
        starts = self.cin_plan(case, self.assessment(case, wd(referral, 1), "cin_plan"))
        return self.close(case, wd(starts, self.rng.randrange(20, 250)))

    def assessment_in_progress(self, case_id: str, referral: date) -> tuple[CaseEvents, date]:
        case = self.open_case(case_id, referral, "assessment")
        case.complete("allocate_lead_practitioner", wd(referral, 1), lead_practitioner="fsw")
        return case, REFERENCE_DATE + timedelta(days=1)

    def child_protection(self, case_id: str, referral: date, *, plan: bool = True) -> tuple[CaseEvents, date]:
        if wd(referral, 9) < YEAR_START <= wd(referral, 18):
            # An enquiry authorised before 1 April whose conference falls after it is returned
            # without its assessment (8696), which the DfE queries (2991Q): real, but not clean.
            referral = YEAR_START
        case = self.open_case(case_id, referral, "strategy_discussion")
        held = wd(referral, 2)
        case.complete("strategy_discussion", held, held_on=held, decision="s47")
        case.complete("section47_enquiry", wd(held, 6), started_on=held, factors=self.factors(), recommendation="icpc")
        outcome = "icpc" if plan else "cin_plan"
        case.complete("approve_section47", wd(held, 7), approved=True, outcome=outcome)
        if not plan:
            return self.close(case, wd(self.cin_plan(case, wd(held, 7)), self.rng.randrange(10, 200)))
        icpc = wd(held, self.rng.randrange(9, 16))
        category = self.rng.choice(["NEG", "PHY", "EMO", "SAB", "MUL"])
        case.complete("hold_icpc", icpc, held_on=icpc, decision="cp_plan", category_of_abuse=category)
        return self.reviews(case, icpc, category)

    def reviews(self, case: CaseEvents, icpc: date, category: str) -> tuple[CaseEvents, date]:
        review, months = icpc, 3
        while True:
            review = wd(add_months(review, months) - timedelta(days=4), 1)
            end = self.rng.random() < 0.4
            case.complete("review_conference", review, held_on=review, latest_category_of_abuse=category,
                          decision="end_plan" if end else "continue")  # fmt: skip
            if end or review > REFERENCE_DATE:
                break
            months = 6
        if self.rng.random() < 0.5:
            return self.close(case, wd(self.cin_plan(case, review), self.rng.randrange(15, 120)))
        return self.close(case, wd(review, 1))

    def s47_in_progress(self, case_id: str, referral: date) -> tuple[CaseEvents, date]:
        case = self.open_case(case_id, referral, "strategy_discussion")
        held = wd(referral, 1)
        case.complete("strategy_discussion", held, held_on=held, decision="s47")
        return case, REFERENCE_DATE + timedelta(days=1)


def synthetic_child(pathways: Pathways, serial: int) -> CensusChild:
    """One child, on a pathway drawn at random with realistic weights."""
    rng = pathways.rng
    kind = rng.choices(
        ["nfa", "closed", "cin", "cin_long", "in_progress", "cp", "cp_no_plan", "s47_open", "unborn", "repeat", "old"],
        weights=[20, 12, 18, 8, 6, 12, 5, 3, 4, 8, 4],
    )[0]
    cases = synthetic_cases(pathways, kind, f"k{serial}")
    unborn = kind == "unborn"
    born = date(2009, 1, 1) + timedelta(days=rng.randrange(365 * 16))
    disabilities = (
        ["NONE"] if rng.random() < 0.85 else rng.sample(["MOB", "HAND", "LD", "AUT", "COMM", "HEAR", "BEH"], 2)
    )
    return CensusChild(
        child_id=f"child-{serial}", la_child_id=f"K{serial}", sex=rng.choice("MF"),
        ethnicity=rng.choice(["WBRI", "WOTH", "MWBC", "AIND", "BAFR", "CHNE", "OOTH"]), disabilities=disabilities,
        cases=[case.record() for case in cases], date_of_birth=None if unborn else born,
        expected_date_of_birth=date(2026, 6, 15) if unborn else None, upn=None if unborn else make_upn("201", serial),
    )  # fmt: skip


def synthetic_cases(p: Pathways, kind: str, case_id: str) -> list[CaseEvents]:
    """The cases of one child on pathway `kind`."""
    in_year = (YEAR_START, date(2026, 3, 20))
    last_s47 = date(2026, 2, 20)  # its conference is due, and held, by the reference date (8675Q)
    if kind == "nfa":
        return [p.nfa_referral(case_id, p.referral_day(*in_year))[0]]
    if kind == "closed":
        return [p.assessment_closed(case_id, p.referral_day(date(2025, 3, 3), date(2026, 2, 1)))[0]]
    if kind in ("cin", "cin_long"):
        earliest = date(2024, 3, 1) if kind == "cin_long" else YEAR_START
        return [p.s17_cin_plan(case_id, p.referral_day(earliest, date(2026, 1, 15)))[0]]
    if kind == "in_progress":
        return [p.assessment_in_progress(case_id, p.referral_day(date(2026, 2, 2), date(2026, 3, 25)))[0]]
    if kind in ("cp", "cp_no_plan"):
        return [p.child_protection(case_id, p.referral_day(date(2024, 6, 3), last_s47), plan=kind == "cp")[0]]
    if kind == "s47_open":
        return [p.s47_in_progress(case_id, p.referral_day(date(2026, 3, 16), date(2026, 3, 27)))[0]]
    if kind == "unborn":
        return [p.nfa_referral(case_id, p.referral_day(date(2025, 10, 1), date(2026, 3, 20)))[0]]
    if kind == "old":
        old, _ = p.nfa_referral(f"{case_id}a", p.referral_day(date(2024, 5, 1), date(2025, 2, 28)))
        return [old, p.assessment_closed(f"{case_id}b", p.referral_day(date(2025, 4, 7), date(2026, 2, 1)))[0]]
    first, closed = p.child_protection(f"{case_id}a", p.referral_day(date(2024, 4, 1), date(2025, 3, 1)))
    if closed > date(2026, 2, 1):
        return [first]
    return [first, p.child_protection(f"{case_id}b", p.referral_day(max(wd(closed, 1), YEAR_START), last_s47))[0]]


def synthetic_children(count: int, seed: int = 2026) -> list[CensusChild]:
    """`count` children on varied pathways, the same for the same seed."""
    pathways = Pathways(random.Random(seed))
    return [synthetic_child(pathways, serial) for serial in range(1, count + 1)]
