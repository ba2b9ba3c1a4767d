"""Property-based run over the whole OpenAPI document: no request, valid or not, makes a 500, and every
answer matches the document (status codes, content types, response schemas)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import REFERRAL, Api

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# `make fuzz` sets CASEPATH_FUZZ_EXAMPLES (examples per operation and mode) for a larger budget.
_BUDGET = os.environ.get("CASEPATH_FUZZ_EXAMPLES")
EXAMPLES = (
    {GenerationMode.POSITIVE: int(_BUDGET), GenerationMode.NEGATIVE: int(_BUDGET)}
    if _BUDGET
    else {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 5}
)


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], known: dict[str, Any] | None = None
) -> list[str]:
    """Run one operation's examples; with `known`, its path parameters are real ids (to reach past the 404s)."""
    failures: list[str] = []
    names = {p.name for p in operation.path_parameters}
    fixed = {k: v for k, v in (known or {}).items() if k in names} if known is not None else None
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except BaseExceptionGroup as err:  # schemathesis reports the failed checks of one call as a group
            failures.append(f"{operation.label} [{mode.value}]: {err.exceptions[0]!s:.800}")

    run()
    return failures


@pytest.mark.slow
def test_no_request_to_any_operation_gets_a_500_or_an_answer_the_document_does_not_describe(
    app: Flask, api: Api, factory: Any
) -> None:
    every_role = ["admin", "front_door", "practice_supervisor", "social_worker", "reviewer", "process_owner"]
    factory.create_staff("fuzz", every_role, team="team a")
    case_id = api.post("/referrals", as_="fuzz", json=REFERRAL).get_json()["case_id"]
    case = api.get(f"/cases/{case_id}", as_="fuzz").get_json()
    known = {
        "case_id": case_id,
        "child_id": case["child"]["id"],
        "task_id": case["tasks"][0]["id"],
        "version": 1,
        "name": "referral.bpmn",
        "username": "fuzz",
    }
    headers = {"Authorization": f"Bearer {api.token('fuzz')}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        for mode in EXAMPLES:
            failures += _fuzz(operation, mode, headers)
        if operation.path_parameters:
            failures += _fuzz(operation, GenerationMode.POSITIVE, headers, known)
    assert not failures, "\n\n".join(failures)
