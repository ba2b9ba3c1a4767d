"""Domain errors: a stable code and a message a practitioner understands, never an HTTP status.

`api/errors.py` is the one table that maps a code to a status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class CasepathError(Exception):
    """Base of every error a person can cause. `code` is stable; `detail` says why and what to do."""

    code = "bad_request"
    title = "The request cannot be carried out"

    def __init__(self, detail: str, *, errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = {k: list(v) for k, v in (errors or {}).items()}


class BadRequest(CasepathError):
    code = "bad_request"
    title = "The request is not well formed"


class Unauthenticated(CasepathError):
    code = "unauthenticated"
    title = "Sign in needed"


class Forbidden(CasepathError):
    code = "forbidden"
    title = "You may not do this"


class NotQualified(CasepathError):
    code = "not_qualified"
    title = "This step needs a different role or qualification"


class NotIndependent(CasepathError):
    code = "not_independent"
    title = "The conference chair must be independent of the case"


class FourEyes(CasepathError):
    code = "four_eyes"
    title = "You cannot approve your own work"


class NotFound(CasepathError):
    code = "not_found"
    title = "Not found"


class AlreadyClaimed(CasepathError):
    code = "already_claimed"
    title = "Someone else has this task"


class TaskNotReady(CasepathError):
    code = "task_not_ready"
    title = "This task cannot be worked on now"


class Conflict(CasepathError):
    code = "conflict"
    title = "The case changed while you were working on it"


class FgdmRequired(CasepathError):
    code = "fgdm_required"
    title = "Family group decision-making must come first"


class InvalidForm(CasepathError):
    code = "invalid_form"
    title = "There is a problem with the information you gave"


class DelayReasonRequired(CasepathError):
    code = "delay_reason_required"
    title = "This step is late: say why"


class NotEligible(CasepathError):
    code = "not_eligible"
    title = "The person you named is not allowed to do this"


class Incident(CasepathError):
    """The diagram or a handler failed while running a case; the case records an incident."""

    code = "incident"
    title = "The pathway could not continue"

    def __init__(self, detail: str, *, case_id: str | None = None, element: str | None = None, error: str = "") -> None:
        super().__init__(detail)
        self.case_id, self.element, self.error = case_id, element, error
