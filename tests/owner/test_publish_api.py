"""Process owners edit drafts, lint them, publish them with a reason and compare versions, over the API."""

from __future__ import annotations

from typing import Any

from casepath.services import records
from tests.api.conftest import Api, assert_problem
from tests.owner.diagrams import move_to_lane, mutate, shipped
from tests.owner.journeys import CHECK_FORM, with_check_step

DIAGRAMS, FORMS = shipped()


def owner(factory: Any) -> str:
    factory.create_staff("po1", ["process_owner"], profession="process_owner", registered=False)
    return "po1"


def test_a_process_owner_saves_lints_and_publishes_a_draft_with_a_reason(api: Api, factory: Any) -> None:
    po = owner(factory)
    saved = api.put("/drafts/check-step", as_=po, json={"diagrams": with_check_step(DIAGRAMS), "base_version": 1})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["base_version"] == 1 and saved.get_json()["forms"] == FORMS
    findings = api.post("/drafts/check-step/lint", as_=po).get_json()
    assert findings["publishable"] is False
    assert {(f["element"], f["rule"]) for f in findings["findings"] if f["severity"] == "error"} == {
        ("check_assessment", "form")
    }
    body = {
        "diagrams": with_check_step(DIAGRAMS),
        "forms": {**FORMS, "check_assessment": CHECK_FORM},
        "base_version": 1,
    }
    api.put("/drafts/check-step", as_=po, json=body)
    assert api.post("/drafts/check-step/lint", as_=po).get_json()["publishable"] is True
    assert_problem(api.post("/drafts/check-step/publish", as_=po, json={}), 422, "invalid_form")

    published = api.post("/drafts/check-step/publish", as_=po, json={"reason": "Supervisors check assessments."})
    assert published.status_code == 201, published.get_json()
    assert published.get_json()["version"] == 2 and published.get_json()["published_by"] == po
    assert_problem(api.get("/drafts/check-step", as_=po), 404, "not_found")
    with api.core.db.transaction() as session:
        [event] = [e for e in records.list_events(session, "la:999") if e.name == "version_published"][-1:]
        assert event.data["note"] == "Supervisors check assessments." and event.actor == po


def test_publishing_a_draft_that_breaks_a_statutory_rule_is_refused_naming_the_element(api: Api, factory: Any) -> None:
    po = owner(factory)
    broken = mutate(DIAGRAMS, "section47.bpmn", lambda r: move_to_lane(r, "section47_enquiry", "practice_supervisor"))
    api.put("/drafts/broken", as_=po, json={"diagrams": broken})
    refused = assert_problem(api.post("/drafts/broken/publish", as_=po, json={"reason": "Try."}), 422, "invalid_form")
    assert "section47_enquiry" in refused["errors"] and "social-work-lane" in refused["errors"]["section47_enquiry"][0]
    assert len(api.get("/processes", as_=po).get_json()) == 1


def test_an_uploaded_file_with_entities_is_refused_like_an_editor_save(api: Api, factory: Any) -> None:
    po = owner(factory)
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    refused = assert_problem(
        api.put("/drafts/upload", as_=po, json={"diagrams": {"x.bpmn": bomb}}), 422, "invalid_form"
    )
    assert "DTD" in refused["errors"]["x.bpmn"][0]
    odd = api.put("/drafts/upload", as_=po, json={"diagrams": {"../etc.bpmn": "<x/>"}})
    assert_problem(odd, 422, "invalid_form")


def test_a_draft_started_from_a_superseded_version_is_not_published_over_the_newer_one(api: Api, factory: Any) -> None:
    po = owner(factory)
    api.put("/drafts/old", as_=po, json={"diagrams": DIAGRAMS, "base_version": 1})
    body = {
        "diagrams": with_check_step(DIAGRAMS),
        "forms": {**FORMS, "check_assessment": CHECK_FORM},
        "base_version": 1,
    }
    api.put("/drafts/new", as_=po, json=body)
    assert api.post("/drafts/new/publish", as_=po, json={"reason": "Check step."}).status_code == 201
    assert_problem(api.post("/drafts/old/publish", as_=po, json={"reason": "Old."}), 409, "conflict")


def test_the_diff_of_two_versions_names_the_new_step_its_flows_and_its_form(api: Api, factory: Any) -> None:
    po = owner(factory)
    factory.create_staff("rev", ["reviewer"], profession="quality_assurance", registered=False)
    body = {"diagrams": with_check_step(DIAGRAMS), "forms": {**FORMS, "check_assessment": CHECK_FORM}}
    api.put("/drafts/d", as_=po, json=body)
    api.post("/drafts/d/publish", as_=po, json={"reason": "Check."})
    diff = api.get("/processes/2/diff?against=1", as_="rev").get_json()
    assert (diff["from"], diff["to"]) == (1, 2)
    [process] = diff["processes"]
    assert process["process"] == "assessment" and process["removed"] == []
    assert process["diagram_before"] == process["diagram_after"] == "assessment.bpmn"  # where to draw it
    added = {a["element"]: a for a in process["added"]}
    assert added["check_assessment"]["lane"] == "practice_supervisor"
    assert added["check_assessment"]["form_key"] == "check_assessment"
    assert "flow_check_assessment_to_approve_assessment" in added
    [changed] = process["changed"]
    assert changed["element"] == "flow_child_and_family_assessment_to_approve_assessment"
    assert changed["changes"]["target"] == {"from": "approve_assessment", "to": "check_assessment"}
    assert diff["forms"] == {"added": ["check_assessment"], "removed": [], "changed": []}


def test_only_process_owners_change_the_pathway_and_reviewers_only_read(api: Api, factory: Any) -> None:
    factory.create_staff("rev", ["reviewer"], profession="quality_assurance", registered=False)
    factory.create_staff("ps1", ["practice_supervisor", "social_worker"])
    for who in ("rev", "ps1"):
        assert_problem(api.put("/drafts/x", as_=who, json={"diagrams": DIAGRAMS}), 403, "forbidden")
        assert_problem(api.get("/drafts", as_=who), 403, "forbidden")
        assert_problem(api.post("/drafts/x/publish", as_=who, json={"reason": "x"}), 403, "forbidden")
    assert api.get("/processes/1/diff?against=1", as_="rev").get_json()["processes"] == []
    assert_problem(api.get("/processes/1/diff?against=1", as_="ps1"), 403, "forbidden")
    assert_problem(api.get("/processes/1/diff?against=9", as_="rev"), 404, "not_found")
