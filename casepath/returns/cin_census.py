"""The DfE Children in Need census return (XML), built from the event record.

Element names and order follow the CIN census specification (`shared/domain/cin-census.md`); the
return has no namespace. Children are serialised one at a time, so `iter_cin_census` can stream a
return of any size and `build_cin_census` only joins the pieces.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata

from casepath.domain.calendar import WorkingDayCalendar
from casepath.returns.episodes import Assessment, CaseRecord, CpPlan, Episode, Section47, build_child_episodes
from casepath.returns.period import CollectionPeriod

SOFTWARE_CODE = "Casepath"
# The 2024 code set's 1/2/0/9 became M/F/U from 2024-25 (DfE rule 4180).
_LEGACY_SEX_CODES = {"1": "M", "2": "F", "0": "U", "9": "U"}
_INDENT = "  "


def _casepath_version() -> str:
    try:
        return metadata.version("casepath")
    except metadata.PackageNotFoundError:
        return "0.0.0"


CASEPATH_VERSION = _casepath_version()


@dataclass(frozen=True, slots=True)
class CensusChild:
    """What the census needs to know about one child, and all of the child's cases.

    `la_child_id` must be at most 20 letters and digits (DfE rules 1570, 1580). `sex` is M, F or
    U. Give `date_of_birth`, or `expected_date_of_birth` for an unborn child.
    """

    child_id: str
    la_child_id: str
    sex: str
    ethnicity: str
    disabilities: Sequence[str]
    cases: Sequence[CaseRecord]
    date_of_birth: date | None = None
    expected_date_of_birth: date | None = None
    upn: str | None = None
    upn_unknown: str | None = None
    former_upn: str | None = None
    date_of_death: date | None = None


def build_cin_census(
    *,
    la_code: str,
    year: int,
    children: Iterable[CensusChild],
    generated_at: datetime,
    serial_no: int = 1,
    software: str = SOFTWARE_CODE,
    release: str = CASEPATH_VERSION,
    calendar: WorkingDayCalendar | None = None,
) -> bytes:
    """The CIN census return for collection year `year` (ReferenceDate 31 March `year`), as UTF-8 XML.

    Every child with an episode open at any time in the year is included; episodes closed before
    1 April are left out and anything dated after the reference date is ignored.
    """
    return b"".join(
        iter_cin_census(
            la_code=la_code,
            year=year,
            children=children,
            generated_at=generated_at,
            serial_no=serial_no,
            software=software,
            release=release,
            calendar=calendar,
        )
    )


def iter_cin_census(
    *,
    la_code: str,
    year: int,
    children: Iterable[CensusChild],
    generated_at: datetime,
    serial_no: int = 1,
    software: str = SOFTWARE_CODE,
    release: str = CASEPATH_VERSION,
    calendar: WorkingDayCalendar | None = None,
) -> Iterator[bytes]:
    """The return of `build_cin_census` in pieces, one child at a time, for streaming responses."""
    period = CollectionPeriod.for_year(year)
    calendar = calendar or WorkingDayCalendar()
    header = _header(la_code, year, period, generated_at, serial_no, software, release)
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n'
    yield _serialise(header, level=1)
    yield f"{_INDENT}<Children>\n".encode()
    for child in children:
        element = child_element(child, period, calendar)
        if element is not None:
            yield _serialise(element, level=2)
    yield f"{_INDENT}</Children>\n</Message>\n".encode()


def child_element(child: CensusChild, period: CollectionPeriod, calendar: WorkingDayCalendar) -> ET.Element | None:
    """The <Child> element of one child, or None when none of the child's episodes is in the year."""
    episodes = [e for e in map(period.clip, build_child_episodes(child.cases, calendar=calendar)) if e]
    if not episodes:
        return None
    element = ET.Element("Child")
    element.append(_identifiers(child, episodes, period))
    element.append(_characteristics(child))
    for episode in episodes:
        element.append(_cin_details(episode))
    return element


def _serialise(element: ET.Element, *, level: int) -> bytes:
    ET.indent(element, space=_INDENT, level=level)
    # Serialising to text and encoding once is several times faster than encoding="utf-8".
    text: str = ET.tostring(element, encoding="unicode")
    return f"{_INDENT * level}{text}\n".encode()


