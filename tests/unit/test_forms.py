"""The task forms in `forms/` and their server-side check (`casepath.domain.forms`)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casepath.domain.errors import InvalidForm
from casepath.domain.forms import FORM_ERROR_KEY, load_forms, validate_submission

PROJECT = Path(__file__).resolve().parents[2]
SHARED = PROJECT.parent / "shared"
FORMS = load_forms(PROJECT / "forms")

STEPS = {
    "referral_decision", "allocate_lead_practitioner", "child_and_family_assessment",
    "approve_assessment", "draft_cin_plan", "approve_cin_plan", "cin_review", "close_case",
    "strategy_discussion", "section47_enquiry", "approve_section47", "schedule_icpc", "hold_icpc",
    "core_group_meeting", "review_conference", "letter_before_proceedings", "fgdm_meeting",
    "care_application", "overdue_review",
}  # fmt: skip

PARTICIPANTS = [
    {"agency": "la_social_care", "name": "LCPP One"},
    {"agency": "police", "name": "DC Example"},
    {"agency": "health", "name": "Named Nurse", "role": "Named nurse for safeguarding"},
]

EXAMPLES: dict[str, dict[str, Any]] = {
    "referral_decision": {
        "decision": "assessment", "primary_need": "N4", "referrer_informed": True,
        "rationale": "Family in acute stress; needs assessing under s17.",
    },
    "allocate_lead_practitioner": {
        "lead_practitioner": "fsw1", "practitioner_agreed": True,
        "rationale": "Knows the school and the family.", "planned_completion_on": "2025-06-20",
    },
    "child_and_family_assessment": {
        "started_on": "2025-04-23", "child_seen_on": "2025-04-25", "factors": ["4B", "7A"],
        "summary": "Mother's mental health under strain.", "recommendation": "cin_plan",
    },
    "approve_assessment": {"approved": True, "outcome": "cin_plan", "comments": "Agreed."},
    "draft_cin_plan": {
        "plan_summary": "Support mother into work; school attendance plan.",
        "actions": ["GP referral", "Weekly school check-in"],
    },
    "approve_cin_plan": {"approved": True, "starts_on": "2025-06-05"},
    "cin_review": {"held_on": "2025-09-01", "summary": "Attendance at 94%.", "outcome": "continue"},
    "close_case": {"reason": "RC7", "closed_on": "2025-12-01", "rationale": "No longer in need."},
    "strategy_discussion": {
        "held_on": "2025-06-10", "participants": PARTICIPANTS, "decision": "s47",
        "lead_social_worker": "sw1",
    },
    "section47_enquiry": {
        "started_on": "2025-06-10", "factors": ["3A", "18C"], "recommendation": "icpc",
        "findings": "Injuries consistent with the account; risk continues.",
    },
    "approve_section47": {"approved": True, "outcome": "icpc"},
    "schedule_icpc": {"conference_date": "2025-06-27", "chair": "chair.one", "venue": "Online"},
    "hold_icpc": {
        "held_on": "2025-06-27", "decision": "cp_plan", "category_of_abuse": "PHY",
        "lead_social_worker": "sw1", "core_group": [
            {"agency": "la_social_care", "name": "SW One"},
            {"agency": "family", "name": "Ms Example", "role": "Mother"},
        ],
    },
    "core_group_meeting": {"held_on": "2025-07-08", "summary": "Detailed plan agreed."},
    "review_conference": {
        "held_on": "2025-09-22", "decision": "continue", "latest_category_of_abuse": "PHY",
    },
    "letter_before_proceedings": {"sent_on": "2026-01-12", "fgdm_offered": True},
    "fgdm_meeting": {"outcome": "held", "held_on": "2026-01-26"},
    "care_application": {"issued_on": "2026-02-16", "order_sought": "care_order"},
    "overdue_review": {
        "action": "agree_revised_date", "revised_date": "2025-07-04",
        "note": "Practitioner off sick; assessment to finish next week.",
    },
}  # fmt: skip


def example(form: str, **changes: Any) -> dict[str, Any]:
    """A valid submission of `form`, with answers changed (None removes an answer)."""
    data = copy.deepcopy(EXAMPLES[form])
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def refusal(form: str, data: object) -> InvalidForm:
    with pytest.raises(InvalidForm) as caught:
        validate_submission(FORMS[form], data)
    return caught.value


def questions(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every question of a form, nested ones (in repeating groups) included, with its path."""
    for name, question in schema.get("properties", {}).items():
        yield name, question
        items = question.get("items", {})
        for child, sub in questions(items):
            yield f"{name}.{child}", sub


