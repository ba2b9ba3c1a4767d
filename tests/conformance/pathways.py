"""Cases driven through the services (the test factory), step by step, with the clock moved for each."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from casepath.domain.calendar import LONDON
from casepath.services import cases, reports
from casepath.services.staff import Actor
from tests.factories import Factory


def moment(day: str, hour: int = 12) -> str:
    """`hour` o'clock on `day` in Europe/London, as ISO with its offset (BST or GMT)."""
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=LONDON).isoformat()


class Staff:
    """The people of a small LA: two teams, social workers and alternatively qualified practitioners."""

    def __init__(self, factory: Factory) -> None:
        make = factory.create_staff
        self.fd = make("fd1", ["front_door", "social_worker"], team="front door")
        self.ps = make("ps1", ["practice_supervisor", "social_worker"], team="east")
        self.ps_west = make("ps2", ["practice_supervisor", "social_worker"], team="west")
        self.fsw = make("fsw1", ["lead_practitioner"], profession="family_support_worker",
                        competencies=["cin_assessment"], team="east", line_manager="ps1")  # fmt: skip
        self.daw = make("daw1", ["lead_practitioner"], profession="domestic_abuse_worker",
                        competencies=["cin_assessment"], team="east", employer="Refuge Trust")  # fmt: skip
        self.sw = make("sw1", ["social_worker", "lead_practitioner"], team="west", line_manager="ps2")
        self.lcpp = make("lcpp1", ["lcpp", "social_worker"], team="macpt")
        self.chair = make("chair1", ["conference_chair", "social_worker"], team="review")
        self.bs = make("bs1", ["business_support"], profession="administrator", team="conference service")
        self.rev = make("rev", ["reviewer"], profession="quality_assurance", team="quality")
        self.admin = factory.admin


