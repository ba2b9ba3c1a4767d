"""The statutory rules of working-together.md §3 as data: what each one asks and where it comes from.

References are to Working Together to Safeguard Children 2023 (WT2023), chapter 3 "Providing
help, support and protection", by section heading, and to the Children Act 1989 (CA1989).
National rules cannot be switched off; local ones take their timescales from the local protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

NATIONAL = "national"
LOCAL = "local"


@dataclass(frozen=True)
class Rule:
    """One statutory rule: a stable id, a title, its source, its scope and its obligation in a line."""

    id: str
    title: str
    reference: str
    scope: str
    obligation: str


RULES: tuple[Rule, ...] = (
    Rule(
        "referral-decision-1wd",
        "Referral decided within one working day",
        "WT2023 ch. 3, 'Responding to referrals'",
        NATIONAL,
        "Decide the type of response to a referral and tell the referrer within 1 working day of receipt.",
    ),
    Rule(
        "lead-practitioner-allocation",
        "Eligible lead practitioner allocated",
        "WT2023 ch. 3, 'Lead practitioner'; local assessment protocol",
        LOCAL,
        "A practice supervisor allocates an eligible lead practitioner, who has agreed, soon after "
        "the decision to assess (default 1 working day).",
    ),
    Rule(
        "assessment-45wd",
        "Assessment completed within 45 working days",
        "WT2023 ch. 3, 'Timeliness' (assessments under CA1989)",
        NATIONAL,
        "The assessment is completed and authorised within 45 working days of the referral; "
        "any delay has a recorded reason.",
    ),
    Rule(
        "assessment-planned-date",
        "Assessment completed by its planned date",
        "WT2023 ch. 3, 'Timeliness'; local assessment protocol",
        LOCAL,
        "The assessment is completed by the date agreed at allocation, never later than the 45-working-day maximum.",
    ),
    Rule(
        "assessment-approval",
        "Assessment approved by a supervisor who is not its author",
        "WT2023 ch. 3, 'Practice supervisors'",
        NATIONAL,
        "A social-work-qualified practice supervisor, not the author, approves the assessment "
        "before it counts as authorised.",
    ),
    Rule(
        "plan-approval",
        "Child in need plan approved by a supervisor who is not its author",
        "WT2023 ch. 3, 'Practice supervisors'; CA1989 s17",
        NATIONAL,
        "A social-work-qualified practice supervisor, not the author, approves the child in need "
        "plan before it starts.",
    ),
    Rule(
        "strategy-discussion-multiagency",
        "Multi-agency strategy discussion",
        "WT2023 ch. 3, 'Strategy discussion'",
        NATIONAL,
        "When there is reasonable cause to suspect significant harm, hold a strategy discussion "
        "with at least children's social care, police and health, promptly (default 1 working day).",
    ),
    Rule(
        "s47-social-worker",
        "Section 47 enquiry led by a registered social worker",
        "WT2023 ch. 3, 'Initiating section 47 enquiries'; CA1989 s47",
        NATIONAL,
        "A registered social worker leads the section 47 enquiry and completes it within the local "
        "timescale (default 10 working days).",
    ),
    Rule(
        "icpc-15wd",
        "Initial child protection conference within 15 working days",
        "WT2023 ch. 3, 'Initial child protection conferences'",
        NATIONAL,
        "Hold the initial child protection conference within 15 working days of the strategy "
        "discussion at which the section 47 enquiry was started.",
    ),
    Rule(
        "chair-independent",
        "Conference chaired independently",
        "WT2023 ch. 3, 'Initial child protection conferences' (the chair)",
        NATIONAL,
        "Every child protection conference is chaired by someone independent of the case and of its line management.",
    ),
    Rule(
        "cp-plan-starts-at-icpc",
        "Child protection plan starts at the conference",
        "WT2023 ch. 3, 'The child protection plan'",
        NATIONAL,
        "A child protection plan starts on the date of the conference that decides it, with one "
        "open plan per child and no child in need plan alongside it.",
    ),
    Rule(
        "core-group-10wd",
        "First core group within 10 working days",
        "WT2023 ch. 3, 'The child protection plan' (core group)",
        NATIONAL,
        "The core group first meets within 10 working days of the initial child protection conference.",
    ),
    Rule(
        "rcpc-3m",
        "First review conference within 3 months",
        "WT2023 ch. 3, 'Child protection review conference'",
        NATIONAL,
        "The first review conference is held within 3 months of the initial child protection conference.",
    ),
    Rule(
        "rcpc-6m",
        "Later review conferences within 6 months",
        "WT2023 ch. 3, 'Child protection review conference'",
        NATIONAL,
        "Each later review conference is held within 6 months of the previous one while the plan continues.",
    ),
    Rule(
        "cp-plan-ends-at-review",
        "Child protection plan ended only at a review",
        "WT2023 ch. 3, 'Discontinuing the child protection plan'",
        NATIONAL,
        "Only a review conference ends a child protection plan.",
    ),
    Rule(
        "cin-review-cadence",
        "Child in need plan reviewed regularly",
        "WT2023 ch. 3, 'Child in need plans'; local assessment protocol",
        LOCAL,
        "The child in need plan is reviewed within the local cadence (default 3 months) of its start "
        "and of each review.",
    ),
    Rule(
        "fgdm-before-proceedings",
        "Family group decision-making offered before proceedings",
        "CA1989 s31ZA; WT2023 ch. 3, 'Family group decision-making'",
        NATIONAL,
        "Offer a family group decision-making meeting in the letter before proceedings and hold it, "
        "if accepted, before applying to court, unless a best-interests exception is recorded.",
    ),
    Rule(
        "closure-authorised",
        "Closure authorised and recorded",
        "WT2023 ch. 3, 'Practice supervisors'; DfE CIN census (RC1-RC9)",
        NATIONAL,
        "A practice supervisor authorises the closure, with a reason RC1-RC9 and a closure date on "
        "or after every other activity on the case.",
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
RULE_IDS: tuple[str, ...] = tuple(RULES_BY_ID)


def get_rule(rule_id: str) -> Rule:
    """The rule with this id (KeyError for an id that is not in working-together.md §3)."""
    return RULES_BY_ID[rule_id]
