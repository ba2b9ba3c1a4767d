"""Verifying the tamper-evident event record (each event carries its predecessor's hash)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from casepath.services import records
from casepath.services.core import Casepath
from casepath.store import models


def verify_all(app: Casepath, only: str | None = None) -> Iterator[tuple[str, int, str]]:
    """(stream, seq, why) for the first tampered event of each stream whose chain is broken: every stream with
    events, and every case (a case whose events were all deleted has none)."""
    with app.db.transaction() as session:
        if only:
            streams = [only]
        else:
            found = set(session.scalars(select(models.Event.stream).distinct()))
            streams = sorted(found | set(session.scalars(select(models.Case.id).where(models.Case.last_seq > 0))))
        for stream in streams:
            bad = records.verify(session, stream)
            if bad is not None:
                yield stream, *bad
