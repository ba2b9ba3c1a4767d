"""Read-only use-cases for reviewers: a case's events and conformance, and the CIN census."""

from __future__ import annotations

import csv
import gc
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby, islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, DateTime, Text, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from casepath.conformance.aggregate import BASES, GROUP_BY, TABLES, ConformanceReport, Period
from casepath.conformance.evaluate import EVENTS_READ, MemoCalendar, evaluate_case
from casepath.conformance.exports import LIFECYCLES, ExportCase, iter_ocel, iter_xes
from casepath.conformance.facts import CaseFacts, case_facts
from casepath.domain.calendar import LONDON, end_of_day, local_date
from casepath.domain.errors import BadRequest
from casepath.domain.events import Event
from casepath.domain.people import registered_on
from casepath.domain.protocol import LocalProtocol
from casepath.returns.cin_census import CensusChild, build_cin_census, iter_cin_census
from casepath.returns.episodes import CaseRecord
from casepath.returns.period import CollectionPeriod
from casepath.returns.workforce import (
    FamilyHelp,
    FgdmActivity,
    Holding,
    Quarter,
    StaffRecord,
    build_workforce_return,
    workforce_rows,
)
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


# --- service-wide reports, exports and returns (issue 8) ---------------------------------------

Progress = Callable[[int, int], None]  # (cases or children done, how many there are)
BATCH = 500  # progress is reported every BATCH cases or children
CASE_BATCH = 1_000  # cases whose events are read in one query: a large LA streams through in constant memory
_AT = DateTime(timezone=True)  # events.at read without UTCDateTime, made UTC in the loop
_ZERO = {UTC, ZoneInfo("UTC"), ZoneInfo("Etc/UTC")}  # zones always at UTC: `replace` is `astimezone`, cheaper
LOOKBACK = timedelta(days=366)  # a case closed longer ago has no row dated in the period, nor a re-referral
MAX_PERIOD = timedelta(days=366 * 5)


