"""Cases over the API: read with an ETag, list with filters and pages, a child's episodes, raise events."""

from __future__ import annotations

from typing import Any

from casepath.services import access
from casepath.services.cases import visibility
from casepath.services.staff import Actor
from casepath.store import models
from tests.api.conftest import DECISION, REFERRAL, Api, assert_problem


def _people(factory: Any) -> None:
    factory.create_staff("fd1", ["front_door", "social_worker"], team="front door")
    factory.create_staff("ps1", ["practice_supervisor", "social_worker"], team="front door")
    factory.create_staff("sw2", ["social_worker"], team="elsewhere")
    factory.create_staff("rev", ["reviewer"], profession="quality_assurance", team="quality")


def _refer(api: Api, first_name: str, received_at: str = "2025-04-01T09:00:00+00:00") -> str:
    child = {**REFERRAL["child"], "first_name": first_name}
    response = api.post("/referrals", as_="fd1", json={**REFERRAL, "child": child, "received_at": received_at})
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["case_id"])


def test_a_case_carries_an_etag_that_changes_when_the_case_does(api: Api, factory: Any) -> None:
    _people(factory)
    case_id = _refer(api, "Ava")
    first = api.get(f"/cases/{case_id}", as_="fd1")
    assert first.status_code == 200 and first.headers["ETag"].startswith('"c')
    assert api.get(f"/cases/{case_id}", as_="fd1").headers["ETag"] == first.headers["ETag"]
    task = first.get_json()["tasks"][0]
    assert api.post(f"/tasks/{task['id']}/claim", as_="fd1").status_code == 200
    assert api.get(f"/cases/{case_id}", as_="fd1").headers["ETag"] != first.headers["ETag"]


def test_a_case_is_not_found_for_someone_not_involved(api: Api, factory: Any) -> None:
    _people(factory)
    case_id = _refer(api, "Ava")
    assert_problem(api.get(f"/cases/{case_id}", as_="sw2"), 404, "not_found")
    assert_problem(api.get(f"/cases/{case_id}/events", as_="sw2"), 404, "not_found")
    assert_problem(api.get(f"/cases/{case_id}/conformance", as_="sw2"), 404, "not_found")
    assert api.get(f"/cases/{case_id}", as_="rev").status_code == 200


def test_the_case_list_shows_only_visible_cases_newest_first_one_page_at_a_time(api: Api, factory: Any) -> None:
    _people(factory)
    ids = [
        _refer(api, name, f"2025-03-{day:02d}T10:00:00+00:00") for day, name in ((3, "Ava"), (10, "Ben"), (20, "Cal"))
    ]
    assert api.get("/cases", as_="sw2").get_json() == []
    listed = api.get("/cases?limit=2", as_="fd1")
    assert listed.headers["X-Total-Count"] == "3"
    assert [c["id"] for c in listed.get_json()] == [ids[2], ids[1]]
    assert [c["id"] for c in api.get("/cases?limit=2&offset=2", as_="fd1").get_json()] == [ids[0]]
    assert listed.get_json()[0]["child"]["first_name"] == "Cal"
    assert api.get("/cases", as_="ps1").headers["X-Total-Count"] == "3"  # same team as the referrer


def test_the_case_list_filters_by_status_phase_team_and_date_received(api: Api, factory: Any) -> None:
    _people(factory)
    ava = _refer(api, "Ava", "2025-03-03T10:00:00+00:00")
    ben = _refer(api, "Ben", "2025-03-20T10:00:00+00:00")
    factory.complete(
        Actor("fd1", factory.la_id, ("front_door",)),
        ben,
        "referral_decision",
        {**DECISION, "decision": "nfa", "delay_reason": "Backlog."},
    )

    def ids(query: str) -> list[str]:
        return [c["id"] for c in api.get(f"/cases?{query}", as_="rev").get_json()]

    assert ids("status=open") == [ava] and ids("status=closed") == [ben]
    assert ids("phase=referral") == [ava]
    assert ids("team=front%20door") == [ben, ava] and ids("team=elsewhere") == []
    assert ids("received_from=2025-03-10") == [ben]
    assert ids("received_to=2025-03-10") == [ava]
    assert ids("received_from=2025-03-01&received_to=2025-03-31&status=open") == [ava]


