"""Two people claim the same task at the same moment through a real HTTP server: one gets it, the other a
409 saying it is taken (on SQLite the loser may instead get the 409 'conflict' of the version check)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from casepath.services.core import Casepath
from tests.api.conftest import DECISION, REFERRAL, Api
from tests.faults.helpers import call


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app on a threaded HTTP server on a free loopback port, as `casepath serve` runs it."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=30)


def at_once(*calls: Any) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        outcomes[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.parametrize("attempt", range(3))
def test_two_people_claiming_one_task_at_once_one_wins_the_other_gets_409(
    server: str, api: Api, factory: Any, core: Casepath, attempt: int
) -> None:
    for name in ("fd1", "fd2"):
        factory.create_staff(name, ["front_door", "social_worker"])
    case_id = api.post("/referrals", as_="fd1", json=REFERRAL).get_json()["case_id"]
    (task,) = api.get(f"/cases/{case_id}/tasks", as_="fd1").get_json()
    tokens = [api.token("fd1"), api.token("fd2")]

    outcomes = at_once(*(lambda t=t: call(server, "POST", f"/tasks/{task['id']}/claim", t) for t in tokens))

    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [200, 409], outcomes
    (winner,) = [body["assignee"] for status, body in outcomes if status == 200]
    (loser,) = [body for status, body in outcomes if status == 409]
    assert loser["code"] in (("already_claimed",) if core.db.is_postgres else ("already_claimed", "conflict"))
    events = api.get(f"/cases/{case_id}/events", as_="admin").get_json()
    assert [e["data"]["assignee"] for e in events if e["name"] == "task_claimed"] == [winner]
    other = "fd2" if winner == "fd1" else "fd1"
    status, body = call(server, "POST", f"/tasks/{task['id']}/complete", api.token(other), {"data": DECISION})
    assert (status, body["code"]) == (409, "already_claimed")
    status, body = call(server, "POST", f"/tasks/{task['id']}/complete", api.token(winner), {"data": DECISION})
    assert status == 200, body
