"""The event record: append-only, one hash chain per stream (a case, or an LA's configuration)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casepath.domain.events import Event
from casepath.store import models

GENESIS = "0" * 64
KEPT_EVENTS = 100_000  # events this process keeps between units of work, least recently used streams go first


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


class _Kept:
    """The events of recently worked streams, each under the hash of its last event. The hash chain makes the
    hash name the whole stream: when the stored last event has the same hash, the stream is the same, so a
    unit of work reads one row instead of every event (a rolled-back append simply stops matching)."""

    def __init__(self, size: int) -> None:
        self.size, self.held = size, 0
        self.lock = threading.Lock()
        self.streams: OrderedDict[str, tuple[str, tuple[Event, ...]]] = OrderedDict()

    def get(self, stream: str, last_hash: str) -> list[Event] | None:
        with self.lock:
            found = self.streams.get(stream)
            if found is None or found[0] != last_hash:
                return None
            self.streams.move_to_end(stream)
            return list(found[1])

    def put(self, stream: str, last_hash: str, events: list[Event]) -> None:
        with self.lock:
            old = self.streams.pop(stream, None)
            self.held -= len(old[1]) if old else 0
            if len(events) > self.size:
                return
            self.streams[stream] = (last_hash, tuple(events))
            self.held += len(events)
            while self.held > self.size:
                self.held -= len(self.streams.popitem(last=False)[1][1])


KEPT = _Kept(KEPT_EVENTS)


def stream_events(session: Session, stream: str) -> tuple[list[Event], models.Event | None]:
    """Every event of a stream (as the domain sees them) and the last stored one, reading only the last one
    when this process already holds the stream up to that one."""
    last = last_event(session, stream)
    if last is None:
        return [], None
    events = KEPT.get(stream, last.hash)
    if events is None:
        events = [to_domain(r) for r in list_events(session, stream)]
        KEPT.put(stream, last.hash, events)
    return events, last


def keep(stream: str, last: models.Event, events: list[Event]) -> None:
    """Remember a stream as it stands after an append (it matches the stored record once that is committed)."""
    KEPT.put(stream, last.hash, events)
