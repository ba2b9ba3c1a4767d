"""The staff directory, the local protocol and routing through the REST API; case visibility across teams and
local authorities."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from casepath.domain.errors import NotFound
from casepath.services import admin, cases, records, tasks
from casepath.services.staff import Actor
from casepath.store import models
from tests.authz.helpers import assessed, staff
from tests.factories import Factory


@pytest.fixture
def p(factory: Factory) -> dict[str, Actor]:
    return staff(factory)


class Client:
    def __init__(self, client: FlaskClient, factory: Factory) -> None:
        self.client, self.factory, self.tokens = client, factory, {}

    def __call__(self, method: str, path: str, who: str = "admin", **kwargs: Any) -> Any:
        if who not in self.tokens:
            self.tokens[who] = admin.issue_token(self.factory.core, None, who)["token"]
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)


@pytest.fixture
def api(factory: Factory) -> Client:
    return Client(create_app(factory.core, {"TESTING": True}).test_client(), factory)


def la_events(factory: Factory, name: str, code: str = "999") -> list[models.Event]:
    with factory.core.db.transaction() as session:
        return [e for e in records.list_events(session, f"la:{code}") if e.name == name]


def test_an_admin_changes_a_member_of_staff_and_the_la_record_keeps_before_and_after(api, factory, p) -> None:
    change = {"roles": ["lead_practitioner"], "competencies": ["cin_assessment"], "team": "west", "caseload_limit": 12}
    answer = api("PATCH", "/staff/fsw_new", json=change)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["competencies"] == ["cin_assessment"] and answer.get_json()["active"] is True
    [event] = la_events(factory, "staff_updated")
    assert event.actor == "admin" and event.data["changed"] == ["caseload_limit", "competencies", "team"]
    assert (event.data["before"]["team"], event.data["after"]["team"]) == ("east", "west")
    assert api("GET", "/staff/fsw_new", "ps1").get_json()["caseload_limit"] == 12


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("ps1", {"team": "west"}, 403, "forbidden"),
        ("admin", {"roles": ["wizard"]}, 422, "invalid_form"),
        ("admin", {}, 422, "invalid_form"),
        ("admin", {"line_manager": "fsw1"}, 422, "invalid_form"),  # ps1 line-manages fsw1: a loop
        ("admin", {"line_manager": "nobody"}, 422, "invalid_form"),
        ("admin", {"unknown": 1}, 422, "invalid_form"),
    ],
)
def test_a_bad_change_to_a_member_of_staff_is_refused(api, p, who: str, body: dict[str, Any], status: int, code: str):
    answer = api("PATCH", "/staff/ps1", who, json=body)
    assert (answer.status_code, answer.get_json()["code"]) == (status, code)


def test_a_deactivated_member_of_staff_loses_their_tokens_and_the_last_admin_stays(api, factory, p) -> None:
    assert api("GET", "/staff/fsw1", "fsw1").status_code == 200
    answer = api("DELETE", "/staff/fsw1")
    assert answer.status_code == 200 and answer.get_json()["active"] is False
    assert api("GET", "/staff/fsw1", "fsw1").status_code == 401
    [event] = la_events(factory, "staff_deactivated")
    assert event.actor == "admin" and event.data["tokens_revoked"] == 1
    assert api("DELETE", "/staff/admin").get_json()["code"] == "forbidden"
    assert api("PATCH", "/staff/admin", json={"roles": ["process_owner"]}).get_json()["code"] == "conflict"


def test_tokens_are_revoked_by_an_admin_or_their_owner_only(api, factory, p) -> None:
    api("GET", "/staff/sw1", "sw1")
    assert api("DELETE", "/staff/sw1/tokens", "fsw1").status_code == 403
    answer = api("DELETE", "/staff/sw1/tokens", "sw1")
    assert answer.get_json() == {"username": "sw1", "revoked": 1}
    assert api("GET", "/staff/sw1", "sw1").status_code == 401
    assert la_events(factory, "tokens_revoked")[0].actor == "sw1"


def test_the_protocol_is_published_as_a_new_version_with_its_reason_and_diff(api, factory, p) -> None:
    current = api("GET", "/protocol", "fsw1").get_json()
    assert current["version"] == 1 and current["protocol"]["caseload_mode"] == "warn"
    body = {"protocol": {**current["protocol"], "caseload_mode": "enforce"}, "reason": "Caseloads too high."}
    assert api("PUT", "/protocol", "ps1", json=body).status_code == 403
    answer = api("PUT", "/protocol", json=body)
    assert answer.status_code == 200 and answer.get_json()["version"] == 2
    assert [v["version"] for v in api("GET", "/protocol/versions", "rev").get_json()] == [2, 1]
    [_, event] = la_events(factory, "protocol_changed")
    assert event.actor == "admin" and event.data["reason"] == "Caseloads too high."
    assert event.data["diff"] == {"caseload_mode": {"before": "warn", "after": "enforce"}}
    assert api("PUT", "/protocol", json=body).get_json()["code"] == "invalid_form"  # nothing changed


@pytest.mark.parametrize(
    "body",
    [
        {"protocol": {"caseload_mode": "sometimes"}, "reason": "x"},
        {"protocol": {"lcpp_may_chair": "yes"}, "reason": "x"},
        {"protocol": {"caseload_limits": {"family_support_worker": 0}}, "reason": "x"},
        {"protocol": {"timescales": {"s47_wd": 500}}, "reason": "x"},
        {"protocol": {"lcpp_may_chair": True}},
        {"protocol": {"lcpp_may_chair": True}, "reason": ""},
    ],
)
def test_an_invalid_protocol_or_one_without_a_reason_is_refused(api, p, body: dict[str, Any]) -> None:
    answer = api("PUT", "/protocol", json=body)
    assert (answer.status_code, answer.get_json()["code"]) == (422, "invalid_form")
    assert api("GET", "/protocol").get_json()["version"] == 1


def test_the_candidates_endpoint_answers_supervisors_only(api, factory, p) -> None:
    task = factory.open_task(assessed(factory, p), "approve_assessment")
    answer = api("GET", f"/tasks/{task['id']}/candidates", "ps1")
    assert answer.status_code == 200
    rows = {row["username"]: row for row in answer.get_json()}
    assert rows["ps2"]["allowed"] and rows["fsw1"]["code"] == "not_qualified"
    assert api("GET", f"/tasks/{task['id']}/candidates", "fsw1").get_json()["code"] == "forbidden"


def second_la(factory: Factory) -> Actor:
    with factory.core.db.transaction() as session:
        la = models.LocalAuthority(code="888", name="Elsewhere Council")
        session.add(la)
        session.flush()
        la_id = la.id
    root = Actor("root2", la_id, ("admin",))
    other = {"username": "rev2", "name": "R", "email": "r@example.org", "roles": ["reviewer", "admin"]}
    admin.create_staff(factory.core, root, {**other, "profession": "quality_assurance", "team": "quality"})
    return Actor("rev2", la_id, ("reviewer", "admin"))


def test_another_local_authority_never_sees_a_case_a_task_or_a_member_of_staff(api, factory, p) -> None:
    case_id = assessed(factory, p)
    task = factory.open_task(case_id, "approve_assessment")
    elsewhere = second_la(factory)
    with pytest.raises(NotFound):
        cases.get_case(factory.core, elsewhere, case_id)
    with pytest.raises(NotFound):
        tasks.claim_task(factory.core, elsewhere, task["id"])
    assert api("GET", "/staff/ps1", "rev2").status_code == 404
    assert api("GET", f"/tasks/{task['id']}/candidates", "rev2").status_code == 404
    assert "rev2" not in {c["username"] for c in tasks.candidates(factory.core, p["rev"], task["id"])}
    assert la_events(factory, "staff_created", "888")[0].data["username"] == "rev2"


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("fsw1", True),  # the lead practitioner
        ("ps2", True),  # a supervisor of the case's team
        ("boss", True),  # line-manages ps1, who allocated: further up the chain
        ("ps_west", False),  # another team's supervisor
        ("sw1", False),  # not involved
        ("rev", True),  # a reviewer of the LA
    ],
)
def test_staff_see_their_cases_supervisors_their_teams_and_reviewers_all(factory, p, who: str, sees: bool) -> None:
    case_id = assessed(factory, p)
    if sees:
        assert cases.get_case(factory.core, p[who], case_id)["id"] == case_id
    else:
        with pytest.raises(NotFound):
            cases.get_case(factory.core, p[who], case_id)
