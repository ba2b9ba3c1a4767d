"""The forms editor pages: a draft's forms edited as JSON Schema with a live preview from the staff renderer,
a version's forms read-only, drafts started from a version, and every refusal as a GOV.UK error summary."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from casepath.domain.errors import Forbidden, InvalidForm
from casepath.services import drafts
from casepath.services.core import Casepath
from casepath.store import models
from tests.owner.journeys import CHECK_FORM
from tests.web.conftest import Browser, password_hash

RADIOS_FORM = {
    "type": "object",
    "title": "Check",
    "x-govuk-order": ["outcome", "why"],
    "properties": {
        "outcome": {
            "title": "Outcome",
            "enum": ["ok", "redo"],
            "x-govuk-labels": {"ok": "Fine", "redo": "Do it again"},
        },
        "why": {"title": "Why redo", "type": "string", "x-govuk": {"reveal_when": {"outcome": ["redo"]}}},
    },
}


@pytest.fixture
def owners(factory: Any, core: Casepath) -> dict[str, Any]:
    """A process owner, a reviewer, a social worker and an administrator, each able to sign in."""
    found = {
        "po1": factory.create_staff("po1", ["process_owner"], profession="process_owner", registered=False),
        "rv1": factory.create_staff("rv1", ["reviewer"], profession="quality_assurance", registered=False),
        "sw9": factory.create_staff("sw9", ["social_worker", "lead_practitioner"]),
        "ad1": factory.create_staff("ad1", ["admin"], profession="administrator", registered=False),
    }
    with core.db.transaction() as session:
        for row in session.scalars(select(models.Staff).where(models.Staff.username.in_(list(found)))):
            row.password_hash = password_hash()
    return found


def sign_out(browser: Browser) -> None:
    browser.client.post("/sign-out", data={"csrf_token": browser.token()})


def started(browser: Browser, name: str = "forms") -> None:
    browser.sign_in("po1")
    browser.get("/owner/forms")
    browser.post("/owner/forms/start-draft", {"version": "1", "name": name}, status=200)


def test_a_process_owner_starts_a_draft_from_a_version_and_sees_its_forms(browser: Browser, owners: Any) -> None:
    browser.sign_in("po1")
    html = browser.get("/owner/forms")
    assert "Forms of version 1" in browser.page.title and "referral_decision" in html
    assert "Start a draft from version 1" in html and 'aria-current="page"' in html
    for link in ("/owner/editor", "/owner/forms", "/owner/protocol", "/owner/rehearsals"):  # the sub-navigation
        assert f'href="{link}"' in html
    browser.post("/owner/forms/start-draft", {"version": "1", "name": "forms"}, status=200)
    assert "Forms of the draft forms" in browser.page.title and "Started the draft forms" in browser.html
    assert "/owner/drafts/forms/forms/edit?key=referral_decision" in browser.html
    browser.post("/owner/forms/start-draft", {"version": "1", "name": "forms"}, status=200)
    assert "already exists" in browser.html and "There is a problem" in browser.html
    browser.post("/owner/forms/start-draft", {"version": "1", "name": "Bad Name!"}, status=200)
    assert "lower-case letters" in browser.html


def test_editing_a_form_previews_it_with_the_staff_renderer_and_saves_it_into_the_draft(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    started(browser)
    html = browser.get("/owner/drafts/forms/forms/edit?key=referral_decision")
    assert 'id="editor-schema"' in html and 'hx-post="/owner/forms/preview"' in html
    assert 'name="decision"' in html  # the preview, rendered by web/forms.py as on the task page
    text = json.dumps(RADIOS_FORM)
    preview = browser.client.post("/owner/forms/preview", data={"csrf_token": browser.token(), "schema": text})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Do it again" in body and "govuk-radios__conditional" in body
    browser.post("/owner/drafts/forms/forms/edit", {"key": "referral_decision", "schema": text, "action": "preview"},
                 status=200)  # fmt: skip
    assert "Do it again" in browser.html and "Saved" not in browser.html
    assert drafts.get_draft(core, owners["po1"], "forms")["forms"]["referral_decision"] != RADIOS_FORM
    browser.post("/owner/drafts/forms/forms/edit", {"key": "referral_decision", "schema": text}, status=200)
    assert "Saved the form referral_decision" in browser.html
    assert drafts.get_draft(core, owners["po1"], "forms")["forms"]["referral_decision"] == RADIOS_FORM


def test_a_new_form_key_starts_from_a_template_and_is_added_to_the_draft(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    started(browser)
    html = browser.get("/owner/drafts/forms/forms/edit?key=check_assessment")
    assert "new form" in html and "Enter a note" in html
    browser.post("/owner/drafts/forms/forms/edit", {"key": "check_assessment", "schema": json.dumps(CHECK_FORM)},
                 status=200)  # fmt: skip
    assert drafts.get_draft(core, owners["po1"], "forms")["forms"]["check_assessment"] == CHECK_FORM
    response = browser.client.get("/owner/drafts/forms/forms/edit?key=Not-A-Key", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "step id" in html and "<title>Forms of the draft forms" in html


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"type": "object", "properties": {', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"type": "string"}', "must be a JSON Schema with"),
        ('{"type": "object", "properties": {"a": {"type": "strng"}}}', "Not valid JSON Schema"),
        ('{"type": "object", "properties": {"a": {"x-govuk": {"widget": "slider"}}}}', "Unknown widget"),
        (
            '{"type": "object", "properties": {"a": {"type": "string", "x-govuk": {"widget": "radios"}}}}',
            "needs an enum",
        ),
        ('{"type": "object", "properties": {"a": {"type": "array", "items": {"type": "object"}}}}', "need properties"),
        (
            '{"type": "object", "properties": {"a": {"enum": ["x"]}, "b": {"x-govuk": {"reveal_when": {"a": ["y"]}}}}}',
            "not an option",
        ),
        ("[" * 50_000, "nested too deeply"),
        ('{"type": "object", "properties": {"a": ' + '{"not": ' * 40 + "{}" + "}" * 40 + "}}", "nested less than"),
    ],
)
def test_a_form_that_cannot_be_used_is_refused_with_an_error_summary_and_never_saved(
    browser: Browser, owners: Any, core: Casepath, text: str, says: str
) -> None:
    started(browser)
    before = drafts.get_draft(core, owners["po1"], "forms")["forms"]["referral_decision"]
    browser.post("/owner/drafts/forms/forms/edit", {"key": "referral_decision", "schema": text}, status=422)
    assert "There is a problem" in browser.html and says in browser.html
    assert browser.page.error_links == ["#editor-schema"] * len(browser.page.error_links) != []
    assert text.replace('"', "&#34;")[:20] in browser.html  # what was typed is kept
    assert drafts.get_draft(core, owners["po1"], "forms")["forms"]["referral_decision"] == before
    preview = browser.client.post("/owner/forms/preview", data={"csrf_token": browser.token(), "schema": text})
    assert preview.status_code == 200 and says in preview.get_data(as_text=True)


def test_a_reviewer_reads_a_versions_forms_but_cannot_edit_and_others_are_refused(
    browser: Browser, owners: Any
) -> None:
    browser.sign_in("rv1")
    html = browser.get("/owner/forms")
    assert "Start a draft" not in html and "Forms of version 1" in browser.page.title
    assert 'href="/owner/protocol"' in html and 'href="/owner/rehearsals"' not in html
    html = browser.get("/owner/versions/1/forms/referral_decision")
    assert "read only" in html and 'id="schema-json"' in html and 'name="decision"' in html
    browser.get("/owner/versions/1/forms/no_such_form", status=404)
    browser.get("/owner/drafts/forms/forms/edit?key=referral_decision", status=403)
    browser.post("/owner/forms/start-draft", {"version": "1", "name": "x"}, status=403)
    browser.post("/owner/forms/preview", {"schema": "{}"}, status=403)
    sign_out(browser)
    browser.sign_in("sw9")
    browser.get("/owner/forms", status=403)
    browser.get("/owner/versions/1/forms/referral_decision", status=403)


def test_form_posts_need_the_csrf_token_and_a_missing_draft_is_not_found(browser: Browser, owners: Any) -> None:
    started(browser)
    response = browser.client.post("/owner/drafts/forms/forms/edit", data={"key": "referral_decision", "schema": "{}"})
    assert response.status_code == 400
    browser.get("/owner/drafts/nothing/forms/edit?key=referral_decision", status=404)
    browser.get("/owner/forms?draft=nothing", status=404)


def test_the_service_refuses_a_bad_form_key_and_a_bad_schema(core: Casepath, owners: Any) -> None:
    drafts.start_draft(core, owners["po1"], "svc", 1)
    with pytest.raises(InvalidForm, match="form key") as refused:
        drafts.save_form(core, owners["po1"], "svc", "Bad-Key", CHECK_FORM)
    assert list(refused.value.errors) == ["form_key"]
    with pytest.raises(InvalidForm, match="cannot be used"):
        drafts.save_form(core, owners["po1"], "svc", "check_assessment", {"type": "object", "properties": {"a": 1}})
    saved = drafts.save_form(core, owners["po1"], "svc", "check_assessment", CHECK_FORM)
    assert saved["forms"]["check_assessment"] == CHECK_FORM and saved["base_version"] == 1
    assert drafts.form_problems(CHECK_FORM) == {}
    with pytest.raises(Forbidden):
        drafts.save_form(core, owners["rv1"], "svc", "check_assessment", CHECK_FORM)
