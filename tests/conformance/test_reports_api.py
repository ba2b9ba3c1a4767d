"""The reports endpoints: who may ask, what comes back, and refusals as problem+json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from casepath.services import admin
from tests.conformance.pathways import Driver


@pytest.fixture
def d(factory: Any) -> Driver:
    driver = Driver(factory)
    driver.s17_case()
    driver.refer("2025-06-02")
    return driver


@pytest.fixture
def client(d: Driver) -> FlaskClient:
    return create_app(d.factory.core).test_client()


def bearer(d: Driver, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin.issue_token(d.factory.core, d.factory.admin, username)['token']}"}


def test_a_reviewer_gets_the_service_conformance_report_and_each_table_as_csv(d: Driver, client: FlaskClient) -> None:
    headers = bearer(d, "rev")
    answer = client.get("/api/v1/conformance?from=2025-04-01&to=2026-03-31&group_by=profession", headers=headers)
    assert answer.status_code == 200, answer.json
    assert answer.json["group_by"] == "profession" and answer.json["cases"] == 2
    csv = client.get("/api/v1/conformance.csv?table=rules&from=2025-04-01&to=2026-03-31", headers=headers)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).startswith("rule,title,group,")


def test_the_exports_stream_xes_and_ocel(d: Driver, client: FlaskClient) -> None:
    headers = bearer(d, "rev")
    xes = client.get("/api/v1/exports/xes?from=2025-04-01&to=2025-12-31", headers=headers)
    assert xes.status_code == 200 and xes.is_streamed and xes.get_data().count(b"<trace>") == 2
    ocel = client.get("/api/v1/exports/ocel?from=2025-04-01&to=2025-12-31", headers=headers)
    assert (
        ocel.status_code == 200 and len([o for o in json.loads(ocel.get_data())["objects"] if o["type"] == "case"]) == 2
    )


def test_the_workforce_return_comes_as_json_or_csv_for_reviewers_and_admins(d: Driver, client: FlaskClient) -> None:
    answer = client.get("/api/v1/returns/workforce?year=2026&quarter=1", headers=bearer(d, "admin"))
    assert answer.status_code == 200 and answer.json["period_start"] == "2025-04-01"
    csv = client.get("/api/v1/returns/workforce?year=2026&quarter=1&format=csv", headers=bearer(d, "rev"))
    assert csv.status_code == 200 and "lead_practitioners" in csv.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/conformance", 403, "forbidden"),
        ("/api/v1/exports/xes", 403, "forbidden"),
        ("/api/v1/exports/ocel", 403, "forbidden"),
        ("/api/v1/returns/workforce?year=2026&quarter=1", 403, "forbidden"),
    ],
)
def test_practitioners_may_not_see_service_reports(
    d: Driver, client: FlaskClient, path: str, status: int, code: str
) -> None:
    answer = client.get(path, headers=bearer(d, "fsw1"))
    assert (answer.status_code, answer.json["code"]) == (status, code)


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/conformance?from=2025-05-01&to=2025-04-01",
        "/api/v1/conformance?group_by=grade",
        "/api/v1/conformance?from=yesterday",
        "/api/v1/conformance?colour=red",
        "/api/v1/conformance.csv?table=everything",
        "/api/v1/exports/xes?lifecycle=some",
        "/api/v1/returns/workforce?year=2026&quarter=5",
        "/api/v1/returns/workforce?year=2026",
    ],
)
def test_bad_queries_are_refused_with_a_bad_request(d: Driver, client: FlaskClient, query: str) -> None:
    answer = client.get(query, headers=bearer(d, "rev"))
    assert (answer.status_code, answer.json["code"]) == (400, "bad_request"), answer.json


def test_no_token_no_report(client: FlaskClient) -> None:
    assert client.get("/api/v1/conformance").status_code == 401
