"""One error shape (application/problem+json with a stable code) for everything a request can get wrong."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import Api, assert_problem

STAFF = {"username": "sw9", "name": "Sam", "email": "sam@example.org", "roles": ["social_worker"]}


def test_malformed_json_is_a_bad_request_that_says_where(api: Api) -> None:
    response = api.post("/staff", data='{"username": ', content_type="application/json")
    body = assert_problem(response, 400, "bad_request")
    assert "line 1" in body["detail"]


def test_json_with_nan_a_nul_character_or_absurd_nesting_is_a_bad_request(api: Api) -> None:
    for text in ('{"data": NaN}', '{"data": {"x": "a\\u0000b"}}', '{"data": ' + "[" * 40 + "]" * 40 + "}"):
        assert_problem(
            api.put(f"/tasks/{uuid.uuid4()}/draft", data=text, content_type="application/json"), 400, "bad_request"
        )
    assert_problem(api.post("/staff", data="[" * 100_000, content_type="application/json"), 400, "bad_request")


def test_a_body_that_is_not_json_is_an_unsupported_media_type(api: Api) -> None:
    response = api.post("/staff", data="username=sw9", content_type="application/x-www-form-urlencoded")
    body = assert_problem(response, 415, "unsupported_media_type")
    assert "application/json" in body["detail"]
    assert_problem(
        api.post("/staff", data='{"username": "sw9"}', content_type="text/plain"), 415, "unsupported_media_type"
    )


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(api: Api) -> None:
    response = api.post("/referrals", data="x" * 1_000_001, content_type="application/json")
    assert_problem(response, 413, "too_large")
    assert_problem(api.post(f"/tasks/{uuid.uuid4()}/claim", data="x" * 1_000_001), 413, "too_large")


def test_an_unknown_query_parameter_is_a_bad_request_naming_it(api: Api) -> None:
    body = assert_problem(api.get("/tasks?view=mine&colour=red"), 400, "bad_request")
    assert body["errors"] == {"colour": ["Unknown query parameter"]} and "colour" in body["detail"]
    assert_problem(api.get("/clock?verbose=1"), 400, "bad_request")
    assert_problem(api.get(f"/cases/{uuid.uuid4()}?expand=all"), 400, "bad_request")


def test_query_values_are_checked_enums_dates_numbers_and_the_page_size_limit(api: Api) -> None:
    for query in (
        "view=everything",
        "state=lost",
        "due_from=31-12-2025",
        "limit=201",
        "limit=0",
        "offset=-1",
        "overdue=perhaps",
    ):
        body = assert_problem(api.get(f"/tasks?{query}"), 400, "bad_request")
        assert body["errors"], query
    assert_problem(api.get("/cases?received_from=2025-02-30"), 400, "bad_request")
    assert_problem(api.get("/returns/cin-census?year=twenty"), 400, "bad_request")
    assert_problem(api.get("/tasks?step=%00"), 400, "bad_request")


def test_unknown_or_missing_body_fields_are_an_invalid_form_listing_each_field(api: Api) -> None:
    body = assert_problem(api.post("/staff", json={**STAFF, "favourite_colour": "red"}), 422, "invalid_form")
    assert body["errors"] == {"favourite_colour": ["Unknown field."]}
    body = assert_problem(api.post("/staff", json={"username": "sw9"}), 422, "invalid_form")
    assert set(body["errors"]) == {"name", "email", "roles"}
    body = assert_problem(api.post("/staff", json={**STAFF, "roles": ["wizard"]}), 422, "invalid_form")
    assert "roles.0" in body["errors"]


def test_dates_outside_any_plausible_range_are_refused(api: Api) -> None:
    registration = {"number": "SW1", "expires_on": "9999-12-31"}
    body = assert_problem(api.post("/staff", json={**STAFF, "swe_registration": registration}), 422, "invalid_form")
    assert "swe_registration.expires_on" in body["errors"]
    referral = {"source": "2A", "received_at": "0001-01-01T00:00:00+01:00", "child_id": str(uuid.uuid4())}
    assert_problem(api.post("/referrals", json=referral, as_="admin"), 422, "invalid_form")


def test_an_unknown_address_or_method_is_a_problem_too(api: Api) -> None:
    assert_problem(api.get("/no-such-thing"), 404, "not_found")
    assert_problem(api.get("/cases/not-a-uuid"), 404, "not_found")
    response = api.call("DELETE", "/clock")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"


def test_a_domain_refusal_keeps_its_code_and_practitioner_detail(api: Api, factory: Any) -> None:
    factory.create_staff("sw1", ["social_worker"])
    body = assert_problem(api.post("/referrals", as_="sw1", json={"source": "2A"}), 403, "forbidden")
    assert "front door" in body["detail"]
