"""The pathway contract (pathway.md) as a table the diagram lint reads: which steps exist, who may
be drawn doing them, and which rule times them.

A process owner may redraw the diagrams freely, but these step ids are what the REST API, the
acceptance scenarios, conformance and the CIN census rely on, and the statutory ring-fences
(s47 work for registered social workers, approvals for practice supervisors, independent chairs)
must survive every redraw.
"""

from __future__ import annotations

from dataclasses import dataclass

from casepath.domain.people import APPROVES, CHAIR_STEPS, ROLES, SOCIAL_WORK_ONLY

# lanes in which child protection (s47) work may be drawn (WT2023 ch. 3 para 172)
SOCIAL_WORK_LANES = ("social_worker", "lcpp")
# lanes in which an approval may be drawn: a social-work-qualified practice supervisor
APPROVAL_LANES = ("practice_supervisor",)
# lanes in which a conference may be drawn: an independent chair
CHAIR_LANES = ("conference_chair",)
# roles that never take a step on a case: a lane named after one of them is a mistake
NOT_CASEWORK_LANES = ("process_owner", "reviewer", "admin")
# messages the services handle themselves: no diagram needs to catch them
HANDLED_MESSAGES = ("case_closed", "step_overdue")
# the message whose end event a boundary deadline timer leads to
OVERDUE_MESSAGE = "step_overdue"


@dataclass(frozen=True)
class ContractStep:
    """One step of the contract: its id, the rule that times it (None: untimed), and its ring-fence."""

    step: str
    rule: str | None = None
    approval: bool = False
    child_protection: bool = False
    chair: bool = False

    @property
    def lanes(self) -> tuple[str, ...] | None:
        """The lanes this step may be drawn in (None: any casework lane)."""
        if self.child_protection:
            return SOCIAL_WORK_LANES
        if self.approval:
            return APPROVAL_LANES
        if self.chair:
            return CHAIR_LANES
        return None


def _step(step: str, rule: str | None = None) -> ContractStep:
    return ContractStep(
        step,
        rule,
        approval=step in APPROVES,
        child_protection=step in SOCIAL_WORK_ONLY,
        chair=step in CHAIR_STEPS,
    )


CONTRACT_STEPS: dict[str, ContractStep] = {
    s.step: s
    for s in (
        _step("referral_decision", "referral-decision-1wd"),
        _step("allocate_lead_practitioner", "lead-practitioner-allocation"),
        _step("child_and_family_assessment", "assessment-45wd"),
        _step("approve_assessment", "assessment-45wd"),
        _step("draft_cin_plan"),
        _step("approve_cin_plan"),
        _step("cin_review", "cin-review-cadence"),
        _step("close_case"),
        _step("strategy_discussion", "strategy-discussion-multiagency"),
        _step("section47_enquiry", "s47-social-worker"),
        _step("approve_section47", "assessment-45wd"),
        _step("schedule_icpc", "icpc-15wd"),
        _step("hold_icpc", "icpc-15wd"),
        _step("core_group_meeting", "core-group-10wd"),
        _step("review_conference", "rcpc-3m"),
        _step("letter_before_proceedings"),
        _step("fgdm_meeting"),
        _step("care_application"),
        _step("overdue_review"),
    )
}
TIMED_STEPS = tuple(s.step for s in CONTRACT_STEPS.values() if s.rule)


def known_lane(lane: str) -> bool:
    """A lane is named by the role code of who takes its steps."""
    return lane in ROLES and lane not in NOT_CASEWORK_LANES
