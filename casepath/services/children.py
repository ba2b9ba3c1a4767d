"""A child's record across episodes: who they are and every case (episode) they have had."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casepath.domain.errors import NotFound
from casepath.services.cases import visibility
from casepath.services.core import Casepath
from casepath.services.staff import Actor
from casepath.services.views import case_summary, child_view
from casepath.store import models


def get_child(app: Casepath, actor: Actor, child_id: str) -> dict[str, Any]:
    """The child and their episodes, for anyone who may see at least one of the child's cases.

    Earlier episodes are shown whole: a practitioner needs the history (repeat referrals, earlier plans)
    to judge risk. Every look is recorded in the access log.
    """
    with app.db.transaction() as session:
        child = session.get(models.Child, child_id)
        if child is None or child.la_id != actor.la_id:
            raise NotFound("There is no such child, or you may not see their record.")
        query = select(models.Case).where(models.Case.child_id == child.id).order_by(models.Case.received_at.desc())
        cases = list(session.scalars(query))
        visible = visibility(session, actor)
        if not any(visible(case) for case in cases):
            raise NotFound("There is no such child, or you may not see their record.")
        session.add(
            models.AccessLog(
                la_id=child.la_id,
                at=app.now(session),
                actor=actor.username,
                case_id=None,
                child_id=child.id,
                what="child",
            )
        )
        return {**child_view(child), "episodes": [case_summary(case, child) for case in cases]}
