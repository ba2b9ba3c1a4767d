"""Driving cases through the services for the clock tests: staff, London moments, the worker."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from casepath.domain.calendar import LONDON
from casepath.services import cases, records, tasks
from casepath.services.staff import Actor
from casepath.services.timers import fire_due_timers
from casepath.store import models
from tests.factories import Factory


def london(day: str, hour: int = 12, minute: int = 0) -> str:
    """`hour:minute` on `day` in Europe/London, as ISO with its offset (BST or GMT)."""
    return datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=LONDON).isoformat()


class Office:
    """A small LA's staff, and the moves of a case: refer, decide, allocate, and the worker's tick."""

    def __init__(self, factory: Factory) -> None:
        self.factory, self.core = factory, factory.core
        make = factory.create_staff
        self.ps = make("ps1", ["practice_supervisor", "social_worker"], team="front door")
        self.fd = make("fd1", ["front_door", "social_worker"], team="front door", line_manager="ps1")
        self.fsw = make("fsw1", ["lead_practitioner"], profession="family_support_worker",
                        competencies=["cin_assessment"], team="east", line_manager="ps1")  # fmt: skip
        self.lcpp = make("lcpp1", ["lcpp", "social_worker"], team="macpt", line_manager="ps1")

    def tick(self, when: str) -> int:
        """Move the clock to `when` (ISO) and run the worker once, as `PUT /clock` does."""
        self.factory.at(when)
        return fire_due_timers(self.core)

    def refer(self, when: str) -> str:
        self.factory.at(when)
        return str(self.factory.create_referral(self.fd, received_at=when))

    def decide(self, case_id: str, when: str, decision: str = "assessment", **extra: Any) -> dict[str, Any]:
        self.factory.at(when)
        form = {"decision": decision, "rationale": "Seen the referral.", "referrer_informed": True,
                "primary_need": "N2", **extra}  # fmt: skip
        return dict(self.factory.complete(self.fd, case_id, "referral_decision", form))

    def allocate(self, case_id: str, when: str, **extra: Any) -> None:
        self.factory.at(when)
        form = {"lead_practitioner": "fsw1", "practitioner_agreed": True, "rationale": "Knows the family.", **extra}
        self.factory.complete(self.ps, case_id, "allocate_lead_practitioner", form)

    def claim(self, actor: Actor, case_id: str, step: str) -> None:
        tasks.claim_task(self.core, actor, self.factory.open_task(case_id, step)["id"])

    def case(self, case_id: str) -> dict[str, Any]:
        return dict(cases.get_case(self.core, self.factory.admin_reviewer(), case_id))

    def tasks(self, case_id: str, step: str) -> list[dict[str, Any]]:
        return [t for t in self.case(case_id)["tasks"] if t["step"] == step]

    def task(self, case_id: str, step: str) -> dict[str, Any]:
        (found,) = self.tasks(case_id, step)
        return found

    def clock(self, case_id: str, rule: str) -> dict[str, Any]:
        (found,) = [c for c in self.case(case_id)["clocks"] if c["rule"] == rule]
        return dict(found)


def events_named(core: Any, name: str, case_id: str | None = None) -> list[models.Event]:
    with core.db.transaction() as session:
        query = select(models.Event).where(models.Event.name == name)
        if case_id:
            query = query.where(models.Event.stream == case_id)
        return list(session.scalars(query.order_by(models.Event.id)))


def count_by_stream(core: Any, name: str) -> dict[str, int]:
    with core.db.transaction() as session:
        query = select(models.Event.stream, func.count()).where(models.Event.name == name).group_by(models.Event.stream)
        return {stream: int(n) for stream, n in session.execute(query)}


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def renamed(value: Any, ids: dict[str, str]) -> Any:
    """`value` with every id in it replaced by its clone's (new ids are made on first sight)."""
    if isinstance(value, str):
        return UUID.sub(lambda m: ids.setdefault(m.group(0), str(uuid.uuid4())), value)
    if isinstance(value, dict):
        return {k: renamed(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [renamed(v, ids) for v in value]
    return value


def clone_case(session: Session, case_id: str, copies: int) -> None:
    case = session.get(models.Case, case_id)
    assert case is not None
    child = session.get(models.Child, case.child_id)
    instances = session.scalars(select(models.Instance).where(models.Instance.case_id == case_id)).all()
    tasks = session.scalars(select(models.Task).where(models.Task.case_id == case_id)).all()
    events = records.list_events(session, case_id)
    rows: dict[Any, list[dict[str, Any]]] = {models.Child: [], models.Case: [], models.Instance: [],
                                            models.Task: [], models.Event: []}  # fmt: skip
    for n in range(copies):
        ids: dict[str, str] = {}
        for model, originals in ((models.Child, [child]), (models.Case, [case]), (models.Instance, instances),
                                 (models.Task, tasks)):  # fmt: skip
            rows[model] += [{k: renamed(v, ids) for k, v in columns(o).items()} for o in originals]
        rows[models.Child][-1]["first_name"] = f"Clone{n}"
        previous = records.GENESIS
        for event in events:
            data = renamed(event.data, ids)
            stream = ids[case_id]
            digest = records.event_hash(previous, stream, event.seq, event.name, event.at, event.actor, data)
            rows[models.Event].append(
                {**columns(event), "id": None, "stream": stream, "data": data, "prev_hash": previous, "hash": digest}
            )
            previous = digest
        rows[models.Case][-1]["last_hash"] = previous  # the copy's own chain head
    for model, values in rows.items():
        if model is models.Event:
            values = [{k: v for k, v in value.items() if k != "id"} for value in values]
        session.execute(insert(model), values)
