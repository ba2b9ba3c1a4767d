"""Starting Casepath processes we can kill, and photographing the whole database to compare."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, select, text

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0, process: Any = None) -> None:
    """Poll `check` until it holds; fail with `what` if it never does or `process` dies first."""
    give_up = time.monotonic() + timeout
    while not check():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        if time.monotonic() > give_up:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)


def spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """A child process in the project folder, its output in `log` (read it when a test fails)."""
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no handler, no cleanup, no rollback in the process; the database must cope."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def call(base: str, method: str, path: str, token: str, body: Any = None, timeout: float = 60) -> tuple[int, Any]:
    """One API request; (status, JSON body). Problem answers are returned, not raised."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(base + "/api/v1" + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def snapshot(url: str, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but `skip`), sorted: two snapshots are equal only if nothing changed."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for name, table in meta.tables.items()
                if name not in skip
            }
    finally:
        engine.dispose()


def wait_until_released(url: str) -> None:
    """On PostgreSQL, wait until the server has noticed a killed client and rolled its transaction back
    (a worker taking timers with SKIP LOCKED would otherwise pass over what the dead one still holds)."""
    if not url.startswith("postgresql"):
        return  # SQLite: the operating system released the dead process's file locks with it
    engine = create_engine(url)
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
    )

    def released() -> bool:
        with engine.connect() as conn:
            return conn.scalar(query) == 0

    try:
        wait_for(released, "PostgreSQL to roll back the killed process's transaction")
    finally:
        engine.dispose()
