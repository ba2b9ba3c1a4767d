"""Migration 0007: on PostgreSQL an instance's saved state is compressed with lz4; SQLite has nothing to
change. Both go down to 0006 and up again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.conftest import BACKEND
from tests.services.test_migration_chain_head import _alembic

COMPRESSION = "SELECT attcompression FROM pg_attribute WHERE attrelid = 'instances'::regclass AND attname = 'state'"
LZ4 = "SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals))"


def column_compression(core: Any) -> str | None:
    if BACKEND != "postgresql":
        return None
    with core.db.engine.connect() as conn:
        supported = conn.scalar(text(LZ4))
        method = conn.scalar(text(COMPRESSION))
    return {"l": "lz4", "p": "pglz", "": "default"}[method] if supported else "no lz4 on this server"


def test_an_instances_state_is_compressed_with_lz4_and_the_migration_goes_down_and_up(factory: Any) -> None:
    core = factory.core
    assert column_compression(core) in (None, "lz4", "no lz4 on this server")
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    case_id = factory.create_referral(fd)
    if BACKEND == "postgresql" and column_compression(core) == "lz4":
        with core.db.engine.connect() as conn:
            query = "SELECT pg_column_compression(state) FROM instances WHERE case_id = :case"
            assert set(conn.scalars(text(query), {"case": case_id})) == {"lz4"}

    _alembic(core, "downgrade", "0006_case_chain_head")
    assert column_compression(core) in (None, "pglz", "no lz4 on this server")
    core.db.upgrade()
    assert column_compression(core) in (None, "lz4", "no lz4 on this server")
    assert factory.open_steps(case_id) == ["referral_decision"]  # the case still runs