def object_schemas(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from object_schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from object_schemas(value)


def census_codes(code_set: str) -> list[str]:
    text = (SHARED / "domain" / "cin-codesets.txt").read_text(encoding="utf-8")
    block = text.split(f"## {code_set}\n")[1].split("\n## ")[0]
    return [line.split("\t")[0] for line in block.strip().splitlines()]


# --- the schemas themselves ----------------------------------------------------------------


def test_every_step_of_the_pathway_has_a_form_and_nothing_else_does() -> None:
    assert set(FORMS) == STEPS


def test_every_form_is_a_closed_object_with_a_title_and_a_statutory_reference() -> None:
    for key, schema in FORMS.items():
        assert schema["type"] == "object", key
        assert schema["title"], key
        assert re.search(r"Working Together|Children Act", schema["description"]), key
        for node in object_schemas(schema):
            assert node.get("additionalProperties") is False, key


def test_every_question_has_a_title_a_widget_and_a_message_for_a_missing_answer() -> None:
    for key, schema in FORMS.items():
        for path, question in questions(schema):
            hint = question["x-govuk"]
            assert question["title"], (key, path)
            assert hint["widget"] in {
                "text", "textarea", "radios", "checkboxes", "select", "date", "repeating",
            }, (key, path)  # fmt: skip
            optional = "(optional)" in question["title"]
            assert optional or hint["errors"]["required"], (key, path)


def test_every_text_answer_has_a_maximum_length_and_every_date_is_a_date() -> None:
    for key, schema in FORMS.items():
        for path, question in questions(schema):
            strings = [question, question.get("items", {})]
            for node in (s for s in strings if s.get("type") == "string"):
                assert node.get("maxLength") or node.get("enum"), (key, path)
            if question["x-govuk"]["widget"] == "date":
                assert question["format"] == "date", (key, path)


def test_question_order_lists_every_question_once() -> None:
    for key, schema in FORMS.items():
        for node in object_schemas(schema):
            assert node["x-govuk-order"] == list(node["properties"]), key


def test_every_code_has_a_label() -> None:
    for key, schema in FORMS.items():
        for path, question in questions(schema):
            codes = question.get("enum") or question.get("items", {}).get("enum")
            if question.get("type") == "boolean":
                codes = ["true", "false"]
            if codes:
                assert set(question["x-govuk-labels"]) == set(codes), (key, path)


def test_code_lists_are_the_cin_census_code_sets() -> None:
    props = {key: schema["properties"] for key, schema in FORMS.items()}
    assert props["referral_decision"]["primary_need"]["enum"] == census_codes("primaryneedcodetype")
    assert props["close_case"]["reason"]["enum"] == census_codes("reasonforclosuretype")
    factors = census_codes("assessmentfactorstype")
    for form in ("child_and_family_assessment", "section47_enquiry"):
        assert props[form]["factors"]["items"]["enum"] == factors
    categories = census_codes("categoryofabuse")
    assert props["hold_icpc"]["category_of_abuse"]["enum"] == categories
    assert props["review_conference"]["latest_category_of_abuse"]["enum"] == categories


def test_no_form_asks_for_a_delay_reason() -> None:
    for key, schema in FORMS.items():
        assert "delay_reason" not in json.dumps(schema), key


def test_loading_a_broken_schema_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps(FORMS["cin_review"]))
    (tmp_path / "broken.json").write_text('{"type": "object", "properties": {"x": {"type": 5}}}')
    with pytest.raises(ValueError, match=r"broken\.json"):
        load_forms(tmp_path)


