"""A pooled PostgreSQL connection dropped while idle (the server restarted, a firewall timed it out) is found
and replaced before a unit of work uses it; a connection back from the pool within the second is used as is."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, event, text

from casepath.services.core import Casepath
from casepath.store import db
from tests.conftest import BACKEND, PG_ADMIN_URL

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="needs CASEPATH_TEST_DATABASE=postgresql")


def pooled_backend(core: Casepath) -> int:
    with core.db.transaction() as session:
        return int(session.scalar(text("SELECT pg_backend_pid()")))


def drop_connection(pid: int) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_dropped_while_idle_is_replaced_before_use(core: Casepath, monkeypatch: Any) -> None:
    first = pooled_backend(core)
    drop_connection(first)
    now = db.time.monotonic()
    monkeypatch.setattr(db.time, "monotonic", lambda: now + db.IDLE_PING_SECONDS + 1)  # it has been idle since
    assert pooled_backend(core) != first  # no error: the ping found it gone and the pool opened another


def test_a_connection_used_a_moment_ago_is_not_pinged(core: Casepath) -> None:
    pooled_backend(core)
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    pings: list[Any] = []
    original = core.db.engine.dialect.do_ping
    core.db.engine.dialect.do_ping = lambda conn: pings.append(conn) or original(conn)  # type: ignore[method-assign]
    event.listen(core.db.engine, "before_cursor_execute", count)
    try:
        for _ in range(3):
            pooled_backend(core)
    finally:
        del core.db.engine.dialect.do_ping
    assert pings == [] and len(sent) == 3
