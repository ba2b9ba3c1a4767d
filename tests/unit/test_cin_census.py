"""The CIN census return built from event records shaped as the services record them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import pytest

from casepath.domain.calendar import LONDON
from casepath.domain.events import Event
from casepath.domain.upn import check_letter, make_upn, upn_is_valid
from casepath.returns import CaseRecord, CensusChild, build_cin_census, build_episode

GENERATED_AT = datetime(2026, 4, 20, 9, 30, tzinfo=LONDON)


@dataclass
class CaseEvents:
    """A case's event record, written the way the services write it."""

    case_id: str
    events: list[Event] = field(default_factory=list)

    def add(self, name: str, on: str, **data: Any) -> CaseEvents:
        moment = datetime.combine(date.fromisoformat(on[:10]), time(12), tzinfo=LONDON)
        self.events.append(Event(seq=len(self.events) + 1, name=name, at=moment, actor="staff", data=data))
        return self

    def complete(self, step: str, on: str, **form: Any) -> CaseEvents:
        task_id = f"{self.case_id}-{len(self.events)}"
        self.add("task_created", on, task_id=task_id, step=step, role=None, assignee=None, due_on=None, rule=None)
        return self.add(
            "task_completed", on, task_id=task_id, step=step, data=form, completed_on=on,
            due_on=None, rule=None, late=False, delay_reason=None, author=None, actor_profile={},
        )  # fmt: skip

    def close(self, on: str, reason: str) -> CaseEvents:
        return self.add("case_closed", on, closed_on=on, reason=reason)

    def record(self) -> CaseRecord:
        return CaseRecord(self.case_id, list(self.events))


def create_case(case_id: str, received_at: str, source: str = "2A") -> CaseEvents:
    moment = datetime.fromisoformat(received_at)
    received_on = moment.astimezone(LONDON).date().isoformat()
    case = CaseEvents(case_id)
    case.add("case_opened", received_at, child_id=f"child-{case_id}", received_at=received_at,
             received_on=received_on, source=source, concerns="...")  # fmt: skip
    return case


def create_child(*cases: CaseEvents, **overrides: Any) -> CensusChild:
    fields: dict[str, Any] = {
        "child_id": "c1", "la_child_id": "C1", "sex": "F", "ethnicity": "WBRI", "disabilities": ["NONE"],
        "date_of_birth": date(2016, 5, 3), "upn": "R201250000001",
    }  # fmt: skip
    fields.update(overrides)
    return CensusChild(cases=[case.record() for case in cases], **fields)


def census(*children: CensusChild, year: int = 2026) -> str:
    return build_cin_census(la_code="201", year=year, children=children, generated_at=GENERATED_AT).decode()


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml.encode())


def nfa_referral(case_id: str = "mia", decision: str = "nfa") -> CaseEvents:
    form: dict[str, Any] = {"decision": decision, "rationale": "Settled.", "referrer_informed": True}
    if decision == "early_help":
        form["primary_need"] = "N8"
    case = create_case(case_id, "2025-12-24T16:30:00+00:00", source="1A")
    return case.complete("referral_decision", "2025-12-30", **form).close("2025-12-30", "RC7")


def s17_assessment(
    case_id: str, received_at: str, *, started_on: str, submitted_on: str, recommendation: str
) -> CaseEvents:
    day = received_at[:10]
    case = create_case(case_id, received_at)
    case.complete(
        "referral_decision", day, decision="assessment", primary_need="N4", rationale="r", referrer_informed=True
    )
    case.complete("allocate_lead_practitioner", day, lead_practitioner="fsw1", practitioner_agreed=True, rationale="r")
    return case.complete("child_and_family_assessment", submitted_on, started_on=started_on, factors=["4B"],
                         summary="s", recommendation=recommendation)  # fmt: skip


def ava() -> CaseEvents:
    case = s17_assessment(
        "ava",
        "2025-04-17T10:15:00+01:00",
        started_on="2025-04-23",
        submitted_on="2025-05-30",
        recommendation="cin_plan",
    )
    case.complete("approve_assessment", "2025-06-02", approved=True, outcome="cin_plan", comments="Agreed.")
    case.complete("draft_cin_plan", "2025-06-04", plan_summary="p", actions=["a"])
    case.complete("approve_cin_plan", "2025-06-05", approved=True, starts_on="2025-06-05")
    case.complete("cin_review", "2025-09-01", held_on="2025-09-01", summary="s", outcome="continue")
    case.complete("cin_review", "2025-11-28", held_on="2025-11-28", summary="s", outcome="close")
    case.complete("close_case", "2025-12-01", reason="RC7", closed_on="2025-12-01", rationale="r")
    return case.close("2025-12-01", "RC7")


