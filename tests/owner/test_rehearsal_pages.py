"""The rehearsal pages: start a rehearsal of a draft, refer a made-up child, complete its steps as any role
through the staff form renderer, move the clock on working days to see the overdue escalation, discard it;
and no real case is ever touched."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from casepath.services import drafts, rehearsal
from casepath.services.core import Casepath
from casepath.store import models
from tests.owner.test_forms_pages import owners, sign_out
from tests.web.conftest import Browser

__all__ = ["owners"]

DECISION = {"decision": "assessment", "primary_need": "N2", "rationale": "Rehearsal.", "referrer_informed": "true"}
ALLOCATION = {"lead_practitioner": "lead_practitioner", "practitioner_agreed": "true", "rationale": "Rehearsal."}


def real_rows(core: Casepath) -> tuple[int, int]:
    with core.db.transaction() as session:
        cases = session.scalar(select(func.count()).select_from(models.Case))
        tasks = session.scalar(select(func.count()).select_from(models.Task))
        return int(cases or 0), int(tasks or 0)


def start(browser: Browser, owners: Any, core: Casepath) -> str:
    drafts.start_draft(core, owners["po1"], "next", 1)
    browser.sign_in("po1")
    browser.get("/owner/rehearsals")
    browser.post("/owner/rehearsals", {"draft": "next", "start-day": "2", "start-month": "6", "start-year": "2025"},
                 status=200)  # fmt: skip
    assert "Rehearsal of the draft next" in browser.page.title
    assert '<span id="rehearsal-clock">2025-06-02 09:00</span>' in browser.html
    [running] = rehearsal.list_rehearsals(core, owners["po1"])
    return str(running["id"])


def open_task(browser: Browser, rid: str, step: str) -> str:
    link = rf'data-step="{step}">\s*<td[^>]*><a class="govuk-link" href="(/owner/rehearsals/{rid}/tasks/[^"]+)"'
    match = re.search(link, browser.html)
    assert match, f"no open {step} on the page"
    browser.get(match.group(1))
    return match.group(1)


def test_a_process_owner_rehearses_a_draft_through_the_pages_and_sees_the_overdue_escalation(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    before = real_rows(core)
    rid = start(browser, owners, core)
    browser.post(f"/owner/rehearsals/{rid}/referrals", {}, status=200)
    assert "A made-up child was referred" in browser.html and 'data-step="referral_decision"' in browser.html
    url = open_task(browser, rid, "referral_decision")
    assert 'name="decision"' in browser.html and 'name="role"' in browser.html  # the staff renderer's form
    browser.post(url, {**DECISION, "role": "front_door"}, status=200)
    assert "was completed as front door" in browser.html
    url = open_task(browser, rid, "allocate_lead_practitioner")
    browser.post(url, {**ALLOCATION, "role": "practice_supervisor"}, status=200)
    assert 'data-step="child_and_family_assessment"' in browser.html and "Escalation" not in browser.html

    browser.post(f"/owner/rehearsals/{rid}/travel", {"working_days": "50"}, status=200)
    assert re.search(r"timer\(s\) fired", browser.html) and "0 timer(s) fired" not in browser.html
    assert 'data-step="overdue_review"' in browser.html and "Escalation" in browser.html and "Overdue" in browser.html
    assert real_rows(core) == before  # the rehearsal never touched a real case

    browser.post(f"/owner/rehearsals/{rid}/end", {}, status=200)
    assert "The rehearsal was discarded" in browser.html and rehearsal.list_rehearsals(core, owners["po1"]) == []
    browser.get(f"/owner/rehearsals/{rid}", status=404)


def test_a_rehearsal_step_refuses_bad_answers_a_wrong_role_and_a_bad_clock_move_with_error_summaries(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    rid = start(browser, owners, core)
    browser.post(f"/owner/rehearsals/{rid}/referrals", {}, status=200)
    url = open_task(browser, rid, "referral_decision")
    browser.post(url, {"role": "front_door", "rationale": "Only this."}, status=422)
    assert "There is a problem" in browser.html and "#decision" in browser.page.error_links
    assert "Only this." in browser.html  # the answers are kept
    browser.post(url, {**DECISION, "role": "business_support"}, status=None)
    assert browser.status in (403, 409, 422) and "There is a problem" in browser.html
    browser.post(url, {**DECISION, "role": "nobody"}, status=422)
    for days in ("0", "many", "999"):
        browser.post(f"/owner/rehearsals/{rid}/travel", {"working_days": days}, status=422)
        assert browser.page.error_links == ["#working_days"] and "from 1 to 260" in browser.html
    browser.get(f"/owner/rehearsals/{rid}/tasks/00000000-0000-0000-0000-000000000000", status=404)


def test_starting_a_rehearsal_needs_a_draft_and_a_real_date(browser: Browser, owners: Any, core: Casepath) -> None:
    drafts.start_draft(core, owners["po1"], "next", 1)
    browser.sign_in("po1")
    browser.get("/owner/rehearsals")
    browser.post("/owner/rehearsals", {"draft": ""}, status=422)
    assert browser.page.error_links == ["#draft"]
    browser.post("/owner/rehearsals", {"draft": "next", "start-day": "31", "start-month": "2", "start-year": "2025"},
                 status=422)  # fmt: skip
    assert browser.page.error_links == ["#start-day"] and rehearsal.list_rehearsals(core, owners["po1"]) == []
    browser.post("/owner/rehearsals", {"draft": "gone"}, status=404)


def test_only_process_owners_may_rehearse(browser: Browser, owners: Any, core: Casepath) -> None:
    rid = start(browser, owners, core)
    sign_out(browser)
    for who in ("rv1", "sw9"):
        browser.sign_in(who)
        browser.get("/owner/rehearsals", status=403)
        browser.get(f"/owner/rehearsals/{rid}", status=403)
        browser.post(f"/owner/rehearsals/{rid}/end", {}, status=403)
        sign_out(browser)
    assert [r["id"] for r in rehearsal.list_rehearsals(core, owners["po1"])] == [rid]
    browser.sign_in("po1")
    browser.get("/owner/rehearsals/not-a-rehearsal", status=404)
    assert "Rehearse" in browser.get("/owner/rehearsals")


def test_travel_moves_the_rehearsal_clock_by_working_days(core: Casepath, owners: Any) -> None:
    from datetime import UTC, datetime

    drafts.start_draft(core, owners["po1"], "next", 1)
    found = rehearsal.start_rehearsal(core, owners["po1"], "next", datetime(2025, 12, 24, 9, tzinfo=UTC))
    moved = rehearsal.travel(core, owners["po1"], found["id"], 2)  # 25, 26 Dec bank holidays, 27-28 a weekend
    assert moved["now"].startswith("2025-12-30T09:00")
