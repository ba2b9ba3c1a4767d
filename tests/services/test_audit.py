from typing import Any

import pytest
from sqlalchemy import text

from casepath.cli import main
from casepath.services import records
from casepath.services.audit import verify_all
from casepath.store import models
from casepath.store.models import ImmutableRecord


def test_an_intact_record_verifies_and_a_tampered_event_is_reported_first(factory, capsys, monkeypatch):
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    factory.at("2025-04-17T10:15:00+01:00")
    case_id = factory.create_referral(fd, received_at="2025-04-17T10:15:00+01:00")
    assert list(verify_all(factory.core)) == []
    with factory.core.db.engine.begin() as conn:  # tampering behind the application's back
        conn.execute(text("UPDATE events SET actor = 'someone' WHERE stream = :s AND seq = 2"), {"s": case_id})
    assert list(verify_all(factory.core)) == [
        (case_id, 2, "its hash does not match its content or the event before it")
    ]
    monkeypatch.setenv("DATABASE_URL", factory.core.settings.database_url)
    assert main(["audit", "verify", "--case", case_id]) == 1
    assert f"TAMPERED {case_id}: event 2" in capsys.readouterr().out


def test_events_cannot_be_changed_or_deleted_through_the_application(factory):
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    factory.at("2025-04-17T10:15:00+01:00")
    case_id = factory.create_referral(fd, received_at="2025-04-17T10:15:00+01:00")
    with pytest.raises(ImmutableRecord), factory.core.db.transaction() as session:
        session.query(models.Event).filter(models.Event.stream == case_id).first().actor = "x"
    with pytest.raises(ImmutableRecord), factory.core.db.transaction() as session:
        session.delete(session.query(models.Event).filter(models.Event.stream == case_id).first())


def _case_with_events(factory: Any) -> str:
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    factory.at("2025-04-17T10:15:00+01:00")
    case_id = factory.create_referral(fd, received_at="2025-04-17T10:15:00+01:00")
    factory.complete(fd, case_id, "referral_decision", {"decision": "nfa", "rationale": "r", "referrer_informed": True})
    return case_id


def test_the_case_row_carries_the_head_of_its_chain(factory):
    case_id = _case_with_events(factory)
    with factory.core.db.transaction() as session:
        case = session.get(models.Case, case_id)
        last = records.last_event(session, case_id)
        assert (case.last_seq, case.last_hash) == (last.seq, last.hash) and last.seq > 2


def test_events_cut_off_the_end_of_a_record_or_a_last_event_rewritten_with_its_hash_are_reported(factory):
    case_id = _case_with_events(factory)
    with factory.core.db.transaction() as session:
        last = records.last_event(session, case_id)
        seq, at = last.seq, last.at
    with factory.core.db.engine.begin() as conn:  # the last event rewritten, its hash recomputed to match
        digest = records.event_hash(last.prev_hash, case_id, seq, last.name, at, "someone", last.data)
        conn.execute(
            text("UPDATE events SET actor = 'someone', hash = :h WHERE stream = :s AND seq = :q"),
            {"h": digest, "s": case_id, "q": seq},
        )
    [(stream, where, why)] = list(verify_all(factory.core))
    assert (stream, where) == (case_id, seq) and "rewritten" in why
    with factory.core.db.engine.begin() as conn:  # the last two events deleted behind the application's back
        conn.execute(text("DELETE FROM events WHERE stream = :s AND seq >= :q"), {"s": case_id, "q": seq - 1})
    [(stream, where, why)] = list(verify_all(factory.core))
    assert (stream, where) == (case_id, seq - 1) and "missing" in why
    with factory.core.db.engine.begin() as conn:  # every event deleted: the case still says it had some
        conn.execute(text("DELETE FROM events WHERE stream = :s"), {"s": case_id})
    assert [(s, w) for s, w, _ in verify_all(factory.core)] == [(case_id, 1)]


def test_an_event_added_behind_the_applications_back_is_reported(factory):
    case_id = _case_with_events(factory)
    with factory.core.db.transaction() as session:
        last = records.last_event(session, case_id)
        seq, digest = last.seq + 1, last.hash
        data = {"step": "x"}
        forged = records.event_hash(digest, case_id, seq, "case_event", last.at, "someone", data)
        session.add(models.Event(stream=case_id, la_id=last.la_id, seq=seq, name="case_event", at=last.at,
                                 actor="someone", data=data, prev_hash=digest, hash=forged))  # fmt: skip
    [(stream, where, why)] = list(verify_all(factory.core))
    assert (stream, where) == (case_id, seq) and "behind the application's back" in why


def test_a_case_event_goes_through_the_case_so_its_chain_head_moves(factory):
    case_id = _case_with_events(factory)
    with pytest.raises(ValueError, match="append_to_case"), factory.core.db.transaction() as session:
        records.append(session, case_id, 1, "case_event", None, {}, factory.clock.now())