class Driver:
    """Moves the clock and completes steps: `d.on("2025-04-22").complete(...)`."""

    def __init__(self, factory: Factory) -> None:
        self.factory = factory
        self.staff = Staff(factory)

    def at(self, day: str, hour: int = 12) -> Driver:
        self.factory.at(moment(day, hour))
        return self

    def refer(self, day: str, *, by: Actor | None = None, hour: int = 10, **child: Any) -> str:
        self.at(day, hour)
        return str(self.factory.create_referral(by or self.staff.fd, received_at=moment(day, hour), **child))

    def refer_again(self, day: str, child_id: str) -> str:
        """A new referral of a child Casepath already knows."""
        self.at(day, 10)
        body = {"child_id": child_id, "received_at": datetime.fromisoformat(moment(day, 10)), "source": "2A",
                "concerns": "Referred again."}  # fmt: skip
        return str(cases.start_referral(self.factory.core, self.staff.fd, body)["case_id"])

    def complete(self, day: str, actor: Actor, case_id: str, step: str, **data: Any) -> dict[str, Any]:
        self.at(day)
        result: dict[str, Any] = self.factory.complete(actor, case_id, step, data)
        return result

    def raise_event(self, day: str, actor: Actor, case_id: str, name: str, **data: Any) -> None:
        self.at(day)
        cases.raise_case_event(self.factory.core, actor, case_id, name, data)

    def rows(self, case_id: str, rule: str) -> list[dict[str, Any]]:
        report = reports.case_conformance(self.factory.core, self.staff.rev, case_id)
        return [row for row in report["rules"] if row["rule"] == rule]

    def row(self, case_id: str, rule: str) -> dict[str, Any]:
        found = self.rows(case_id, rule)
        assert len(found) == 1, found
        return found[0]

    # --- pathways ---------------------------------------------------------------------------------

    def decide(self, case_id: str, day: str, decision: str = "assessment", **extra: Any) -> None:
        form = {"decision": decision, "rationale": "Seen the referral.", "referrer_informed": True, **extra}
        if decision != "nfa":
            form.setdefault("primary_need", "N2")
        self.complete(day, self.staff.fd, case_id, "referral_decision", **form)

    def allocate(
        self, case_id: str, day: str, lead: str = "fsw1", supervisor: Actor | None = None, **extra: Any
    ) -> None:
        form = {"lead_practitioner": lead, "practitioner_agreed": True, "rationale": "Knows the family.", **extra}
        self.complete(day, supervisor or self.staff.ps, case_id, "allocate_lead_practitioner", **form)

    def assess(self, case_id: str, day: str, author: Actor, started_on: str, **extra: Any) -> None:
        self.complete(day, author, case_id, "child_and_family_assessment", started_on=started_on, factors=["4B"],
                      summary="Needs support.", recommendation="cin_plan", **extra)  # fmt: skip

    def approve(self, case_id: str, day: str, outcome: str = "cin_plan", supervisor: Actor | None = None,
                **extra: Any) -> None:  # fmt: skip
        self.complete(day, supervisor or self.staff.ps, case_id, "approve_assessment",
                      approved=True, outcome=outcome, comments="Agreed.", **extra)  # fmt: skip

    def cin_plan(
        self, case_id: str, drafted: str, approved: str, author: Actor, supervisor: Actor | None = None
    ) -> None:
        self.complete(drafted, author, case_id, "draft_cin_plan", plan_summary="Support.", actions=["Visit weekly"])
        self.complete(approved, supervisor or self.staff.ps, case_id, "approve_cin_plan",
                      approved=True, starts_on=approved)  # fmt: skip

    def close(self, case_id: str, day: str, supervisor: Actor | None = None) -> None:
        self.complete(day, supervisor or self.staff.ps, case_id, "close_case",
                      reason="RC7", closed_on=day, rationale="No longer in need.")  # fmt: skip

    def s17_case(self, received: str = "2025-04-17", lead: Actor | None = None, **child: Any) -> str:
        """Thursday 17 April 2025 (Easter): decided, allocated, assessed, approved, CIN plan started."""
        lead = lead or self.staff.fsw
        case_id = self.refer(received, **child)
        self.decide(case_id, "2025-04-22")
        self.allocate(case_id, "2025-04-22", lead.username)
        self.assess(case_id, "2025-05-30", lead, "2025-04-23")
        self.approve(case_id, "2025-06-02")
        self.cin_plan(case_id, "2025-06-04", "2025-06-05", lead)
        return case_id

    def strategy(self, case_id: str, day: str, actor: Actor | None = None, **extra: Any) -> None:
        participants = extra.pop(
            "participants", [{"agency": a, "name": a} for a in ("la_social_care", "police", "health")]
        )
        self.complete(day, actor or self.staff.lcpp, case_id, "strategy_discussion", held_on=day,
                      participants=participants, decision="s47", lead_social_worker="sw1", **extra)  # fmt: skip

    def child_protection_case(self, received: str = "2025-06-06", **child: Any) -> str:
        """Police refer on Friday 6 June 2025: strategy discussion, s47, ICPC and a CP plan."""
        case_id = self.refer(received, **child)
        self.decide(case_id, "2025-06-09", "strategy_discussion", primary_need="N1")
        self.strategy(case_id, "2025-06-10")
        self.complete("2025-06-20", self.staff.sw, case_id, "section47_enquiry", started_on="2025-06-10",
                      factors=["3A"], findings="Risk continues.", recommendation="icpc")  # fmt: skip
        self.complete("2025-06-23", self.staff.ps, case_id, "approve_section47", approved=True, outcome="icpc")
        self.complete(
            "2025-06-23", self.staff.bs, case_id, "schedule_icpc", conference_date="2025-06-27", chair="chair1"
        )
        self.complete("2025-06-27", self.staff.chair, case_id, "hold_icpc", held_on="2025-06-27", decision="cp_plan",
                      category_of_abuse="PHY", lead_social_worker="sw1",
                      core_group=[{"agency": "health", "name": "HV"}])  # fmt: skip
        return case_id