def zoe(outcome: str = "nfa") -> CaseEvents:
    case = create_case("zoe", "2025-08-22T12:00:00+01:00", source="3A")
    case.complete("referral_decision", "2025-08-26", decision="assessment", primary_need="N3", rationale="r",
                  referrer_informed=True)  # fmt: skip
    case.complete("allocate_lead_practitioner", "2025-08-26", lead_practitioner="ps2", practitioner_agreed=True)
    form = {"started_on": "2025-08-27", "factors": ["7A", "6B"], "summary": "s", "recommendation": outcome}
    case.complete("child_and_family_assessment", "2025-09-19", **form)
    case.complete("approve_assessment", "2025-09-22", approved=False, comments="Record the carer's assessment.")
    case.complete("child_and_family_assessment", "2025-09-23", **form)
    case.complete("approve_assessment", "2025-09-24", approved=True, outcome=outcome)
    return case.close("2025-09-24", {"nfa": "RC8", "early_help": "RC9"}[outcome])


def leo() -> CaseEvents:
    case = create_case("leo", "2025-06-06T14:00:00+01:00", source="6")
    case.complete("referral_decision", "2025-06-09", decision="strategy_discussion", primary_need="N1", rationale="r",
                  referrer_informed=True)  # fmt: skip
    case.complete("strategy_discussion", "2025-06-10", held_on="2025-06-10", participants=[], decision="s47",
                  lead_social_worker="sw1")  # fmt: skip
    case.complete("section47_enquiry", "2025-06-20", started_on="2025-06-10", factors=["3A", "18C"], findings="f",
                  recommendation="icpc")  # fmt: skip
    case.complete("approve_section47", "2025-06-23", approved=True, outcome="icpc")
    case.complete("schedule_icpc", "2025-06-23", conference_date="2025-06-27", chair="chair1")
    case.complete("hold_icpc", "2025-06-27", held_on="2025-06-27", decision="cp_plan", category_of_abuse="PHY",
                  lead_social_worker="sw1", core_group=[])  # fmt: skip
    case.complete("core_group_meeting", "2025-07-08", held_on="2025-07-08", summary="s")
    case.complete("review_conference", "2025-09-22", held_on="2025-09-22", decision="continue",
                  latest_category_of_abuse="PHY")  # fmt: skip
    case.complete("review_conference", "2026-03-10", held_on="2026-03-10", decision="end_plan",
                  latest_category_of_abuse="PHY", next="cin_plan")  # fmt: skip
    case.complete("draft_cin_plan", "2026-03-11", plan_summary="p", actions=["IDVA support"])
    return case.complete("approve_cin_plan", "2026-03-12", approved=True, starts_on="2026-03-12")


def texts(element: ET.Element, path: str) -> list[str]:
    return [found.text or "" for found in element.iterfind(path)]


def test_the_scenario_upns_have_the_right_check_letter() -> None:
    for upn in ["R201250000001", "F201250000002", "V201250000003", "J201250000004", "Y201250000005"]:
        assert upn_is_valid(upn), upn


def test_a_upn_with_a_wrong_check_letter_or_shape_is_invalid() -> None:
    assert not upn_is_valid("A201250000001")
    assert not upn_is_valid("R20125000000")
    assert not upn_is_valid("R20125000000A")
    assert not upn_is_valid("r201250000001")
    assert not upn_is_valid("R２01250000001")


def test_make_upn_makes_valid_upns_for_the_la() -> None:
    upns = {make_upn("201", serial) for serial in range(500)}
    assert len(upns) == 500
    assert all(upn_is_valid(upn) and upn[1:4] == "201" for upn in upns)
    assert check_letter("201250000001") == "R"
    with pytest.raises(ValueError):
        make_upn("20", 1)


def test_the_return_has_a_declaration_no_namespace_and_the_header_of_the_collection() -> None:
    xml = census(create_child(ava()))
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Message>')
    root = parse(xml)
    assert root.tag == "Message" and "xmlns" not in xml
    assert texts(root, "Header/CollectionDetails/*") == ["CIN", "2026", "2026-03-31"]
    source = root.find("Header/Source")
    assert source is not None
    assert [e.tag for e in source] == ["SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime"]
    assert texts(source, "LEA") == ["201"] and texts(source, "SerialNo") == ["001"]
    assert texts(source, "DateTime") == ["2026-04-20T09:30:00+01:00"]


