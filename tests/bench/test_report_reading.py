"""Reports read cases and events in batches (reports.iter_cases): the same cases, events, order and team as
reading each case's record one by one, across batch boundaries, by case or by child."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import select

from casepath.services import records, reports
from casepath.store import models
from tests.conformance.pathways import Driver


@pytest.fixture
def driven(factory: Any) -> Driver:
    d = Driver(factory)
    first = d.refer("2025-04-01")
    second = d.refer("2025-04-02")
    d.decide(first, "2025-04-02")
    d.decide(second, "2025-04-02", "nfa")  # closes it: the child can be referred again
    d.allocate(first, "2025-04-03")  # the case gets a team
    d.refer("2025-04-03")
    d.refer_again("2025-05-01", _child_of(d, second))
    return d


def _child_of(d: Driver, case_id: str) -> str:
    with d.factory.core.db.transaction() as session:
        case = session.get(models.Case, case_id)
        assert case is not None
        return case.child_id


@pytest.mark.parametrize("by_child", [False, True])
def test_batched_reading_gives_every_case_its_own_events_in_order(
    driven: Driver, monkeypatch: pytest.MonkeyPatch, by_child: bool
) -> None:
    monkeypatch.setattr(reports, "CASE_BATCH", 2)  # batches end in the middle of the cases
    with driven.factory.core.db.transaction() as session:
        expected = []
        for case in session.scalars(select(models.Case)):
            events = [records.to_domain(row) for row in records.list_events(session, case.id)]
            expected.append((case.child_id, case.id, case.status, (case.people or {}).get("team"), events))
        expected.sort(key=lambda row: (row[0], row[1]) if by_child else row[1])
        seen: list[tuple[int, int]] = []
        read = list(reports.iter_cases(session, [models.Case.la_id == driven.factory.la_id],
                                       lambda done, total: seen.append((done, total)), by_child=by_child))  # fmt: skip
    got = [(c.child_id, c.case_id, c.status, c.team, c.events) for c in read]
    assert len(got) == 4 and len({child for child, *_ in got}) == 3 and any(c.team for c in read)
    assert got == expected
    assert all(event.at.tzinfo is UTC for case in read for event in case.events)
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