def _add(parent: ET.Element, tag: str, value: str | date | int | bool | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = value.isoformat() if isinstance(value, date) else str(value)
    return element


def _header(
    la_code: str,
    year: int,
    period: CollectionPeriod,
    generated_at: datetime,
    serial_no: int,
    software: str,
    release: str,
) -> ET.Element:
    header = ET.Element("Header")
    details = _add(header, "CollectionDetails")
    _add(details, "Collection", "CIN")
    _add(details, "Year", year)
    _add(details, "ReferenceDate", period.reference_date)
    source = _add(header, "Source")
    _add(source, "SourceLevel", "L")
    _add(source, "LEA", la_code)
    _add(source, "SoftwareCode", software)
    _add(source, "Release", release)
    _add(source, "SerialNo", f"{serial_no:03d}")
    _add(source, "DateTime", generated_at.replace(microsecond=0).isoformat())
    return header


def _is_unborn(child: CensusChild) -> bool:
    return child.date_of_birth is None and child.expected_date_of_birth is not None


def _upn_unknown(child: CensusChild, episodes: Sequence[Episode], period: CollectionPeriod) -> str | None:
    if child.upn_unknown:
        return child.upn_unknown
    # UN1: not of school age (unborn, or born after 31 August six years before the reference
    # date, the cut-off DfE rule 8770Q uses); UN7: every referral ended in no further action.
    school_age_cutoff = date(period.reference_date.year - 6, 8, 31)
    if child.date_of_birth is None or child.date_of_birth > school_age_cutoff:
        return "UN1"
    if all(episode.referral_nfa for episode in episodes):
        return "UN7"
    return None


def _identifiers(child: CensusChild, episodes: Sequence[Episode], period: CollectionPeriod) -> ET.Element:
    element = ET.Element("ChildIdentifiers")
    _add(element, "LAchildID", child.la_child_id)
    if child.upn:
        _add(element, "UPN", child.upn)
    if child.former_upn:
        _add(element, "FormerUPN", child.former_upn)
    if not child.upn and (reason := _upn_unknown(child, episodes, period)):
        _add(element, "UPNunknown", reason)
    if child.date_of_birth is not None:
        _add(element, "PersonBirthDate", child.date_of_birth)
    elif child.expected_date_of_birth is not None:
        _add(element, "ExpectedPersonBirthDate", child.expected_date_of_birth)
    # DfE rule 8750: an unborn child's sex is U.
    _add(element, "Sex", "U" if _is_unborn(child) else _LEGACY_SEX_CODES.get(child.sex, child.sex))
    if child.date_of_death is not None:
        _add(element, "PersonDeathDate", child.date_of_death)
    return element


def _characteristics(child: CensusChild) -> ET.Element:
    element = ET.Element("ChildCharacteristics")
    _add(element, "Ethnicity", child.ethnicity)
    if child.disabilities:
        disabilities = _add(element, "Disabilities")
        for code in dict.fromkeys(child.disabilities):  # DfE rule 8794: each code once
            _add(disabilities, "Disability", code)
    return element


def _cin_details(episode: Episode) -> ET.Element:
    element = ET.Element("CINdetails")
    _add(element, "CINreferralDate", episode.referral_on)
    if episode.source:
        _add(element, "ReferralSource", episode.source)
    if episode.primary_need:
        _add(element, "PrimaryNeedCode", episode.primary_need)
    if episode.closed_on is not None:
        _add(element, "CINclosureDate", episode.closed_on)
        _add(element, "ReasonForClosure", episode.closure_reason)
    if episode.initial_cpc_on is not None:
        _add(element, "DateOfInitialCPC", episode.initial_cpc_on)
    for assessment in episode.assessments:
        element.append(_assessment(assessment))
    for plan in episode.cin_plans:
        dates = _add(element, "CINPlanDates")
        _add(dates, "CINPlanStartDate", plan.starts_on)
        if plan.ends_on is not None:
            _add(dates, "CINPlanEndDate", plan.ends_on)
    for enquiry in episode.section47s:
        element.append(_section47(enquiry))
    _add(element, "ReferralNFA", episode.referral_nfa)
    for cp_plan in episode.cp_plans:
        element.append(_cp_plan(cp_plan))
    return element


def _assessment(assessment: Assessment) -> ET.Element:
    element = ET.Element("Assessments")
    _add(element, "AssessmentActualStartDate", assessment.started_on)
    if assessment.authorised_on is not None:
        _add(element, "AssessmentAuthorisationDate", assessment.authorised_on)
        if assessment.factors:
            factors = _add(element, "FactorsIdentifiedAtAssessment")
            for code in dict.fromkeys(assessment.factors):  # DfE rule 8898: each factor once
                _add(factors, "AssessmentFactors", code)
    return element


def _section47(enquiry: Section47) -> ET.Element:
    element = ET.Element("Section47")
    _add(element, "S47ActualStartDate", enquiry.started_on)
    _add(element, "InitialCPCtarget", enquiry.icpc_target)
    if enquiry.icpc_on is not None:
        _add(element, "DateOfInitialCPC", enquiry.icpc_on)
    _add(element, "ICPCnotRequired", enquiry.icpc_not_required)
    return element


def _cp_plan(plan: CpPlan) -> ET.Element:
    element = ET.Element("ChildProtectionPlans")
    _add(element, "CPPstartDate", plan.starts_on)
    if plan.ends_on is not None:
        _add(element, "CPPendDate", plan.ends_on)
    _add(element, "InitialCategoryOfAbuse", plan.initial_category)
    _add(element, "LatestCategoryOfAbuse", plan.latest_category)
    _add(element, "NumberOfPreviousCPP", plan.previous_plans)
    if plan.review_dates:
        reviews = _add(element, "Reviews")
        for day in plan.review_dates:
            _add(reviews, "CPPreviewDate", day)
    return element
