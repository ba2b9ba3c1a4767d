"""Migration 0006 puts the head of each case's hash chain on its case row, from the events already stored."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import select, text

from casepath.services import records
from casepath.services.audit import verify_all
from casepath.store import models
from casepath.store.db import MIGRATIONS


def _alembic(core: Any, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with core.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def test_existing_cases_get_their_chain_head_from_their_events(factory: Any) -> None:
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    factory.at("2025-04-17T10:15:00+01:00")
    cases = [factory.create_referral(fd, received_at="2025-04-17T10:15:00+01:00") for _ in range(2)]
    factory.complete(
        fd, cases[0], "referral_decision", {"decision": "nfa", "rationale": "r", "referrer_informed": True}
    )
    with factory.core.db.transaction() as session:
        before = {c.id: (c.last_seq, c.last_hash) for c in session.scalars(select(models.Case))}

    _alembic(factory.core, "downgrade", "0005_login_failures")  # as the database stood before
    with factory.core.db.engine.begin() as conn:
        assert "last_seq" not in conn.execute(text("SELECT * FROM cases")).keys()
    factory.core.db.upgrade()

    with factory.core.db.transaction() as session:
        after = {c.id: (c.last_seq, c.last_hash) for c in session.scalars(select(models.Case))}
        heads = {case_id: records.last_event(session, case_id) for case_id in cases}
    assert after == before == {case_id: (last.seq, last.hash) for case_id, last in heads.items()}
    assert before[cases[0]][0] > before[cases[1]][0] > 0
    assert list(verify_all(factory.core)) == []
    factory.complete(
        fd, cases[1], "referral_decision", {"decision": "nfa", "rationale": "r", "referrer_informed": True}
    )
    assert list(verify_all(factory.core)) == []  # the chain goes on from the head the migration found
