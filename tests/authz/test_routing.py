"""Routing: who may take a task and why others may not; the contract's order of refusals; the local protocol's
rules (lead practitioners, chairs, caseloads) as the running services apply them."""

from __future__ import annotations

from typing import Any

import pytest

from casepath.domain.errors import CasepathError, Forbidden, NotEligible, NotFound
from casepath.services import admin, cases, inbox, records, tasks
from casepath.services.staff import Actor
from tests.authz.conftest import DECIDE_ASSESS, EXPIRED
from tests.authz.helpers import ALLOC, assessed, at_icpc_scheduling, publish, staff
from tests.factories import Factory


@pytest.fixture
def p(factory: Factory) -> dict[str, Actor]:
    return staff(factory)


def code_of(call: Any, *args: Any) -> str:
    try:
        call(*args)
    except CasepathError as err:
        return err.code
    return "ok"


def events(factory: Factory, case_id: str, name: str) -> list[Any]:
    with factory.core.db.transaction() as session:
        return [e for e in records.list_events(session, case_id) if e.name == name]


def test_the_author_of_an_assessment_who_is_not_a_supervisor_is_refused_as_not_qualified_first(factory, p) -> None:
    task = factory.open_task(assessed(factory, p), "approve_assessment")
    assert code_of(tasks.claim_task, factory.core, p["fsw1"], task["id"]) == "not_qualified"


def test_four_eyes_is_said_before_already_claimed(factory, p) -> None:
    case_id = assessed(factory, p, lead="ps2")
    task = factory.open_task(case_id, "approve_assessment")
    tasks.claim_task(factory.core, p["ps1"], task["id"])
    assert code_of(tasks.claim_task, factory.core, p["ps2"], task["id"]) == "four_eyes"
    assert code_of(tasks.claim_task, factory.core, p["boss"], task["id"]) == "already_claimed"


def test_a_chair_in_the_line_management_chain_is_not_independent_before_the_task_is_someone_elses(factory, p) -> None:
    admin.update_staff(factory.core, factory.admin, "boss", {"line_manager": "chair_boss"})
    case_id = at_icpc_scheduling(factory, p)
    factory.complete(p["bs1"], case_id, "schedule_icpc", {"conference_date": "2025-04-03", "chair": "chair1"})
    task = factory.open_task(case_id, "hold_icpc")
    assert task["assignee"] == "chair1"
    with pytest.raises(CasepathError) as refused:
        tasks.claim_task(factory.core, p["chair_boss"], task["id"])
    assert refused.value.code == "not_independent"
    assert "line management" in refused.value.detail and "sw1" not in refused.value.detail


@pytest.mark.parametrize(
    ("chair", "change", "why"),
    [
        ("chair_boss", {"username": "boss", "line_manager": "chair_boss"}, "line management"),
        ("fd", {"username": "fd", "roles": ["front_door", "social_worker", "conference_chair"]}, "worked on the case"),
        ("sw1", {"username": "sw1", "roles": ["social_worker", "conference_chair"]}, "case's lead"),
        ("rev", {}, "not a conference chair"),
    ],
)
def test_a_nominated_chair_who_is_not_independent_or_not_a_chair_is_not_eligible(
    factory, p, chair: str, change: dict[str, Any], why: str
) -> None:
    if change:
        admin.update_staff(factory.core, factory.admin, change.pop("username"), change)
    case_id = at_icpc_scheduling(factory, p)
    with pytest.raises(NotEligible) as refused:
        factory.complete(p["bs1"], case_id, "schedule_icpc", {"conference_date": "2025-04-03", "chair": chair})
    assert why in refused.value.detail


def test_an_lcpp_may_chair_a_case_they_do_not_hold_only_when_the_protocol_allows_it(factory, p) -> None:
    factory.create_staff("lcpp2", ["lcpp", "social_worker"], team="macpt")
    first = at_icpc_scheduling(factory, p)
    with pytest.raises(NotEligible):
        factory.complete(p["bs1"], first, "schedule_icpc", {"conference_date": "2025-04-03", "chair": "lcpp2"})
    publish(factory, lcpp_may_chair=True)
    with pytest.raises(NotEligible) as refused:  # led the strategy discussion: not independent
        factory.complete(p["bs1"], first, "schedule_icpc", {"conference_date": "2025-04-03", "chair": "lcpp1"})
    assert "worked on the case" in refused.value.detail
    factory.complete(p["bs1"], first, "schedule_icpc", {"conference_date": "2025-04-03", "chair": "lcpp2"})
    assert factory.open_task(first, "hold_icpc")["assignee"] == "lcpp2"


