"""Every path of domain/pathway.md through the services and the database (SQLite and PostgreSQL)."""

import pytest

from casepath.services import cases

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
ASSESSMENT = {
    "started_on": "2025-04-23",
    "factors": ["4B"],
    "summary": "Mother struggling.",
    "recommendation": "cin_plan",
}
PARTICIPANTS = [
    {"agency": "la_social_care", "name": "SW"},
    {"agency": "police", "name": "DC"},
    {"agency": "health", "name": "Nurse"},
]


@pytest.fixture
def people(factory):
    p = {
        "ps1": factory.create_staff("ps1", ["practice_supervisor", "social_worker"], team="east"),
        "ps2": factory.create_staff("ps2", ["practice_supervisor", "social_worker"], team="east"),
    }
    p["fd1"] = factory.create_staff("fd1", ["front_door", "social_worker"], team="front door")
    p["fsw1"] = factory.create_staff(
        "fsw1",
        ["lead_practitioner"],
        profession="family_support_worker",
        competencies=["cin_assessment"],
        team="east",
        line_manager="ps1",
    )
    p["sw1"] = factory.create_staff("sw1", ["social_worker", "lead_practitioner"], team="east", line_manager="ps1")
    p["lcpp1"] = factory.create_staff("lcpp1", ["lcpp", "social_worker"], team="macpt")
    p["chair1"] = factory.create_staff("chair1", ["conference_chair", "social_worker"], team="review")
    p["bs1"] = factory.create_staff("bs1", ["business_support"], profession="administrator", team="conference")
    factory.at("2025-04-17T10:15:00+01:00")
    return p


def case_of(factory, case_id):
    return cases.get_case(factory.core, factory.admin_reviewer(), case_id)


def s17_to_cin_plan(factory, p):
    case_id = factory.create_referral(p["fd1"], received_at="2025-04-17T10:15:00+01:00")
    factory.complete(p["fd1"], case_id, "referral_decision", DECIDE_ASSESS)
    factory.complete(
        p["ps1"],
        case_id,
        "allocate_lead_practitioner",
        {"lead_practitioner": "fsw1", "practitioner_agreed": True, "rationale": "Knows the family."},
    )
    factory.complete(p["fsw1"], case_id, "child_and_family_assessment", ASSESSMENT)
    return case_id


def test_a_referral_decided_as_no_further_action_closes_the_case(factory, people):
    case_id = factory.create_referral(people["fd1"], received_at="2025-04-17T10:15:00+01:00")
    factory.complete(
        people["fd1"],
        case_id,
        "referral_decision",
        {"decision": "nfa", "rationale": "No concerns.", "referrer_informed": True},
    )
    case = case_of(factory, case_id)
    assert case["status"] == "closed" and case["phase"] == "closed" and factory.open_steps(case_id) == []


def test_a_referral_stepped_to_early_help_closes_the_case(factory, people):
    case_id = factory.create_referral(people["fd1"], received_at="2025-04-17T10:15:00+01:00")
    factory.complete(
        people["fd1"],
        case_id,
        "referral_decision",
        {"decision": "early_help", "primary_need": "N8", "rationale": "Early help.", "referrer_informed": False},
    )
    assert case_of(factory, case_id)["status"] == "closed"


