"""The people of the authorisation tests, and one world of real cases (module-scoped: built once, on its own
database, SQLite or PostgreSQL) in which every contract step has been open at least once."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from casepath.domain.clock import FixedClock
from casepath.domain.errors import CasepathError
from casepath.services import cases, tasks
from casepath.services.core import Casepath, Settings
from casepath.services.runtime import CaseRun
from casepath.services.setup import init
from casepath.services.staff import Actor, get_staff, person_of
from casepath.store import models
from tests.conftest import BACKEND, PG_ADMIN_URL, START
from tests.factories import Factory

EXPIRED = {"number": "SW000999", "expires_on": date(2025, 3, 31)}
PARTICIPANTS = [
    {"agency": "la_social_care", "name": "SW"},
    {"agency": "police", "name": "DC"},
    {"agency": "health", "name": "Nurse"},
]
DECIDE_ASSESS = {
    "decision": "assessment",
    "primary_need": "N4",
    "rationale": "Needs assessing.",
    "referrer_informed": True,
}
DECIDE_STRATEGY = {
    "decision": "strategy_discussion",
    "primary_need": "N1",
    "rationale": "Significant harm.",
    "referrer_informed": True,
}
ASSESSMENT = {"started_on": "2025-04-01", "factors": ["21"], "summary": "Seen the child.", "recommendation": "cin_plan"}
ALLOCATION = {"lead_practitioner": "fsw_case", "practitioner_agreed": True, "rationale": "Knows the family."}


def create_case_team(factory: Factory) -> dict[str, Actor]:
    """The people who work the world's cases (never the subjects of the matrix)."""
    make = factory.create_staff
    return {
        "fd": make("fd", ["front_door", "social_worker"], team="front door"),
        "ps_case": make("ps_case", ["practice_supervisor", "social_worker"], team="east", line_manager="chair_inv"),
        "fsw_case": make(
            "fsw_case",
            ["lead_practitioner"],
            profession="family_support_worker",
            competencies=["cin_assessment"],
            team="east",
            line_manager="ps_case",
        ),
        "lsw_case": make("lsw_case", ["social_worker", "lead_practitioner"], team="east", line_manager="ps_case"),
        "lcpp_case": make("lcpp_case", ["lcpp", "social_worker"], team="macpt"),
        "chair_case": make("chair_case", ["conference_chair"], team="review"),
        "bs_case": make("bs_case", ["business_support"], profession="administrator", team="conference"),
    }


def create_subjects(factory: Factory) -> dict[str, Actor]:
    """Every kind of person the matrix asks about. chair_inv line-manages the case's supervisor (so the
    whole chain above the lead social worker), and is therefore not independent of the case."""
    make = factory.create_staff
    return {
        "sw": make("sw", ["social_worker"], team="west"),
        "sw_expired": make("sw_expired", ["social_worker"], team="west", swe_registration=EXPIRED),
        "fsw_trained": make(
            "fsw_trained", ["lead_practitioner"], profession="family_support_worker", competencies=["cin_assessment"]
        ),
        "fsw_untrained": make("fsw_untrained", ["lead_practitioner"], profession="family_support_worker"),
        "ps": make("ps", ["practice_supervisor", "social_worker"], team="west"),
        "ps_expired": make("ps_expired", ["practice_supervisor", "social_worker"], swe_registration=EXPIRED),
        "chair_inv": make("chair_inv", ["conference_chair"], team="review"),
        "chair": make("chair", ["conference_chair"], team="review"),
        "lcpp": make("lcpp", ["lcpp"], team="macpt"),
        "bs": make("bs", ["business_support"], profession="administrator", team="conference"),
        "reviewer": make("reviewer", ["reviewer"], profession="quality_assurance", registered=False, team="quality"),
        "admin": factory.admin,
    }


def answer(core: Casepath, username: str, task_id: str) -> str:
    """`allowed`, or the code of the first refusal of tasks.authorise (the checks of claim and assign)."""
    with core.db.transaction() as session:
        task = session.get(models.Task, task_id)
        assert task is not None
        case = session.get(models.Case, task.case_id)
        assert case is not None
        run = CaseRun(core, session, case, core.now(session))
        try:
            tasks.authorise(run, task, person_of(get_staff(session, username), run.today))
        except CasepathError as err:
            return err.code
        return "allowed"


def claim_code(core: Casepath, actor: Actor, task_id: str) -> str:
    try:
        tasks.claim_task(core, actor, task_id)
    except CasepathError as err:
        return err.code
    return "claimed"


