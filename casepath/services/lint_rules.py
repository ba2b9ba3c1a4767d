"""What the editor's browser lint needs to mirror the statutory lint (casepath.engine.lint) while the
owner draws: the role codes a lane may be named by, the contract's ring-fenced and timed steps, the
Working Together references of the rules, the forms the open pathway has and the step ids the
published pathway holds. All of it comes from the tables the server lint reads; the server lint
still runs on save and at publish, and it is the authority.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casepath.domain.pathway import CONTRACT_STEPS, OVERDUE_MESSAGE, known_lane
from casepath.domain.people import ROLES
from casepath.domain.rules import RULES
from casepath.engine.lint import RING_FENCES, ring_fence, steps_of
from casepath.services.core import Casepath
from casepath.services.staff import Actor, require_role
from casepath.services.versions import encoded, latest_row, version_row
from casepath.store import models

OWNERS = ("process_owner",)


def contract_data() -> dict[str, Any]:
    """The parts of the pathway contract that do not depend on the open pathway."""
    steps = {}
    for step, contract in CONTRACT_STEPS.items():
        fence = ring_fence(contract) if contract.lanes else None
        steps[step] = {
            "lanes": list(contract.lanes or ()),
            "rule": contract.rule,
            "fence": RING_FENCES[fence][0] if fence else None,
            "why": RING_FENCES[fence][1] if fence else None,
        }
    return {
        "roles": [role for role in ROLES if known_lane(role)],
        "steps": steps,
        "rules": {rule.id: {"title": rule.title, "reference": rule.reference} for rule in RULES},
        "overdue_message": OVERDUE_MESSAGE,
    }


def editor_rules(
    app: Casepath, actor: Actor, *, draft: str | None, version: int | None, diagram: str
) -> dict[str, Any]:
    """The browser lint's data for one diagram of a draft (or of a published version): the contract, the
    forms of that pathway, the steps drawn in its other diagrams, and the steps of the newest version."""
    require_role(actor, *OWNERS)
    with app.db.transaction() as session:
        row: models.Draft | models.ProcessVersion | None
        if draft:
            query = select(models.Draft).where(models.Draft.la_id == actor.la_id, models.Draft.name == draft)
            row = session.scalars(query).first()
        else:
            row = version_row(session, actor.la_id, version) if version else latest_row(session, actor.la_id)
        diagrams: dict[str, str] = dict(row.diagrams) if row else {}
        forms = sorted(row.forms) if row else []
        latest = latest_row(session, actor.la_id)
        newest_is_open = latest is not None and latest is row
        newest: dict[str, str] = dict(latest.diagrams) if latest is not None and not newest_is_open else {}
    here = steps_of(encoded({name: text for name, text in diagrams.items() if name == diagram}))
    elsewhere = steps_of(encoded({name: text for name, text in diagrams.items() if name != diagram}))
    # the steps of the newest published version: the open one's own (no need to read it twice), or read them
    previous = here | elsewhere if newest_is_open else steps_of(encoded(newest))
    return {
        **contract_data(),
        "forms": forms,
        "previous_steps": sorted(previous),
        "steps_elsewhere": sorted(elsewhere),
    }
