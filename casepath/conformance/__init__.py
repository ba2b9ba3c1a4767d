"""Conformance with Working Together, computed from a case's event record (pure: no database, no clock).

Public surface: `evaluate_case` and `RuleResult`; the rule table is `casepath.domain.rules.RULES`.
"""

from casepath.conformance.evaluate import evaluate_case
from casepath.conformance.results import STATUSES, RuleResult

__all__ = ["STATUSES", "RuleResult", "evaluate_case"]
