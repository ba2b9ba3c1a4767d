"""Shared fixtures: a fresh Casepath per test on SQLite (default) or PostgreSQL.

Set CASEPATH_TEST_DATABASE=postgresql to run every database test on the local PostgreSQL server
(127.0.0.1:5432, user postgres); CI runs the suite both ways.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from casepath.domain.clock import FixedClock
from casepath.services.core import Casepath, Settings
from casepath.services.setup import init

BACKEND = os.environ.get("CASEPATH_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("CASEPATH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
START = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def pytest_report_header() -> str:
    return f"casepath database backend: {BACKEND}"


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, initialised database once per session; each test gets a copy or a truncated one."""
    if BACKEND == "postgresql":
        name = f"casepath_test_{os.getpid()}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        core = Casepath(Settings(database_url=url), clock=FixedClock(START))
        core.db.upgrade()
        core.db.dispose()
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        core = Casepath(Settings(database_url=f"sqlite:///{path}"), clock=FixedClock(START))
        init(core)
        core.db.dispose()
        yield str(path)


def _fresh_url(template: str, tmp_path: Path) -> str:
    if BACKEND == "postgresql":
        engine = create_engine(template)
        with engine.begin() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
                )
            ]
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        engine.dispose()
        return template
    target = tmp_path / f"casepath-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def core(database_template: str, tmp_path: Path, clock: FixedClock) -> Iterator[Casepath]:
    """A Casepath on a fresh database with the LA, admin, default protocol and pathway version 1."""
    from handlers import REGISTRY

    settings = Settings(database_url=_fresh_url(database_template, tmp_path), rehearsals_dir=tmp_path / "rehearsals")
    app = Casepath(settings, clock=clock, handlers=REGISTRY)
    init(app)
    yield app
    _open_task_rows_are_the_ready_tasks(app)
    app.db.dispose()


def _open_task_rows_are_the_ready_tasks(app: Casepath) -> None:
    """After every test: each active instance's open task rows are exactly its ready user tasks as stored, the
    invariant a step relies on to derive the task rows without reading them (`_Loaded.open_rows`)."""
    from sqlalchemy import select

    from casepath.engine.runner import Instance
    from casepath.services.runtime import OPEN
    from casepath.store import models

    with app.db.transaction() as session:
        for row in session.scalars(select(models.Instance).where(models.Instance.status == "active")):
            case = session.get(models.Case, row.case_id)
            assert case is not None
            diagrams = app.version(session, case.process_version_id).diagrams
            try:
                engine = Instance.load(diagrams, row.state)
            except ValueError:  # a state a test broke on purpose (not JSON)
                continue
            ready = {task.id for task in engine.ready_tasks()}
            query = select(models.Task.id).where(models.Task.instance_id == row.id, models.Task.state.in_(OPEN))
            assert set(session.scalars(query)) == ready, f"instance {row.process_id} of case {row.case_id}"


@pytest.fixture
def factory(core: Casepath) -> Any:
    from tests.factories import Factory

    return Factory(core)
