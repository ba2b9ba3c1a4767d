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

from casepath.domain.events import GENESIS, Event
from casepath.store import models

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


def _event(
    stream: str, la_id: int, seq: int, prev_hash: str, name: str, actor: str | None, data: dict[str, Any], at: datetime
) -> models.Event:
    at = at.astimezone(UTC)
    clean = json.loads(json.dumps(data, default=str))
    digest = event_hash(prev_hash, stream, seq, name, at, actor, clean)
    return models.Event(
        stream=stream, la_id=la_id, seq=seq, name=name, at=at, actor=actor, data=clean, prev_hash=prev_hash, hash=digest
    )


def append(
    session: Session, stream: str, la_id: int, name: str, actor: str | None, data: dict[str, Any], at: datetime
) -> models.Event:
    """Add one event to an LA's configuration stream (`la:<code>`; the caller holds the LA). A case's events
    go through `append_to_case`, which moves the chain head kept on the case."""
    if not stream.startswith("la:"):
        raise ValueError(f"{stream!r} is not a configuration stream: record a case's events with append_to_case")
    previous = last_event(session, stream)
    row = _event(stream, la_id, previous.seq + 1 if previous else 1, previous.hash if previous else GENESIS,
                 name, actor, data, at)  # fmt: skip
    session.add(row)
    return row


def append_to_case(
    session: Session, case: models.Case, name: str, actor: str | None, data: dict[str, Any], at: datetime
) -> models.Event:
    """Add one event to a case's record, after the head of its chain, and move the head (the caller holds the
    case: locked on PostgreSQL; on SQLite the case's version counter refuses a concurrent append)."""
    row = _event(case.id, case.la_id, (case.last_seq or 0) + 1, case.last_hash or GENESIS, name, actor, data, at)
    case.last_seq, case.last_hash = row.seq, row.hash
    session.add(row)
    return row


def to_domain(row: models.Event) -> Event:
    return Event(seq=row.seq, name=row.name, at=row.at, actor=row.actor, data=dict(row.data))


def list_events(session: Session, stream: str) -> list[models.Event]:
    query = select(models.Event).where(models.Event.stream == stream).order_by(models.Event.seq)
    return list(session.scalars(query))


def verify(session: Session, stream: str) -> tuple[int, str] | None:
    """Where a stream's record is broken (the event's seq, and why), or None when it is intact. Each event
    carries the hash of its content and its predecessor's; a case's record must end at the chain head its case
    row names, so events cut off the end, or a last event rewritten together with its hash, show too."""
    prev_hash, last_seq = GENESIS, 0
    for row in list_events(session, stream):
        expected = event_hash(prev_hash, stream, row.seq, row.name, row.at, row.actor, row.data)
        if row.prev_hash != prev_hash or row.hash != expected:
            return row.seq, "its hash does not match its content or the event before it"
        prev_hash, last_seq = row.hash, row.seq
    case = None if stream.startswith("la:") else session.get(models.Case, stream)
    if case is None:
        return None
    if case.last_seq > last_seq:
        return last_seq + 1, f"it is missing: the record ends at event {last_seq}, the case's chain at {case.last_seq}"
    if case.last_seq < last_seq:
        return case.last_seq + 1, f"added behind the application's back: the case's chain ends at {case.last_seq}"
    if case.last_hash != prev_hash:
        return last_seq, "it is not the last event the case's chain names: it was rewritten with its hash"
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


def stream_events(session: Session, case: models.Case) -> list[Event]:
    """Every event of a case (as the domain sees them) up to the head of its chain as the case row stands,
    read only when this process does not already hold the stream up to that head."""
    if not case.last_seq:
        return []
    events = KEPT.get(case.id, case.last_hash)
    if events is None:
        query = select(models.Event).where(models.Event.stream == case.id, models.Event.seq <= case.last_seq)
        rows = list(session.scalars(query.order_by(models.Event.seq)))
        events = [to_domain(r) for r in rows]
        if rows and rows[-1].hash == case.last_hash:  # a chain that does not end at the head is not held
            KEPT.put(case.id, case.last_hash, events)
    return events


def keep(case: models.Case, events: list[Event]) -> None:
    """Remember a case's stream as it stands after an append (it matches the stored record once committed)."""
    KEPT.put(case.id, case.last_hash, events)