def _no_progress(done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class LoadedCase:
    """A case row's essentials with its events in sequence order."""

    case_id: str
    child_id: str
    status: str
    team: str | None
    events: list[Event]


def today(app: Casepath) -> date:
    """Today in Europe/London by the application's clock (the test clock in rehearsals)."""
    with app.db.transaction() as session:
        return local_date(app.now(session))


def check_period(start: date, end: date) -> None:
    """Refuse a period that ends before it starts or is longer than five years."""
    if end < start:
        raise BadRequest("The period ends before it starts: `to` must be on or after `from`.")
    if end - start > MAX_PERIOD:
        raise BadRequest("Choose a period of at most five years.")


def _window(start: date) -> datetime:
    return datetime.combine(start, time(0), tzinfo=LONDON).astimezone(UTC)


def iter_cases(
    session: Session,
    where: Sequence[Any],
    progress: Progress = _no_progress,
    *,
    by_child: bool = False,
    names: Sequence[str] = (),
) -> Iterator[LoadedCase]:
    """Cases matching `where` with their events, in case id order (`by_child`: by child, then case id);
    `names`: only the events of these names.

    The cases are read in one query; their events CASE_BATCH cases at a time through the (stream, seq) index,
    so nothing sorts the whole event table and memory stays constant however large the LA.
    """
    order = (models.Case.child_id, models.Case.id) if by_child else (models.Case.id,)
    team = models.Case.people["team"].as_string()  # not the whole `people` JSON of every case
    query = select(models.Case.id, models.Case.child_id, models.Case.status, team).where(*where)
    rows = session.execute(query.order_by(*order)).all()
    total = len(rows)
    progress(0, total)
    connection = session.connection()
    for first in range(0, total, CASE_BATCH):
        batch = rows[first : first + CASE_BATCH]
        events = _read_events(connection, [row.id for row in batch], names)
        for done, row in enumerate(batch, start=first + 1):
            if row.id in events:  # a case without events (none in practice) is left out, as it always was
                yield LoadedCase(row.id, row.child_id, row.status, row[3], events[row.id])
            if done % BATCH == 0 or done == total:
                progress(done, total)


def _read_events(connection: Connection, streams: list[str], names: Sequence[str] = ()) -> dict[str, list[Event]]:
    """The events of these streams in sequence order, by stream.

    Read as plain values: `at` without the per-row type decorator, `data` as JSON text decoded in one call.
    """
    event = models.Event
    query = (
        select(event.stream, event.seq, event.name, type_coerce(event.at, _AT), event.actor, cast(event.data, Text))
        .where(event.stream.in_(streams), *([event.name.in_(names)] if names else []))
        .order_by(event.stream, event.seq)
    )
    rows = connection.execute(query).all()
    datas = json.loads("[" + ",".join([row[5] for row in rows]) + "]")
    found: dict[str, list[Event]] = {}
    for (stream, seq, name, at, actor, _), data in zip(rows, datas, strict=True):
        at = at.replace(tzinfo=UTC) if at.tzinfo is None or at.tzinfo in _ZERO else at.astimezone(UTC)
        found.setdefault(stream, []).append(Event(seq, name, at, actor, data))
    return found


def staff_directory(session: Session, la_id: int, today: date) -> dict[str, dict[str, Any]]:
    """Every member of staff's profession, registration, team and employer, by username."""
    staff = models.Staff
    return {
        row.username: {
            "profession": row.profession,
            "registered": registered_on(row.swe_expires_on, row.swe_number, today),
            "team": row.team,
            "employer": row.employer,
        }
        for row in session.execute(
            select(
                staff.username, staff.profession, staff.swe_expires_on, staff.swe_number, staff.team, staff.employer
            ).where(staff.la_id == la_id)
        )
    }


def _facts(case: LoadedCase, protocol: LocalProtocol, directory: dict[str, dict[str, Any]]) -> CaseFacts:
    return case_facts(
        case.case_id, case.child_id, case.events, cp_case_holder=protocol.cp_case_holder, directory=directory
    )


def _audit(session: Session, actor: Actor | None, la_id: int, what: str, now: datetime) -> None:
    if actor is not None:
        session.add(models.AccessLog(la_id=la_id, at=now, actor=actor.username, case_id=None, child_id=None, what=what))


def service_conformance(
    app: Casepath,
    actor: Actor | None,
    start: date,
    end: date,
    *,
    group_by: str = "team",
    basis: str = "due",
    la_id: int | None = None,
    progress: Progress = _no_progress,
) -> dict[str, Any]:
    """Conformance of every case of the LA over the period, by rule and team or profession (reviewer, admin)."""
    if actor is not None:
        require_role(actor, "reviewer", "admin")
    check_period(start, end)
    if group_by not in GROUP_BY or basis not in BASES:
        raise BadRequest(f"group_by must be one of {', '.join(GROUP_BY)}; basis one of {', '.join(BASES)}.")
    la = actor.la_id if actor is not None else la_id or 1
    report = ConformanceReport(Period(start, end), group_by, basis)
    with app.db.transaction() as session, without_cyclic_gc():
        now = app.now(session)
        protocol = app.protocol(session, la)
        calendar, today = MemoCalendar(app.calendar(protocol)), local_date(now)
        directory = staff_directory(session, la, today)
        for case in iter_cases(session, conformance_cases(la, start, end), progress, names=EVENTS_READ):
            report.add(_facts(case, protocol, directory), evaluate_case(case.events, calendar, protocol, today))
        _audit(session, actor, la, f"conformance report {start}..{end}", now)
    return report.report()


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """A report over a whole LA makes millions of small objects, freed by reference counting as it goes; the
    cyclic garbage collector, run every few hundred of them, would walk the growing report again and again (a
    sixth of the time of conformance over 100,000 cases). It is paused for the report: nothing it makes holds a
    cycle. Only around a call that returns: a stream may never be finished."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def conformance_cases(la_id: int, start: date, end: date) -> list[Any]:
    """The cases a conformance report over the period reads: referred by its end, open at some time in the
    year before its start or later (for re-referrals)."""
    return [
        models.Case.la_id == la_id,
        models.Case.received_at < end_of_day(end),
        or_(models.Case.closed_on.is_(None), models.Case.closed_on >= start - LOOKBACK),
    ]


def conformance_csv(report: dict[str, Any], table: str) -> str:
    """One table of a conformance report as CSV (header row, then one row per line)."""
    if table not in TABLES:
        raise BadRequest(f"table must be one of {', '.join(TABLES)}.")
    return rows_csv(report[table])


def rows_csv(rows: Sequence[dict[str, Any]]) -> str:
    """Flat dictionaries as CSV, columns in the order of the first row's keys."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def event_log(
    app: Casepath,
    actor: Actor | None,
    kind: str,
    start: date,
    end: date,
    *,
    lifecycle: str = "complete",
    la_id: int | None = None,
    progress: Progress = _no_progress,
) -> Iterator[bytes]:
    """The event log (`xes` or `ocel`) of the cases referred in the period (reviewer), in pieces.

    Checks who is asking and the period at once; the database is read as the pieces are taken.
    """
    if actor is not None:
        require_role(actor, "reviewer")
    check_period(start, end)
    if kind not in ("xes", "ocel") or lifecycle not in LIFECYCLES:
        raise BadRequest(f"Export `xes` or `ocel`; lifecycle one of {', '.join(LIFECYCLES)}.")
    la = actor.la_id if actor is not None else la_id or 1
    return _event_log(app, actor, la, kind, start, end, lifecycle, progress)


