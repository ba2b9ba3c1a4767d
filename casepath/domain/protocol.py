"""The local assessment protocol (working-together.md §4): what each local authority decides.

Stored as versioned data; `DEFAULT_PROTOCOL` is what `casepath init` installs and what the
acceptance scenarios assume. National rules are not here: they cannot be switched off.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

from casepath.domain.calendar import CONVENTIONS, TRIGGER_DAY_ZERO
from casepath.domain.errors import InvalidForm

ALTERNATIVELY_QUALIFIED = (
    "family_support_worker",
    "domestic_abuse_worker",
    "substance_misuse_worker",
    "youth_worker",
    "health_visitor",
    "school_nurse",
    "early_help_practitioner",
)
CP_CASE_HOLDERS = ("lead_social_worker", "family_help_lead_practitioner")
ICPC_ANCHORS = ("initiating", "last")
TIMESCALE_SETTERS = ("practitioner", "practitioner_with_supervisor")
CASELOAD_MODES = ("warn", "enforce")


def _default_professions() -> dict[str, list[str]]:
    return {profession: ["cin_assessment"] for profession in ALTERNATIVELY_QUALIFIED}


@dataclass(frozen=True)
class Timescales:
    """Local timescales; national ones (45 WD, 15 WD, 10 WD core group, 3 and 6 months) are fixed."""

    allocation_wd: int = 1
    strategy_discussion_wd: int = 1
    s47_wd: int = 10
    cin_review_months: int = 3
    conference_report_wd: int = 3
    reminder_wd: int = 2  # remind a timed task's holder this many working days before it is due


@dataclass(frozen=True)
class LocalProtocol:
    """One version of a local authority's protocol."""

    # profession -> competencies it must hold to lead s17 work (registered social workers always may)
    lead_practitioner_professions: dict[str, list[str]] = field(default_factory=_default_professions)
    social_worker_for_every_assessment: bool = False
    caseload_limits: dict[str, int] = field(default_factory=dict)
    caseload_mode: str = "warn"
    timescales: Timescales = field(default_factory=Timescales)
    working_day_convention: str = TRIGGER_DAY_ZERO
    icpc_anchor: str = "initiating"
    cp_case_holder: str = "lead_social_worker"
    lcpp_may_chair: bool = False
    assessment_timescale_set_by: str = "practitioner_with_supervisor"
    extra_holidays: list[date] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["extra_holidays"] = [d.isoformat() for d in self.extra_holidays]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LocalProtocol:
        """Build a protocol from stored or submitted data, refusing anything it does not understand."""
        errors: dict[str, list[str]] = {}
        known = {f.name for f in fields(cls)}
        for key in set(data) - known:
            errors[key] = ["is not a setting of the local protocol"]
        raw = {k: v for k, v in data.items() if k in known}
        try:
            timescales = Timescales(**raw.pop("timescales", {}))
            holidays = [date.fromisoformat(str(d)) for d in raw.pop("extra_holidays", [])]
            protocol = cls(timescales=timescales, extra_holidays=holidays, **raw)
        except (TypeError, ValueError) as err:
            raise InvalidForm(f"The local protocol is not valid: {err}.", errors=errors or None) from None
        errors.update(protocol.problems())
        if errors:
            raise InvalidForm("The local protocol is not valid: correct the settings listed.", errors=errors)
        return protocol

    def problems(self) -> dict[str, list[str]]:
        checks = {
            "caseload_mode": (self.caseload_mode, CASELOAD_MODES),
            "working_day_convention": (self.working_day_convention, CONVENTIONS),
            "icpc_anchor": (self.icpc_anchor, ICPC_ANCHORS),
            "cp_case_holder": (self.cp_case_holder, CP_CASE_HOLDERS),
            "assessment_timescale_set_by": (self.assessment_timescale_set_by, TIMESCALE_SETTERS),
        }
        found = {
            name: [f"must be one of {', '.join(allowed)}"]
            for name, (value, allowed) in checks.items()
            if value not in allowed
        }
        for name, value in asdict(self.timescales).items():
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 120:
                found[f"timescales.{name}"] = ["must be a whole number from 1 to 120"]
        return found


DEFAULT_PROTOCOL = LocalProtocol()
