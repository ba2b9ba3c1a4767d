"""Fuzzing the staff pages: whatever a signed-in person posts to a page, or puts in its address, gets an answer
that is not a server error (the API has schemathesis; these are the pages most people use).

Every page is asked as someone who may use it (a practice supervisor for the casework pages, a process owner for
the owner's pages, a reviewer for the reports), with its own valid CSRF token, so a request reaches the code that
reads it. Field names are the ones the pages read and every form's questions in every widget's spelling (dates
in three boxes, rows of a repeating group); values are whatever hypothesis makes of them, real ids among them.
The app runs with TESTING on, so an unhandled exception fails the test with its traceback rather than hiding
behind a 500 page. `CASEPATH_FUZZ_EXAMPLES` sets the budget (`make fuzz` raises it)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casepath.services import drafts, rehearsal
from casepath.services.core import Casepath
from casepath.store import models
from tests.web.conftest import TOKEN, Browser, check_page, password_hash

EXAMPLES = int(os.environ.get("CASEPATH_FUZZ_EXAMPLES", "60"))
FORMS = Path(__file__).resolve().parents[2] / "forms"


def form_fields() -> list[str]:
    """Every name a task form's page reads, in every widget's spelling."""
    names: set[str] = {"delay_reason", "action", "role"}
    for path in FORMS.glob("*.json"):
        for name, question in json.loads(path.read_text())["properties"].items():
            names |= {name, f"{name}-day", f"{name}-month", f"{name}-year", f"{name}-rows", f"{name}-0", f"{name}-1"}
            for sub in question.get("items", {}).get("properties", {}):
                names |= {f"{name}-0-{sub}", f"{name}-1-{sub}"}
    return sorted(names)


# what the pages read (web/*.py), beyond the task forms' questions
PAGE_FIELDS = [
    "name", "reason", "etag", "draft", "version", "key", "schema", "diagram", "xml", "lint", "against", "case_ids",
    "working_days", "start-day", "start-month", "start-year", "assignee", "view", "kind", "from", "to", "from-day",
    "from-month", "from-year", "to-day", "to-month", "to-year", "group_by", "rule", "next", "cadence_months",
    "allocation_working_days", "professions", "competencies", "caseload_limit", "cin_review_months",
]  # fmt: skip
SPECIAL = [
    "", " ", "true", "false", "on", "0", "1", "-1", "260", "99999999999999999999999", "1e309", "NaN", "2025-02-29",
    "2025-13-45", "31", "2", "2025", "nfa", "assessment", "strategy_discussion", "cin_plan", "s47", "N4", "RC8",
    "practice_supervisor", "front_door", "ps1", "po1", "nobody", "save", "submit", "preview", "*", '"x"', "W/\"1\"",
    "<script>alert(1)</script>", "../../etc/passwd", "%00", "\x00", "{}", "[]", '{"type": "object"}', "‮", "é" * 3,
    "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", "team", "month",
    "cin_census", "conformance", "referral_decision", "heatmap",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(SPECIAL), st.text(max_size=30), st.text(min_size=2000, max_size=6000), st.integers().map(str)
)


@pytest.fixture
def site(core: Casepath, factory: Any, app: Flask) -> dict[str, Any]:
    """Three signed-in people, a case with open work, a draft, a rehearsal: real ids for the addresses."""
    staff = {
        "ps1": factory.create_staff("ps1", ["practice_supervisor", "social_worker", "front_door"], team="east"),
        "fsw1": factory.create_staff(
            "fsw1", ["lead_practitioner"], profession="family_support_worker", competencies=["cin_assessment"]
        ),
        "po1": factory.create_staff("po1", ["process_owner"], profession="process_owner", registered=False),
        "rv1": factory.create_staff("rv1", ["reviewer"], profession="quality_assurance", registered=False),
    }
    with core.db.transaction() as session:
        for row in session.scalars(select(models.Staff)):
            row.password_hash = password_hash()
    case_id = factory.create_referral(staff["ps1"])
    factory.complete(
        staff["ps1"],
        case_id,
        "referral_decision",
        {"decision": "assessment", "primary_need": "N4", "rationale": "r", "referrer_informed": True},
    )
    drafts.start_draft(core, staff["po1"], "next", 1)
    rid = rehearsal.start_rehearsal(core, staff["po1"], "next", factory.clock.now())["id"]
    with core.db.transaction() as session:
        tasks = list(session.scalars(select(models.Task.id).where(models.Task.case_id == case_id)))
    browsers = {}
    for who in ("ps1", "po1", "rv1"):
        browsers[who] = Browser(app.test_client())
        browsers[who].sign_in(who)
    return {"browsers": browsers, "case_id": case_id, "tasks": tasks, "rid": str(rid)}


def ids(real: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(real), st.just(str(uuid.uuid4())), st.text(min_size=1, max_size=40))


# (who asks, method, address with {placeholders}): every staff page that takes input
ROUTES = [
    ("ps1", "POST", "/tasks/{task}"), ("ps1", "GET", "/tasks/{task}"), ("ps1", "POST", "/tasks/{task}/claim"),
    ("ps1", "GET", "/tasks/{task}/reassign"), ("ps1", "POST", "/tasks/{task}/reassign"),
    ("ps1", "POST", "/cases/{case}/events"), ("ps1", "GET", "/cases/{case}"), ("ps1", "GET", "/cases/{case}/diagram"),
    ("ps1", "GET", "/inbox"), ("ps1", "GET", "/team"),
    ("po1", "POST", "/owner/forms/start-draft"), ("po1", "GET", "/owner/forms"),
    ("po1", "GET", "/owner/drafts/{draft}/forms/edit"), ("po1", "POST", "/owner/drafts/{draft}/forms/edit"),
    ("po1", "POST", "/owner/forms/preview"), ("po1", "GET", "/owner/versions/{version}/forms/{key}"),
    ("po1", "GET", "/owner/editor"), ("po1", "GET", "/owner/editor/diagram"), ("po1", "POST", "/owner/editor/save"),
    ("po1", "POST", "/owner/editor/upload"), ("po1", "POST", "/owner/drafts/{draft}/publish"),
    ("po1", "GET", "/owner/versions/{version}/diff"), ("po1", "GET", "/owner/versions/{version}/migration"),
    ("po1", "POST", "/owner/versions/{version}/migration"), ("po1", "GET", "/owner/protocol"),
    ("po1", "POST", "/owner/protocol"), ("po1", "GET", "/owner/protocol/history"),
    ("po1", "GET", "/owner/protocol/diff"),
    ("po1", "POST", "/owner/rehearsals"), ("po1", "GET", "/owner/rehearsals/{rid}"),
    ("po1", "POST", "/owner/rehearsals/{rid}/referrals"), ("po1", "POST", "/owner/rehearsals/{rid}/travel"),
    ("po1", "GET", "/owner/rehearsals/{rid}/tasks/{task}"), ("po1", "POST", "/owner/rehearsals/{rid}/tasks/{task}"),
    ("rv1", "GET", "/reports/conformance"), ("rv1", "GET", "/reports/conformance/{table}.csv"),
    ("rv1", "POST", "/reports/exports"), ("rv1", "GET", "/reports/exports/{job}"),
    ("rv1", "GET", "/reports/exports/{job}/status"), ("rv1", "GET", "/reports/heatmap"),
    ("rv1", "GET", "/reports/heatmap/data"),
]  # fmt: skip


@settings(
    max_examples=EXAMPLES * len(ROUTES) // 10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_no_page_answers_anything_a_person_sends_with_a_server_error(site: dict[str, Any], data: Any) -> None:
    who, method, template = data.draw(st.sampled_from(ROUTES), label="route")
    drawn = dict(
        task=data.draw(ids(site["tasks"]), label="task"),
        case=data.draw(ids([site["case_id"]]), label="case"),
        rid=data.draw(ids([site["rid"]]), label="rid"),
        draft=data.draw(st.one_of(st.just("next"), st.text(min_size=1, max_size=20)), label="draft"),
        version=data.draw(st.sampled_from(["1", "2", "0", "999999999999"]), label="version"),
        key=data.draw(
            st.one_of(st.sampled_from(sorted(p.stem for p in FORMS.glob("*.json"))), st.text(max_size=20)), label="key"
        ),
        table=data.draw(st.sampled_from(["rules", "cases", "teams", "x"]), label="table"),
        job=data.draw(ids([str(uuid.uuid4())]), label="job"),
    )
    address = template.format(**{name: quote(value, safe="") for name, value in drawn.items()})
    fields = st.sampled_from(PAGE_FIELDS + form_fields())
    answers = data.draw(st.dictionaries(fields, st.one_of(VALUES, st.lists(VALUES, max_size=3)), max_size=10))
    browser = site["browsers"][who]
    if method == "GET":
        response = browser.client.get(address, query_string=answers)
    else:
        token = TOKEN.search(browser.html) or TOKEN.search(browser.get("/inbox"))
        assert token
        response = browser.client.post(address, data={**answers, "csrf_token": token.group(1)})
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    body = response.get_data(as_text=True)
    if not response.location and "<html" in body:  # a whole page (not a redirect; the form preview is a fragment)
        check_page(body)