def _event_log(
    app: Casepath, actor: Actor | None, la: int, kind: str, start: date, end: date, lifecycle: str, progress: Progress
) -> Iterator[bytes]:
    with app.db.transaction() as session:
        where = [
            models.Case.la_id == la,
            models.Case.received_at >= _window(start),
            models.Case.received_at < end_of_day(end),
        ]
        cases = (ExportCase(c.case_id, c.child_id, c.status, c.events) for c in iter_cases(session, where, progress))
        name = f"Casepath cases referred {start} to {end}"
        yield from iter_xes(cases, name=name, lifecycle=lifecycle) if kind == "xes" else iter_ocel(cases)
        _audit(session, actor, la, f"{kind} export {start}..{end}", app.now(session))


def workforce_return(
    app: Casepath, actor: Actor | None, year: int, quarter: int, la_id: int | None = None
) -> dict[str, Any]:
    """The quarterly Families First workforce return (reviewer, admin)."""
    if actor is not None:
        require_role(actor, "reviewer", "admin")
    if quarter not in (1, 2, 3, 4) or not 2000 <= year <= 2100:
        raise BadRequest("Give a collection year (e.g. 2026 for April 2025 to March 2026) and a quarter 1-4.")
    period = Quarter.of(year, quarter)
    la = actor.la_id if actor is not None else la_id or 1
    with app.db.transaction() as session:
        row = session.get(models.LocalAuthority, la)
        assert row is not None
        protocol = app.protocol(session, la)
        directory = staff_directory(session, la, period.end)
        where = [
            models.Case.la_id == la,
            models.Case.received_at < end_of_day(period.end),
            or_(models.Case.closed_on.is_(None), models.Case.closed_on >= period.start),
        ]
        holdings, family_help, fgdm = [], [], FgdmActivity()
        for case in iter_cases(session, where):
            facts = _facts(case, protocol, directory)
            holdings += [Holding(who, facts.case_id, since, until) for who, since, until in facts.lead_spells()]
            if facts.s17_from is not None:
                family_help.append(FamilyHelp(facts.child_id, facts.case_id, facts.s17_from, facts.closed_on))
            fgdm.offered += facts.fgdm_offered
            fgdm.not_offered += facts.fgdm_not_offered
            fgdm.held += facts.fgdm_held
            fgdm.declined += facts.fgdm_declined
        staff = [
            StaffRecord(name, str(p["profession"]), bool(p["registered"]), str(p["employer"]))
            for name, p in directory.items()
        ]
        _audit(session, actor, la, f"workforce return {year} Q{quarter}", app.now(session))
        return build_workforce_return(
            la_code=row.code, quarter=period, staff=staff, holdings=holdings, family_help=family_help, fgdm=fgdm
        )


