"""The reviewer pages: the conformance dashboard (who may see it, charts, tables, CSV), background
exports (start, progress, download, owner only, expiry, audit), the diagram heatmap's figures, and
raising a concern or pre-proceedings from the case page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from api.app import create_app
from casepath.services import cases, heatmap
from casepath.services.core import Casepath
from casepath.store import models
from tests.conformance.pathways import Driver
from tests.web.conftest import Browser, check_page, password_hash

PERIOD = "from-day=1&from-month=4&from-year=2025&to-day=31&to-month=3&to-year=2026"


@pytest.fixture
def d(factory: Any) -> Driver:
    return Driver(factory)


@pytest.fixture
def app(core: Casepath, d: Driver, tmp_path: Path) -> Flask:
    """The app, with every member of staff given the test password, and exports under tmp_path."""
    with core.db.transaction() as session:
        for row in session.scalars(select(models.Staff)):
            row.password_hash = password_hash()
    return create_app(core, {"TESTING": True, "SECRET_KEY": "test-secret", "CASEPATH_EXPORTS_DIR": tmp_path / "x"})


def service(d: Driver) -> dict[str, str]:
    """An east case (family support worker), a late west case (social worker) with reasons, a child
    referred again after NFA, and an s17 case escalated to s47 from a family support worker."""
    east = d.s17_case()
    west = d.refer("2025-04-17", first_name="Wes")
    d.decide(west, "2025-04-22")
    d.allocate(west, "2025-04-22", "sw1", supervisor=d.staff.ps_west)
    d.assess(west, "2025-06-30", d.staff.sw, "2025-04-23", delay_reason="Court work took priority.")
    d.approve(west, "2025-07-01", supervisor=d.staff.ps_west, delay_reason="Approved as soon as it came in.")
    first = d.refer("2025-05-02", first_name="Rae")
    d.decide(first, "2025-05-06", "nfa")
    child_id = cases.get_case(d.factory.core, d.staff.rev, first)["child"]["id"]
    again = d.refer_again("2025-11-03", child_id)
    escalated = d.s17_case(received="2025-04-22", first_name="Esme")
    d.raise_event("2025-07-01", d.staff.ps, escalated, "child_protection_concern", reason="New injury.")
    d.strategy(escalated, "2025-07-02")
    d.at("2025-11-05")
    return {"east": east, "west": west, "first": first, "again": again, "escalated": escalated}


# --- the dashboard -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "status"), [("rev", 200), ("admin", 200), ("fsw1", 403), ("ps1", 403)])
def test_only_reviewers_and_admins_see_the_dashboard(browser: Browser, d: Driver, username: str, status: int) -> None:
    browser.sign_in(username)
    browser.get("/reports/conformance", status=status)
    if status == 403:
        check_page(browser.html)
        assert "Only a reviewer or admin may do this." in browser.html
    else:
        assert "<title>Service conformance" in browser.html and 'href="/reports/conformance"' in browser.html


def test_signed_out_people_are_sent_to_sign_in(browser: Browser) -> None:
    response = browser.client.get("/reports/conformance")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_dashboard_shows_timeliness_breaches_rereferrals_escalations_and_charts(
    browser: Browser, d: Driver
) -> None:
    ids = service(d)
    browser.sign_in("rev")
    html = browser.get(f"/reports/conformance?{PERIOD}&group_by=team")
    assert "Summary, 1 April 2025 to 31 March 2026" in html
    assert '<th scope="row" class="govuk-table__header">Assessment completed within 45 working days</th>' in html
    timeliness = html.split("Timeliness by rule")[1].split("Trends by month")[0]
    assert "Conference chaired independently" not in timeliness  # nothing fell due: left out of the table
    # the breach with its reason, linking to the child's case page
    assert "Court work took priority." in html
    assert f'href="/cases/{ids["west"]}">Wes Example</a>' in html
    # re-referral of Rae, and Esme's escalation from a family support worker's s17 work
    assert f'href="/cases/{ids["again"]}">Rae Example</a>' in html
    assert f'href="/cases/{ids["escalated"]}">Esme Example</a>' in html and "family support worker" in html
    # two SVG charts, each with a title and description, and the table of their figures
    assert html.count('role="img"') == 2 and 'aria-labelledby="chart-on-time-title chart-on-time-desc"' in html
    assert '<title id="chart-missed-title">' in html and "November 2025" in html
    for table in ("rules", "breaches", "trends", "rereferrals", "escalations"):
        assert f"/reports/conformance/{table}.csv?" in html


def test_grouping_by_profession_compares_social_workers_with_alternatively_qualified_staff(
    browser: Browser, d: Driver
) -> None:
    service(d)
    browser.sign_in("rev")
    html = browser.get(f"/reports/conformance?{PERIOD}&group_by=profession&rule=assessment-45wd")
    assert "alternatively qualified" in html and "Lead practitioner&#39;s profession" in html
    assert "On-time rate by month, Assessment" in html


def test_the_csv_downloads_carry_the_same_tables(browser: Browser, d: Driver) -> None:
    ids = service(d)
    browser.sign_in("rev")
    answer = browser.client.get("/reports/conformance/breaches.csv?from=2025-04-01&to=2026-03-31")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    text = answer.get_data(as_text=True)
    assert text.startswith("date,rule,case_id,") and ids["west"] in text and "Court work took priority." in text
    rules = browser.client.get("/reports/conformance/rules.csv?from=2025-04-01&to=2026-03-31&group_by=profession")
    assert "alternatively_qualified" in rules.get_data(as_text=True)
    browser.get("/reports/conformance/everything.csv", status=404)
    browser.get("/reports/conformance/rules.csv?from=yesterday", status=400)


def test_practitioners_may_not_download_the_csv(browser: Browser, d: Driver) -> None:
    browser.sign_in("fsw1")
    browser.get("/reports/conformance/rules.csv", status=403)


@pytest.mark.parametrize(
    ("query", "message", "href"),
    [
        ("from-day=31&from-month=2&from-year=2025", "The start date must be a real date", "#from-day"),
        ("to-day=1&to-year=2025", "The end date must include a month", "#to-day"),
        ("from-day=1&from-month=5&from-year=2025&to-day=1&to-month=4&to-year=2025", "same as or after", "#to-day"),
        ("group_by=grade", "Choose team or", "#group_by"),
    ],
)
def test_a_bad_period_is_shown_in_the_error_summary(
    browser: Browser, d: Driver, query: str, message: str, href: str
) -> None:
    browser.sign_in("rev")
    html = browser.get(f"/reports/conformance?{query}", status=400)
    page = check_page(html)
    assert message in html and href in page.error_links
    assert "<title>Error: Service conformance" in html


# --- background exports ---------------------------------------------------------------------------------


def start(browser: Browser, data: dict[str, str]) -> str:
    browser.get("/reports/exports")
    response = browser.post("/reports/exports", data, follow=False)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    registry = browser.client.application.extensions["casepath_jobs"]
    registry.wait(job_id)
    return str(job_id)


def test_an_event_log_export_runs_in_the_background_and_only_its_owner_downloads_it(
    app: Flask, d: Driver, core: Casepath
) -> None:
    service(d)
    d.factory.create_staff("rev2", ["reviewer"], profession="quality_assurance")
    with core.db.transaction() as session:
        session.scalars(
            select(models.Staff).where(models.Staff.username == "rev2")
        ).one().password_hash = password_hash()
    owner = Browser(app.test_client())
    owner.sign_in("rev")
    dates = {
        "from-day": "1",
        "from-month": "4",
        "from-year": "2025",
        "to-day": "31",
        "to-month": "12",
        "to-year": "2025",
    }
    job_id = start(owner, {"kind": "xes", **dates})
    page = owner.get(f"/reports/exports/{job_id}")
    assert "Ready to download" in page and 'http-equiv="refresh"' not in page
    with owner.client.get(f"/reports/exports/{job_id}/download") as download:
        assert download.status_code == 200 and download.get_data().count(b"<trace>") == 5
        assert "filename=casepath-2025-04-01-2025-12-31.xes" in download.headers["Content-Disposition"]
    assert "Download" in owner.get("/reports/exports")
    other = Browser(app.test_client())
    other.sign_in("rev2")
    other.get(f"/reports/exports/{job_id}", status=404)
    other.get(f"/reports/exports/{job_id}/download", status=404)
    assert job_id not in other.get("/reports/exports")
    with core.db.transaction() as session:
        logged = list(session.scalars(select(models.AccessLog.what).where(models.AccessLog.actor == "rev")))
    assert f"export started: xes {job_id}" in logged and f"export downloaded: xes {job_id}" in logged
    assert "xes export 2025-04-01..2025-12-31" in logged  # recorded by the export itself


def test_census_and_workforce_exports_finish_with_their_files(app: Flask, d: Driver) -> None:
    service(d)
    owner = Browser(app.test_client())
    owner.sign_in("admin")
    census = start(owner, {"kind": "census", "year": "2026"})
    with owner.client.get(f"/reports/exports/{census}/download") as download:
        assert download.get_data().startswith(b"<?xml")
    workforce = start(owner, {"kind": "workforce", "year": "2026", "quarter": "1"})
    with owner.client.get(f"/reports/exports/{workforce}/download") as download:
        assert b"lead_practitioners" in download.get_data()
    status = owner.client.get(f"/reports/exports/{workforce}/status").get_json()
    assert status == {"status": "done", "done": 1, "total": 1, "percent": 100}


def test_an_admin_may_not_start_an_event_log_export(app: Flask, d: Driver) -> None:
    admin = Browser(app.test_client())
    admin.sign_in("admin")
    assert 'value="xes"' not in admin.get("/reports/exports")
    admin.post("/reports/exports", {"kind": "xes"}, status=403)


@pytest.mark.parametrize(
    ("data", "message", "href"),
    [
        ({"kind": "xes", "from-day": "1", "from-month": "13", "from-year": "2025"}, "must be a real date", "#from-day"),
        ({"kind": "ocel"}, "Enter the dates the export covers", "#from-day"),
        ({"kind": "census", "year": "next"}, "Enter a collection year", "#census-year"),
        ({"kind": "workforce", "year": "2026"}, "Choose a quarter", "#quarter"),
        (
            {"kind": "xes", "from-day": "1", "from-month": "4", "from-year": "2025", "to-day": "1", "to-month": "3",
             "to-year": "2025"},
            "The period ends before it starts",
            "#to-day",
        ),
    ],
)  # fmt: skip
def test_a_bad_export_request_is_shown_in_the_error_summary(
    browser: Browser, d: Driver, data: dict[str, str], message: str, href: str
) -> None:
    browser.sign_in("rev")
    browser.get("/reports/exports")
    browser.post("/reports/exports", data, status=400)
    assert message in browser.html and href in browser.page.error_links


def test_exports_expire_after_a_day_and_their_files_are_deleted(app: Flask, d: Driver, tmp_path: Path) -> None:
    owner = Browser(app.test_client())
    owner.sign_in("rev")
    job_id = start(owner, {"kind": "workforce", "year": "2026", "quarter": "1"})
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == [f"{job_id}.csv", f"{job_id}.json"]
    d.factory.clock.set(d.factory.clock.now() + timedelta(hours=25))
    assert "You have not started any exports" in owner.get("/reports/exports")
    assert list((tmp_path / "x").iterdir()) == []
    owner.get(f"/reports/exports/{job_id}", status=404)


def test_a_failing_export_is_reported_as_failed_to_its_owner(app: Flask, d: Driver, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("casepath.services.reports.workforce_return", broken)
    owner = Browser(app.test_client())
    owner.sign_in("rev")
    job_id = start(owner, {"kind": "workforce", "year": "2026", "quarter": "2"})
    html = owner.get(f"/reports/exports/{job_id}")
    assert "Failed: The export failed unexpectedly" in html and "disk on fire" not in html
    owner.get(f"/reports/exports/{job_id}/download", status=409)


def test_a_running_export_page_refreshes_itself_without_javascript(app: Flask, d: Driver, monkeypatch: Any) -> None:
    from casepath.services import jobs

    owner = Browser(app.test_client())
    owner.sign_in("rev")
    registry = app.extensions.setdefault("casepath_jobs", jobs.JobRegistry(Path(app.config["CASEPATH_EXPORTS_DIR"])))
    job = jobs.Job(id="A" * 16, owner="rev", la_id=d.factory.la_id, kind="census", params={"year": 2026},
                   filename="cin-census-2026.xml", created_at=d.factory.clock.now().isoformat(),
                   expires_at=(d.factory.clock.now() + timedelta(hours=1)).isoformat(), status="running",
                   done=500, total=2000)  # fmt: skip
    registry._save(job)
    html = owner.get(f"/reports/exports/{job.id}")
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert "Running: 500 of 2000 done (25%)" in html and "reports/progress.js" in html


# --- the heatmap -------------------------------------------------------------------------------------------


def heat_cases(d: Driver) -> None:
    """Referral decisions: two on time (1 working day each, over Easter and the May bank holiday), one
    late (2 working days), one still open."""
    d.decide(d.refer("2025-04-17"), "2025-04-22")  # 17 Apr 10:00 → 22 Apr 12:00: 122 hours
    d.decide(d.refer("2025-05-02"), "2025-05-06")  # 98 hours
    d.decide(d.refer("2025-06-02"), "2025-06-04", delay_reason="Waited for the school.")  # 50 hours, late
    d.refer("2025-06-09")


def test_the_heatmap_figures_count_cases_median_time_and_the_share_completed_late(d: Driver) -> None:
    heat_cases(d)
    found = heatmap.heatmap(d.factory.core, d.staff.rev, 1, "referral.bpmn")
    step = next(s for s in found["steps"] if s["step"] == "referral_decision")
    assert (step["cases"], step["completed"], step["open"]) == (3, 3, 1)
    assert (step["median_working_days"], step["median_hours"]) == (1, 98.0)
    assert (step["late"], step["with_due_date"], step["late_share"], step["band"]) == (1, 3, 0.3333, "often-late")
    assessment = heatmap.heatmap(d.factory.core, d.staff.rev, None, "assessment.bpmn")
    allocate = next(s for s in assessment["steps"] if s["step"] == "allocate_lead_practitioner")
    assert (allocate["cases"], allocate["open"], allocate["band"]) == (0, 3, "none")


def test_the_heatmap_bands_by_the_share_completed_late() -> None:
    assert [heatmap.band(s, 4) for s in (None, 0.0, 0.2, 0.25, 0.49, 0.5, 1.0)] == [
        "on-time", "on-time", "some-late", "often-late", "often-late", "mostly-late", "mostly-late",
    ]  # fmt: skip
    assert heatmap.band(None, 0) == "none"


def test_the_heatmap_page_shows_the_figures_in_a_table_and_serves_them_to_the_viewer(
    browser: Browser, d: Driver
) -> None:
    heat_cases(d)
    browser.sign_in("rev")
    html = browser.get("/reports/heatmap?version=1&diagram=referral.bpmn")
    row = re.search(r'<tr class="govuk-table__row" data-step="referral_decision">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r">([^<>]+)</t[dh]>", row.group(1))
    assert cells == ["Decide the response to the referral", "3", "1", "1", "98", "33% (1 of 3)"]
    assert 'data-heatmap-url="/reports/heatmap/data?version=1&amp;diagram=referral.bpmn"' in html
    assert "reports/heatmap.js" in html and "<script>" not in html
    data = browser.client.get("/reports/heatmap/data?version=1&diagram=referral.bpmn").get_json()
    assert data["xml"].startswith("<?xml") and data["steps"][0]["band"] == "often-late"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/reports/heatmap?version=9", 404),
        ("/reports/heatmap?diagram=nope.bpmn", 404),
        ("/reports/heatmap?version=x", 400),
    ],
)
def test_the_heatmap_refuses_unknown_versions_and_diagrams(browser: Browser, d: Driver, url: str, status: int) -> None:
    browser.sign_in("rev")
    browser.get(url, status=status)


def test_practitioners_may_not_see_the_heatmap_or_exports(browser: Browser, d: Driver) -> None:
    browser.sign_in("fsw1")
    browser.get("/reports/heatmap", status=403)
    browser.get("/reports/heatmap/data", status=403)
    browser.get("/reports/exports", status=403)


# --- escalating from the case page ---------------------------------------------------------------------------


def test_the_lead_practitioner_raises_a_concern_from_the_case_page(browser: Browser, d: Driver) -> None:
    case_id = d.s17_case()
    browser.sign_in("fsw1")
    html = browser.get(f"/cases/{case_id}")
    assert "Raise a child protection concern" in html and "Start pre-proceedings" not in html
    browser.post(f"/cases/{case_id}/events", {"name": "child_protection_concern", "reason": "Bruise seen."}, status=200)
    assert "Child protection concern raised" in browser.html
    assert "strategy_discussion" in d.factory.open_steps(case_id)


def test_a_concern_without_a_reason_is_shown_in_the_error_summary(browser: Browser, d: Driver) -> None:
    case_id = d.s17_case()
    browser.sign_in("fsw1")
    browser.get(f"/cases/{case_id}")
    browser.post(f"/cases/{case_id}/events", {"name": "child_protection_concern", "reason": " "}, status=400)
    assert browser.page.error_links == ["#concern-reason"]
    assert "Enter why you think the child may be at risk" in browser.html
    assert "strategy_discussion" not in d.factory.open_steps(case_id)


def test_a_practice_supervisor_starts_pre_proceedings_from_the_case_page(browser: Browser, d: Driver) -> None:
    case_id = d.s17_case()
    browser.sign_in("ps1")
    browser.get(f"/cases/{case_id}")
    browser.post(f"/cases/{case_id}/events", {"name": "pre_proceedings", "reason": ""}, status=200)
    assert "Pre-proceedings started" in browser.html
    assert "letter_before_proceedings" in d.factory.open_steps(case_id)


def test_someone_else_may_not_escalate_and_is_told_why(browser: Browser, d: Driver) -> None:
    case_id = d.s17_case()
    browser.sign_in("fsw1")
    browser.get(f"/cases/{case_id}")
    browser.post(f"/cases/{case_id}/events", {"name": "pre_proceedings", "reason": "x"}, status=403)
    assert "Only a practice supervisor may start pre-proceedings." in browser.html
    assert "proceedings-reason" not in browser.html  # the form is not offered to a lead practitioner


def test_a_stale_case_page_cannot_raise_a_second_concern(browser: Browser, d: Driver) -> None:
    case_id = d.s17_case()
    browser.sign_in("ps1")
    browser.get(f"/cases/{case_id}")
    etag = re.search(r'name="etag" value="([^"]+)"', browser.html)
    assert etag
    form = {"name": "child_protection_concern", "reason": "Bruise seen.", "etag": etag.group(1)}
    browser.post(f"/cases/{case_id}/events", form, status=200)
    browser.post(f"/cases/{case_id}/events", form, status=409)
    assert "has changed since you opened it" in browser.html
