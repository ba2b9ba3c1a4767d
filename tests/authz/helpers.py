"""Small builders shared by the authorisation tests (function-scoped: a fresh database per test)."""

from __future__ import annotations

from typing import Any

from casepath.services import protocols
from casepath.services.staff import Actor
from tests.authz.conftest import ALLOCATION, ASSESSMENT, DECIDE_ASSESS, DECIDE_STRATEGY, PARTICIPANTS
from tests.factories import Factory

ALLOC = {**ALLOCATION, "lead_practitioner": "fsw1"}


def staff(factory: Factory) -> dict[str, Actor]:
    make = factory.create_staff
    people = {
        "boss": make("boss", ["practice_supervisor", "social_worker"], team="senior"),
        "fd": make("fd", ["front_door", "social_worker"], team="front door"),
    }
    people["ps1"] = make("ps1", ["practice_supervisor", "social_worker"], team="east", line_manager="boss")
    people["ps2"] = make("ps2", ["practice_supervisor", "social_worker"], team="east")
    people["ps_west"] = make("ps_west", ["practice_supervisor", "social_worker"], team="west")
    people["fsw1"] = make(
        "fsw1",
        ["lead_practitioner"],
        profession="family_support_worker",
        competencies=["cin_assessment"],
        team="east",
        line_manager="ps1",
    )
    people["fsw_new"] = make("fsw_new", ["lead_practitioner"], profession="family_support_worker", team="east")
    people["sw1"] = make("sw1", ["social_worker", "lead_practitioner"], team="east", line_manager="ps1")
    people["lcpp1"] = make("lcpp1", ["lcpp", "social_worker"], team="macpt")
    people["chair1"] = make("chair1", ["conference_chair"], team="review")
    people["chair_boss"] = make("chair_boss", ["conference_chair"], team="review")
    people["bs1"] = make("bs1", ["business_support"], profession="administrator", team="conference")
    people["rev"] = make("rev", ["reviewer"], profession="quality_assurance", registered=False, team="quality")
    return people


def assessed(factory: Factory, p: dict[str, Actor], lead: str = "fsw1") -> str:
    """A case whose assessment (by `lead`) waits for approval."""
    case_id = factory.create_referral(p["fd"])
    factory.complete(p["fd"], case_id, "referral_decision", DECIDE_ASSESS)
    factory.complete(p["ps1"], case_id, "allocate_lead_practitioner", {**ALLOCATION, "lead_practitioner": lead})
    factory.complete(p[lead], case_id, "child_and_family_assessment", ASSESSMENT)
    return case_id


def at_icpc_scheduling(factory: Factory, p: dict[str, Actor]) -> str:
    """A case whose ICPC waits to be scheduled: lcpp1 led the strategy discussion, sw1 the enquiry."""
    case_id = factory.create_referral(p["fd"])
    factory.complete(p["fd"], case_id, "referral_decision", DECIDE_STRATEGY)
    strategy = {"held_on": "2025-04-01", "participants": PARTICIPANTS, "decision": "s47", "lead_social_worker": "sw1"}
    factory.complete(p["lcpp1"], case_id, "strategy_discussion", strategy)
    enquiry = {"factors": ["3A"], "findings": "Risk continues.", "recommendation": "icpc"}
    factory.complete(p["sw1"], case_id, "section47_enquiry", enquiry)
    factory.complete(p["ps1"], case_id, "approve_section47", {"approved": True, "outcome": "icpc"})
    return case_id


def publish(factory: Factory, reason: str = "Test change.", **settings: Any) -> dict[str, Any]:
    owner = Actor("admin", factory.la_id, ("admin", "process_owner"))
    return protocols.publish_protocol(factory.core, owner, settings, reason)
