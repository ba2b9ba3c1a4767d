"""Conference handlers: the invitation list for a child protection conference."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from casepath.domain.calendar import WorkingDayCalendar
from handlers import handler

REPORT_DAYS = 3  # reports reach the conference three working days before it (a common local standard)


@handler("conference_invitations")
def conference_invitations(call: Any) -> dict[str, Any]:
    """Who is invited to a conference, and the date reports are due (working days before it)."""
    data = {**call.data, **call.params}
    conference = date.fromisoformat(str(data["conference_date"]))
    calendar = WorkingDayCalendar()
    reports_due, counted = conference, 0
    while counted < REPORT_DAYS:
        reports_due -= timedelta(days=1)
        counted += calendar.is_working_day(reports_due)
    invitees = [p for p in (data.get("lead_social_worker"), data.get("chair")) if p]
    return {"invitees": invitees, "reports_due_on": reports_due.isoformat()}
