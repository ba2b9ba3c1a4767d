"""Every deadline of the public acceptance scenarios, replayed through the services and the worker.

The scenarios (../shared/acceptance/scenarios) are driven through the REST API by run.py; here the
same dated steps go through the service layer with the test clock, the worker firing at each move
of the clock as `PUT /clock` does, and every `due_on` they state is checked on the tasks and on the
case's clocks. Steps that expect a refusal are other tests' business and are skipped.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from casepath.services import cases, reports
from casepath.services.staff import Actor
from casepath.services.timers import fire_due_timers
from tests.factories import Factory

SCENARIOS = Path(__file__).resolve().parents[3] / "shared" / "acceptance" / "scenarios"
NAMES = sorted(p.name for p in SCENARIOS.glob("*.json"))


def plain(value: Any) -> Any:
    """A scenario value with `@username` references resolved (usernames are kept as they are)."""
    if isinstance(value, str) and value.startswith("@"):
        return value[1:]
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class Replay:
    def __init__(self, factory: Factory, scenario: dict[str, Any]) -> None:
        self.factory, self.core = factory, factory.core
        self.staff: dict[str, Actor] = {}
        self.cases: dict[str, str] = {}
        self.checked = 0
        people = scenario["staff"]
        for username in sorted(people, key=lambda u: people[u].get("line_manager") is not None):
            self.hire(username, people[username])

    def hire(self, username: str, spec: dict[str, Any]) -> None:
        extra = {k: spec[k] for k in ("profession", "competencies", "team", "line_manager", "employer") if k in spec}
        registered = spec.get("swe", None)
        self.staff[username] = self.factory.create_staff(username, spec["roles"], registered=registered, **extra)

    def step(self, step: dict[str, Any]) -> None:
        if "at" in step:
            self.factory.at(step["at"])
            fire_due_timers(self.core)
        if "expect" in step and step["expect"].get("status", 200) >= 400:
            return
        action = getattr(self, "do_" + step["do"], None)
        if action is not None:
            action(step)

    def do_referral(self, step: dict[str, Any]) -> None:
        body = plain(step["body"])
        child = dict(body["child"], date_of_birth=date.fromisoformat(body["child"]["date_of_birth"]))
        data = dict(body, child=child, received_at=datetime.fromisoformat(body["received_at"]))
        self.cases[step["case"]] = cases.start_referral(self.core, self.staff[step["as"]], data)["case_id"]

    def do_complete(self, step: dict[str, Any]) -> None:
        self.factory.complete(self.staff[step["as"]], self.cases[step["case"]], step["step"], plain(step["data"]))

    def do_expect_tasks(self, step: dict[str, Any]) -> None:
        case_id = self.cases[step["case"]]
        view = cases.get_case(self.core, self.factory.admin_reviewer(), case_id)
        open_tasks = [t for t in view["tasks"] if t["state"] in ("ready", "claimed")]
        for name, due_on in step.get("due_on", {}).items():
            assert [t["due_on"] for t in open_tasks if t["step"] == name] == [due_on], (name, open_tasks)
            self.checked += 1
        for name in step.get("includes", []):
            assert name in {t["step"] for t in open_tasks}, (name, open_tasks)
            self.checked += 1

    def do_expect_conformance(self, step: dict[str, Any]) -> None:
        case_id = self.cases[step["case"]]
        report = reports.case_conformance(self.core, self.factory.admin_reviewer(), case_id)
        clocks = cases.get_case(self.core, self.factory.admin_reviewer(), case_id)["clocks"]
        for rule, expected in step["rules"].items():
            if not isinstance(expected, dict) or "due_on" not in expected:
                continue
            rows = [r for r in report["rules"] if r["rule"] == rule]
            assert [r["due_on"] for r in rows] == [expected["due_on"]], (rule, rows)
            (clock,) = [c for c in clocks if c["rule"] == rule]
            assert clock["due_on"] == expected["due_on"] and clock["started_on"] is not None
            assert clock["started_on"] < clock["due_on"] and clock["status"] == expected.get("status", clock["status"])
            assert bool(clock["reason"]) is expected.get("reason", bool(clock["reason"]))
            self.checked += 1


@pytest.mark.parametrize("name", NAMES)
def test_every_due_date_of_the_acceptance_scenario_comes_out_of_the_services(factory: Factory, name: str) -> None:
    scenario = json.loads((SCENARIOS / name).read_text())
    replay = Replay(factory, scenario)
    for step in scenario["steps"]:
        replay.step(step)
    stated = sum(
        len(s.get("due_on", {})) + len(s.get("includes", []))
        + sum(isinstance(v, dict) and "due_on" in v for v in s.get("rules", {}).values())
        for s in scenario["steps"]
    )  # fmt: skip
    assert replay.checked == stated > 0


def test_the_acceptance_scenarios_are_there_to_replay() -> None:
    assert len(NAMES) >= 4
