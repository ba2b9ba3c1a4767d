"""Task forms: every form in forms/ as GOV.UK components, posted answers back to the schema, the task page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, get_template_attribute
from werkzeug.datastructures import MultiDict

from casepath.domain.errors import InvalidForm
from casepath.domain.forms import validate_submission
from tests.web.conftest import Browser, check_page
from tests.web.test_pages import assessment_case
from web import forms

FORMS = sorted((Path(__file__).parents[2] / "forms").glob("*.json"))
WIDGETS = {"text", "textarea", "radios", "checkboxes", "date", "repeating", "select"}


def schema_of(name: str) -> dict[str, Any]:
    return dict(json.loads((Path(__file__).parents[2] / "forms" / f"{name}.json").read_text()))


def render(app: Flask, schema: dict[str, Any], data: dict[str, Any], errors: dict[str, list[str]]) -> str:
    with app.test_request_context():
        field = get_template_attribute("_fields.html", "field")
        parts = forms.components(schema, data, errors, {}, lambda c: str(field(c)))
        body = "".join(str(field(c)) for c in parts)
    skip = "<a class='govuk-skip-link' href='#main-content'>Skip</a>"
    return f"<html><head><title>Form</title></head><body>{skip}<main id='main-content'>{body}</main></body></html>"


def every_question(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, question in schema["properties"].items():
        found.append((name, question))
        items = question.get("items", {})
        found += [(f"{name}.{sub}", q) for sub, q in items.get("properties", {}).items()]
    return found


def test_the_forms_use_every_widget_the_renderer_knows() -> None:
    used = {forms.widget(q) for path in FORMS for _, q in every_question(json.loads(path.read_text()))}
    assert used == WIDGETS


@pytest.mark.parametrize("path", FORMS, ids=[p.stem for p in FORMS])
def test_every_form_renders_each_question_once_with_an_error_summary_target(app: Flask, path: Path) -> None:
    schema = json.loads(path.read_text())
    errors = {name: [f"Problem with {name}"] for name in schema["properties"]}
    html = render(app, schema, {}, errors)
    page = check_page(html)
    for name in schema["properties"]:
        target = forms.anchor(schema, name)
        assert target and page.ids[target[1:]] == 1, f"{path.stem}: no element {target} for {name}"
        assert f"Problem with {name}" in html


@pytest.mark.parametrize("path", FORMS, ids=[p.stem for p in FORMS])
def test_every_form_shows_the_answers_it_was_given(app: Flask, path: Path) -> None:
    schema = json.loads(path.read_text())
    data = {name: _example(q) for name, q in schema["properties"].items()}
    html = render(app, schema, data, {})
    check_page(html)
    for name, question in schema["properties"].items():
        kind = forms.widget(question)
        if kind in ("radios", "checkboxes"):
            value = forms.as_text(data[name][0] if kind == "checkboxes" else data[name])
            assert (
                f'name="{name}" type="{kind[:-1] if kind == "radios" else "checkbox"}" value="{value}" checked' in html
            )
        elif kind == "date":
            assert f'name="{name}-year" type="text" value="2025"' in html
        elif kind in ("text", "textarea", "repeating"):
            assert "Example answer" in html


def _example(question: dict[str, Any]) -> Any:
    kind = forms.widget(question)
    if kind == "radios":
        return True if question.get("type") == "boolean" else question["enum"][0]
    if kind == "checkboxes":
        return [question["items"]["enum"][0]]
    if kind == "date":
        return "2025-04-03"
    if kind == "repeating":
        item = question["items"]
        if item.get("type") == "object":
            return [{"agency": "police", "name": "Example answer"}]
        return ["Example answer"]
    if kind == "select":
        return question["enum"][0]
    return "Example answer"


def test_a_revealed_question_sits_inside_its_radio_s_conditional(app: Flask) -> None:
    html = render(app, schema_of("hold_icpc"), {}, {})
    conditional = html.split('id="conditional-decision"')[1].split('id="conditional-decision-2"')[0]
    assert 'name="category_of_abuse"' in conditional
    assert 'name="core_group-0-agency"' in conditional
    assert 'name="next"' in html.split('id="conditional-decision-2"')[1]


def test_a_question_revealed_by_several_values_is_shown_in_place(app: Flask) -> None:
    html = render(app, schema_of("referral_decision"), {}, {})
    assert 'name="primary_need"' in html
    assert "govuk-radios__conditional" not in html.split('name="primary_need"')[0]


def test_three_date_boxes_become_an_iso_date() -> None:
    schema = schema_of("cin_review")
    form = MultiDict({"held_on-day": "3", "held_on-month": "4", "held_on-year": "2025"})
    assert forms.parse(schema, form)[0] == {"held_on": "2025-04-03"}


def test_a_date_that_is_not_real_is_kept_as_typed_and_refused() -> None:
    schema = schema_of("cin_review")
    data, _ = forms.parse(schema, MultiDict({"held_on-day": "31", "held_on-month": "2", "held_on-year": "2025"}))
    with pytest.raises(InvalidForm) as refused:
        validate_submission(schema, data)
    assert (
        refused.value.errors["held_on"] == ["Date of the review must be a real date"]
        or "held_on" in refused.value.errors
    )
    assert forms.parse(schema, MultiDict({"held_on-day": "x", "held_on-month": "", "held_on-year": "25"}))[0] == {
        "held_on": "25--x"
    }


def test_yes_no_checkboxes_and_repeating_rows_are_read_back() -> None:
    data, rows = forms.parse(
        schema_of("strategy_discussion"),
        MultiDict(
            [
                ("participants-rows", "3"),
                ("participants-0-agency", "police"),
                ("participants-0-name", " DC Ross "),
                ("participants-1-agency", ""),
                ("participants-2-agency", "health"),
                ("participants-2-name", "Nurse Joy"),
                ("decision", "s47"),
            ]
        ),
    )
    assert data["participants"] == [{"agency": "police", "name": "DC Ross"}, {"agency": "health", "name": "Nurse Joy"}]
    assert rows == {"participants": 3}
    assessment, _ = forms.parse(
        schema_of("child_and_family_assessment"), MultiDict([("factors", "1A"), ("factors", "4B")])
    )
    assert assessment == {"factors": ["1A", "4B"]}
    approval, _ = forms.parse(schema_of("approve_assessment"), MultiDict({"approved": "false"}))
    assert approval == {"approved": False}
    plan, _ = forms.parse(schema_of("draft_cin_plan"), MultiDict({"actions-rows": "2", "actions-1": "GP"}))
    assert plan == {"actions": ["GP"]}


def test_error_summary_links_point_at_the_first_box_of_a_date_and_the_first_row_of_a_group() -> None:
    schema = schema_of("strategy_discussion")
    assert forms.anchor(schema, "held_on") == "#held_on-day"
    assert forms.anchor(schema, "participants") == "#participants-0-agency"
    assert forms.anchor(schema, "participants.1.name") == "#participants-1-name"
    assert forms.anchor(schema, "_form") is None


# --- the task page ------------------------------------------------------------------------------


def referral_task(factory: Any, people: dict[str, Any]) -> tuple[str, str]:
    case_id = factory.create_referral(people["fd1"], first_name="Ava")
    return case_id, str(factory.open_task(case_id, "referral_decision")["id"])


def test_the_task_page_shows_the_form_and_the_step_s_statutory_guidance(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    _, task_id = referral_task(factory, people)
    browser.sign_in("fd1")
    browser.get(f"/tasks/{task_id}")
    assert "Ava Example" in browser.page.title
    assert "Working Together to Safeguard Children 2023" in browser.html
    assert 'name="decision"' in browser.html
    assert 'name="delay_reason"' not in browser.html


def test_a_bad_submission_shows_the_error_summary_and_keeps_what_was_typed(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    case_id, task_id = referral_task(factory, people)
    browser.sign_in("fd1")
    browser.get(f"/tasks/{task_id}")
    browser.post(f"/tasks/{task_id}", {"rationale": "Kept when the page comes back", "action": "submit"}, status=422)
    assert "There is a problem" in browser.html
    assert browser.page.title.startswith("Error:")
    assert browser.page.error_links[:1] == ["#decision"]
    assert "#referrer_informed" in browser.page.error_links
    assert "Kept when the page comes back" in browser.html
    assert factory.open_steps(case_id) == ["referral_decision"]


def test_a_rule_broken_outside_the_form_is_shown_in_the_summary(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    case_id = factory.create_referral(people["fd1"], first_name="Ava")
    factory.complete(
        people["fd1"],
        case_id,
        "referral_decision",
        {"decision": "assessment", "primary_need": "N4", "rationale": "x", "referrer_informed": True},
    )
    task_id = factory.open_task(case_id, "allocate_lead_practitioner")["id"]
    browser.sign_in("ps1")
    browser.get(f"/tasks/{task_id}")
    browser.post(
        f"/tasks/{task_id}",
        {"lead_practitioner": "fd1x", "practitioner_agreed": "true", "rationale": "Cover", "action": "submit"},
    )
    assert browser.status >= 400
    assert "govuk-error-summary" in browser.html
    assert "fd1x" in browser.html


def test_a_good_submission_completes_the_step(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    case_id, task_id = referral_task(factory, people)
    browser.sign_in("fd1")
    browser.get(f"/tasks/{task_id}")
    answers = {
        "decision": "assessment",
        "primary_need": "N4",
        "rationale": "Needs assessing",
        "referrer_informed": "true",
    }
    browser.post(f"/tasks/{task_id}", {**answers, "action": "submit"}, status=200)
    assert "is complete" in browser.html
    assert factory.open_steps(case_id) == ["allocate_lead_practitioner"]


def test_save_draft_keeps_the_answers_for_the_holder(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    _, task_id = referral_task(factory, people)
    browser.sign_in("fd1")
    browser.get(f"/tasks/{task_id}")
    browser.post(f"/tasks/{task_id}", {"rationale": "Half written", "decision": "nfa", "action": "draft"}, status=200)
    assert "Your draft has been saved" in browser.html
    browser.get(f"/tasks/{task_id}")
    assert "Half written" in browser.html
    assert 'value="nfa" checked' in browser.html


def test_add_another_row_on_a_repeating_group(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    case_id = assessment_case(factory, people)
    factory.complete(
        people["fsw1"],
        case_id,
        "child_and_family_assessment",
        {"started_on": "2025-04-01", "factors": ["4B"], "summary": "Fine.", "recommendation": "cin_plan"},
    )
    factory.complete(people["ps1"], case_id, "approve_assessment", {"approved": True, "outcome": "cin_plan"})
    task_id = factory.open_task(case_id, "draft_cin_plan")["id"]
    browser.sign_in("fsw1")
    browser.get(f"/tasks/{task_id}")
    assert 'name="actions-2"' in browser.html and 'name="actions-3"' not in browser.html
    browser.post(f"/tasks/{task_id}", {"actions-rows": "3", "actions-0": "GP referral", "action": "add:actions"})
    assert 'name="actions-3"' in browser.html
    assert "GP referral" in browser.html
    browser.get(f"/tasks/{task_id}")
    assert "GP referral" in browser.html  # the holder's draft was kept


def test_the_delay_reason_appears_only_when_the_step_is_late(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    case_id, task_id = referral_task(factory, people)
    browser.sign_in("fd1")
    browser.get(f"/tasks/{task_id}")
    assert 'name="delay_reason"' not in browser.html
    factory.at("2025-04-10T10:00:00+01:00")
    browser.get(f"/tasks/{task_id}")
    assert 'name="delay_reason"' in browser.html
    answers = {"decision": "nfa", "rationale": "No role for social care", "referrer_informed": "true"}
    browser.post(f"/tasks/{task_id}", {**answers, "action": "submit"}, status=422)
    assert browser.page.error_links == ["#delay_reason"]
    browser.post(f"/tasks/{task_id}", {**answers, "delay_reason": "Staff sickness", "action": "submit"}, status=200)
    assert factory.open_steps(case_id) == []


def test_an_expired_csrf_token_keeps_what_was_typed(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    _, task_id = referral_task(factory, people)
    browser.sign_in("fd1")
    response = browser.client.post(f"/tasks/{task_id}", data={"rationale": "Long text", "action": "submit"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    check_page(html)
    assert "Long text" in html and "send them again" in html


def test_someone_else_s_task_is_shown_without_the_form(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    case_id = assessment_case(factory, people)
    task_id = factory.open_task(case_id, "child_and_family_assessment")["id"]
    browser.sign_in("ps1")
    browser.get(f"/tasks/{task_id}")
    assert "has this task" in browser.html
    assert 'name="summary"' not in browser.html
