"""Conference handlers: the invitation list for a child protection conference."""

from __future__ import annotations

from typing import Any

from casepath.domain.calendar import WorkingDayCalendar
from handlers import handler


@handler("conference_invitations")
def conference_invitations(call: Any) -> dict[str, Any]:
    """Who is invited to a conference, and by when reports are due (3 working days before, WT2023 ch. 3)."""
    data = call.data
    from datetime import date, timedelta  # noqa: PLC0415

    conference = date.fromisoformat(str(data["conference_date"]))
    calendar = WorkingDayCalendar()
    reports_due = conference
    counted = 0
    while counted < 3:
        reports_due -= timedelta(days=1)
        counted += calendar.is_working_day(reports_due)
    invitees = [p for p in (data.get("lead_social_worker"), data.get("chair")) if p]
    return {"invitees": invitees, "reports_due_on": reports_due.isoformat()}
