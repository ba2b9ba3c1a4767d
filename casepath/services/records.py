"""The event record: append-only, one hash chain per stream (a case, or an LA's configuration)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.events import Event
from casepath.store import models

GENESIS = "0" * 64


def event_hash(
    prev_hash: str, stream: str, seq: int, name: str, at: datetime, actor: str | None, data: dict[str, Any]
) -> str:
    body = json.dumps(
        [prev_hash, stream, seq, name, at.isoformat(), actor, data], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(body.encode()).hexdigest()


def last_event(session: Session, stream: str) -> models.Event | None:
    query = select(models.Event).where(models.Event.stream == stream).order_by(models.Event.seq.desc()).limit(1)
    return session.scalars(query).first()


def append(
    session: Session,
    stream: str,
    la_id: int,
    name: str,
    actor: str | None,
    data: dict[str, Any],
    at: datetime,
    after: models.Event | None = None,
) -> models.Event:
    """Add one event to a stream. The caller holds the stream's lock (the case row, or the LA)."""
    at = at.astimezone(UTC)
    previous = after if after is not None else last_event(session, stream)
    seq = previous.seq + 1 if previous else 1
    prev_hash = previous.hash if previous else GENESIS
    clean = json.loads(json.dumps(data, default=str))
    row = models.Event(
        stream=stream,
        la_id=la_id,
        seq=seq,
        name=name,
        at=at,
        actor=actor,
        data=clean,
        prev_hash=prev_hash,
        hash=event_hash(prev_hash, stream, seq, name, at, actor, clean),
    )
    session.add(row)
    return row


def to_domain(row: models.Event) -> Event:
    return Event(seq=row.seq, name=row.name, at=row.at, actor=row.actor, data=dict(row.data))


def list_events(session: Session, stream: str) -> list[models.Event]:
    query = select(models.Event).where(models.Event.stream == stream).order_by(models.Event.seq)
    return list(session.scalars(query))


def verify(session: Session, stream: str) -> models.Event | None:
    """The first event whose hash does not match its content or its predecessor; None when intact."""
    prev_hash = GENESIS
    for row in list_events(session, stream):
        expected = event_hash(prev_hash, stream, row.seq, row.name, row.at, row.actor, row.data)
        if row.prev_hash != prev_hash or row.hash != expected:
            return row
        prev_hash = row.hash
    return None