def test_loading_a_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "garbled.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"garbled\.json"):
        load_forms(tmp_path)


def test_loading_a_schema_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    (tmp_path / "listy.json").write_text('{"type": "array"}')
    with pytest.raises(ValueError, match=r"listy\.json"):
        load_forms(tmp_path)


def test_loading_forms_reads_only_json_files_keyed_by_their_name(tmp_path: Path) -> None:
    (tmp_path / "cin_review.json").write_text(json.dumps(FORMS["cin_review"]))
    (tmp_path / "notes.txt").write_text("not a form")
    assert load_forms(tmp_path) == {"cin_review": FORMS["cin_review"]}


# --- valid answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("form", sorted(STEPS))
def test_a_complete_valid_answer_passes_unchanged(form: str) -> None:
    assert validate_submission(FORMS[form], example(form)) == EXAMPLES[form]


def test_answers_are_trimmed_and_blank_optional_answers_dropped() -> None:
    data = example("approve_assessment", comments="  ", outcome=" cin_plan\n")
    assert validate_submission(FORMS["approve_assessment"], data) == {
        "approved": True,
        "outcome": "cin_plan",
    }


def test_the_cleaned_answer_is_a_copy_and_the_submission_is_not_changed() -> None:
    data = example("strategy_discussion")
    data["participants"][0]["name"] = " LCPP One "
    cleaned = validate_submission(FORMS["strategy_discussion"], data)
    assert data["participants"][0]["name"] == " LCPP One "
    assert cleaned["participants"][0]["name"] == "LCPP One"
    assert cleaned["participants"] is not data["participants"]


def test_every_answer_in_the_acceptance_scenarios_gets_the_form_check_it_expects() -> None:
    scenarios = sorted((SHARED / "acceptance" / "scenarios").glob("*.json"))
    checked = 0
    for scenario in scenarios:
        for step in json.loads(scenario.read_text(encoding="utf-8"))["steps"]:
            if step.get("do") != "complete" or step["step"] not in FORMS:
                continue
            data = {k: _unalias(v) for k, v in step["data"].items() if k != "delay_reason"}
            if step.get("expect", {}).get("code") == "invalid_form":
                refusal(step["step"], data)
            else:
                validate_submission(FORMS[step["step"]], data)
            checked += 1
    assert checked > 20


def _unalias(value: Any) -> Any:
    """`@sw1` in a scenario stands for staff member sw1's username."""
    if isinstance(value, str) and value.startswith("@"):
        return value[1:]
    if isinstance(value, list):
        return [_unalias(v) for v in value]
    if isinstance(value, dict):
        return {k: _unalias(v) for k, v in value.items()}
    return value


# --- conditional rules -----------------------------------------------------------------------


def test_approval_without_comments_when_not_approved_is_refused() -> None:
    error = refusal("approve_assessment", {"approved": False})
    assert error.errors == {"comments": ["Enter what needs to change in the assessment"]}


def test_approval_without_an_outcome_when_approved_is_refused() -> None:
    assert "outcome" in refusal("approve_assessment", {"approved": True}).errors
    assert "outcome" in refusal("approve_section47", {"approved": True}).errors


def test_approving_a_cin_plan_needs_its_start_date() -> None:
    assert "starts_on" in refusal("approve_cin_plan", {"approved": True}).errors
    assert "comments" in refusal("approve_cin_plan", {"approved": False}).errors


def test_sending_work_back_with_comments_needs_no_outcome() -> None:
    data = {"approved": False, "comments": "Please record the carer's assessment offer."}
    assert validate_submission(FORMS["approve_section47"], data) == data


