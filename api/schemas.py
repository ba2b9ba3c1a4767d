"""marshmallow schemas for API bodies, queries and answers (the OpenAPI document is built from them)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from marshmallow import RAISE, Schema, fields, validate

from casepath.domain import codes
from casepath.domain.people import ROLES

USERNAME = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="Enter a username of letters, numbers, dots, dashes or underscores."
)
TEXT = validate.Length(max=10_000)
SHORT = validate.Length(min=1, max=200)
IDENT = validate.Regexp(
    r"^[A-Za-z0-9_.-]{1,100}$", error="Enter an identifier of letters, numbers, dots, dashes or underscores."
)
TEAM = validate.Regexp(r"^[^\x00-\x1f\x7f]{1,100}$", error="Enter a team name of up to 100 characters.")
DATES = validate.Range(min=date(1900, 1, 1), max=date(2100, 12, 31), error="Enter a date between 1900 and 2100.")
MOMENTS = validate.Range(
    min=datetime(1900, 1, 2, tzinfo=UTC),
    max=datetime(2100, 12, 30, tzinfo=UTC),
    error="Enter a time between 1900 and 2100.",
)
PAGE_MAX = 200


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Registration(Strict):
    number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    expires_on = fields.Date(required=True, validate=DATES)


class StaffIn(Strict):
    username = fields.String(required=True, validate=USERNAME)
    name = fields.String(required=True, validate=SHORT)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLES)), required=True, validate=validate.Length(min=1, max=len(ROLES))
    )
    profession = fields.String(load_default="social_worker", validate=validate.Length(min=1, max=64))
    swe_registration = fields.Nested(Registration, allow_none=True, load_default=None)
    competencies = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), load_default=list, validate=validate.Length(max=50)
    )
    team = fields.String(load_default="", validate=validate.Length(max=100))
    line_manager = fields.String(allow_none=True, load_default=None, validate=USERNAME)
    employer = fields.String(load_default="la", validate=validate.Length(min=1, max=200))
    caseload_limit = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=500))


class StaffOut(Schema):
    username = fields.String()
    name = fields.String()
    email = fields.String()
    roles = fields.List(fields.String())
    profession = fields.String()
    registered = fields.Boolean()
    swe_registration = fields.Dict(allow_none=True)
    competencies = fields.List(fields.String())
    team = fields.String()
    line_manager = fields.String(allow_none=True)
    employer = fields.String()
    caseload_limit = fields.Integer(allow_none=True)


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.String()


class ClockIn(Strict):
    now = fields.AwareDateTime(required=True, validate=MOMENTS)


class ClockOut(Schema):
    now = fields.String()
    test_clock = fields.Boolean()
    fired = fields.Integer()


class ChildIn(Strict):
    first_name = fields.String(required=True, validate=SHORT)
    last_name = fields.String(required=True, validate=SHORT)
    date_of_birth = fields.Date(load_default=None, allow_none=True, validate=DATES)
    expected_date_of_birth = fields.Date(load_default=None, allow_none=True, validate=DATES)
    sex = fields.String(required=True, validate=validate.OneOf(["M", "F", "U"]))
    ethnicity = fields.String(required=True, validate=validate.OneOf(list(codes.ETHNICITY)))
    disabilities = fields.List(
        fields.String(validate=validate.OneOf(list(codes.DISABILITY))),
        load_default=lambda: ["NONE"],
        validate=validate.Length(min=1, max=13),
    )
    upn = fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=13))


class ReferralIn(Strict):
    child = fields.Nested(ChildIn, load_default=None, allow_none=True)
    child_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))
    received_at = fields.AwareDateTime(load_default=None, allow_none=True, validate=MOMENTS)
    source = fields.String(required=True, validate=validate.OneOf(list(codes.REFERRAL_SOURCE)))
    concerns = fields.String(load_default="", validate=TEXT)


class ReferralOut(Schema):
    case_id = fields.String()
    child_id = fields.String()


class TaskOut(Schema):
    id = fields.String()
    case_id = fields.String()
    step = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    state = fields.String()
    assignee = fields.String(allow_none=True)
    due_on = fields.String(allow_none=True)
    rule = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    completed_by = fields.String(allow_none=True)
    completed_at = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)
    overdue_step = fields.String(allow_none=True)


class TaskDetailOut(TaskOut):
    form = fields.Dict()
    data = fields.Dict()
    draft = fields.Dict(allow_none=True)


class ClockRow(Schema):
    rule = fields.String()
    started_on = fields.String(allow_none=True)
    due_on = fields.String(allow_none=True)
    met_on = fields.String(allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True)


class ChildRecord(Schema):
    id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    date_of_birth = fields.String(allow_none=True)
    expected_date_of_birth = fields.String(allow_none=True)
    sex = fields.String()
    ethnicity = fields.String()
    disabilities = fields.List(fields.String())
    upn = fields.String(allow_none=True)


class CaseOut(Schema):
    id = fields.String()
    child = fields.Nested(ChildRecord)
    status = fields.String()
    phase = fields.String()
    lead_practitioner = fields.String(allow_none=True)
    lead_social_worker = fields.String(allow_none=True)
    supervisor = fields.String(allow_none=True)
    chair = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    received_at = fields.String(allow_none=True)
    closed_on = fields.String(allow_none=True)
    closure_reason = fields.String(allow_none=True)
    incident = fields.String(allow_none=True)
    version = fields.Integer()
    tasks = fields.List(fields.Nested(TaskOut))
    clocks = fields.List(fields.Nested(ClockRow))


class CompleteIn(Strict):
    data = fields.Dict(required=True)


class CompleteOut(Schema):
    task = fields.Nested(TaskOut)
    case = fields.Nested(CaseOut)


class DraftIn(Strict):
    data = fields.Dict(required=True)


class AssignIn(Strict):
    assignee = fields.String(required=True, validate=USERNAME)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CaseEventIn(Strict):
    name = fields.String(required=True, validate=validate.OneOf(["child_protection_concern", "pre_proceedings"]))
    data = fields.Dict(load_default=dict)


class CaseEventOut(Schema):
    case = fields.Nested(CaseOut)


TASK_STATES = ["ready", "claimed", "completed", "cancelled"]


class PageQuery(Strict):
    limit = fields.Integer(
        load_default=50, validate=validate.Range(min=1, max=PAGE_MAX), metadata={"description": "Page size (max 200)"}
    )
    offset = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=1_000_000), metadata={"description": "Items to skip"}
    )


class InboxQuery(PageQuery):
    view = fields.String(load_default="mine", validate=validate.OneOf(["mine", "available", "overdue", "team"]))
    step = fields.String(load_default=None, validate=IDENT)
    role = fields.String(load_default=None, validate=IDENT)
    state = fields.String(load_default=None, validate=validate.OneOf(TASK_STATES))
    overdue = fields.Boolean(load_default=None)
    team = fields.String(load_default=None, validate=TEAM)
    due_from = fields.Date(load_default=None, validate=DATES)
    due_to = fields.Date(load_default=None, validate=DATES)


class CaseTasksQuery(PageQuery):
    state = fields.String(load_default=None, validate=validate.OneOf(TASK_STATES))
    limit = fields.Integer(load_default=PAGE_MAX, validate=validate.Range(min=1, max=PAGE_MAX))


class EventsQuery(PageQuery):
    limit = fields.Integer(load_default=PAGE_MAX, validate=validate.Range(min=1, max=PAGE_MAX))


class StaffQuery(PageQuery):
    team = fields.String(load_default=None, validate=TEAM)
    limit = fields.Integer(load_default=PAGE_MAX, validate=validate.Range(min=1, max=PAGE_MAX))


class CaseListQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(["open", "closed"]))
    phase = fields.String(load_default=None, validate=IDENT)
    team = fields.String(load_default=None, validate=TEAM)
    received_from = fields.Date(load_default=None, validate=DATES)
    received_to = fields.Date(load_default=None, validate=DATES)


class RuleRow(Schema):
    rule = fields.String()
    status = fields.String()
    due_on = fields.String(allow_none=True)
    met_on = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    detail = fields.String()


class ConformanceOut(Schema):
    case_id = fields.String()
    rules = fields.List(fields.Nested(RuleRow))


class CensusQuery(Strict):
    year = fields.Integer(required=True, validate=validate.Range(min=2010, max=2100))


class EventOut(Schema):
    seq = fields.Integer()
    name = fields.String()
    at = fields.String()
    actor = fields.String(allow_none=True)
    data = fields.Dict()
    hash = fields.String()


class ChildSummary(Schema):
    id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    date_of_birth = fields.String(allow_none=True)
    expected_date_of_birth = fields.String(allow_none=True)


class CaseSummaryOut(Schema):
    id = fields.String()
    child = fields.Nested(ChildSummary)
    status = fields.String()
    phase = fields.String()
    team = fields.String(allow_none=True)
    lead_practitioner = fields.String(allow_none=True)
    received_at = fields.String(allow_none=True)
    closed_on = fields.String(allow_none=True)
    closure_reason = fields.String(allow_none=True)
    version = fields.Integer()


class ChildOut(ChildRecord):
    episodes = fields.List(fields.Nested(CaseSummaryOut))


class VersionOut(Schema):
    version = fields.Integer()
    hash = fields.String()
    published_by = fields.String()
    published_at = fields.String()
    note = fields.String()
    diagrams = fields.List(fields.String())
    forms = fields.List(fields.String())


class UserTaskOut(Schema):
    step = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    form_key = fields.String()
    timed = fields.Boolean()


class ProcessOut(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    start_message = fields.String(allow_none=True)
    user_tasks = fields.List(fields.Nested(UserTaskOut))


class VersionDetailOut(VersionOut):
    processes = fields.List(fields.Nested(ProcessOut))