def test_a_referral_closed_with_no_further_action_is_an_nfa_referral_closed_rc7() -> None:
    xml = census(create_child(nfa_referral(), upn="V201250000003"))
    details = parse(xml).find("Children/Child/CINdetails")
    assert details is not None
    assert [e.tag for e in details] == [
        "CINreferralDate", "ReferralSource", "CINclosureDate", "ReasonForClosure", "ReferralNFA",
    ]  # fmt: skip
    assert "<CINreferralDate>2025-12-24</CINreferralDate>" in xml
    assert "<CINclosureDate>2025-12-30</CINclosureDate>" in xml
    assert "<ReasonForClosure>RC7</ReasonForClosure>" in xml
    assert "<ReferralNFA>true</ReferralNFA>" in xml


def test_an_early_help_referral_is_an_nfa_referral_that_keeps_its_primary_need() -> None:
    xml = census(create_child(nfa_referral("noah", "early_help")))
    assert "<ReferralNFA>true</ReferralNFA>" in xml
    assert "<PrimaryNeedCode>N8</PrimaryNeedCode>" in xml
    assert "<Assessments>" not in xml


def test_an_s17_assessment_and_cin_plan_closed_rc7_are_returned_as_the_scenario_expects() -> None:
    xml = census(create_child(ava()))
    for expected in [
        "<CINreferralDate>2025-04-17</CINreferralDate>",
        "<AssessmentAuthorisationDate>2025-06-02</AssessmentAuthorisationDate>",
        "<CINPlanStartDate>2025-06-05</CINPlanStartDate>", "<ReasonForClosure>RC7</ReasonForClosure>",
        "<AssessmentActualStartDate>2025-04-23</AssessmentActualStartDate>",
        "<CINPlanEndDate>2025-12-01</CINPlanEndDate>",
        "<CINclosureDate>2025-12-01</CINclosureDate>", "<PrimaryNeedCode>N4</PrimaryNeedCode>",
        "<ReferralSource>2A</ReferralSource>", "<AssessmentFactors>4B</AssessmentFactors>",
        "<ReferralNFA>false</ReferralNFA>",
    ]:  # fmt: skip
        assert expected in xml


def test_an_assessment_approved_with_no_further_action_closes_the_episode_rc8_on_the_approval_date() -> None:
    xml = census(create_child(zoe("nfa"), upn="Y201250000005", disabilities=["LD"]))
    details = parse(xml).find("Children/Child/CINdetails")
    assert details is not None
    assert texts(details, "Assessments/AssessmentActualStartDate") == ["2025-08-27"]
    assert texts(details, "Assessments/AssessmentAuthorisationDate") == ["2025-09-24"]
    assert texts(details, "Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors") == ["7A", "6B"]
    assert texts(details, "CINclosureDate") == ["2025-09-24"]
    assert texts(details, "ReasonForClosure") == ["RC8"]


def test_an_assessment_approved_with_early_help_closes_the_episode_rc9() -> None:
    assert "<ReasonForClosure>RC9</ReasonForClosure>" in census(create_child(zoe("early_help")))


def test_the_child_protection_pathway_returns_the_enquiry_conference_plan_reviews_and_step_down() -> None:
    xml = census(create_child(leo(), sex="M", upn="F201250000002"))
    for expected in [
        "<S47ActualStartDate>2025-06-10</S47ActualStartDate>", "<DateOfInitialCPC>2025-06-27</DateOfInitialCPC>",
        "<CPPstartDate>2025-06-27</CPPstartDate>", "<CPPreviewDate>2025-09-22</CPPreviewDate>",
        "<CPPendDate>2026-03-10</CPPendDate>", "<CINPlanStartDate>2026-03-12</CINPlanStartDate>",
        "<AssessmentAuthorisationDate>2025-06-23</AssessmentAuthorisationDate>",
    ]:  # fmt: skip
        assert expected in xml
    details = parse(xml).find("Children/Child/CINdetails")
    assert details is not None
    assert texts(details, "Section47/InitialCPCtarget") == ["2025-07-01"]  # 15 working days after 10 June
    assert texts(details, "Section47/ICPCnotRequired") == ["false"]
    assert texts(details, "DateOfInitialCPC") == []  # recorded once, in the Section47 (DfE rule 2884)
    assert texts(details, "ChildProtectionPlans/Reviews/CPPreviewDate") == ["2025-09-22", "2026-03-10"]
    assert texts(details, "ChildProtectionPlans/NumberOfPreviousCPP") == ["0"]
    assert texts(details, "ChildProtectionPlans/InitialCategoryOfAbuse") == ["PHY"]
    assert texts(details, "CINPlanDates/CINPlanEndDate") == [] and texts(details, "CINclosureDate") == []


