"""`casepath demo`: demo staff (marked demo, with a known password) and a few cases at different
stages, driven through the real services on a clock moved back in time so the dates look real.

Running it again adds nothing: staff are created only if missing, and a case only if its child
is not already known. While demo staff exist, the sign-in page offers to pick a demo person.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from casepath.domain.calendar import WorkingDayCalendar, local_date
from casepath.domain.clock import FixedClock
from casepath.services import admin, cases, inbox, tasks
from casepath.services.core import Casepath
from casepath.services.setup import default_la_id, init
from casepath.services.staff import Actor
from casepath.services.timers import fire_due_timers
from casepath.store import models

DEMO_PASSWORD = "casepath-demo"  # noqa: S105 - printed by `casepath demo`; demo staff only
REGISTERED = {"number": "SW000001", "expires_on": date(2099, 12, 31)}
EAST = "family help east"
STAFF: list[dict[str, Any]] = [
    {"username": "fatima.dar", "name": "Fatima Dar (front door)", "roles": ["front_door", "social_worker"],
     "team": "front door"},
    {"username": "priya.shah", "name": "Priya Shah (practice supervisor)",
     "roles": ["practice_supervisor", "social_worker"], "team": EAST},
    {"username": "sam.fletcher", "name": "Sam Fletcher (family support worker)", "roles": ["lead_practitioner"],
     "profession": "family_support_worker", "competencies": ["cin_assessment"], "team": EAST,
     "line_manager": "priya.shah", "swe": False},
    {"username": "wes.okafor", "name": "Wes Okafor (social worker)", "roles": ["social_worker", "lead_practitioner"],
     "team": EAST, "line_manager": "priya.shah"},
    {"username": "lena.cole", "name": "Lena Cole (lead child protection practitioner)",
     "roles": ["lcpp", "social_worker"], "team": "macpt"},
    {"username": "colin.hart", "name": "Colin Hart (conference chair)", "roles": ["conference_chair", "social_worker"],
     "team": "safeguarding and review"},
    {"username": "bea.singh", "name": "Bea Singh (business support)", "roles": ["business_support"],
     "profession": "administrator", "team": "conference service", "swe": False},
    {"username": "rita.evans", "name": "Rita Evans (reviewer)", "roles": ["reviewer"],
     "profession": "quality_assurance", "team": "quality", "swe": False},
    {"username": "owen.price", "name": "Owen Price (process owner)", "roles": ["process_owner"],
     "profession": "administrator", "team": "quality", "swe": False},
]  # fmt: skip


def load_demo(app: Casepath) -> list[str]:
    """Install if needed, add the demo staff and cases, and say what was done."""
    lines = list(init(app))
    la_id = default_la_id(app)
    lines += _add_staff(app, la_id)
    people = {s["username"]: Actor(s["username"], la_id, tuple(s["roles"])) for s in STAFF}
    real_clock = app.clock
    try:
        for builder in (_awaiting_decision, _assessment_in_progress, _cin_plan_in_review, _cp_after_icpc):
            lines += builder(app, people, real_clock.now())
    finally:
        app.clock = real_clock
    fire_due_timers(app)
    lines.append(f"Demo people (password {DEMO_PASSWORD!r}, or pick one on the sign-in page):")
    lines += [f"  {s['username']:<14} {s['name']}" for s in STAFF]
    return lines


def _add_staff(app: Casepath, la_id: int) -> list[str]:
    boss = Actor("admin", la_id, ("admin",))
    with app.db.transaction() as session:
        known = set(session.scalars(select(models.Staff.username)))
    added = []
    for spec in STAFF:
        if spec["username"] in known:
            continue
        data = {k: v for k, v in spec.items() if k != "swe"}
        data.update(email=f"{spec['username']}@demo.example.org", demo=True)
        data.setdefault("profession", "social_worker")
        data["swe_registration"] = REGISTERED if spec.get("swe", True) else None
        admin.create_staff(app, boss, data)
        added.append(spec["username"])
    hashed = generate_password_hash(DEMO_PASSWORD)  # one slow hash for everyone: it is a published demo password
    with app.db.transaction() as session:
        for row in session.scalars(select(models.Staff).where(models.Staff.username.in_(added))):
            row.password_hash = hashed
    return [f"added demo staff: {', '.join(added)}"] if added else ["demo staff already present"]


def _working_days_back(calendar: WorkingDayCalendar, day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            count -= 1
    return day


class Timeline:
    """The demo clock: starts `start_wd` working days before now; `at(n, hour)` moves to n working days later."""

    def __init__(self, app: Casepath, now: datetime, start_wd: int) -> None:
        self.calendar = WorkingDayCalendar()
        self.now = now
        self.start = _working_days_back(self.calendar, local_date(now), start_wd)
        self.clock = FixedClock(datetime.combine(self.start, time(9, 0), UTC))
        app.clock = self.clock

    def day(self, days: int) -> date:
        return self.calendar.add_working_days(self.start, days) if days else self.start

    def at(self, days: int, hour: int = 10) -> None:
        self.clock.set(min(datetime.combine(self.day(days), time(hour, 0), UTC), self.now))

    def today(self) -> str:
        return self.clock.now().date().isoformat()


def _known_child(app: Casepath, first: str, last: str) -> bool:
    with app.db.transaction() as session:
        query = select(models.Child.id).where(models.Child.first_name == first, models.Child.last_name == last)
        return session.scalars(query).first() is not None


def _referral(app: Casepath, actor: Actor, child: dict[str, Any], source: str, concerns: str) -> str:
    body = {"child": {"sex": "F", "ethnicity": "WBRI", "disabilities": ["NONE"], **child}, "source": source}
    body["concerns"] = concerns
    return cases.start_referral(app, actor, body)["case_id"]


def _do(app: Casepath, actor: Actor, case_id: str, step: str, data: dict[str, Any] | None) -> None:
    """Claim the open `step` as `actor`, and complete it with `data` (or leave it claimed if None)."""
    found = _listed(app, actor, "mine") + _listed(app, actor, "available")
    task = next(t for t in found if t["case_id"] == case_id and t["step"] == step)
    if task["assignee"] != actor.username:
        tasks.claim_task(app, actor, task["id"])
    if data is not None:
        tasks.complete_task(app, actor, task["id"], {"data": data})


def _awaiting_decision(app: Casepath, people: dict[str, Actor], now: datetime) -> list[str]:
    if _known_child(app, "Mia", "Turner"):
        return []
    t = Timeline(app, now, 0)
    t.at(0, 8)
    _referral(
        app,
        people["fatima.dar"],
        {"first_name": "Mia", "last_name": "Turner", "date_of_birth": date(2018, 9, 14)},
        "2A",
        "School reports Mia has been arriving hungry and in the same clothes most days this term.",
    )
    return ["demo case: Mia Turner, referral awaiting a decision"]


def _assessment_in_progress(app: Casepath, people: dict[str, Actor], now: datetime) -> list[str]:
    if _known_child(app, "Noah", "Bennett"):
        return []
    t = Timeline(app, now, 12)
    case_id = _referral(
        app,
        people["fatima.dar"],
        {"first_name": "Noah", "last_name": "Bennett", "date_of_birth": date(2014, 3, 2), "sex": "M"},
        "5A",
        "GP: mother disclosed she is struggling with low mood and Noah is missing appointments.",
    )
    t.at(1, 9)
    _do(app, people["fatima.dar"], case_id, "referral_decision", _decision("N4"))
    t.at(1, 14)
    _do(app, people["priya.shah"], case_id, "allocate_lead_practitioner", _allocate("sam.fletcher"))
    t.at(3)
    _do(app, people["sam.fletcher"], case_id, "child_and_family_assessment", None)
    tasks.save_draft(app, people["sam.fletcher"], _open_task(app, people["sam.fletcher"], case_id), _draft(t.today()))
    return ["demo case: Noah Bennett, assessment in progress (Sam Fletcher)"]


def _cin_plan_in_review(app: Casepath, people: dict[str, Actor], now: datetime) -> list[str]:
    if _known_child(app, "Ava", "Morgan"):
        return []
    fsw, boss = people["sam.fletcher"], people["priya.shah"]
    t = Timeline(app, now, 88)
    case_id = _referral(
        app,
        people["fatima.dar"],
        {"first_name": "Ava", "last_name": "Morgan", "date_of_birth": date(2016, 5, 3)},
        "2A",
        "Attendance has fallen to 70%; mother says she cannot cope since losing her job.",
    )
    t.at(1, 9)
    _do(app, people["fatima.dar"], case_id, "referral_decision", _decision("N5"))
    t.at(1, 15)
    _do(app, boss, case_id, "allocate_lead_practitioner", _allocate("sam.fletcher"))
    t.at(25)
    assessment = {**_draft(t.day(3).isoformat()), "recommendation": "cin_plan"}
    _do(app, fsw, case_id, "child_and_family_assessment", assessment)
    t.at(27)
    _do(app, boss, case_id, "approve_assessment", {"approved": True, "outcome": "cin_plan", "comments": "Agreed."})
    t.at(29)
    plan = {"plan_summary": "Mother back into work; a school attendance plan.", "actions": ["GP referral"]}
    _do(app, fsw, case_id, "draft_cin_plan", plan)
    t.at(30)
    _do(app, boss, case_id, "approve_cin_plan", {"approved": True, "starts_on": t.today()})
    return ["demo case: Ava Morgan, child in need plan with a review coming up (Sam Fletcher)"]


def _cp_after_icpc(app: Casepath, people: dict[str, Actor], now: datetime) -> list[str]:
    if _known_child(app, "Leo", "Hughes"):
        return []
    t = Timeline(app, now, 20)
    case_id = _referral(
        app,
        people["fatima.dar"],
        {"first_name": "Leo", "last_name": "Hughes", "date_of_birth": date(2019, 2, 11), "sex": "M"},
        "6",
        "Police attended a domestic incident; Leo was present and has bruising to his arm.",
    )
    _do(app, people["fatima.dar"], case_id, "referral_decision", _decision("N1", "strategy_discussion"))
    t.at(1)
    _do(app, people["lena.cole"], case_id, "strategy_discussion", _strategy(t.today()))
    t.at(8)
    s47 = {"factors": ["3A", "18C"], "findings": "Injuries consistent with the account; risk continues."}
    _do(app, people["wes.okafor"], case_id, "section47_enquiry", {**s47, "recommendation": "icpc"})
    t.at(9)
    _do(app, people["priya.shah"], case_id, "approve_section47", {"approved": True, "outcome": "icpc"})
    conference = t.day(14).isoformat()
    _do(app, people["bea.singh"], case_id, "schedule_icpc", {"conference_date": conference, "chair": "colin.hart"})
    t.at(14)
    _do(app, people["colin.hart"], case_id, "hold_icpc", _icpc(conference))
    return ["demo case: Leo Hughes, child protection plan after the initial conference (Wes Okafor)"]


def _open_task(app: Casepath, actor: Actor, case_id: str) -> str:
    return str(next(t["id"] for t in _listed(app, actor, "mine") if t["case_id"] == case_id))


def _listed(app: Casepath, actor: Actor, view: str) -> list[dict[str, Any]]:
    return inbox.list_inbox(app, actor, inbox.InboxFilter(view=view), limit=inbox.PAGE_MAX)[0]


def _decision(need: str, decision: str = "assessment") -> dict[str, Any]:
    return {"decision": decision, "primary_need": need, "rationale": "Needs assessing.", "referrer_informed": True}


def _allocate(username: str) -> dict[str, Any]:
    return {"lead_practitioner": username, "practitioner_agreed": True, "rationale": "Knows the school and family."}


def _draft(started_on: str) -> dict[str, Any]:
    return {"started_on": started_on, "factors": ["4B"], "summary": "Mother's mental health is strained."}


def _strategy(held_on: str) -> dict[str, Any]:
    participants = [
        {"agency": "la_social_care", "name": "Lena Cole"},
        {"agency": "police", "name": "DC Amy Ross"},
        {"agency": "health", "name": "Named Nurse Joy Patel"},
    ]
    return {"held_on": held_on, "participants": participants, "decision": "s47",
            "lead_social_worker": "wes.okafor"}  # fmt: skip


def _icpc(held_on: str) -> dict[str, Any]:
    core_group = [
        {"agency": "la_social_care", "name": "Wes Okafor"},
        {"agency": "health", "name": "Health visitor Kim Lee"},
        {"agency": "family", "name": "Sarah Hughes", "role": "Mother"},
    ]
    return {"held_on": held_on, "decision": "cp_plan", "category_of_abuse": "PHY", "lead_social_worker": "wes.okafor",
            "core_group": core_group}  # fmt: skip
