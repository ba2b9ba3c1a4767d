"""Read-only use-cases for reviewers: a case's events and conformance, and the CIN census."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.returns.cin_census import CensusChild, build_cin_census
from casepath.returns.episodes import CaseRecord
from casepath.services import access, records
from casepath.services.core import Casepath
from casepath.services.staff import Actor, require_role
from casepath.services.views import conformance
from casepath.store import models


def case_events(app: Casepath, actor: Actor, case_id: str) -> list[dict[str, Any]]:
    with app.db.transaction() as session:
        case = session.get(models.Case, case_id)
        access.require_case_visible(session, actor, case)
        assert case is not None
        access.log_view(session, actor, case, "events", app.now(session))
        return [
            {"seq": e.seq, "name": e.name, "at": e.at.isoformat(), "actor": e.actor, "data": e.data, "hash": e.hash}
            for e in records.list_events(session, case_id)
        ]


def case_conformance(app: Casepath, actor: Actor, case_id: str) -> dict[str, Any]:
    with app.db.transaction() as session:
        case = session.get(models.Case, case_id)
        access.require_case_visible(session, actor, case)
        assert case is not None
        access.log_view(session, actor, case, "conformance", app.now(session))
        return {"case_id": case.id, "rules": conformance(app, session, case)}


def census_children(session: Session, la_id: int) -> Iterator[CensusChild]:
    """Every child of the LA with their cases and events, for the census builder."""
    cases_by_child: dict[str, list[models.Case]] = defaultdict(list)
    for case in session.scalars(
        select(models.Case).where(models.Case.la_id == la_id).order_by(models.Case.received_at)
    ):
        cases_by_child[case.child_id].append(case)
    for child in session.scalars(select(models.Child).where(models.Child.la_id == la_id).order_by(models.Child.id)):
        cases = cases_by_child.get(child.id, [])
        if not cases:
            continue
        records_ = [CaseRecord(c.id, [records.to_domain(e) for e in records.list_events(session, c.id)]) for c in cases]
        yield CensusChild(
            child_id=child.id,
            la_child_id=child.id.replace("-", "")[:20],
            sex=child.sex,
            ethnicity=child.ethnicity,
            disabilities=list(child.disabilities),
            cases=records_,
            date_of_birth=child.date_of_birth,
            expected_date_of_birth=child.expected_date_of_birth,
            upn=child.upn,
        )


def cin_census(app: Casepath, actor: Actor | None, year: int, la_id: int | None = None) -> bytes:
    if actor is not None:
        require_role(actor, "reviewer", "admin")
    with app.db.transaction() as session:
        la = session.get(models.LocalAuthority, actor.la_id if actor else la_id or 1)
        assert la is not None
        protocol = app.protocol(session, la.id)
        return build_cin_census(
            la_code=la.code,
            year=year,
            children=census_children(session, la.id),
            generated_at=app.now(session),
            calendar=app.calendar(protocol),
        )