def test_listing_cases_agrees_with_who_may_see_each_case(api: Api, factory: Any) -> None:
    _people(factory)
    factory.create_staff("ps2", ["practice_supervisor", "social_worker"], team="elsewhere")
    factory.create_staff("sw3", ["social_worker"], team="elsewhere", line_manager="ps2")
    case_id = _refer(api, "Ava")
    with api.core.db.transaction() as session:
        case = session.get(models.Case, case_id)
        assert case is not None
        case.people = {**case.people, "involved": [*case.people["involved"], "sw3"]}
    with api.core.db.transaction() as session:
        case = session.get(models.Case, case_id)
        assert case is not None
        for username in ("fd1", "ps1", "sw2", "rev", "ps2", "sw3", "admin"):
            row = session.query(models.Staff).filter_by(username=username).one()
            actor = Actor(username, row.la_id, tuple(row.roles))
            assert visibility(session, actor)(case) == access.case_visible(session, actor, case), username
        assert visibility(session, Actor("ps2", case.la_id, ("practice_supervisor",)))(case)


def test_a_child_record_lists_every_episode_for_anyone_who_may_see_one_of_them(api: Api, factory: Any) -> None:
    _people(factory)
    first = _refer(api, "Ava", "2025-03-03T10:00:00+00:00")
    factory.complete(
        Actor("fd1", factory.la_id, ("front_door",)),
        first,
        "referral_decision",
        {**DECISION, "decision": "nfa", "delay_reason": "Backlog."},
    )
    child_id = api.get(f"/cases/{first}", as_="fd1").get_json()["child"]["id"]
    again = api.post("/referrals", as_="fd1", json={"child_id": child_id, "source": "2A", "concerns": "Again."})
    assert again.status_code == 201
    record = api.get(f"/children/{child_id}", as_="ps1")
    assert record.status_code == 200
    body = record.get_json()
    assert body["first_name"] == "Ava" and [e["id"] for e in body["episodes"]] == [again.get_json()["case_id"], first]
    assert [e["status"] for e in body["episodes"]] == ["open", "closed"]
    assert_problem(api.get(f"/children/{child_id}", as_="sw2"), 404, "not_found")
    with api.core.db.transaction() as session:
        assert session.query(models.AccessLog).filter_by(child_id=child_id, what="child", actor="ps1").count() == 1


def test_the_event_list_is_paged_with_a_total(api: Api, factory: Any) -> None:
    _people(factory)
    case_id = _refer(api, "Ava")
    every = api.get(f"/cases/{case_id}/events", as_="fd1")
    total = int(every.headers["X-Total-Count"])
    assert total == len(every.get_json()) >= 3 and every.get_json()[0]["name"] == "case_opened"
    page = api.get(f"/cases/{case_id}/events?limit=2&offset=1", as_="fd1").get_json()
    assert [e["seq"] for e in page] == [2, 3]


def test_raising_an_event_against_an_old_copy_of_the_case_is_a_conflict(api: Api, factory: Any) -> None:
    _people(factory)
    case_id = _refer(api, "Ava")
    etag = api.get(f"/cases/{case_id}", as_="fd1").headers["ETag"]
    concern = {"name": "child_protection_concern", "data": {"reason": "Bruising seen at school."}}
    api.post(f"/tasks/{api.get(f'/cases/{case_id}', as_='fd1').get_json()['tasks'][0]['id']}/claim", as_="fd1")
    stale = api.post(f"/cases/{case_id}/events", as_="fd1", json=concern, headers={"If-Match": etag})
    assert "changed" in assert_problem(stale, 409, "conflict")["detail"]
    fresh = api.get(f"/cases/{case_id}", as_="fd1").headers["ETag"]
    raised = api.post(f"/cases/{case_id}/events", as_="fd1", json=concern, headers={"If-Match": fresh})
    assert raised.status_code == 201 and raised.headers["ETag"] != fresh
    assert "strategy_discussion" in [t["step"] for t in raised.get_json()["case"]["tasks"]]