def test_a_section_47_continues_the_open_s17_assessment_as_one_assessment() -> None:
    case = s17_assessment(
        "sam", "2025-05-01T10:00:00+01:00", started_on="2025-05-01", submitted_on="2025-05-15",
        recommendation="strategy_discussion",
    )  # fmt: skip
    case.complete("strategy_discussion", "2025-05-20", held_on="2025-05-20", decision="s47", lead_social_worker="sw")
    case.complete("section47_enquiry", "2025-05-28", started_on="2025-05-20", factors=["16A"], findings="f",
                  recommendation="cin_plan")  # fmt: skip
    case.complete("approve_section47", "2025-05-29", approved=True, outcome="cin_plan")
    details = parse(census(create_child(case))).find("Children/Child/CINdetails")
    assert details is not None
    assert texts(details, "Assessments/AssessmentActualStartDate") == ["2025-05-01"]
    assert texts(details, "Assessments/AssessmentAuthorisationDate") == ["2025-05-29"]
    assert texts(details, "Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors") == ["16A"]
    assert texts(details, "Section47/ICPCnotRequired") == ["true"]
    assert texts(details, "Section47/DateOfInitialCPC") == []


def test_an_unborn_child_has_an_expected_birth_date_sex_u_and_upn_unknown_un1() -> None:
    case = create_case("bump", "2026-01-05T10:00:00+00:00", source="3B")
    case.complete("referral_decision", "2026-01-06", decision="assessment", primary_need="N1", rationale="r")
    child = create_child(case, upn=None, date_of_birth=None, expected_date_of_birth=date(2026, 5, 1), sex="F")
    identifiers = parse(census(child)).find("Children/Child/ChildIdentifiers")
    assert identifiers is not None
    assert [(e.tag, e.text) for e in identifiers] == [
        ("LAchildID", "C1"), ("UPNunknown", "UN1"), ("ExpectedPersonBirthDate", "2026-05-01"), ("Sex", "U"),
    ]  # fmt: skip


def test_a_school_age_child_without_a_upn_referred_only_for_nfa_is_upn_unknown_un7() -> None:
    child = create_child(nfa_referral(), upn=None, date_of_birth=date(2012, 9, 30))
    assert "<UPNunknown>UN7</UPNunknown>" in census(child)


def test_a_second_episode_counts_the_cp_plan_of_the_first_as_a_previous_plan() -> None:
    first = leo()
    first.complete("close_case", "2026-03-16", reason="RC7", closed_on="2026-03-16").close("2026-03-16", "RC7")
    second = create_case("leo2", "2026-03-18T09:00:00+00:00", source="6")
    second.complete("referral_decision", "2026-03-18", decision="strategy_discussion", primary_need="N1")
    second.complete("strategy_discussion", "2026-03-18", held_on="2026-03-18", decision="s47")
    second.complete("section47_enquiry", "2026-03-20", started_on="2026-03-18", factors=["18C"], recommendation="icpc")
    second.complete("approve_section47", "2026-03-23", approved=True, outcome="icpc")
    second.complete("hold_icpc", "2026-03-27", held_on="2026-03-27", decision="cp_plan", category_of_abuse="EMO")
    child = parse(census(create_child(second, first)))  # in any order
    assert texts(child, "Children/Child/CINdetails/CINreferralDate") == ["2025-06-06", "2026-03-18"]
    assert texts(child, "Children/Child/CINdetails/ChildProtectionPlans/NumberOfPreviousCPP") == ["0", "1"]


def test_a_plan_in_an_episode_closed_before_the_year_still_counts_as_previous() -> None:
    first = leo()
    first.complete("close_case", "2026-03-16", reason="RC7", closed_on="2026-03-16").close("2026-03-16", "RC7")
    second = create_case("leo2", "2026-06-01T09:00:00+01:00", source="6")
    second.complete("strategy_discussion", "2026-06-01", held_on="2026-06-01", decision="s47")
    second.complete("hold_icpc", "2026-06-12", held_on="2026-06-12", decision="cp_plan", category_of_abuse="NEG")
    root = parse(census(create_child(first, second), year=2027))
    assert texts(root, "Children/Child/CINdetails/CINreferralDate") == ["2026-06-01"]
    assert texts(root, "Children/Child/CINdetails/ChildProtectionPlans/NumberOfPreviousCPP") == ["1"]


