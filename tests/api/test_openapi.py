"""The OpenAPI document describes every route: bearer security, problem+json errors, pages, ETags."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from api.auth import PUBLIC_ENDPOINTS

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def spec(app: Flask) -> dict[str, Any]:
    return dict(app.test_client().get("/api/openapi.json").get_json())


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op) for path, item in spec["paths"].items() for method, op in item.items() if method in METHODS
    ]


def _problem_ref(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    name = ref.rsplit("/", 1)[-1]
    return dict(spec["components"]["responses"][name]["content"]["application/problem+json"]["schema"])


def test_every_api_route_is_in_the_document(app: Flask, spec: dict[str, Any]) -> None:
    documented = {(path, method.upper()) for path, method, _ in _operations(spec)}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        openapi_path = re.sub(r"<(?:[^>]*:)?([^>:]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert (openapi_path, method) in documented, (openapi_path, method)


def test_every_operation_needs_a_bearer_token_and_documents_its_errors_as_problems(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"bearer": []}]
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert "four_eyes" in problem["properties"]["code"]["enum"]
    for path, method, op in _operations(spec):
        responses = op["responses"]
        assert "default" not in responses, (path, method)
        assert {"400", "401"} <= set(responses), (path, method)
        for status, response in responses.items():
            if int(status) >= 400:
                assert _problem_ref(spec, response["$ref"]) == {"$ref": "#/components/schemas/Problem"}
        if "requestBody" in op:
            assert {"413", "415", "422"} <= set(responses), (path, method)
        assert op.get("summary"), (path, method)


def test_lists_document_their_total_and_single_things_their_etag(spec: dict[str, Any]) -> None:
    for path in ("/api/v1/tasks", "/api/v1/cases", "/api/v1/cases/{case_id}/tasks", "/api/v1/cases/{case_id}/events"):
        operation = spec["paths"][path]["get"]
        assert "X-Total-Count" in operation["responses"]["200"]["headers"], path
        assert {"limit", "offset"} <= {p["name"] for p in operation["parameters"]}, path
    for path in ("/api/v1/cases/{case_id}", "/api/v1/tasks/{task_id}"):
        assert "ETag" in spec["paths"][path]["get"]["responses"]["200"]["headers"]
    complete = spec["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]
    assert "If-Match" in {p["name"] for p in complete["parameters"]}
    assert spec["paths"]["/api/v1/tasks"]["get"]["parameters"][0]["schema"]  # typed query parameters
    limit = next(p for p in spec["paths"]["/api/v1/tasks"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 200
