"""Rehearsing a draft: a sandbox with its own clock, any role, no real case touched; and migrating over the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casepath.services.core import Casepath
from tests.api.conftest import Api, assert_problem
from tests.owner.diagrams import shipped
from tests.owner.journeys import CHECK_FORM, with_check_step

DIAGRAMS, FORMS = shipped()


def rehearsals_dir(core: Casepath) -> Path:
    assert core.settings.rehearsals_dir is not None
    return core.settings.rehearsals_dir


def draft_with_check_step(api: Api, factory: Any) -> str:
    factory.create_staff("po1", ["process_owner"], profession="process_owner", registered=False)
    body = {"diagrams": with_check_step(DIAGRAMS), "forms": {**FORMS, "check_assessment": CHECK_FORM}}
    assert api.put("/drafts/check", as_="po1", json=body).status_code == 200
    return "po1"


def test_a_process_owner_rehearses_a_draft_as_each_role_and_moves_the_clock_to_see_escalation(
    api: Api, factory: Any
) -> None:
    po = draft_with_check_step(api, factory)
    started = api.post("/rehearsals", as_=po, json={"draft": "check", "now": "2025-06-02T09:00:00+01:00"})
    assert started.status_code == 201, started.get_json()
    rid = started.get_json()["id"]
    assert started.get_json()["version"] == 2 and "practice_supervisor" in started.get_json()["people"]
    referral = api.post(f"/rehearsals/{rid}/referrals", as_=po, json={}).get_json()
    [decision] = referral["tasks"]
    assert decision["step"] == "referral_decision" and decision["due_on"] == "2025-06-03"

    form = {"decision": "assessment", "primary_need": "N2", "rationale": "Rehearsal.", "referrer_informed": True}
    after = api.post(
        f"/rehearsals/{rid}/tasks/{decision['id']}/complete", as_=po, json={"role": "front_door", "data": form}
    )
    assert after.status_code == 200, after.get_json()
    allocate = next(t for t in after.get_json() if t["state"] in ("ready", "claimed"))
    assert allocate["step"] == "allocate_lead_practitioner"
    form = {"lead_practitioner": "lead_practitioner", "practitioner_agreed": True, "rationale": "Rehearsal."}
    tasks = api.post(f"/rehearsals/{rid}/tasks/{allocate['id']}/complete", as_=po,
                     json={"role": "practice_supervisor", "data": form}).get_json()  # fmt: skip
    assessment = next(t for t in tasks if t["state"] in ("ready", "claimed"))
    assert (assessment["step"], assessment["assignee"]) == ("child_and_family_assessment", "lead_practitioner")
    refused = api.post(f"/rehearsals/{rid}/tasks/{assessment['id']}/complete", as_=po,
                       json={"role": "business_support", "data": {}})  # fmt: skip
    assert refused.status_code in (403, 409, 422), refused.get_json()

    moved = api.put(f"/rehearsals/{rid}/clock", as_=po, json={"now": "2025-09-01T09:00:00+01:00"}).get_json()
    assert moved["fired"] >= 1 and moved["now"].startswith("2025-09-01")
    steps = {t["step"] for t in api.get(f"/rehearsals/{rid}/tasks", as_=po).get_json() if t["state"] != "completed"}
    assert steps == {"child_and_family_assessment", "overdue_review"}
    backwards = api.put(f"/rehearsals/{rid}/clock", as_=po, json={"now": "2025-06-02T09:00:00+01:00"})
    assert_problem(backwards, 422, "invalid_form")

    assert api.get("/cases", as_="admin").get_json() == []  # no real case was touched
    assert len(api.get("/processes", as_=po).get_json()) == 1
    assert api.call("DELETE", f"/rehearsals/{rid}", as_=po).status_code == 204
    assert_problem(api.get(f"/rehearsals/{rid}", as_=po), 404, "not_found")


def test_a_draft_that_would_not_publish_cannot_be_rehearsed_and_only_process_owners_rehearse(
    api: Api, factory: Any, core: Casepath
) -> None:
    po = draft_with_check_step(api, factory)
    api.put("/drafts/broken", as_=po, json={"diagrams": with_check_step(DIAGRAMS)})  # no form for the new step
    assert_problem(api.post("/rehearsals", as_=po, json={"draft": "broken"}), 422, "invalid_form")
    factory.create_staff("rev", ["reviewer"], profession="quality_assurance", registered=False)
    assert_problem(api.post("/rehearsals", as_="rev", json={"draft": "check"}), 403, "forbidden")
    assert [p.name for p in rehearsals_dir(core).iterdir()] == ["lock"]  # nothing left


def test_running_cases_are_previewed_and_migrated_over_the_api_with_a_reason(api: Api, factory: Any) -> None:
    po = draft_with_check_step(api, factory)
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    case_id = factory.create_referral(fd)
    assert api.post("/drafts/check/publish", as_=po, json={"reason": "Check step."}).status_code == 201
    factory.create_staff("rev", ["reviewer"], profession="quality_assurance", registered=False)
    [row] = api.get("/processes/2/migration-preview", as_="rev").get_json()
    assert row == {"case_id": case_id, "from_version": 1, "can_migrate": True, "reason": row["reason"]}
    assert_problem(api.post("/processes/2/migrations", as_="rev", json={"case_ids": [case_id], "reason": "x"}), 403,
                   "forbidden")  # fmt: skip
    moved = api.post("/processes/2/migrations", as_=po, json={"case_ids": [case_id], "reason": "Check step."})
    assert moved.status_code == 200 and moved.get_json()[0]["migrated"] is True
    events = api.get(f"/cases/{case_id}/events", as_="admin").get_json()
    [migrated] = [e for e in events if e["name"] == "case_migrated"]
    assert migrated["data"]["to_version"] == 2 and migrated["data"]["reason"] == "Check step."
