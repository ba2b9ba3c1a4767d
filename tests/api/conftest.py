"""API tests go through Flask's test client with real bearer tokens, via a small request helper."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.app import create_app
from casepath.services import admin
from casepath.services.core import Casepath


@pytest.fixture
def app(core: Casepath) -> Flask:
    return create_app(core, {"TESTING": True})


@dataclass
class Api:
    """`api.get("/cases", as_="ps1")`: a request to /api/v1 with that person's token (issued once)."""

    client: FlaskClient
    core: Casepath
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = admin.issue_token(self.core, None, username)["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, as_: str | None = "admin", **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if as_ is not None:
            headers.setdefault("Authorization", f"Bearer {self.token(as_)}")
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, as_: str | None = "admin", **kwargs: Any) -> TestResponse:
        return self.call("GET", path, as_, **kwargs)

    def post(self, path: str, as_: str | None = "admin", **kwargs: Any) -> TestResponse:
        return self.call("POST", path, as_, **kwargs)

    def put(self, path: str, as_: str | None = "admin", **kwargs: Any) -> TestResponse:
        return self.call("PUT", path, as_, **kwargs)


@pytest.fixture
def api(app: Flask, core: Casepath) -> Api:
    return Api(app.test_client(), core)


def assert_problem(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The response is application/problem+json with this status and stable code, and a detail in words."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    assert body["title"] and len(body["detail"]) > 10
    return dict(body)


REFERRAL = {
    "child": {
        "first_name": "Ava",
        "last_name": "Example",
        "date_of_birth": "2016-05-03",
        "sex": "F",
        "ethnicity": "WBRI",
        "disabilities": ["NONE"],
    },
    "received_at": "2025-04-01T09:00:00+00:00",
    "source": "2A",
    "concerns": "Attendance has fallen.",
}
DECISION = {"decision": "assessment", "primary_need": "N4", "rationale": "Needs assessing.", "referrer_informed": True}