def test_an_s17_case_runs_through_assessment_rejection_plan_reviews_and_closure(factory, people):
    p = people
    case_id = s17_to_cin_plan(factory, p)
    assert factory.open_steps(case_id) == ["approve_assessment"]
    factory.complete(p["ps1"], case_id, "approve_assessment", {"approved": False, "comments": "Add the father."})
    task = factory.open_task(case_id, "child_and_family_assessment")
    assert task["assignee"] == "fsw1"  # back to the same practitioner
    factory.complete(p["fsw1"], case_id, "child_and_family_assessment", ASSESSMENT)
    factory.complete(p["ps1"], case_id, "approve_assessment", {"approved": True, "outcome": "cin_plan"})
    factory.complete(p["fsw1"], case_id, "draft_cin_plan", {"plan_summary": "Support.", "actions": ["GP"]})
    factory.complete(p["ps1"], case_id, "approve_cin_plan", {"approved": False, "comments": "Add school."})
    factory.complete(p["fsw1"], case_id, "draft_cin_plan", {"plan_summary": "Support.", "actions": ["GP", "School"]})
    factory.complete(p["ps1"], case_id, "approve_cin_plan", {"approved": True, "starts_on": "2025-04-17"})
    for held_on in ("2025-04-18", "2025-04-22"):
        assert factory.open_task(case_id, "cin_review")["assignee"] == "fsw1"
        factory.complete(
            p["fsw1"], case_id, "cin_review", {"held_on": held_on, "summary": "Ok.", "outcome": "continue"}
        )
    factory.complete(
        p["fsw1"], case_id, "cin_review", {"held_on": "2025-04-23", "summary": "Done.", "outcome": "close"}
    )
    factory.complete(p["ps1"], case_id, "close_case", {"reason": "RC7", "closed_on": "2025-04-17", "rationale": "Met."})
    case = case_of(factory, case_id)
    assert (case["status"], case["closure_reason"], case["lead_practitioner"]) == ("closed", "RC7", "fsw1")


@pytest.mark.parametrize(("outcome", "reason"), [("nfa", "RC8"), ("early_help", "RC9")])
def test_an_approved_assessment_with_no_further_action_closes_the_case_with_its_census_reason(
    factory, people, outcome, reason
):
    case_id = s17_to_cin_plan(factory, people)
    factory.complete(people["ps1"], case_id, "approve_assessment", {"approved": True, "outcome": outcome})
    case = case_of(factory, case_id)
    assert (case["status"], case["closure_reason"]) == ("closed", reason)


def child_protection_to_icpc(factory, p):
    case_id = factory.create_referral(p["fd1"], received_at="2025-04-17T10:15:00+01:00")
    factory.complete(p["fd1"], case_id, "referral_decision", DECIDE_STRATEGY)
    factory.complete(
        p["lcpp1"],
        case_id,
        "strategy_discussion",
        {"held_on": "2025-04-17", "participants": PARTICIPANTS, "decision": "s47", "lead_social_worker": "sw1"},
    )
    assert factory.open_task(case_id, "section47_enquiry")["assignee"] == "sw1"
    factory.complete(
        p["sw1"],
        case_id,
        "section47_enquiry",
        {"factors": ["3A"], "findings": "Risk continues.", "recommendation": "icpc"},
    )
    factory.complete(p["ps1"], case_id, "approve_section47", {"approved": True, "outcome": "icpc"})
    factory.complete(p["bs1"], case_id, "schedule_icpc", {"conference_date": "2025-04-24", "chair": "chair1"})
    return case_id


def test_a_child_protection_plan_runs_with_its_core_group_and_many_review_conferences(factory, people):
    p = people
    case_id = child_protection_to_icpc(factory, p)
    assert factory.open_task(case_id, "hold_icpc")["assignee"] == "chair1"
    factory.complete(
        p["chair1"],
        case_id,
        "hold_icpc",
        {
            "held_on": "2025-04-24",
            "decision": "cp_plan",
            "category_of_abuse": "PHY",
            "lead_social_worker": "sw1",
            "core_group": PARTICIPANTS,
        },
    )
    assert factory.open_steps(case_id) == ["core_group_meeting", "review_conference"]
    assert case_of(factory, case_id)["phase"] in ("cp_plan", "cp_review")
    factory.complete(p["sw1"], case_id, "core_group_meeting", {"held_on": "2025-04-25", "summary": "Plan agreed."})
    for _ in range(6):
        factory.complete(
            p["chair1"],
            case_id,
            "review_conference",
            {"held_on": "2025-04-25", "decision": "continue", "latest_category_of_abuse": "PHY"},
        )
    factory.complete(
        p["chair1"],
        case_id,
        "review_conference",
        {"held_on": "2025-04-25", "decision": "end_plan", "latest_category_of_abuse": "PHY", "next": "close"},
    )
    factory.complete(p["ps1"], case_id, "close_case", {"reason": "RC7", "closed_on": "2025-04-25", "rationale": "Ok."})
    assert case_of(factory, case_id)["status"] == "closed"


