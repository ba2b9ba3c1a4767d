"""Incidents: when a diagram or handler fails, the step's transaction is rolled back and the case
records what failed, in a transaction of its own, so the process owner can see and correct it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from casepath.domain.errors import Incident
from casepath.services import records
from casepath.services.core import Casepath
from casepath.store import models

log = logging.getLogger("casepath.incidents")


def record_incident(app: Casepath, actor: str | None, err: Incident) -> None:
    if not err.case_id:
        return
    with app.db.transaction() as session:
        case = session.get(models.Case, err.case_id, with_for_update=True)  # the case's chain moves
        if case is None:
            return
        case.incident = f"{err.element or 'diagram'}: {err.error}"[:2000]
        records.append_to_case(
            session,
            case,
            "incident",
            actor,
            {"element": err.element, "error": err.error},
            app.now(session),
        )
    log.error("incident on case %s at %s: %s", err.case_id, err.element, err.error)


@contextmanager
def recording_incidents(app: Casepath, actor: str | None) -> Iterator[None]:
    """Wrap a use-case: an Incident raised inside it is recorded on its case, then re-raised."""
    try:
        yield
    except Incident as err:
        record_incident(app, actor, err)
        raise