def test_a_protocol_requiring_a_social_worker_for_every_assessment_refuses_other_lead_practitioners(factory, p) -> None:
    publish(factory, social_worker_for_every_assessment=True)
    case_id = factory.create_referral(p["fd"])
    factory.complete(p["fd"], case_id, "referral_decision", DECIDE_ASSESS)
    with pytest.raises(NotEligible) as refused:
        factory.complete(p["ps1"], case_id, "allocate_lead_practitioner", ALLOC)
    assert "requires a social worker to lead every assessment" in refused.value.detail
    factory.complete(p["ps1"], case_id, "allocate_lead_practitioner", {**ALLOC, "lead_practitioner": "sw1"})
    assert cases.get_case(factory.core, p["ps1"], case_id)["lead_practitioner"] == "sw1"


def test_an_untrained_family_support_worker_is_not_eligible_and_the_refusal_names_the_competency(factory, p) -> None:
    case_id = factory.create_referral(p["fd"])
    factory.complete(p["fd"], case_id, "referral_decision", DECIDE_ASSESS)
    with pytest.raises(NotEligible) as refused:
        factory.complete(p["ps1"], case_id, "allocate_lead_practitioner", {**ALLOC, "lead_practitioner": "fsw_new"})
    assert "cin_assessment" in refused.value.detail


def allocate_twice(factory: Factory, p: dict[str, Actor]) -> tuple[str, str]:
    first, second = factory.create_referral(p["fd"]), factory.create_referral(p["fd"])
    for case_id in (first, second):
        factory.complete(p["fd"], case_id, "referral_decision", DECIDE_ASSESS)
    factory.complete(p["ps1"], first, "allocate_lead_practitioner", ALLOC)
    return first, second


def test_a_caseload_over_the_limit_is_warned_about_in_the_completion_event(factory, p) -> None:
    admin.update_staff(factory.core, factory.admin, "fsw1", {"caseload_limit": 1})
    first, second = allocate_twice(factory, p)
    factory.complete(p["ps1"], second, "allocate_lead_practitioner", ALLOC)
    [done] = [e for e in events(factory, second, "task_completed") if e.data["step"] == "allocate_lead_practitioner"]
    assert done.data["caseload"] == {"username": "fsw1", "held": 1, "limit": 1}
    assert "fsw1 holds 1 cases" in done.data["caseload_warning"]
    [earlier] = [e for e in events(factory, first, "task_completed") if e.data["step"] == "allocate_lead_practitioner"]
    assert "caseload_warning" not in earlier.data


def test_a_caseload_limit_the_protocol_enforces_refuses_the_allocation(factory, p) -> None:
    publish(factory, caseload_mode="enforce", caseload_limits={"family_support_worker": 1})
    _, second = allocate_twice(factory, p)
    with pytest.raises(NotEligible) as refused:
        factory.complete(p["ps1"], second, "allocate_lead_practitioner", ALLOC)
    assert refused.value.errors == {"lead_practitioner": ["fsw1 is at their caseload limit (1)"]}
    factory.complete(p["ps1"], second, "allocate_lead_practitioner", {**ALLOC, "lead_practitioner": "sw1"})


def test_a_registration_that_lapses_stops_child_protection_work_at_once(factory, p) -> None:
    case_id = at_icpc_scheduling(factory, p)
    cases.raise_case_event(factory.core, p["ps1"], case_id, "child_protection_concern", {"reason": "New injury."})
    admin.update_staff(factory.core, factory.admin, "lcpp1", {"swe_registration": EXPIRED})
    task = factory.open_task(case_id, "strategy_discussion")
    with pytest.raises(CasepathError) as refused:
        tasks.claim_task(factory.core, p["lcpp1"], task["id"])
    assert refused.value.code == "not_qualified"
    assert "registration" in refused.value.detail


def test_candidates_give_every_casework_colleague_the_answer_a_claim_would(factory, p) -> None:
    task = factory.open_task(assessed(factory, p, lead="ps2"), "approve_assessment")
    found = {c["username"]: c for c in tasks.candidates(factory.core, p["ps1"], task["id"])}
    assert "admin" not in found and "rev" not in found
    assert {name for name, c in found.items() if c["allowed"]} == {"boss", "ps1", "ps_west"}
    assert found["ps2"]["code"] == "four_eyes" and found["fsw1"]["code"] == "not_qualified"
    for name, candidate in found.items():
        if not candidate["allowed"]:
            assert code_of(tasks.claim_task, factory.core, p[name], task["id"]) == candidate["code"], name
            assert candidate["reason"]