def test_an_episode_closed_before_the_collection_year_is_left_out() -> None:
    old = create_case("old", "2024-11-04T10:00:00+00:00")
    old.complete("referral_decision", "2024-11-05", decision="nfa").close("2024-11-05", "RC7")
    root = parse(census(create_child(old, ava())))
    assert texts(root, "Children/Child/CINdetails/CINreferralDate") == ["2025-04-17"]
    assert parse(census(create_child(old))).findall("Children/Child") == []


def test_what_happens_after_the_reference_date_is_not_in_the_return() -> None:
    case = create_case("late", "2026-02-02T10:00:00+00:00")
    case.complete("referral_decision", "2026-02-02", decision="assessment", primary_need="N5")
    case.complete("allocate_lead_practitioner", "2026-02-03", lead_practitioner="fsw1")
    case.complete("child_and_family_assessment", "2026-03-27", started_on="2026-02-04", factors=["3B"])
    case.complete("approve_assessment", "2026-04-02", approved=True, outcome="nfa").close("2026-04-02", "RC8")
    details = parse(census(create_child(case))).find("Children/Child/CINdetails")
    assert details is not None
    assert [e.tag for e in details] == [
        "CINreferralDate",
        "ReferralSource",
        "PrimaryNeedCode",
        "Assessments",
        "ReferralNFA",
    ]
    assert texts(details, "Assessments/*") == ["2026-02-04"]  # open at the reference date, so no factors


def test_a_referral_received_after_the_reference_date_is_not_returned() -> None:
    case = create_case("next", "2026-04-01T09:00:00+01:00")
    assert "<Child>" not in census(create_child(case))


def test_an_assessment_in_progress_at_year_end_starts_at_allocation_until_its_form_says_otherwise() -> None:
    case = create_case("open", "2026-03-02T10:00:00+00:00")
    case.complete("referral_decision", "2026-03-03", decision="assessment", primary_need="N4")
    case.complete("allocate_lead_practitioner", "2026-03-04", lead_practitioner="fsw1")
    episode = build_episode(case.case_id, case.events)
    assert episode is not None and episode.assessments[0].started_on == date(2026, 3, 4)
    case.complete("child_and_family_assessment", "2026-04-10", started_on="2026-03-05", factors=["21"])
    assert "<AssessmentActualStartDate>2026-03-05</AssessmentActualStartDate>" in census(create_child(case))


def test_child_elements_come_in_the_order_of_the_census_specification() -> None:
    root = parse(census(create_child(leo(), sex="M", disabilities=["HAND", "VIS", "HAND"])))
    child = root.find("Children/Child")
    assert child is not None
    assert [e.tag for e in child] == ["ChildIdentifiers", "ChildCharacteristics", "CINdetails"]
    assert [e.tag for e in child[0]] == ["LAchildID", "UPN", "PersonBirthDate", "Sex"]
    assert texts(child, "ChildCharacteristics/Disabilities/Disability") == ["HAND", "VIS"]
    assert [e.tag for e in child[2]] == [
        "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "Assessments", "CINPlanDates", "Section47",
        "ReferralNFA", "ChildProtectionPlans",
    ]  # fmt: skip
    assert [e.tag for e in child[2].iterfind("Assessments/*")] == [
        "AssessmentActualStartDate", "AssessmentAuthorisationDate", "FactorsIdentifiedAtAssessment",
    ]  # fmt: skip
    assert [e.tag for e in child[2].iterfind("Section47/*")] == [
        "S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired",
    ]  # fmt: skip
    assert [e.tag for e in child[2].iterfind("ChildProtectionPlans/*")] == [
        "CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP",
        "Reviews",
    ]  # fmt: skip


def test_the_closed_episode_elements_come_before_the_activity_in_the_specified_order() -> None:
    details = parse(census(create_child(ava()))).find("Children/Child/CINdetails")
    assert details is not None
    assert [e.tag for e in details] == [
        "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure", "Assessments",
        "CINPlanDates", "ReferralNFA",
    ]  # fmt: skip


def test_legacy_numeric_sex_codes_are_returned_as_letters() -> None:
    assert "<Sex>M</Sex>" in census(create_child(ava(), sex="1"))
