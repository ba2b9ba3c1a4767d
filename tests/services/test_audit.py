import pytest
from sqlalchemy import text

from casepath.cli import main
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