def test_a_referral_response_other_than_no_further_action_needs_a_primary_need() -> None:
    data = example("referral_decision", decision="early_help", primary_need=None)
    assert list(refusal("referral_decision", data).errors) == ["primary_need"]


def test_a_no_further_action_referral_needs_no_primary_need() -> None:
    data = example("referral_decision", decision="nfa", primary_need=None)
    assert validate_submission(FORMS["referral_decision"], data) == data


def test_a_strategy_discussion_without_police_or_an_exception_is_refused() -> None:
    data = example("strategy_discussion", participants=PARTICIPANTS[:1] + PARTICIPANTS[2:])
    assert refusal("strategy_discussion", data).errors == {
        "participants": ["Add someone from the police, or enter why they did not take part"]
    }


def test_a_strategy_discussion_with_only_social_care_names_both_missing_agencies() -> None:
    data = example("strategy_discussion", participants=PARTICIPANTS[:1])
    assert len(refusal("strategy_discussion", data).errors["participants"]) == 2


def test_a_strategy_discussion_without_health_goes_ahead_with_an_exception_reason() -> None:
    data = example(
        "strategy_discussion",
        participants=PARTICIPANTS[:2],
        exception_reason="Named nurse unreachable; health records checked by phone.",
    )
    assert validate_submission(FORMS["strategy_discussion"], data) == data


def test_a_blank_exception_reason_does_not_excuse_a_missing_agency() -> None:
    data = example("strategy_discussion", participants=PARTICIPANTS[:2], exception_reason="   ")
    assert "participants" in refusal("strategy_discussion", data).errors


def test_starting_section_47_enquiries_needs_a_lead_social_worker() -> None:
    data = example("strategy_discussion", lead_social_worker=None)
    assert list(refusal("strategy_discussion", data).errors) == ["lead_social_worker"]
    no_s47 = example("strategy_discussion", decision="no_s47", lead_social_worker=None)
    assert validate_submission(FORMS["strategy_discussion"], no_s47) == no_s47


def test_a_participant_without_an_agency_is_refused_at_that_participant() -> None:
    data = example("strategy_discussion")
    data["participants"].append({"agency": "fire_brigade", "name": ""})
    assert refusal("strategy_discussion", data).errors == {
        "participants.3.agency": ["Select the agency"],
        "participants.3.name": ["Enter the name"],
    }


def test_a_child_protection_plan_needs_a_category_a_lead_social_worker_and_a_core_group() -> None:
    data = {"held_on": "2025-06-27", "decision": "cp_plan"}
    errors = refusal("hold_icpc", data).errors
    assert list(errors) == ["category_of_abuse", "lead_social_worker", "core_group"]


def test_no_child_protection_plan_needs_what_happens_next() -> None:
    data = {"held_on": "2025-06-27", "decision": "no_plan"}
    assert list(refusal("hold_icpc", data).errors) == ["next"]
    data["next"] = "cin_plan"
    assert validate_submission(FORMS["hold_icpc"], data) == data


def test_ending_a_child_protection_plan_needs_what_happens_next() -> None:
    data = example("review_conference", decision="end_plan")
    assert list(refusal("review_conference", data).errors) == ["next"]


def test_not_offering_family_group_decision_making_needs_a_best_interests_reason() -> None:
    data = example("letter_before_proceedings", fgdm_offered=False)
    assert list(refusal("letter_before_proceedings", data).errors) == ["fgdm_exception_reason"]


def test_a_family_group_decision_making_meeting_that_was_held_needs_its_date() -> None:
    assert list(refusal("fgdm_meeting", {"outcome": "held"}).errors) == ["held_on"]
    assert validate_submission(FORMS["fgdm_meeting"], {"outcome": "declined"})


def test_no_factors_identified_cannot_be_chosen_with_another_factor() -> None:
    data = example("child_and_family_assessment", factors=["21", "3A"])
    assert refusal("child_and_family_assessment", data).errors == {
        "factors": ["Select ‘No factors identified’ only if no other factor applies"]
    }
    alone = example("child_and_family_assessment", factors=["21"])
    assert validate_submission(FORMS["child_and_family_assessment"], alone) == alone


