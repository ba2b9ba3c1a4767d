"""The authorisation matrix: every contract step (domain/pathway.md) x every kind of person, each with exactly
the answer the contract gives: allowed, or the error code of the first refusal in the contract's order.

The subjects are outsiders to the cases (except `chair_inv`, in the line management of the case's supervisor
and lead social worker), so "allowed" means "passes every check of claim and assign"; whether the task is
already someone else's is the claim's last question (tested in test_routing.py).
"""

from __future__ import annotations

import pytest

from tests.authz.conftest import World

NQ, NI, OK = "not_qualified", "not_independent", "allowed"
SUBJECTS = (
    "sw",
    "sw_expired",
    "fsw_trained",
    "fsw_untrained",
    "ps",
    "ps_expired",
    "chair_inv",
    "chair",
    "lcpp",
    "bs",
    "reviewer",
    "admin",
)


def only(**allowed: str) -> dict[str, str]:
    return {name: allowed.get(name, NQ) for name in SUBJECTS}


FRONT_DOOR = only(ps=OK)  # front_door or practice_supervisor, registered
SUPERVISOR = only(ps=OK)  # social-work-qualified practice supervisor
LEAD_PRACTITIONER = only(sw=OK, fsw_trained=OK, ps=OK)  # registered SWs, or eligible under the protocol
SOCIAL_WORK = only(sw=OK, ps=OK, lcpp=OK)  # s47 and child protection work: registered social workers only
BUSINESS_SUPPORT = only(bs=OK, ps=OK)
CHAIR = only(chair=OK, chair_inv=NI)  # independent conference chairs

EXPECTED = {
    "referral_decision": FRONT_DOOR,
    "allocate_lead_practitioner": SUPERVISOR,
    "child_and_family_assessment": LEAD_PRACTITIONER,
    "approve_assessment": SUPERVISOR,
    "draft_cin_plan": LEAD_PRACTITIONER,
    "approve_cin_plan": SUPERVISOR,
    "cin_review": LEAD_PRACTITIONER,
    "close_case": SUPERVISOR,
    "strategy_discussion": SOCIAL_WORK,
    "section47_enquiry": SOCIAL_WORK,
    "approve_section47": SUPERVISOR,
    "schedule_icpc": BUSINESS_SUPPORT,
    "hold_icpc": CHAIR,
    "core_group_meeting": SOCIAL_WORK,
    "review_conference": CHAIR,
    "letter_before_proceedings": SOCIAL_WORK,
    "fgdm_meeting": SOCIAL_WORK,
    "care_application": SUPERVISOR,
    "overdue_review": SUPERVISOR,
}
CELLS = [(step, person, code) for step, row in EXPECTED.items() for person, code in row.items()]


def test_the_matrix_covers_every_step_of_the_contract_and_every_kind_of_person(world: World) -> None:
    assert {step for step, _ in world.answers} == set(EXPECTED)
    assert {person for _, person in world.answers} == set(SUBJECTS)


@pytest.mark.parametrize(("step", "person", "code"), CELLS, ids=[f"{s}-{p}" for s, p, _ in CELLS])
def test_each_person_gets_exactly_the_contract_answer_for_each_step(
    world: World, step: str, person: str, code: str
) -> None:
    assert world.answers[(step, person)] == code


@pytest.mark.parametrize(
    ("step", "person", "code"),
    [cell for cell in CELLS if cell[2] != OK],
    ids=[f"{s}-{p}" for s, p, c in CELLS if c != OK],
)
def test_a_refused_claim_gives_the_same_answer_as_the_check(world: World, step: str, person: str, code: str) -> None:
    assert world.claims[(step, person)] == code
