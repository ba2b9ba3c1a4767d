"""The scale-out deployment of docs/deploy.md, for real: gunicorn with 2 workers and 2 `casepath worker`
processes on one PostgreSQL database; the timer workers escalate a backlog of overdue decisions, then a
handful of people work through the HTTP API at once; then no error, no completion lost or recorded twice,
each overdue timer fired once, every audit chain whole (bench/load.py is the big version). The deployment
runs on the test clock so that the backlog can fall overdue: the clock is moved a fortnight on in the
database, which every process reads."""

from __future__ import annotations

import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import BACKEND
from tests.faults.deployment import (
    Deployment,
    Tally,
    check_record,
    drop_database,
    fresh_database,
    overdue_fired,
    referral,
    set_clock,
    staff_tokens,
)
from tests.faults.deployment import work_once as take_a_step
from tests.faults.helpers import call, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(BACKEND != "postgresql", reason="needs CASEPATH_TEST_DATABASE=postgresql"),
]
REFERRALS = 5  # per front door worker; each case then goes through decision, allocation, assessment, approval
LATE = 8  # referrals made a fortnight before the run
NOW = datetime(2025, 6, 2, 9, tzinfo=UTC)  # a Monday
STEPS = ("referral_decision", "allocate_lead_practitioner", "child_and_family_assessment", "approve_assessment")
GIVE_UP = 300  # seconds: only a hung deployment gets near this


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    name = f"casepath_deploy_{os.getpid()}"
    deployed = Deployment(fresh_database(name), tmp_path_factory.mktemp("deployment"), test_clock=True)
    try:
        deployed.start()
        yield deployed
    finally:
        deployed.stop()
        drop_database(name)


def test_gunicorn_and_two_timer_workers_on_postgresql_lose_no_step_under_concurrent_casework(
    deployment: Deployment,
) -> None:
    tokens = staff_tokens(deployment.url, teams=1)
    set_clock(deployment.url, NOW)
    backlog = []  # referrals whose decisions fall overdue when the clock moves on: the timer workers escalate them
    for _ in range(LATE):
        status, body = call(deployment.base, "POST", "/referrals", tokens["fd0a"], referral("fd0a"))
        assert status == 201, body
        backlog.append(body["case_id"])
    set_clock(deployment.url, NOW + timedelta(days=14))
    wait_for(lambda: set(backlog) <= set(overdue_fired(deployment.url)), "the timer workers to fire", timeout=120)
    tallies = {name: Tally() for name in tokens}
    expected = REFERRALS * len(STEPS) * sum(name.startswith("fd") for name in tokens) + LATE * len(STEPS)
    give_up = time.monotonic() + GIVE_UP

    def done() -> bool:
        return sum(len(t.completed) for t in tallies.values()) >= expected or time.monotonic() > give_up

    def person(name: str) -> None:
        def send(method: str, path: str, body: Any) -> tuple[int, Any]:
            if method == "POST" and path == "/referrals" and len(tallies[name].referred) >= REFERRALS:
                return 201, {"case_id": None}  # referred enough: only take steps now
            return call(deployment.base, method, path, tokens[name], body)

        while not done():
            if not take_a_step(send, name, tallies[name]):
                time.sleep(0.2)  # nothing for me yet: look again shortly

    people = [threading.Thread(target=person, args=(name,)) for name in tokens]
    for thread in people:
        thread.start()
    for thread in people:
        thread.join(timeout=GIVE_UP + 60)

    assert deployment.alive(), "a process died during the run"
    assert [u for t in tallies.values() for u in t.unexpected] == []
    acknowledged = [task for t in tallies.values() for task in t.completed]
    assert len(acknowledged) == expected, f"{len(acknowledged)} of {expected} steps completed"
    assert check_record(deployment.url, acknowledged) == []
    fired = overdue_fired(deployment.url)  # the two timer workers fired each overdue decision's timer once
    assert {case: fired.get(case) for case in backlog} == dict.fromkeys(backlog, 1)


def test_behind_a_tls_proxy_gunicorn_answers_with_hsts(deployment: Deployment) -> None:
    request = urllib.request.Request(deployment.base + "/api/openapi.json", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    with urllib.request.urlopen(deployment.base + "/api/openapi.json", timeout=30) as answer:
        assert answer.headers["Strict-Transport-Security"] is None


def test_gunicorn_and_the_timer_workers_stop_cleanly_on_sigterm(deployment: Deployment) -> None:
    assert deployment.stop() == [0, 0, 0]