def test_an_unknown_factor_is_refused_at_the_question_not_the_checkbox() -> None:
    data = example("section47_enquiry", factors=["3A", "99Z"])
    assert refusal("section47_enquiry", data).errors == {"factors": ["Select factors from the list"]}


def test_allocating_a_practitioner_who_has_not_agreed_is_refused() -> None:
    data = example("allocate_lead_practitioner", practitioner_agreed=False)
    assert list(refusal("allocate_lead_practitioner", data).errors) == ["practitioner_agreed"]


def test_a_username_with_spaces_is_refused() -> None:
    data = example("schedule_icpc", chair="chair one")
    assert list(refusal("schedule_icpc", data).errors) == ["chair"]


def test_an_overdue_review_names_who_to_reassign_to_or_the_revised_date() -> None:
    reassign = {"action": "reassign", "note": "Practitioner on leave."}
    assert list(refusal("overdue_review", reassign).errors) == ["reassign_to"]
    agree = {"action": "agree_revised_date", "note": "Agreed with the family."}
    assert list(refusal("overdue_review", agree).errors) == ["revised_date"]
    remind = {"action": "remind_assignee", "note": "Reminded by email."}
    assert validate_submission(FORMS["overdue_review"], remind) == remind


# --- dates, messages and order ---------------------------------------------------------------


@pytest.mark.parametrize("day", ["2025-02-30", "2025-13-01", "2025-2-3", "20250203", "tomorrow"])
def test_a_date_that_is_not_a_real_date_is_refused(day: str) -> None:
    data = example("cin_review", held_on=day)
    assert refusal("cin_review", data).errors == {"held_on": ["Date of the review must be a real date"]}


def test_a_leap_day_is_a_real_date() -> None:
    data = example("cin_review", held_on="2028-02-29")
    assert validate_submission(FORMS["cin_review"], data) == data


def test_errors_come_in_question_order_with_a_summary() -> None:
    error = refusal("cin_review", {"outcome": "maybe", "summary": " "})
    assert list(error.errors) == ["held_on", "summary", "outcome"]
    assert error.detail == (
        "There is a problem with 3 answers: Enter the date of the review; "
        "Enter a summary of the review; Select what happens next"
    )
    assert error.code == "invalid_form"


def test_an_answer_of_the_wrong_type_gets_the_question_s_message() -> None:
    error = refusal("approve_assessment", {"approved": "yes", "comments": 5})
    assert error.errors == {
        "approved": ["Select whether you approve the assessment"],
        "comments": ["Enter what needs to change in the assessment"],
    }


def test_an_answer_the_form_does_not_ask_for_is_refused() -> None:
    error = refusal("care_application", example("care_application", judge="HHJ Example"))
    assert error.errors == {"judge": ["‘judge’ is not a question on this form"]}


def test_an_answer_that_is_too_long_is_refused() -> None:
    data = example("close_case", rationale="x" * 5001)
    assert refusal("close_case", data).errors == {"rationale": ["Reasons must be 5,000 characters or less"]}


# --- sanitising before anything reaches the workflow -------------------------------------


@pytest.mark.parametrize("data", [[], "text", None, 3, ["a"]])
def test_answers_that_are_not_an_object_are_refused(data: object) -> None:
    assert list(refusal("cin_review", data).errors) == [FORM_ERROR_KEY]


def test_a_typename_key_at_any_depth_is_refused() -> None:
    data = example("strategy_discussion")
    data["participants"][1]["typename"] = "BpmnTaskSpec"
    assert list(refusal("strategy_discussion", data).errors) == ["participants.1.typename"]
    assert "typename" in refusal("cin_review", {"typename": "x"}).errors


def test_a_key_starting_with_an_underscore_is_refused() -> None:
    data = example("cin_review", _spec="x")
    assert list(refusal("cin_review", data).errors) == ["_spec"]


