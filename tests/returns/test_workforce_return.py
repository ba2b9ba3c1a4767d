"""The quarterly Families First workforce return: pure definitions, then from cases driven through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from casepath.domain.errors import BadRequest, Forbidden
from casepath.returns.workforce import FgdmActivity, Holding, Quarter, StaffRecord, build_workforce_return
from casepath.services import reports
from tests.conformance.pathways import Driver


def test_quarters_follow_the_collection_year() -> None:
    assert (Quarter.of(2026, 1).start, Quarter.of(2026, 1).end) == (date(2025, 4, 1), date(2025, 6, 30))
    assert (Quarter.of(2026, 4).start, Quarter.of(2026, 4).end) == (date(2026, 1, 1), date(2026, 3, 31))
    with pytest.raises(ValueError, match="quarter"):
        Quarter.of(2026, 5)


def test_a_practitioner_counts_once_however_many_cases_and_only_if_holding_one_in_the_quarter() -> None:
    staff = [
        StaffRecord("a", "family_support_worker", False, "Refuge Trust"),
        StaffRecord("b", "social_worker", True, "la"),
    ]
    holdings = [
        Holding("a", "c1", date(2025, 4, 10), None),
        Holding("a", "c2", date(2025, 5, 1), date(2025, 5, 20)),
        Holding("b", "c3", date(2025, 1, 1), date(2025, 3, 31)),  # ended before the quarter
        Holding("x", "c4", date(2025, 6, 30), None),  # not in the staff records
    ]
    result = build_workforce_return(la_code="999", quarter=Quarter.of(2026, 1), staff=staff, holdings=holdings,
                                    family_help=[], fgdm=FgdmActivity())  # fmt: skip
    assert result["lead_practitioners"]["alternatively_qualified"] == {"la": 0, "non_la": 1}
    assert result["lead_practitioners"]["social_work_qualified"] == {"la": 0, "non_la": 0}
    assert result["cases_held"]["alternatively_qualified"]["non_la"] == 2
    assert result["lead_practitioners_not_in_staff_records"] == ["x"]


@pytest.fixture
def d(factory: Any) -> Driver:
    return Driver(factory)


def test_the_return_counts_lead_practitioners_family_help_and_fgdm_from_the_cases(d: Driver) -> None:
    d.s17_case()  # fsw1: LA-employed, alternatively qualified
    d.s17_case(received="2025-04-22", lead=d.staff.daw)  # daw1: employed by a charity
    west = d.s17_case(received="2025-04-23", lead=d.staff.sw)
    d.refer("2025-05-02")  # undecided: no family help yet
    d.raise_event("2025-07-01", d.staff.ps, west, "pre_proceedings")
    d.complete("2025-07-02", d.staff.sw, west, "letter_before_proceedings", sent_on="2025-07-02", fgdm_offered=True)
    d.complete("2025-07-10", d.staff.sw, west, "fgdm_meeting", outcome="held", held_on="2025-07-09")
    first = reports.workforce_return(d.factory.core, d.staff.rev, 2026, 1)
    assert first["lead_practitioners"] == {
        "social_work_qualified": {"la": 1, "non_la": 0},
        "alternatively_qualified": {"la": 1, "non_la": 1},
        "total": 3,
    }
    assert first["children_receiving_family_help"] == 3
    assert first["fgdm"]["meetings_offered"] == 0
    second = reports.workforce_return(d.factory.core, d.factory.admin, 2026, 2)
    assert second["fgdm"] == {"meetings_offered": 1, "letters_with_best_interests_exception": 0,
                              "meetings_held": 1, "meetings_declined": 0}  # fmt: skip
    assert (
        reports.workforce_csv(second).splitlines()[0]
        == "la_code,year,quarter,period_start,period_end,measure,breakdown,value"
    )


def test_only_reviewers_and_admins_get_the_return_and_the_quarter_must_exist(d: Driver) -> None:
    with pytest.raises(Forbidden):
        reports.workforce_return(d.factory.core, d.staff.ps, 2026, 1)
    with pytest.raises(BadRequest):
        reports.workforce_return(d.factory.core, d.staff.rev, 2026, 0)
