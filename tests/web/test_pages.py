"""Every page: status, <title>, skip link, unique ids; the inbox, claiming, the case page, the team page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from casepath.domain.calendar import WorkingDayCalendar
from casepath.services.pages import clock_status
from tests.web.conftest import Browser

DECISION = {"decision": "assessment", "primary_need": "N4", "rationale": "Needs assessing.", "referrer_informed": True}
ALLOCATE = {"lead_practitioner": "fsw1", "practitioner_agreed": True, "rationale": "Knows the family."}


def assessment_case(factory: Any, people: dict[str, Any]) -> str:
    """A referral decided and allocated: the assessment is with fsw1."""
    case_id = factory.create_referral(people["fd1"], first_name="Ava")
    factory.complete(people["fd1"], case_id, "referral_decision", DECISION)
    factory.complete(people["ps1"], case_id, "allocate_lead_practitioner", ALLOCATE)
    return str(case_id)


def test_the_clock_marker_is_red_when_overdue_amber_within_two_working_days_else_green() -> None:
    calendar = WorkingDayCalendar()
    friday = date(2025, 4, 4)
    assert clock_status(date(2025, 4, 3), friday, calendar) == "red"
    assert clock_status(friday, friday, calendar) == "amber"
    assert clock_status(date(2025, 4, 8), friday, calendar) == "amber"  # Tuesday: 2 working days on
    assert clock_status(date(2025, 4, 9), friday, calendar) == "green"
    assert clock_status(None, friday, calendar) is None


def test_the_inbox_lists_each_task_with_child_step_due_date_and_clock(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    factory.create_referral(people["fd1"], first_name="Ava")
    browser.sign_in("fd1")
    browser.get("/inbox?view=available")
    assert "Ava Example" in browser.html
    assert "Decide the response to the referral" in browser.html
    assert "2 April 2025" in browser.html
    assert "app-rag--amber" in browser.html


@pytest.mark.parametrize("view", ["mine", "available", "overdue"])
def test_every_inbox_list_renders(browser: Browser, factory: Any, people: dict[str, Any], view: str) -> None:
    assessment_case(factory, people)
    browser.sign_in("fsw1")
    browser.get(f"/inbox?view={view}")


def test_the_team_list_is_only_offered_to_practice_supervisors(browser: Browser, people: dict[str, Any]) -> None:
    browser.sign_in("fsw1")
    browser.get("/inbox?view=team")
    assert "My team's tasks" not in browser.html
    browser.get("/team", status=403)


def test_a_task_can_be_claimed_from_the_inbox(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    case_id = factory.create_referral(people["fd1"])
    task = factory.open_task(case_id, "referral_decision")
    browser.sign_in("fd1")
    browser.get("/inbox?view=available")
    browser.post(f"/tasks/{task['id']}/claim", {"view": "available"}, status=200)
    assert "You have claimed the task" in browser.html
    assert factory.open_task(case_id, "referral_decision")["assignee"] == "fd1"


def test_messages_waiting_from_two_actions_show_in_one_banner_and_one_summary(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    """Two claims whose pages were never read (two tabs), then a refused one: one banner with both messages and one
    error summary, never two banners sharing an id (GOV.UK shows one banner at a time)."""
    first, second = (factory.open_task(factory.create_referral(people["fd1"]), "referral_decision") for _ in "12")
    browser.sign_in("fd1")
    browser.get("/inbox?view=available")
    for task in (first, second):
        browser.post(f"/tasks/{task['id']}/claim", {"view": "available"}, follow=False)
    browser.post("/tasks/00000000-0000-4000-8000-000000000000/claim", {"view": "available"}, follow=False)  # refused
    browser.get("/inbox")  # check_page: no id twice
    assert browser.html.count("govuk-notification-banner__title") == 1
    assert browser.html.count("You have claimed the task") == 2
    assert browser.html.count("govuk-error-summary__title") == 1


def test_a_refused_claim_is_explained_on_the_inbox(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    case_id = assessment_case(factory, people)
    factory.complete(
        people["fsw1"],
        case_id,
        "child_and_family_assessment",
        {"started_on": "2025-04-01", "factors": ["4B"], "summary": "Fine.", "recommendation": "cin_plan"},
    )
    task = factory.open_task(case_id, "approve_assessment")
    browser.sign_in("fsw1")
    browser.get("/inbox")
    browser.post(f"/tasks/{task['id']}/claim", {"view": "available"}, status=200)
    assert "govuk-error-summary" in browser.html
    assert factory.open_task(case_id, "approve_assessment")["assignee"] is None


def test_the_case_page_shows_the_child_the_people_the_clocks_and_the_timeline(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    case_id = assessment_case(factory, people)
    browser.sign_in("ps1")
    browser.get(f"/cases/{case_id}")
    assert "Ava Example" in browser.page.title
    assert "FSW1" in browser.html  # the lead practitioner's name
    assert "Assessment within 45 working days" in browser.html
    assert "Referral received" in browser.html
    assert "Step completed" in browser.html
    assert 'id="diagram"' in browser.html
    decided = browser.html.split("Referral decision within 1 working day")[1].split("</tr>")[0]
    assert ">Met</strong>" in decided and ">met<" not in decided  # said once
    assessing = browser.html.split("Assessment within 45 working days")[1].split("</tr>")[0]
    assert ">On time</strong>" in assessing and ">pending<" not in assessing


def test_the_case_diagram_is_the_current_phase_with_its_open_steps(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    case_id = assessment_case(factory, people)
    browser.sign_in("fsw1")
    found = browser.client.get(f"/cases/{case_id}/diagram").get_json()
    assert found["process"] == "assessment"
    assert found["open_steps"] == ["child_and_family_assessment"]
    assert 'id="child_and_family_assessment"' in found["xml"]


def test_someone_not_involved_cannot_see_a_case(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    case_id = assessment_case(factory, people)
    browser.sign_in("sw1")
    browser.get(f"/cases/{case_id}", status=404)
    assert browser.client.get(f"/cases/{case_id}/diagram").status_code == 404


def test_the_team_page_shows_open_work_and_caseloads(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    assessment_case(factory, people)
    browser.sign_in("ps1")
    browser.get("/team")
    assert "Ava Example" in browser.html
    row = browser.html.split("FSW1 (fsw1)")[1].split("</tr>")[0]
    assert ">1<" in row.replace(" ", "").replace("\n", "")


def test_a_supervisor_reassigns_a_task_with_a_reason(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    case_id = assessment_case(factory, people)
    task = factory.open_task(case_id, "child_and_family_assessment")
    browser.sign_in("ps1")
    browser.get(f"/tasks/{task['id']}/reassign")
    browser.post(f"/tasks/{task['id']}/reassign", {"assignee": "sw1", "reason": ""}, status=422)
    assert browser.page.error_links == ["#reason"]
    browser.post(f"/tasks/{task['id']}/reassign", {"assignee": "sw1", "reason": "fsw1 is on leave"}, status=200)
    assert factory.open_task(case_id, "child_and_family_assessment")["assignee"] == "sw1"


def test_the_reassign_page_says_who_may_take_the_task_and_why_others_may_not(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    factory.create_staff("bs1", ["business_support"], profession="administrator", team="family help east")
    case_id = assessment_case(factory, people)
    task = factory.open_task(case_id, "child_and_family_assessment")
    browser.sign_in("ps1")
    browser.get(f"/tasks/{task['id']}/reassign")
    assert "Who may take this task" in browser.html
    assert "Holds it now" in browser.html.split("FSW1 (fsw1)")[1].split("</tr>")[0]
    assert ">Yes<" in browser.html.split("SW1 (sw1)")[1].split("</tr>")[0]
    assert "No: " in browser.html.split("BS1 (bs1)")[1].split("</tr>")[0]


def test_a_refused_reassignment_says_why(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    case_id = assessment_case(factory, people)
    task = factory.open_task(case_id, "child_and_family_assessment")
    browser.sign_in("ps1")
    browser.get(f"/tasks/{task['id']}/reassign")
    browser.post(f"/tasks/{task['id']}/reassign", {"assignee": "fd1x", "reason": "cover"}, status=404)
    assert "member of staff" in browser.html
    assert browser.page.error_links == ["#assignee"]


def test_only_practice_supervisors_may_open_the_reassign_page(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    case_id = assessment_case(factory, people)
    task = factory.open_task(case_id, "child_and_family_assessment")
    browser.sign_in("fsw1")
    browser.get(f"/tasks/{task['id']}/reassign", status=403)


def test_an_unknown_task_is_a_not_found_page(browser: Browser, people: dict[str, Any]) -> None:
    browser.sign_in("fd1")
    browser.get("/tasks/no-such-task", status=404)
    assert "There is no such task" in browser.html
