"""`casepath worker`: fires due timers, survives being stopped (SIGTERM), and `--once` for cron."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from casepath.services.core import TEST_CLOCK_KEY, Casepath
from casepath.store import models
from tests.clocks.helpers import Office, events_named, london

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # each starts a Python process that imports the whole application


def worker_env(core: Casepath, moment: str) -> dict[str, str]:
    """The worker's environment: the test database, with its test clock set to `moment`."""
    with core.db.transaction() as session:
        session.merge(models.Setting(key=TEST_CLOCK_KEY, value=moment))
    return {**os.environ, "DATABASE_URL": core.settings.database_url, "CASEPATH_TEST_CLOCK": "1"}


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "casepath.cli", "worker", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def test_the_worker_once_fires_what_is_due_and_exits(factory: Any, core: Casepath) -> None:
    case_id = Office(factory).refer(london("2025-06-06", 14))
    worker = start_worker(worker_env(core, "2025-06-10T08:00:00+00:00"), "--once")
    _, errors = worker.communicate(timeout=120)
    assert worker.returncode == 0, errors
    assert "fired 1 timer(s)" in errors
    assert len(events_named(core, "task_overdue", case_id)) == 1


def test_sigterm_stops_the_worker_cleanly(factory: Any, core: Casepath) -> None:
    case_id = Office(factory).refer(london("2025-06-06", 14))
    worker = start_worker(worker_env(core, "2025-06-10T08:00:00+00:00"), "--interval", "3600")
    assert worker.stderr is not None
    lines = []
    for line in worker.stderr:  # wait until the first batch is done: the worker is then asleep
        lines.append(line)
        if "fired 1 timer(s)" in line or "Traceback" in line:
            break
    worker.send_signal(signal.SIGTERM)
    _, rest = worker.communicate(timeout=60)
    errors = "".join(lines) + rest
    assert worker.returncode == 0, errors
    assert "SIGTERM received" in errors and "worker stopped" in errors
    assert len(events_named(core, "task_overdue", case_id)) == 1