@dataclass
class World:
    core: Casepath
    factory: Factory
    team: dict[str, Actor]
    subjects: dict[str, Actor]
    answers: dict[tuple[str, str], str] = field(default_factory=dict)
    claims: dict[tuple[str, str], str] = field(default_factory=dict)

    def check(self, case_id: str, step: str) -> None:
        """Ask, for every subject, whether they may take the open `step` of this case, now."""
        task = self.factory.open_task(case_id, step)
        for name, actor in self.subjects.items():
            code = answer(self.core, actor.username, task["id"])
            self.answers[(step, name)] = code
            if code != "allowed":  # a refused claim changes nothing: try it through the use-case too
                self.claims[(step, name)] = claim_code(self.core, actor, task["id"])

    def run(self, actor: str, case_id: str, step: str, data: dict[str, Any]) -> None:
        self.check(case_id, step)
        self.factory.complete(self.team[actor], case_id, step, data)


def build_world(world: World) -> None:
    s17 = world.factory.create_referral(world.team["fd"])
    world.run("fd", s17, "referral_decision", DECIDE_ASSESS)
    world.run("ps_case", s17, "allocate_lead_practitioner", ALLOCATION)
    world.run("fsw_case", s17, "child_and_family_assessment", ASSESSMENT)
    world.run("ps_case", s17, "approve_assessment", {"approved": True, "outcome": "cin_plan"})
    world.run("fsw_case", s17, "draft_cin_plan", {"plan_summary": "Routines.", "actions": ["Course"]})
    world.run("ps_case", s17, "approve_cin_plan", {"approved": True, "starts_on": "2025-04-01"})
    world.run("fsw_case", s17, "cin_review", {"held_on": "2025-04-01", "summary": "Goals met.", "outcome": "close"})
    world.check(s17, "close_case")

    cp = world.factory.create_referral(world.team["fd"])
    world.factory.complete(world.team["fd"], cp, "referral_decision", DECIDE_STRATEGY)
    strategy = {
        "held_on": "2025-04-01",
        "participants": PARTICIPANTS,
        "decision": "s47",
        "lead_social_worker": "lsw_case",
    }
    world.run("lcpp_case", cp, "strategy_discussion", strategy)
    enquiry = {"factors": ["3A"], "findings": "Risk continues.", "recommendation": "icpc"}
    world.run("lsw_case", cp, "section47_enquiry", enquiry)
    world.run("ps_case", cp, "approve_section47", {"approved": True, "outcome": "icpc"})
    world.run("bs_case", cp, "schedule_icpc", {"conference_date": "2025-04-01", "chair": "chair_case"})
    icpc = {
        "held_on": "2025-04-01",
        "decision": "cp_plan",
        "category_of_abuse": "PHY",
        "lead_social_worker": "lsw_case",
        "core_group": PARTICIPANTS,
    }
    world.run("chair_case", cp, "hold_icpc", icpc)
    world.check(cp, "core_group_meeting")
    world.check(cp, "review_conference")
    cases.raise_case_event(world.core, world.team["ps_case"], cp, "pre_proceedings", {})
    world.run("lsw_case", cp, "letter_before_proceedings", {"sent_on": "2025-04-01", "fgdm_offered": True})
    world.run("lsw_case", cp, "fgdm_meeting", {"outcome": "held", "held_on": "2025-04-01"})
    world.check(cp, "care_application")

    late = world.factory.create_referral(world.team["fd"])
    world.factory.at("2025-04-04T10:00:00+01:00")
    from casepath.services.timers import fire_due_timers

    fire_due_timers(world.core)
    world.check(late, "overdue_review")


def _database(tmp_path_factory: pytest.TempPathFactory, template: str) -> Iterator[str]:
    if BACKEND != "postgresql":
        target = tmp_path_factory.mktemp("authz") / "world.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    name = f"casepath_authz_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, database_template: str) -> Iterator[World]:
    """The matrix's cases, built once for the module on a database of their own."""
    from handlers import REGISTRY

    for url in _database(tmp_path_factory, database_template):
        core = Casepath(Settings(database_url=url), clock=FixedClock(START), handlers=REGISTRY)
        init(core)
        factory = Factory(core)
        subjects = create_subjects(factory)
        built = World(core, factory, create_case_team(factory), subjects)
        build_world(built)
        yield built
        core.db.dispose()
