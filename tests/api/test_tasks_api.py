"""Tasks over the API: the inbox with filters and pages, ETags and If-Match, and each refusal's code."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import DECISION, REFERRAL, Api, assert_problem


def _setup(api: Api, factory: Any, *names: str) -> list[str]:
    factory.create_staff("fd1", ["front_door", "social_worker"], team="front door")
    factory.create_staff("fd2", ["front_door", "social_worker"], team="front door")
    factory.create_staff("sw2", ["social_worker"], team="elsewhere")
    task_ids = []
    for name in names:
        body = {**REFERRAL, "child": {**REFERRAL["child"], "first_name": name}}
        case_id = api.post("/referrals", as_="fd1", json=body).get_json()["case_id"]
        task_ids.append(api.get(f"/cases/{case_id}/tasks", as_="fd1").get_json()[0]["id"])
    return task_ids


def _ids(api: Api, query: str, as_: str = "fd1") -> list[str]:
    response = api.get(f"/tasks?{query}", as_=as_)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [t["id"] for t in response.get_json()]


def test_the_inbox_views_and_filters_narrow_the_tasks(api: Api, factory: Any) -> None:
    ava, ben = _setup(api, factory, "Ava", "Ben")
    assert set(_ids(api, "view=available")) == {ava, ben}
    assert _ids(api, "view=available", as_="sw2") == []
    api.post(f"/tasks/{ava}/claim", as_="fd1")
    assert _ids(api, "view=mine") == [ava] and _ids(api, "view=available") == [ben]
    assert _ids(api, "view=team&step=referral_decision&role=front_door&team=front%20door&state=claimed") == [ava]
    assert _ids(api, "view=team&state=ready") == [ben]
    assert _ids(api, "view=team&step=close_case") == [] and _ids(api, "view=team&role=lcpp") == []
    due = api.get(f"/tasks/{ava}", as_="fd1").get_json()["due_on"]
    assert set(_ids(api, f"view=team&due_from={due}&due_to={due}")) == {ava, ben}
    assert _ids(api, "view=team&due_to=2025-03-31") == []
    assert set(_ids(api, "view=team&overdue=false")) == {ava, ben} and _ids(api, "view=team&overdue=true") == []


def test_overdue_tasks_are_listed_once_their_day_has_passed(api: Api, factory: Any) -> None:
    ava, _ = _setup(api, factory, "Ava", "Ben")
    api.post(f"/tasks/{ava}/claim", as_="fd1")
    factory.at("2025-05-01T09:00:00+00:00")
    assert _ids(api, "view=overdue") == [ava]
    assert _ids(api, "view=team&overdue=true&state=ready") != [] and _ids(api, "view=team&overdue=false") == []


def test_the_inbox_is_paged_with_a_total(api: Api, factory: Any) -> None:
    ids = _setup(api, factory, "Ava", "Ben", "Cal")
    first = api.get("/tasks?view=available&limit=2", as_="fd1")
    assert first.headers["X-Total-Count"] == "3" and len(first.get_json()) == 2
    rest = _ids(api, "view=available&limit=2&offset=2")
    assert set([t["id"] for t in first.get_json()] + rest) == set(ids)
    assert_problem(api.get("/tasks?limit=500", as_="fd1"), 400, "bad_request")


def test_a_task_has_an_etag_that_a_draft_leaves_alone_and_a_claim_changes(api: Api, factory: Any) -> None:
    (ava,) = _setup(api, factory, "Ava")
    first = api.get(f"/tasks/{ava}", as_="fd1")
    assert first.status_code == 200 and first.get_json()["form"]["type"] == "object"
    claimed = api.post(f"/tasks/{ava}/claim", as_="fd1")
    assert claimed.headers["ETag"] != first.headers["ETag"]
    drafted = api.put(f"/tasks/{ava}/draft", as_="fd1", json={"data": {"rationale": "so far"}})
    assert drafted.status_code == 200 and drafted.headers["ETag"] == claimed.headers["ETag"]
    assert api.get(f"/tasks/{ava}", as_="fd1").headers["ETag"] == claimed.headers["ETag"]


def test_completing_a_task_changed_since_it_was_opened_is_a_conflict_and_changes_nothing(
    api: Api, factory: Any
) -> None:
    (ava,) = _setup(api, factory, "Ava")
    seen = api.get(f"/tasks/{ava}", as_="fd1").headers["ETag"]
    api.post(f"/tasks/{ava}/claim", as_="fd1")
    stale = api.post(f"/tasks/{ava}/complete", as_="fd1", json={"data": DECISION}, headers={"If-Match": seen})
    assert "changed since you opened it" in assert_problem(stale, 409, "conflict")["detail"]
    assert api.get(f"/tasks/{ava}", as_="fd1").get_json()["state"] == "claimed"
    weak = api.post(f"/tasks/{ava}/complete", as_="fd1", json={"data": DECISION}, headers={"If-Match": "W/" + seen})
    assert_problem(weak, 409, "conflict")
    current = api.get(f"/tasks/{ava}", as_="fd1").headers["ETag"]
    done = api.post(f"/tasks/{ava}/complete", as_="fd1", json={"data": DECISION}, headers={"If-Match": current})
    assert done.status_code == 200 and done.get_json()["task"]["state"] == "completed"


def test_if_match_any_or_absent_does_not_stop_a_completion(api: Api, factory: Any) -> None:
    ava, ben = _setup(api, factory, "Ava", "Ben")
    assert (
        api.post(f"/tasks/{ava}/complete", as_="fd1", json={"data": DECISION}, headers={"If-Match": "*"}).status_code
        == 200
    )
    assert api.post(f"/tasks/{ben}/complete", as_="fd1", json={"data": DECISION}).status_code == 200


def test_each_refusal_on_a_task_has_its_own_code(api: Api, factory: Any) -> None:
    (ava,) = _setup(api, factory, "Ava")
    assert api.post(f"/tasks/{ava}/claim", as_="fd1").status_code == 200
    assert api.post(f"/tasks/{ava}/claim", as_="fd1").status_code == 200  # idempotent for the holder
    assert_problem(api.post(f"/tasks/{ava}/claim", as_="fd2"), 409, "already_claimed")
    assert_problem(api.post(f"/tasks/{ava}/unclaim", as_="fd2"), 403, "forbidden")
    assert_problem(
        api.post(f"/tasks/{ava}/assign", as_="fd1", json={"assignee": "fd2", "reason": "x"}), 403, "forbidden"
    )
    invalid = assert_problem(api.post(f"/tasks/{ava}/complete", as_="fd1", json={"data": {}}), 422, "invalid_form")
    assert "decision" in invalid["errors"]
    assert_problem(api.post(f"/tasks/{ava}/complete", as_="fd1", json={}), 422, "invalid_form")
    assert api.post(f"/tasks/{ava}/complete", as_="fd1", json={"data": DECISION}).status_code == 200
    assert_problem(api.post(f"/tasks/{ava}/complete", as_="fd1", json={"data": DECISION}), 409, "task_not_ready")
    assert_problem(api.post(f"/tasks/{ava}/unclaim", as_="fd1"), 409, "task_not_ready")
    assert_problem(api.get(f"/tasks/{ava}", as_="sw2"), 404, "not_found")


def test_a_late_step_needs_a_delay_reason(api: Api, factory: Any) -> None:
    (ava,) = _setup(api, factory, "Ava")
    factory.at("2025-05-01T09:00:00+00:00")
    assert_problem(api.post(f"/tasks/{ava}/complete", as_="fd1", json={"data": DECISION}), 422, "delay_reason_required")
    late = {"data": {**DECISION, "delay_reason": "Waiting for the school's report."}}
    assert api.post(f"/tasks/{ava}/complete", as_="fd1", json=late).status_code == 200


def test_a_case_task_list_can_be_narrowed_by_state_and_paged(api: Api, factory: Any) -> None:
    (ava,) = _setup(api, factory, "Ava")
    case_id = api.get(f"/tasks/{ava}", as_="fd1").get_json()["case_id"]
    api.post(f"/tasks/{ava}/complete", as_="fd1", json={"data": DECISION})
    everything = api.get(f"/cases/{case_id}/tasks", as_="fd1")
    assert int(everything.headers["X-Total-Count"]) == len(everything.get_json()) >= 2
    done = api.get(f"/cases/{case_id}/tasks?state=completed", as_="fd1").get_json()
    assert [t["id"] for t in done] == [ava]
    assert len(api.get(f"/cases/{case_id}/tasks?limit=1", as_="fd1").get_json()) == 1