def test_a_null_character_is_refused() -> None:
    data = example("cin_review", summary="ok\x00then")
    assert refusal("cin_review", data).errors == {"summary": ["Remove the null character from this answer"]}


def test_an_unpaired_surrogate_character_is_refused() -> None:
    data = example("cin_review", summary="broken \ud800 text")
    assert list(refusal("cin_review", data).errors) == ["summary"]


@pytest.mark.parametrize("value", [b"bytes", {1, 2}, ("a", "b"), float("nan"), float("inf"), 10**100, object()])
def test_a_value_json_cannot_carry_is_refused(value: object) -> None:
    data = example("cin_review", summary=value)
    assert list(refusal("cin_review", data).errors) == ["summary"]


def test_a_key_that_is_not_text_is_refused() -> None:
    data: dict[object, object] = {k: v for k, v in example("cin_review").items()}
    data[7] = "seven"
    assert list(refusal("cin_review", data).errors) == ["7"]


def test_answers_nested_more_than_eight_deep_are_refused() -> None:
    nested: object = "deep"
    for _ in range(8):
        nested = [nested]
    error = refusal("cin_review", example("cin_review", summary=nested))
    assert list(error.errors) == ["summary.0.0.0.0.0.0.0"]


def test_answers_larger_than_64_kib_are_refused() -> None:
    data = example("draft_cin_plan", actions=["x" * 400] * 170)
    assert refusal("draft_cin_plan", data).errors == {FORM_ERROR_KEY: ["The answers must be 64 KiB or less in total"]}


# --- properties ------------------------------------------------------------------------------

FIELD_NAMES = sorted({name for schema in FORMS.values() for name in schema["properties"]})
CODES = sorted(
    {c for s in FORMS.values() for _, q in questions(s) for c in q.get("enum", [])}
    | {"2025-06-10", "2025-02-30", "typename", "_x", "sw1"}
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(CODES)
KEYS = st.sampled_from([*FIELD_NAMES, "agency", "name", "typename", "_x"]) | st.text(max_size=8)
JSONISH = st.recursive(
    SCALARS | st.binary(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5) | st.tuples(inner),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(form=st.sampled_from(sorted(STEPS)), data=JSONISH | st.dictionaries(KEYS, JSONISH))
def test_any_submission_is_either_accepted_or_refused_as_an_invalid_form(form: str, data: object) -> None:
    try:
        cleaned = validate_submission(FORMS[form], data)
    except InvalidForm as error:
        assert error.errors and all(error.errors.values())
        assert error.detail.startswith("There is a problem with ")
    else:
        assert validate_submission(FORMS[form], cleaned) == cleaned


PADDING = st.sampled_from(["", " ", "\n", "\t  "])


@st.composite
def perturbed_examples(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid example with answers padded, blanked, removed or replaced."""
    form = draw(st.sampled_from(sorted(STEPS)))
    data = example(form)
    for name in draw(st.lists(st.sampled_from(list(FORMS[form]["properties"])), max_size=4)):
        value = data.get(name)
        change = draw(st.sampled_from(["pad", "blank", "drop", "replace"]))
        if change == "pad" and isinstance(value, str):
            data[name] = draw(PADDING) + value + draw(PADDING)
        elif change == "blank":
            data[name] = draw(PADDING)
        elif change == "drop":
            data.pop(name, None)
        elif change == "replace":
            data[name] = draw(SCALARS)
    return form, data


@settings(max_examples=300, deadline=None, database=None)
@given(case=perturbed_examples())
def test_a_cleaned_answer_always_passes_again_unchanged(case: tuple[str, dict[str, Any]]) -> None:
    form, data = case
    try:
        cleaned = validate_submission(FORMS[form], data)
    except InvalidForm as error:
        assert all(key.split(".")[0] in FORMS[form]["properties"] for key in error.errors)
        return
    assert validate_submission(FORMS[form], cleaned) == cleaned
    assert all(value != "" for value in cleaned.values())