def workforce_csv(result: dict[str, Any]) -> str:
    """The workforce return as CSV rows (measure, breakdown, value)."""
    return rows_csv(workforce_rows(result))


def cin_census_stream(
    app: Casepath, actor: Actor | None, year: int, la_id: int | None = None, progress: Progress = _no_progress
) -> Iterator[bytes]:
    """The CIN census in pieces, child by child, loading cases and events in streamed batches."""
    if actor is not None:
        require_role(actor, "reviewer", "admin")
    la = actor.la_id if actor is not None else la_id or 1
    return _census_pieces(app, la, year, progress)


def _census_pieces(app: Casepath, la: int, year: int, progress: Progress) -> Iterator[bytes]:
    period = CollectionPeriod.for_year(year)
    with app.db.transaction() as session:
        row = session.get(models.LocalAuthority, la)
        assert row is not None
        protocol = app.protocol(session, la)
        in_year = select(models.Case.child_id).where(
            models.Case.la_id == la,
            models.Case.received_at < end_of_day(period.reference_date),
            or_(models.Case.closed_on.is_(None), models.Case.closed_on >= period.start),
        )
        # every case of those children: earlier ones count towards NumberOfPreviousCPP
        where = [models.Case.la_id == la, models.Case.child_id.in_(in_year)]
        total = session.scalar(select(func.count()).select_from(models.Child).where(models.Child.id.in_(in_year)))
        cases = iter_cases(session, where, by_child=True)
        children = _census_children(session, groupby(cases, lambda c: c.child_id))
        yield from iter_cin_census(
            la_code=row.code,
            year=year,
            children=_counted(children, total or 0, progress),
            generated_at=app.now(session),
            calendar=MemoCalendar(app.calendar(protocol)),
        )


def _census_children(session: Session, groups: Iterator[tuple[str, Iterator[LoadedCase]]]) -> Iterator[CensusChild]:
    """Children with their cases, the children's rows read CASE_BATCH children at a time."""
    while batch := [(child_id, list(cases)) for child_id, cases in islice(groups, CASE_BATCH)]:
        child = models.Child
        query = select(
            child.id, child.sex, child.ethnicity, child.disabilities, child.date_of_birth,
            child.expected_date_of_birth, child.upn,
        ).where(child.id.in_([child_id for child_id, _ in batch]))  # fmt: skip
        people = {row.id: row for row in session.execute(query)}
        for child_id, cases in batch:
            if child_id in people:
                yield _census_child(people[child_id], cases)


def _counted(children: Iterator[CensusChild], total: int, progress: Progress) -> Iterator[CensusChild]:
    progress(0, total)
    for done, child in enumerate(children, start=1):
        yield child
        if done % BATCH == 0 or done == total:
            progress(done, total)


def _census_child(child: Any, cases: list[LoadedCase]) -> CensusChild:
    return CensusChild(
        child_id=child.id,
        la_child_id=child.id.replace("-", "")[:20],
        sex=child.sex,
        ethnicity=child.ethnicity,
        disabilities=list(child.disabilities),
        cases=[CaseRecord(case.case_id, case.events) for case in cases],
        date_of_birth=child.date_of_birth,
        expected_date_of_birth=child.expected_date_of_birth,
        upn=child.upn,
    )
