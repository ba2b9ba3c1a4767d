"""The published pathway, read-only: versions, their processes and steps, and the diagrams as BPMN XML."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, assert_problem


def test_reviewers_see_each_published_version_with_its_processes_and_steps(api: Api, factory: Any) -> None:
    factory.create_staff("rev", ["reviewer"], profession="quality_assurance")
    versions = api.get("/processes", as_="rev").get_json()
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["published_by"] == "casepath init" and len(versions[0]["hash"]) == 64
    assert "referral.bpmn" in versions[0]["diagrams"] and "referral_decision" in versions[0]["forms"]
    detail = api.get("/processes/1", as_="rev").get_json()
    steps = {t["step"]: t for p in detail["processes"] for t in p["user_tasks"]}
    assert {"referral_decision", "section47_enquiry", "hold_icpc"} <= set(steps)
    assert steps["referral_decision"]["timed"] is True


def test_a_diagram_is_served_as_the_bpmn_xml_that_was_published(api: Api) -> None:
    response = api.get("/processes/1/diagrams/referral.bpmn")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    with api.core.db.transaction() as session:
        from casepath.store import models

        row = session.query(models.ProcessVersion).filter_by(version=1).one()
        assert response.get_data(as_text=True) == row.diagrams["referral.bpmn"]


def test_the_pathway_is_for_reviewers_process_owners_and_admins_only(api: Api, factory: Any) -> None:
    factory.create_staff("sw1", ["social_worker"])
    for path in ("/processes", "/processes/1", "/processes/1/diagrams/referral.bpmn"):
        assert_problem(api.get(path, as_="sw1"), 403, "forbidden")


def test_an_unpublished_version_or_diagram_is_not_found(api: Api) -> None:
    assert_problem(api.get("/processes/7"), 404, "not_found")
    assert_problem(api.get("/processes/1/diagrams/nothing.bpmn"), 404, "not_found")
    assert_problem(api.get("/processes/99999999999"), 404, "not_found")
