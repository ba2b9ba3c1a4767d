"""The event record of a case, as the domain sees it (the store keeps it append-only and hash-chained).

Names and data (the contract between services, conformance, the census and the timeline):

- ``case_opened``: child_id, received_at (ISO with offset), received_on (local date), source, concerns
- ``task_created``: task_id, step, role, assignee, due_on, rule
- ``task_claimed`` / ``task_unclaimed``: task_id, step, assignee
- ``task_assigned``: task_id, step, assignee, previous, reason
- ``task_completed``: task_id, step, data (the submitted form), completed_on (local date), due_on,
  rule, late, delay_reason, author (who did the step this one approves, for approvals),
  actor_profile (roles, profession, registered, employer, team, competencies at that moment)
- ``task_cancelled``: task_id, step, reason
- ``task_overdue``: task_id, step, due_on, rule (a statutory deadline passed with the step open)
- ``task_reminder``: task_id, step, due_on, rule, assignee, role, team, working_days_left (once per
  task, `timescales.reminder_wd` working days before it is due)
- ``case_event``: name (child_protection_concern, pre_proceedings), data
- ``case_closed``: closed_on, reason (RC1-RC9)
- ``incident``: step, error
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GENESIS = "0" * 64  # the hash before a stream's first event


@dataclass(frozen=True)
class Event:
    """One entry of a case's event record."""

    seq: int
    name: str
    at: datetime
    actor: str | None
    data: dict[str, Any] = field(default_factory=dict)

    def completed(self, step: str) -> bool:
        return self.name == "task_completed" and self.data.get("step") == step
