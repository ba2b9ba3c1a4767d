"""Conformance across the service: by team and profession, breaches, trends, re-referrals, escalations."""

from __future__ import annotations

import gc
from datetime import date
from typing import Any

import pytest

from casepath.conformance.evaluate import EVENTS_READ, evaluate_case
from casepath.conformance.facts import case_facts
from casepath.domain.errors import BadRequest, Forbidden
from casepath.services import cases, reports
from tests.conformance.pathways import Driver

YEAR = (date(2025, 4, 1), date(2026, 3, 31))


@pytest.fixture
def d(factory: Any) -> Driver:
    return Driver(factory)


def service(d: Driver) -> dict[str, dict[str, str]]:
    """Four cases: east (family support worker), west (social worker, late), a re-referral, an escalation."""
    east = d.s17_case()
    west = d.refer("2025-04-17")
    d.decide(west, "2025-04-22")
    d.allocate(west, "2025-04-22", "sw1", supervisor=d.staff.ps_west)
    d.assess(west, "2025-06-30", d.staff.sw, "2025-04-23", delay_reason="Court work took priority.")
    d.approve(west, "2025-07-01", supervisor=d.staff.ps_west, delay_reason="Approved as soon as it came in.")
    first = d.refer("2025-05-02")
    d.decide(first, "2025-05-06", "nfa")
    child_id = cases.get_case(d.factory.core, d.staff.rev, first)["child"]["id"]
    again = d.refer_again("2025-11-03", child_id)
    escalated = d.s17_case(received="2025-04-22")
    d.raise_event("2025-07-01", d.staff.ps, escalated, "child_protection_concern", reason="New injury.")
    d.strategy(escalated, "2025-07-02")
    return {"east": {"id": east}, "west": {"id": west}, "first": {"id": first}, "again": {"id": again},
            "escalated": {"id": escalated}}  # fmt: skip


def row(report: dict[str, Any], rule: str, group: str) -> dict[str, Any]:
    found = [r for r in report["rules"] if r["rule"] == rule and r["group"] == group]
    assert len(found) == 1, [r for r in report["rules"] if r["rule"] == rule]
    return found[0]


def test_the_report_counts_each_rule_by_the_team_the_case_sat_with_at_the_time(d: Driver) -> None:
    ids = service(d)
    d.at("2025-11-05")
    report = reports.service_conformance(d.factory.core, d.staff.rev, *YEAR, group_by="team")
    decisions = row(report, "referral-decision-1wd", "all")
    assert (decisions["met"], decisions["overdue"], decisions["on_time_rate"]) == (4, 1, 0.8)  # one still undecided
    assert row(report, "referral-decision-1wd", "front door")["met"] == 4  # decided at the front door
    east, west = row(report, "assessment-45wd", "east"), row(report, "assessment-45wd", "west")
    # the escalated case's s47 enquiry reopened its assessment, still open past the 45 days
    assert (east["met"], east["breached"], east["overdue"], east["on_time_rate"]) == (2, 0, 1, 0.6667)
    assert (west["met"], west["breached"], west["on_time_rate"]) == (0, 1, 0.0)
    assert row(report, "assessment-45wd", "all")["on_time_rate"] == 0.5
    assert row(report, "chair-independent", "all")["not_applicable"] == 5
    breach = next(b for b in report["breaches"] if b["rule"] == "assessment-45wd")
    assert (breach["case_id"], breach["group"], breach["reason_recorded"]) == (ids["west"]["id"], "west", True)
    assert "Court work took priority." in breach["reason"]
    assert report["cases"] == 5


def test_the_report_compares_social_workers_with_alternatively_qualified_lead_practitioners(d: Driver) -> None:
    service(d)
    d.at("2025-11-05")
    report = reports.service_conformance(d.factory.core, d.staff.rev, *YEAR, group_by="profession")
    assert row(report, "assessment-45wd", "alternatively_qualified")["met"] == 2
    assert row(report, "assessment-45wd", "social_worker")["breached"] == 1
    assert row(report, "referral-decision-1wd", "no_lead_practitioner")["met"] == 4
    # from the strategy discussion on, the lead social worker holds the case
    assert row(report, "strategy-discussion-multiagency", "all")["met"] == 1


