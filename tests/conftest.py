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
    app.db.dispose()


@pytest.fixture
def factory(core: Casepath) -> Any:
    from tests.factories import Factory

    return Factory(core)