def test_an_icpc_without_a_plan_steps_down_to_a_cin_plan(factory, people):
    case_id = child_protection_to_icpc(factory, people)
    factory.complete(
        people["chair1"], case_id, "hold_icpc", {"held_on": "2025-04-24", "decision": "no_plan", "next": "cin_plan"}
    )
    assert factory.open_task(case_id, "draft_cin_plan")["assignee"] == "sw1"


def test_a_concern_on_a_cin_case_opens_a_strategy_discussion_and_no_s47_lets_the_case_continue(factory, people):
    p = people
    case_id = s17_to_cin_plan(factory, p)
    cases.raise_case_event(factory.core, p["fsw1"], case_id, "child_protection_concern", {"reason": "Bruise seen."})
    assert factory.open_steps(case_id) == ["approve_assessment", "strategy_discussion"]
    factory.complete(
        p["lcpp1"],
        case_id,
        "strategy_discussion",
        {"held_on": "2025-04-17", "participants": PARTICIPANTS, "decision": "no_s47"},
    )
    assert factory.open_steps(case_id) == ["approve_assessment"]


def test_a_strategy_discussion_without_s47_on_an_unallocated_case_goes_to_allocation(factory, people):
    case_id = factory.create_referral(people["fd1"], received_at="2025-04-17T10:15:00+01:00")
    factory.complete(people["fd1"], case_id, "referral_decision", DECIDE_STRATEGY)
    factory.complete(
        people["lcpp1"],
        case_id,
        "strategy_discussion",
        {"held_on": "2025-04-17", "participants": PARTICIPANTS, "decision": "no_s47"},
    )
    assert factory.open_steps(case_id) == ["allocate_lead_practitioner"]


def test_a_section_47_enquiry_continues_an_open_s17_assessment(factory, people):
    p = people
    case_id = s17_to_cin_plan(factory, p)
    cases.raise_case_event(factory.core, p["ps1"], case_id, "child_protection_concern", {"reason": "Disclosure."})
    factory.complete(
        p["lcpp1"],
        case_id,
        "strategy_discussion",
        {"held_on": "2025-04-17", "participants": PARTICIPANTS, "decision": "s47", "lead_social_worker": "sw1"},
    )
    assert factory.open_steps(case_id) == ["section47_enquiry"]  # the s17 approval is ended
    assert case_of(factory, case_id)["lead_practitioner"] == "sw1"


def test_pre_proceedings_offer_family_group_decision_making_before_the_application(factory, people):
    p = people
    case_id = s17_to_cin_plan(factory, p)
    cases.raise_case_event(factory.core, p["ps1"], case_id, "pre_proceedings", {})
    factory.complete(p["sw1"], case_id, "letter_before_proceedings", {"sent_on": "2025-04-17", "fgdm_offered": True})
    factory.complete(p["sw1"], case_id, "fgdm_meeting", {"outcome": "held", "held_on": "2025-04-17"})
    factory.complete(p["ps1"], case_id, "care_application", {"issued_on": "2025-04-17"})
    assert "care_application" not in factory.open_steps(case_id)


def test_a_child_with_an_open_case_cannot_be_referred_into_a_second_one(factory, people):
    from casepath.domain.errors import Conflict

    case_id = factory.create_referral(people["fd1"], received_at="2025-04-17T10:15:00+01:00", upn="R201250000001")
    child_id = case_of(factory, case_id)["child"]["id"]
    with pytest.raises(Conflict):
        cases.start_referral(factory.core, people["fd1"], {"child_id": child_id, "source": "2A", "received_at": None})