def test_re_referrals_within_twelve_months_and_escalations_from_s17_held_by_non_social_workers(d: Driver) -> None:
    ids = service(d)
    d.at("2025-11-05")
    report = reports.service_conformance(d.factory.core, d.staff.rev, *YEAR)
    (rereferral,) = report["rereferrals"]
    assert (rereferral["case_id"], rereferral["previous_case_id"]) == (ids["again"]["id"], ids["first"]["id"])
    assert (rereferral["previous_closed_on"], rereferral["days_since_closure"]) == ("2025-05-06", 181)
    assert report["summary"]["rereferrals_within_12_months"] == 1
    assert report["summary"]["rereferral_rate"] == pytest.approx(1 / 5)
    (escalation,) = report["escalations"]
    assert escalation["case_id"] == ids["escalated"]["id"]
    assert (escalation["s17_lead_practitioner"], escalation["s17_lead_profession"]) == ("fsw1", "family_support_worker")
    assert (escalation["concern_raised_by"], escalation["lead_social_worker"]) == ("ps1", "sw1")
    assert report["summary"]["s47_escalations_from_s17"]["alternatively_qualified"] == 1


def test_rows_count_in_the_month_and_period_of_their_due_date_or_by_referral(d: Driver) -> None:
    service(d)
    d.at("2025-11-05")
    june = reports.service_conformance(d.factory.core, d.staff.rev, date(2025, 6, 1), date(2025, 6, 30))
    assert (row(june, "assessment-45wd", "all")["met"], row(june, "assessment-45wd", "all")["breached"]) == (2, 1)
    assert not [r for r in june["rules"] if r["rule"] == "referral-decision-1wd"]
    by_referral = reports.service_conformance(
        d.factory.core, d.staff.rev, date(2025, 11, 1), date(2025, 11, 30), basis="referral"
    )
    assert by_referral["cases"] == 1
    trends = reports.service_conformance(d.factory.core, d.staff.rev, *YEAR)["trends"]
    months = {(t["month"], t["rule"]): t for t in trends}
    assert (months[("2025-06", "assessment-45wd")]["met"], months[("2025-06", "assessment-45wd")]["breached"]) == (2, 1)
    assert months[("2025-11", "referral-decision-1wd")]["overdue"] == 1  # the re-referral, still undecided


def test_only_reviewers_see_the_service_report_and_a_backwards_period_is_refused(d: Driver) -> None:
    with pytest.raises(Forbidden):
        reports.service_conformance(d.factory.core, d.staff.fsw, *YEAR)
    with pytest.raises(BadRequest, match="ends before it starts"):
        reports.service_conformance(d.factory.core, d.staff.rev, date(2025, 5, 1), date(2025, 4, 1))
    with pytest.raises(BadRequest):
        reports.service_conformance(d.factory.core, d.staff.rev, *YEAR, group_by="grade")


def test_progress_is_reported_as_cases_stream_through_and_every_table_has_a_csv(d: Driver) -> None:
    service(d)
    seen: list[tuple[int, int]] = []
    report = reports.service_conformance(
        d.factory.core, None, *YEAR, la_id=d.factory.la_id, progress=lambda *p: seen.append(p)
    )
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    for table in ("rules", "breaches", "trends", "rereferrals", "escalations"):
        lines = reports.conformance_csv(report, table).splitlines()
        assert len(lines) == len(report[table]) + 1
    assert reports.conformance_csv(report, "rules").startswith("rule,title,group,met,breached,pending,overdue,")


def test_the_events_the_report_leaves_unread_change_no_row_and_no_fact(d: Driver) -> None:
    """The service report reads only `EVENTS_READ`: every case judged on them alone is judged as on its whole record."""
    service(d)
    d.child_protection_case()  # with the referral closed at the front door: every kind of event
    core = d.factory.core
    with core.db.transaction() as session:
        protocol = core.protocol(session, 1)
        calendar, today = core.calendar(protocol), date(2026, 1, 5)
        where = reports.conformance_cases(1, *YEAR)
        whole = {c.case_id: c for c in reports.iter_cases(session, where)}
        read = {c.case_id: c for c in reports.iter_cases(session, where, names=EVENTS_READ)}
    assert whole.keys() == read.keys() and len(whole) >= 6
    assert any(len(read[i].events) < len(whole[i].events) for i in whole)  # something was left unread
    for case_id, case in whole.items():
        assert evaluate_case(read[case_id].events, calendar, protocol, today) == evaluate_case(
            case.events, calendar, protocol, today
        )
        assert case_facts(case_id, case.child_id, read[case_id].events) == case_facts(
            case_id, case.child_id, case.events
        )


def test_the_report_pauses_the_cyclic_garbage_collector_only_while_it_runs(
    d: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    d.s17_case()
    seen = []
    real = reports.evaluate_case

    def watched(*args: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(reports, "evaluate_case", watched)
    assert gc.isenabled()
    reports.service_conformance(d.factory.core, d.staff.rev, *YEAR)
    assert seen == [False] and gc.isenabled()

    def broken(*args: Any) -> Any:
        raise RuntimeError("a rule failed")

    monkeypatch.setattr(reports, "evaluate_case", broken)
    with pytest.raises(RuntimeError):
        reports.service_conformance(d.factory.core, d.staff.rev, *YEAR)
    assert gc.isenabled()
