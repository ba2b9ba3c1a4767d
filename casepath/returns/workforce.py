"""The quarterly Families First workforce return (working-together.md §1, §5), pure over plain records.

Quarters follow the collection year of the CIN census: collection year 2026 runs from 1 April 2025
to 31 March 2026, so quarter 1 is April-June 2025 and quarter 4 January-March 2026.

- Lead practitioners: every member of staff who held at least one case as its lead practitioner on
  any day of the quarter, counted once, by social-work qualified (profession `social_worker` or an
  in-date Social Work England registration) vs alternatively qualified, and by LA vs non-LA
  employer, from the staff record. `cases_held` counts (person, case) pairs in the quarter.
- Children receiving family help: distinct children with s17 work (a lead practitioner allocated,
  or a child in need plan started) open on any day of the quarter.
- FGDM: letters before proceedings sent in the quarter that offered a family group decision-making
  meeting (the offer is made at or before the letter), letters that recorded a best-interests
  exception instead, and meetings held or declined in the quarter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

QUARTER_STARTS = {1: (4, 0), 2: (7, 0), 3: (10, 0), 4: (1, 1)}  # month, years after the collection year's start
QUARTER_ENDS = {1: (6, 30), 2: (9, 30), 3: (12, 31), 4: (3, 31)}
SW_QUALIFIED = "social_work_qualified"
ALTERNATIVELY_QUALIFIED = "alternatively_qualified"
LA_EMPLOYED = "la"
NON_LA_EMPLOYED = "non_la"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Quarter:
    """One quarter of a collection year, both days included."""

    year: int
    quarter: int
    start: date
    end: date

    @classmethod
    def of(cls, year: int, quarter: int) -> Quarter:
        """Quarter `quarter` (1-4) of collection year `year` (2026 = April 2025 to March 2026)."""
        if quarter not in QUARTER_STARTS:
            raise ValueError("quarter must be 1, 2, 3 or 4")
        month, later = QUARTER_STARTS[quarter]
        first_year = year - 1 + later
        end_month, end_day = QUARTER_ENDS[quarter]
        return cls(year, quarter, date(first_year, month, 1), date(first_year, end_month, end_day))

    def overlaps(self, start: date, end: date | None) -> bool:
        """Whether something running from `start` to `end` (None: still running) ran in the quarter."""
        return start <= self.end and (end is None or end >= self.start)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class StaffRecord:
    """What the staff directory says about a practitioner."""

    username: str
    profession: str
    registered: bool
    employer: str

    @property
    def qualification(self) -> str:
        return SW_QUALIFIED if self.profession == "social_worker" or self.registered else ALTERNATIVELY_QUALIFIED

    @property
    def employment(self) -> str:
        return LA_EMPLOYED if self.employer.strip().lower() == "la" else NON_LA_EMPLOYED


@dataclass(frozen=True)
class Holding:
    """A practitioner holding a case as its lead practitioner, from `start` to `end` (None: still)."""

    username: str
    case_id: str
    start: date
    end: date | None


@dataclass(frozen=True)
class FamilyHelp:
    """s17 work on a child's case, from `start` to `end` (None: still open)."""

    child_id: str
    case_id: str
    start: date
    end: date | None


@dataclass
class FgdmActivity:
    """Dates of letters before proceedings and of FGDM meetings."""

    offered: list[date] = field(default_factory=list)
    not_offered: list[date] = field(default_factory=list)
    held: list[date] = field(default_factory=list)
    declined: list[date] = field(default_factory=list)


def _matrix() -> dict[str, dict[str, int]]:
    return {q: {LA_EMPLOYED: 0, NON_LA_EMPLOYED: 0} for q in (SW_QUALIFIED, ALTERNATIVELY_QUALIFIED)}


def build_workforce_return(
    *,
    la_code: str,
    quarter: Quarter,
    staff: Iterable[StaffRecord],
    holdings: Iterable[Holding],
    family_help: Iterable[FamilyHelp],
    fgdm: FgdmActivity,
) -> dict[str, Any]:
    """The return for `quarter` as JSON-ready data (see the module docstring for the definitions)."""
    directory = {person.username: person for person in staff}
    held = [h for h in holdings if quarter.overlaps(h.start, h.end)]
    people, cases = _matrix(), _matrix()
    unknown_people = sorted({h.username for h in held if h.username not in directory})
    for username in sorted({h.username for h in held} - set(unknown_people)):
        person = directory[username]
        people[person.qualification][person.employment] += 1
    for username, _case in sorted({(h.username, h.case_id) for h in held}):
        if username in directory:
            cases[directory[username].qualification][directory[username].employment] += 1
    children = {f.child_id for f in family_help if quarter.overlaps(f.start, f.end)}
    return {
        "la_code": la_code,
        "year": quarter.year,
        "quarter": quarter.quarter,
        "period_start": quarter.start.isoformat(),
        "period_end": quarter.end.isoformat(),
        "lead_practitioners": {**people, "total": sum(sum(row.values()) for row in people.values())},
        "lead_practitioners_not_in_staff_records": unknown_people,
        "cases_held": {**cases, "total": sum(sum(row.values()) for row in cases.values())},
        "children_receiving_family_help": len(children),
        "fgdm": {
            "meetings_offered": sum(1 for d in fgdm.offered if d in quarter),
            "letters_with_best_interests_exception": sum(1 for d in fgdm.not_offered if d in quarter),
            "meetings_held": sum(1 for d in fgdm.held if d in quarter),
            "meetings_declined": sum(1 for d in fgdm.declined if d in quarter),
        },
    }


def workforce_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The return as flat (measure, breakdown, value) rows, for CSV."""
    head = {k: result[k] for k in ("la_code", "year", "quarter", "period_start", "period_end")}
    rows = []
    for measure in ("lead_practitioners", "cases_held"):
        for qualification in (SW_QUALIFIED, ALTERNATIVELY_QUALIFIED):
            for employment in (LA_EMPLOYED, NON_LA_EMPLOYED):
                value = result[measure][qualification][employment]
                rows.append({**head, "measure": measure, "breakdown": f"{qualification}/{employment}", "value": value})
        rows.append({**head, "measure": measure, "breakdown": "total", "value": result[measure]["total"]})
    rows.append({**head, "measure": "children_receiving_family_help", "breakdown": "total",
                 "value": result["children_receiving_family_help"]})  # fmt: skip
    for key, value in result["fgdm"].items():
        rows.append({**head, "measure": f"fgdm_{key}", "breakdown": "total", "value": value})
    return rows
