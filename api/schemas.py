"""marshmallow schemas for API bodies, queries and answers (the OpenAPI document is built from them)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from casepath.domain import codes
from casepath.domain.people import ROLES

USERNAME = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="Enter a username of letters, numbers, dots, dashes or underscores."
)
TEXT = validate.Length(max=10_000)
SHORT = validate.Length(min=1, max=200)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Registration(Strict):
    number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    expires_on = fields.Date(required=True)


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
    now = fields.AwareDateTime(required=True)


class ClockOut(Schema):
    now = fields.String()
    test_clock = fields.Boolean()
    fired = fields.Integer()


class ChildIn(Strict):
    first_name = fields.String(required=True, validate=SHORT)
    last_name = fields.String(required=True, validate=SHORT)
    date_of_birth = fields.Date(load_default=None, allow_none=True)
    expected_date_of_birth = fields.Date(load_default=None, allow_none=True)
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
    received_at = fields.AwareDateTime(load_default=None, allow_none=True)
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


class CaseOut(Schema):
    id = fields.String()
    child = fields.Dict()
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


class InboxQuery(Strict):
    view = fields.String(load_default="mine", validate=validate.OneOf(["mine", "available", "overdue", "team"]))
    step = fields.String(load_default=None, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class CaseTasksQuery(Strict):
    state = fields.String(load_default=None, validate=validate.OneOf(["ready", "claimed", "completed", "cancelled"]))


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
