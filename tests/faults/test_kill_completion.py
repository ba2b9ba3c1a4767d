"""A server SIGKILLed in the middle of completing a step leaves the case exactly as before or exactly as
after, never half; and the step can be completed afterwards (issue 9, crash safety).

The server is the real app started by tests/faults/blocking_server.py, which stops at a chosen point of
the completion's transaction (after the N-th write, just before the commit, just after it) and waits
to be killed. The whole database is photographed before the request and after the kill.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from casepath.domain.errors import TaskNotReady
from casepath.services import admin, records, tasks
from casepath.services.core import TEST_CLOCK_KEY, Casepath
from casepath.services.staff import Actor
from casepath.store import models
from tests.faults.helpers import PYTHON, call, free_port, kill, serving, snapshot, spawn, wait_for
from tests.services.test_pathways import DECIDE_ASSESS

# api_tokens: signing in with the token is a transaction of its own, before the completion starts
UNTOUCHED = frozenset({"api_tokens"})


def open_decision(factory: Any, core: Casepath) -> tuple[Actor, str, str, str]:
    """A referral whose decision fd1 has claimed; (fd1, case id, task id, fd1's API token)."""
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    factory.at("2025-04-17T10:15:00+01:00")
    case_id = factory.create_referral(fd, received_at="2025-04-17T10:15:00+01:00")
    task = factory.open_task(case_id, "referral_decision")
    tasks.claim_task(core, fd, task["id"])
    with core.db.transaction() as session:  # the server runs on the test clock, at the factory's moment
        session.merge(models.Setting(key=TEST_CLOCK_KEY, value=factory.clock.now().isoformat()))
    return fd, case_id, task["id"], admin.issue_token(core, None, "fd1")["token"]


def complete_on_a_server_killed_at(core: Casepath, tmp_path: Path, point: str, task_id: str, token: str) -> str:
    """Send the completion to a server that stops at `point`; SIGKILL it there. What it had reached."""
    port, marker = free_port(), tmp_path / "reached"
    server = spawn(
        [PYTHON, "-m", "tests.faults.blocking_server", core.settings.database_url, str(port), str(marker), point],
        tmp_path / "server.log",
    )
    try:
        wait_for(lambda: serving(port), "the server to start", process=server)
        base = f"http://127.0.0.1:{port}"
        request = threading.Thread(
            target=lambda: _ignore_errors(
                call, base, "POST", f"/tasks/{task_id}/complete", token, {"data": DECIDE_ASSESS}
            ),
            daemon=True,
        )
        request.start()
        wait_for(marker.exists, f"the server to reach {point}", process=server)
    finally:
        kill(server)
    request.join(timeout=30)
    return marker.read_text()


def _ignore_errors(function: Any, *args: Any) -> None:
    try:
        function(*args)
    except OSError:
        pass  # the connection dies with the server


def completions(core: Casepath, case_id: str) -> list[str]:
    with core.db.transaction() as session:
        assert records.verify(session, case_id) is None  # the hash chain is whole
        return [e.name for e in records.list_events(session, case_id) if e.name == "task_completed"]


# this completion makes 9 writes today: stop after the first, after a few, and just before the commit (after the last)
@pytest.mark.parametrize("point", ["write:1", "write:4", "commit"])
def test_a_server_killed_before_the_commit_leaves_the_case_exactly_as_before(
    factory: Any, core: Casepath, tmp_path: Path, point: str
) -> None:
    fd, case_id, task_id, token = open_decision(factory, core)
    core.db.dispose()
    before = snapshot(core.settings.database_url, UNTOUCHED)

    reached = complete_on_a_server_killed_at(core, tmp_path, point, task_id, token)

    assert snapshot(core.settings.database_url, UNTOUCHED) == before, reached
    assert completions(core, case_id) == []
    done = tasks.complete_task(core, fd, task_id, {"data": DECIDE_ASSESS})  # not stuck: the locks died with it
    assert done["task"]["state"] == "completed"
    assert completions(core, case_id) == ["task_completed"]
    assert "referral_decision" not in factory.open_steps(case_id)


def test_a_server_killed_just_after_the_commit_leaves_the_case_exactly_as_after(
    factory: Any, core: Casepath, tmp_path: Path
) -> None:
    fd, case_id, task_id, token = open_decision(factory, core)
    core.db.dispose()
    before = snapshot(core.settings.database_url, UNTOUCHED)

    reached = complete_on_a_server_killed_at(core, tmp_path, "after", task_id, token)

    assert snapshot(core.settings.database_url, UNTOUCHED) != before, reached
    assert completions(core, case_id) == ["task_completed"]
    assert "referral_decision" not in factory.open_steps(case_id)
    with pytest.raises(TaskNotReady):
        tasks.complete_task(core, fd, task_id, {"data": DECIDE_ASSESS})
