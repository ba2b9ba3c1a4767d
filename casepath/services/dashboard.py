"""The reviewer dashboard's data: the service conformance report with the names people read,
monthly trends filled in for every month of the period, and totals per month across the rules."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select

from casepath.conformance.results import BREACHED, MET, OVERDUE, PENDING, STATUSES
from casepath.domain.calendar import add_months
from casepath.services import reports
from casepath.services.core import Casepath
from casepath.services.pages import staff_names
from casepath.services.staff import Actor
from casepath.store import models

ALL_RULES = "all"


def months_between(start: date, end: date) -> list[str]:
    """Every month from `start`'s to `end`'s as `YYYY-MM`."""
    found, month = [], start.replace(day=1)
    while month <= end:
        found.append(f"{month:%Y-%m}")
        month = add_months(month, 1)
    return found


def monthly(report: dict[str, Any], rule: str = ALL_RULES) -> list[dict[str, Any]]:
    """Counts per month of the period for one rule (or every rule), with the on-time rate."""
    counts: dict[str, Counter[str]] = {m: Counter() for m in months_between(*_period(report))}
    for row in report["trends"]:
        if rule in (ALL_RULES, row["rule"]) and row["month"] in counts:
            counts[row["month"]].update({s: row[s] for s in STATUSES})
    rows = []
    for month, found in counts.items():
        settled = found[MET] + found[BREACHED] + found[OVERDUE]
        rate = round(found[MET] / settled, 4) if settled else None
        rows.append({"month": month, **{s: found[s] for s in (MET, BREACHED, PENDING, OVERDUE)}, "on_time_rate": rate})
    return rows


def _period(report: dict[str, Any]) -> tuple[date, date]:
    return date.fromisoformat(report["from"]), date.fromisoformat(report["to"])


def conformance_dashboard(app: Casepath, actor: Actor, start: date, end: date, group_by: str) -> dict[str, Any]:
    """The service conformance report (reviewer, admin; checked and recorded by reports) with child and
    staff names for its breaches, re-referrals and escalations."""
    report = reports.service_conformance(app, actor, start, end, group_by=group_by)
    listed = report["breaches"] + report["rereferrals"] + report["escalations"]
    case_ids = {r["case_id"] for r in listed} | {r["previous_case_id"] for r in report["rereferrals"]}
    people = [
        r.get(k) for r in listed for k in ("actor", "s17_lead_practitioner", "lead_social_worker", "concern_raised_by")
    ]
    with app.db.transaction() as session:
        query = (
            select(models.Case.id, models.Child.first_name, models.Child.last_name)
            .join(models.Child, models.Child.id == models.Case.child_id)
            .where(models.Case.la_id == actor.la_id, models.Case.id.in_(sorted(case_ids)))
        )
        children = {case_id: f"{first} {last}" for case_id, first, last in session.execute(query)}
        names = staff_names(session, people)
    return {**report, "child_names": children, "staff_names": names}
