"""Who may do what (working-together.md §2): roles, registration, the local protocol, four eyes,
independence. Each check raises the domain error whose code the API contract names, saying why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from casepath.domain.errors import FourEyes, NotEligible, NotIndependent, NotQualified
from casepath.domain.protocol import LocalProtocol

ROLES = (
    "front_door",
    "practice_supervisor",
    "lead_practitioner",
    "social_worker",
    "lcpp",
    "macpt_partner",
    "conference_chair",
    "business_support",
    "process_owner",
    "reviewer",
    "admin",
)
CASEWORK_ROLES = (
    "front_door",
    "practice_supervisor",
    "lead_practitioner",
    "social_worker",
    "lcpp",
    "conference_chair",
    "business_support",
)
# who else may take a step drawn in a lane (pathway.md: "front_door or practice_supervisor", ...)
ALSO_ALLOWED = {
    "front_door": ("practice_supervisor",),
    "business_support": ("practice_supervisor",),
    "social_worker": ("lcpp",),
    "lead_practitioner": ("social_worker",),
}
# child protection (s47) work stays with registered social workers (WT2023 ch. 3 para 172)
SOCIAL_WORK_ONLY = (
    "strategy_discussion",
    "section47_enquiry",
    "core_group_meeting",
    "letter_before_proceedings",
    "fgdm_meeting",
)
# approval steps and the step whose author may not approve it (four eyes)
APPROVES = {
    "approve_assessment": ("child_and_family_assessment", "section47_enquiry"),
    "approve_section47": ("section47_enquiry",),
    "approve_cin_plan": ("draft_cin_plan",),
    "close_case": ("cin_review", "section47_enquiry", "hold_icpc", "review_conference"),
}
CHAIR_STEPS = ("hold_icpc", "review_conference")
# roles that stand for a social worker: they count only with an in-date registration
REGISTERED_ROLES = ("front_door", "practice_supervisor", "social_worker", "lcpp")
# steps that are not casework on the case (a chair may have done them and still be independent)
NOT_CASEWORK = (*CHAIR_STEPS, "schedule_icpc")
# steps that go straight to the person the case names
HELD_BY = {
    "child_and_family_assessment": "lead_practitioner",
    "draft_cin_plan": "lead_practitioner",
    "cin_review": "lead_practitioner",
    "section47_enquiry": "lead_social_worker",
    "core_group_meeting": "lead_social_worker",
    "letter_before_proceedings": "lead_social_worker",
    "fgdm_meeting": "lead_social_worker",
    "hold_icpc": "chair",
    "review_conference": "chair",
    "overdue_review": "supervisor",
}


@dataclass(frozen=True)
class Person:
    """A member of staff as the rules see them on one day."""

    username: str
    roles: tuple[str, ...]
    profession: str
    registered: bool
    competencies: tuple[str, ...] = ()
    team: str = ""
    employer: str = "la"

    @property
    def social_worker(self) -> bool:
        return self.registered

    def profile(self) -> dict[str, object]:
        """What the event record keeps about the actor at the moment they acted."""
        return {
            "roles": list(self.roles),
            "profession": self.profession,
            "registered": self.registered,
            "competencies": list(self.competencies),
            "team": self.team,
            "employer": self.employer,
        }


def registered_on(expires_on: date | None, number: str | None, today: date) -> bool:
    """Social Work England registration counts only while in date."""
    return bool(number) and expires_on is not None and expires_on >= today


@dataclass(frozen=True)
class CaseTeam:
    """The people a case names: who holds it, who supervises it, who chairs its conferences."""

    lead_practitioner: str | None = None
    lead_social_worker: str | None = None
    supervisor: str | None = None
    chair: str | None = None
    involved: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CaseTeam:
        def name(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        involved = data.get("involved")
        return cls(
            name("lead_practitioner"),
            name("lead_social_worker"),
            name("supervisor"),
            name("chair"),
            frozenset(involved) if isinstance(involved, list) else frozenset(),
        )

    def practitioners(self) -> set[str]:
        return {p for p in (self.lead_practitioner, self.lead_social_worker, self.supervisor) if p}


def lane_roles(lane: str, protocol: LocalProtocol | None = None) -> tuple[str, ...]:
    """The roles that may take a step drawn in `lane` (an LCPP may chair only if the protocol says so)."""
    roles = (lane, *ALSO_ALLOWED.get(lane, ()))
    if lane == "conference_chair" and protocol is not None and protocol.lcpp_may_chair:
        roles = (*roles, "lcpp")
    return roles


def check_may_do(
    step: str,
    lane: str | None,
    person: Person,
    team: CaseTeam,
    authors: Sequence[str],
    chains: Mapping[str, Sequence[str]],
    protocol: LocalProtocol,
    workers: Mapping[str, str] | None = None,
) -> None:
    """Refuse, in the contract's order (not_qualified, not_independent, four_eyes), a person who may not
    take this step on this case. `authors` did the work this step approves; `chains` maps each of the
    case's practitioners to their line-management chain; `workers` maps whoever did casework on the case
    to a step they did (a chair must be independent of them)."""
    check_qualified(step, lane, person, team, protocol)
    if step in CHAIR_STEPS:
        conflicts = chair_conflicts(person, team, chains, protocol, workers)
        if conflicts:
            raise NotIndependent(
                f"{person.username} cannot chair this conference: {conflicts[0]}. "
                "Conferences must be chaired by someone independent of the case; "
                "ask the conference service to nominate another chair."
            )
    if step in APPROVES and person.username in authors:
        raise FourEyes("You wrote the work this step approves. Another practice supervisor must approve it.")


def check_qualified(
    step: str, lane: str | None, person: Person, team: CaseTeam, protocol: LocalProtocol | None = None
) -> None:
    """Role and registration: raises NotQualified saying what the step needs. A role that stands for a
    social worker (REGISTERED_ROLES) counts only with an in-date Social Work England registration."""
    if lane is None:
        raise NotQualified(f"The step {step!r} has no lane in the diagram, so nobody may take it.")
    allowed = lane_roles(lane, protocol)
    if lane == "lead_practitioner" and team.lead_practitioner == person.username:
        allowed = (*allowed, *person.roles)
    matching = [role for role in allowed if role in person.roles]
    if not matching:
        raise NotQualified(f"This step needs the role {_roles_text(allowed)}; {person.username} does not have it.")
    if person.registered:
        return
    if step in SOCIAL_WORK_ONLY:
        raise NotQualified(
            f"{person.username} has no in-date Social Work England registration, and child protection (s47) "
            "work is only for registered social workers."
        )
    if all(role in REGISTERED_ROLES for role in matching):
        what = (
            "practice supervisors must be social-work qualified"
            if "practice_supervisor" in matching
            else f"a {_roles_text(matching)} must be a registered social worker"
        )
        raise NotQualified(f"{person.username} has no in-date Social Work England registration, and {what}.")


def chair_conflicts(
    person: Person,
    team: CaseTeam,
    chains: Mapping[str, Sequence[str]],
    protocol: LocalProtocol,
    workers: Mapping[str, str] | None = None,
) -> list[str]:
    """Why this person is not independent of the case (empty when they are). Names no one else, so a
    refusal reveals nothing about the case."""
    found = []
    for role, holder in (
        ("lead practitioner", team.lead_practitioner),
        ("lead social worker", team.lead_social_worker),
        ("allocating practice supervisor", team.supervisor),
    ):
        if holder == person.username:
            found.append(f"they are the case's {role}")
        elif holder and person.username in chains.get(holder, ()):
            found.append(f"they are in the line management of the case's {role}")
    step = (workers or {}).get(person.username)
    if step:
        found.append(f"they have worked on the case ({step.replace('_', ' ')})")
    if "lcpp" in person.roles and not protocol.lcpp_may_chair:
        found.append("the local protocol does not let lead child protection practitioners chair conferences")
    return found


def check_lead_practitioner(person: Person, protocol: LocalProtocol) -> None:
    """May this person hold s17 casework under the local assessment protocol? Raises NotEligible naming
    the rule."""
    if person.registered and (
        "social_worker" in person.roles or person.profession == "social_worker" or "lead_practitioner" in person.roles
    ):
        return
    if protocol.social_worker_for_every_assessment:
        raise NotEligible(
            f"{person.username} is not a registered social worker, and the local protocol "
            "requires a social worker to lead every assessment."
        )
    if "lead_practitioner" not in person.roles:
        raise NotEligible(
            f"{person.username} does not have the lead practitioner role"
            + (
                ", and their Social Work England registration is not in date."
                if "social_worker" in person.roles
                else "."
            )
        )
    needed = protocol.lead_practitioner_professions.get(person.profession)
    if needed is None:
        lapsed = (
            " whose Social Work England registration is not in date" if person.profession == "social_worker" else ""
        )
        raise NotEligible(
            f"The local protocol does not allow a {person.profession.replace('_', ' ')}{lapsed} to be a "
            "lead practitioner for s17 work."
        )
    missing = [c for c in needed if c not in person.competencies]
    if missing:
        raise NotEligible(
            f"The local protocol requires a {person.profession.replace('_', ' ')} to hold "
            f"{', '.join(missing)} to lead s17 work; {person.username} does not."
        )


def check_registered_social_worker(person: Person, what: str) -> None:
    if not person.registered:
        raise NotEligible(
            f"{person.username} cannot be {what}: that needs an in-date Social Work England registration."
        )
    if not {"social_worker", "lcpp"} & set(person.roles):
        raise NotEligible(f"{person.username} cannot be {what}: they do not have the social worker role.")


def check_chair_nominee(
    person: Person,
    team: CaseTeam,
    chains: Mapping[str, Sequence[str]],
    protocol: LocalProtocol,
    workers: Mapping[str, str] | None = None,
) -> None:
    if not set(lane_roles("conference_chair", protocol)) & set(person.roles):
        raise NotEligible(f"{person.username} is not a conference chair.")
    conflicts = chair_conflicts(person, team, chains, protocol, workers)
    if conflicts:
        raise NotEligible(
            f"{person.username} is not independent of the case: {conflicts[0]}. "
            "Nominate a chair with no operational or line-management role in it."
        )


def _roles_text(roles: Sequence[str]) -> str:
    names = [r.replace("_", " ") for r in dict.fromkeys(roles)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def after_step(
    people: Mapping[str, object],
    step: str,
    data: Mapping[str, object],
    actor: str,
    actor_team: str,
    protocol: LocalProtocol,
) -> dict[str, object]:
    """Who holds, supervises and chairs the case once `actor` has completed `step` with `data`."""
    updated = dict(people)
    involved = set(updated.get("involved") or ()) | {actor}  # type: ignore[call-overload]
    if step == "allocate_lead_practitioner":
        updated.update(lead_practitioner=data["lead_practitioner"], supervisor=actor, team=actor_team)
    elif step == "strategy_discussion" and data.get("decision") == "s47":
        # from the start of a s47 enquiry the lead social worker is the case's lead practitioner
        updated.update(lead_social_worker=data["lead_social_worker"], lead_practitioner=data["lead_social_worker"])
    elif step == "schedule_icpc":
        updated["chair"] = data["chair"]
    elif step == "hold_icpc" and data.get("decision") == "cp_plan":
        updated["lead_social_worker"] = data["lead_social_worker"]
        if protocol.cp_case_holder == "lead_social_worker":
            updated["lead_practitioner"] = data["lead_social_worker"]
    elif step.startswith("approve_") and not updated.get("supervisor"):
        updated.update(supervisor=actor, team=actor_team)
    if step in CHAIR_STEPS:
        updated["chair"] = actor  # whoever chaired (a reassigned conference) chairs the reviews
    for key in ("lead_practitioner", "lead_social_worker", "supervisor", "chair"):
        if isinstance(updated.get(key), str):
            involved.add(str(updated[key]))
    updated["involved"] = sorted(involved)
    return updated
