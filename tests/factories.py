"""`create_*` helpers for tests: staff, referrals, and driving a case through its steps."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from casepath.domain.clock import FixedClock
from casepath.services import admin, cases, tasks
from casepath.services.core import Casepath
from casepath.services.setup import default_la_id
from casepath.services.staff import Actor
from casepath.services.versions import add_version, read_folder

ROOT = Path(__file__).resolve().parents[1]
REGISTERED = {"number": "SW123456", "expires_on": date(2099, 12, 31)}


class Factory:
    def __init__(self, core: Casepath) -> None:
        self.core = core
        self.la_id = default_la_id(core)
        self.admin = Actor("admin", self.la_id, ("admin", "process_owner"))
        self._children = 0

    @property
    def clock(self) -> FixedClock:
        assert isinstance(self.core.clock, FixedClock)
        return self.core.clock

    def at(self, when: str) -> None:
        self.clock.set(datetime.fromisoformat(when))

    def publish_with(self, name: str, xml: str) -> None:
        """Publish the shipped pathway with one of its diagrams (e.g. `referral.bpmn`) replaced by `xml`."""
        diagrams, forms = read_folder(ROOT / "processes", ROOT / "forms")
        diagrams[name] = xml
        with self.core.db.transaction() as session:
            add_version(session, self.la_id, diagrams, forms, "owner", "test", self.core.clock.now())

    def create_staff(self, username: str, roles: list[str], *, registered: bool | None = None, **extra: Any) -> Actor:
        profession = extra.pop("profession", "social_worker")
        if registered is None:
            registered = profession == "social_worker"
        data = {
            "username": username,
            "name": username.upper(),
            "email": f"{username}@example.org",
            "roles": roles,
            "profession": profession,
            "swe_registration": REGISTERED if registered else None,
            "competencies": extra.pop("competencies", []),
            "team": extra.pop("team", "team a"),
            "line_manager": extra.pop("line_manager", None),
            "employer": extra.pop("employer", "la"),
            **extra,
        }
        admin.create_staff(self.core, self.admin, data)
        return Actor(username, self.la_id, tuple(roles))

    def create_referral(self, actor: Actor, *, received_at: str | None = None, **child: Any) -> str:
        self._children += 1
        body = {
            "child": {
                "first_name": child.get("first_name", f"Child{self._children}"),
                "last_name": "Example",
                "date_of_birth": date(2015, 1, 1),
                "sex": "F",
                "ethnicity": "WBRI",
                "disabilities": ["NONE"],
                **{k: v for k, v in child.items() if k != "first_name"},
            },
            "received_at": datetime.fromisoformat(received_at) if received_at else None,
            "source": "2A",
            "concerns": "Concerns from school.",
        }
        return cases.start_referral(self.core, actor, body)["case_id"]

    def open_task(self, case_id: str, step: str) -> dict[str, Any]:
        found = [
            t
            for t in tasks.list_case_tasks(self.core, self.admin_reviewer(), case_id, None)
            if t["step"] == step and t["state"] in ("ready", "claimed")
        ]
        assert found, f"no open {step}"
        return found[0]

    def admin_reviewer(self) -> Actor:
        return Actor("admin", self.la_id, ("admin", "reviewer"))

    def complete(self, actor: Actor, case_id: str, step: str, data: dict[str, Any]) -> dict[str, Any]:
        task = self.open_task(case_id, step)
        if task["assignee"] != actor.username:
            tasks.claim_task(self.core, actor, task["id"])
        return tasks.complete_task(self.core, actor, task["id"], {"data": data})

    def open_steps(self, case_id: str) -> list[str]:
        return sorted(
            t["step"]
            for t in tasks.list_case_tasks(self.core, self.admin_reviewer(), case_id, None)
            if t["state"] in ("ready", "claimed")
        )