def test_only_supervisors_who_can_see_the_case_reviewers_and_admins_ask_for_candidates(factory, p) -> None:
    task = factory.open_task(assessed(factory, p), "approve_assessment")
    with pytest.raises(Forbidden):
        tasks.candidates(factory.core, p["fsw1"], task["id"])
    with pytest.raises(NotFound):
        tasks.candidates(factory.core, p["ps_west"], task["id"])
    assert tasks.candidates(factory.core, p["rev"], task["id"])


def test_the_available_and_team_inboxes_list_only_tasks_the_person_may_take(factory, p) -> None:
    case_id = factory.create_referral(p["fd"])
    factory.complete(p["fd"], case_id, "referral_decision", DECIDE_ASSESS)
    factory.complete(p["ps1"], case_id, "allocate_lead_practitioner", ALLOC)
    task = factory.open_task(case_id, "child_and_family_assessment")
    tasks.unclaim_task(factory.core, p["ps1"], task["id"])

    def listed(who: str, view: str) -> bool:
        listed, _ = inbox.list_inbox(factory.core, p[who], inbox.InboxFilter(view=view), 200)
        return task["id"] in {t["id"] for t in listed}

    assert listed("sw1", "available") and listed("fsw1", "available") and listed("fsw1", "team")
    assert not listed("fsw_new", "available") and not listed("fsw_new", "team")
    assert not listed("bs1", "available") and not listed("chair1", "available")


def test_a_refused_claim_says_why_to_someone_who_cannot_see_the_case_and_nothing_else(factory, p) -> None:
    case_id = at_icpc_scheduling(factory, p)
    cases.raise_case_event(factory.core, p["ps1"], case_id, "child_protection_concern", {"reason": "New injury."})
    outsider = factory.create_staff("yw1", ["lead_practitioner"], profession="youth_worker", team="west")
    task = factory.open_task(case_id, "strategy_discussion")
    with pytest.raises(CasepathError) as refused:
        tasks.claim_task(factory.core, outsider, task["id"])
    assert refused.value.code == "not_qualified"
    assert not {"sw1", "ps1", "Child", case_id} & set(refused.value.detail.replace(".", " ").split())
    with pytest.raises(NotFound):
        cases.get_case(factory.core, outsider, case_id)


def test_an_already_claimed_task_does_not_name_its_holder_to_someone_who_cannot_see_the_case(factory, p) -> None:
    case_id = at_icpc_scheduling(factory, p)
    cases.raise_case_event(factory.core, p["ps1"], case_id, "child_protection_concern", {"reason": "New injury."})
    task = factory.open_task(case_id, "strategy_discussion")
    tasks.claim_task(factory.core, p["lcpp1"], task["id"])
    stranger = factory.create_staff("sw_west", ["social_worker"], team="west")
    with pytest.raises(CasepathError) as refused:
        tasks.claim_task(factory.core, stranger, task["id"])
    assert refused.value.code == "already_claimed" and "lcpp1" not in refused.value.detail
    with pytest.raises(CasepathError) as told:
        tasks.claim_task(factory.core, p["sw1"], task["id"])
    assert "lcpp1" in told.value.detail


def test_claim_unclaim_and_reassignment_are_each_an_event_with_actor_and_reason(factory, p) -> None:
    case_id = factory.create_referral(p["fd"])
    task = factory.open_task(case_id, "referral_decision")
    tasks.claim_task(factory.core, p["fd"], task["id"])
    tasks.unclaim_task(factory.core, p["fd"], task["id"])
    duty = factory.create_staff("ps_fd", ["practice_supervisor", "social_worker"], team="front door")
    assert code_of(tasks.assign_task, factory.core, p["fsw1"], task["id"], "ps1", "Cover.") == "forbidden"
    assert code_of(tasks.assign_task, factory.core, duty, task["id"], "fsw1", "Cover.") == "not_qualified"
    tasks.assign_task(factory.core, duty, task["id"], "ps2", "Front door short-staffed.")
    claimed, released = events(factory, case_id, "task_claimed"), events(factory, case_id, "task_unclaimed")
    [assigned] = events(factory, case_id, "task_assigned")
    assert [(e.actor, e.data["assignee"]) for e in claimed] == [("fd", "fd")]
    assert [(e.actor, e.data["previous"]) for e in released] == [("fd", "fd")]
    assert (assigned.actor, assigned.data["assignee"], assigned.data["reason"]) == (
        "ps_fd",
        "ps2",
        "Front door short-staffed.",
    )


def test_a_supervisor_who_cannot_see_the_case_cannot_reassign_its_tasks(factory, p) -> None:
    task = factory.open_task(assessed(factory, p), "approve_assessment")
    assert code_of(tasks.assign_task, factory.core, p["ps_west"], task["id"], "ps2", "Cover.") == "not_found"
    assert code_of(tasks.unclaim_task, factory.core, p["ps_west"], task["id"]) == "not_found"
