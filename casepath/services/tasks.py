"""Use-cases on human tasks: read, claim, unclaim, assign, save a draft, complete; the inbox."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from casepath.domain.errors import (
    AlreadyClaimed,
    CasepathError,
    DelayReasonRequired,
    Forbidden,
    InvalidForm,
    NotEligible,
    NotFound,
    NotQualified,
    TaskNotReady,
)
from casepath.domain.events import Event
from casepath.domain.forms import validate_submission
from casepath.domain.people import (
    APPROVES,
    CASEWORK_ROLES,
    CHAIR_STEPS,
    NOT_CASEWORK,
    CaseTeam,
    Person,
    after_step,
    check_lead_practitioner,
    check_may_do,
)
from casepath.domain.protocol import LocalProtocol
from casepath.services import access, steps
from casepath.services.cases import lock_case_of_task
from casepath.services.core import Casepath
from casepath.services.incidents import recording_incidents
from casepath.services.runtime import OPEN, CaseRun
from casepath.services.staff import (
    Actor,
    active_staff,
    get_staff,
    line_managers,
    managers_of,
    person_of,
    require_role,
)
from casepath.services.views import case_tasks, case_view, require_match, task_etag, task_view
from casepath.store import models

PAGE_MAX = 200


def _task(session: Session, actor: Actor, task_id: str) -> models.Task:
    task = session.get(models.Task, task_id)
    if task is None or task.la_id != actor.la_id:
        raise NotFound("There is no such task, or you may not see it.")
    return task


def authors_of(events: Sequence[Event], step: str) -> list[str]:
    """Who wrote the work this approval step approves (the latest such step); nobody for any other step."""
    approved = APPROVES.get(step)
    if not approved:
        return []
    for event in reversed(events):
        if event.name == "task_completed" and event.data.get("step") in approved:
            return [event.actor] if event.actor else []
    return []


def chains_of(
    session: Session, rows: Iterable[models.Staff], managers: Mapping[str, str | None] | None = None
) -> dict[str, tuple[str, ...]]:
    return {row.username: line_managers(session, row, managers) for row in rows}


def workers_of(events: Sequence[Event]) -> dict[str, str]:
    """Who has done casework on the case (username -> the first such step): a chair must not have."""
    found: dict[str, str] = {}
    for event in events:
        step = event.data.get("step")
        if event.name == "task_completed" and event.actor and isinstance(step, str) and step not in NOT_CASEWORK:
            found.setdefault(event.actor, step)
    return found


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about one case, read once for any number of people."""

    team: CaseTeam
    chains: Mapping[str, Sequence[str]]
    workers: Mapping[str, str]
    events: Sequence[Event]
    protocol: LocalProtocol


def case_facts(run: CaseRun, managers: Mapping[str, str | None] | None = None, *, step: str | None = None) -> CaseFacts:
    """`step`: the one step the facts are for. The practitioners' line-management chains are read only for a
    step that needs them (a conference chair must be independent of the case's line management)."""
    team = run.team
    chains: dict[str, tuple[str, ...]] = {}
    if step is None or step in CHAIR_STEPS:
        chains = chains_of(run.session, run.staff(team.practitioners()).values(), managers)
    return CaseFacts(team, chains, workers_of(run.events), run.events, run.protocol)


def check_person(facts: CaseFacts, task: models.Task, person: Person) -> None:
    """The checks of a claim or an assignment, in the contract's order. Not being eligible under the local
    protocol to hold s17 work is, for taking a step, a missing qualification (not_qualified)."""
    team = facts.team
    authors = authors_of(facts.events, task.step)
    check_may_do(task.step, task.role, person, team, authors, facts.chains, facts.protocol, facts.workers)
    if task.role == "lead_practitioner" and person.username != team.lead_practitioner:
        try:
            check_lead_practitioner(person, facts.protocol)
        except NotEligible as err:
            raise NotQualified(err.detail) from None


def authorise(run: CaseRun, task: models.Task, person: Person) -> None:
    """May `person` take this step on this case? Raises the refusal the contract orders first."""
    check_person(case_facts(run, step=task.step), task, person)


def candidates(app: Casepath, actor: Actor, task_id: str) -> list[dict[str, Any]]:
    """Who may take this task and why everyone else may not: every active member of staff of the LA with a
    casework role, through exactly the checks of a claim or an assignment (practice supervisors who can see
    the case, reviewers and administrators)."""
    require_role(actor, "practice_supervisor", "reviewer", "admin")
    with app.db.transaction() as session:
        task = _task(session, actor, task_id)
        case = session.get(models.Case, task.case_id)
        access.require_case_visible(session, actor, case)
        assert case is not None
        run = CaseRun(app, session, case, app.now(session))
        managers = managers_of(session, actor.la_id)
        facts = case_facts(run, managers)
        access.log_view(session, actor, case, f"candidates:{task.step}", run.now)
        staff = session.scalars(
            select(models.Staff)
            .where(models.Staff.la_id == actor.la_id, models.Staff.active.is_(True))
            .order_by(models.Staff.username)
        )
        return [
            _candidate(facts, task, row, person_of(row, run.today))
            for row in staff
            if set(row.roles) & set(CASEWORK_ROLES)
        ]


def _candidate(facts: CaseFacts, task: models.Task, row: models.Staff, person: Person) -> dict[str, Any]:
    answer: dict[str, Any] = {"username": row.username, "name": row.name, "allowed": True, "code": None}
    answer.update(reason=None, holds_task=task.assignee == row.username)
    try:
        check_person(facts, task, person)
    except CasepathError as err:
        answer.update(allowed=False, code=err.code, reason=err.detail)
    return answer


def _open(task: models.Task) -> None:
    if task.state not in OPEN:
        raise TaskNotReady(f"This task is {task.state}: there is nothing more to do on it.")


def _begin(
    app: Casepath, session: Session, actor: Actor, task_id: str, *, to_run: bool = False
) -> tuple[models.Task, CaseRun, Person]:
    """Lock the task's case and read the task under the lock (no request changes it meanwhile); `to_run`:
    read the task's process instance in the same statement, to run it."""
    locked = lock_case_of_task(app, session, task_id, actor, with_instance=to_run)
    run = CaseRun(app, session, locked.case, app.now(session), locked.instance, locked.protocol)
    run.know_staff(locked.staff)
    person = person_of(active_staff(locked.staff, actor.username, actor.la_id), run.today)
    return locked.task, run, person


def _changed(run: CaseRun) -> None:
    """A task of the case changed: move the case's version counter, so that a change made at the same moment
    from an older read of the case is refused as a conflict (SQLite has no row lock; the case is read first)."""
    run.case.updated_at = run.now
    flag_modified(run.case, "updated_at")


def _held_message(session: Session, actor: Actor, case: models.Case, task: models.Task) -> str:
    """Someone else holds the task: named only to those who may see the case."""
    who = task.assignee if access.case_visible(session, actor, case) else "Someone else"
    return f"{who} has this task. Ask them or a practice supervisor to reassign it."


def _involve(case: models.Case, username: str) -> None:
    people = dict(case.people)
    people["involved"] = sorted(set(people.get("involved") or []) | {username})
    case.people = people


def get_task(app: Casepath, actor: Actor, task_id: str) -> dict[str, Any]:
    with app.db.transaction() as session:
        task = _task(session, actor, task_id)
        case = session.get(models.Case, task.case_id)
        assert case is not None
        if not access.case_visible(session, actor, case):
            run = CaseRun(app, session, case, app.now(session))
            try:
                authorise(run, task, person_of(get_staff(session, actor.username), run.today))
            except CasepathError:
                raise NotFound("There is no such task, or you may not see it.") from None
        access.log_view(session, actor, case, f"task:{task.step}", app.now(session))
        version = app.version(session, case.process_version_id)
        view = task_view(task)
        view["form"] = version.forms.get(task.form_key or task.step, {})
        view["data"] = task.data or {}
        view["draft"] = task.draft if task.assignee == actor.username else None
        return view


def list_case_tasks(app: Casepath, actor: Actor, case_id: str, state: str | None) -> list[dict[str, Any]]:
    with app.db.transaction() as session:
        case = session.get(models.Case, case_id)
        access.require_case_visible(session, actor, case)
        return [task_view(t) for t in case_tasks(session, case_id, state)]


def claim_task(app: Casepath, actor: Actor, task_id: str) -> dict[str, Any]:
    with app.db.transaction() as session:
        task, run, person = _begin(app, session, actor, task_id)
        _open(task)
        authorise(run, task, person)
        if task.assignee == actor.username:
            return task_view(task)
        if task.assignee:
            raise AlreadyClaimed(_held_message(session, actor, run.case, task))
        task.assignee, task.state = actor.username, "claimed"
        _changed(run)
        _involve(run.case, actor.username)
        run.record("task_claimed", actor.username, {"task_id": task.id, "step": task.step, "assignee": actor.username})
        return task_view(task)


def unclaim_task(app: Casepath, actor: Actor, task_id: str) -> dict[str, Any]:
    with app.db.transaction() as session:
        task, run, person = _begin(app, session, actor, task_id)
        _open(task)
        if task.assignee != actor.username:
            if "practice_supervisor" not in person.roles or not person.registered:
                raise Forbidden("Only the person holding this task or a practice supervisor may release it.")
            access.require_case_visible(session, actor, run.case)
        if task.assignee is None:
            return task_view(task)
        previous, task.assignee, task.state = task.assignee, None, "ready"
        _changed(run)
        run.record("task_unclaimed", actor.username, {"task_id": task.id, "step": task.step, "previous": previous})
        return task_view(task)


def assign_task(app: Casepath, actor: Actor, task_id: str, assignee: str, reason: str) -> dict[str, Any]:
    """A practice supervisor gives a task to someone, who must be allowed to do it (same checks as a claim)."""
    with app.db.transaction() as session:
        task, run, person = _begin(app, session, actor, task_id)
        if "practice_supervisor" not in person.roles or not person.registered:
            raise Forbidden("Only a social-work-qualified practice supervisor may assign tasks.")
        access.require_case_visible(session, actor, run.case)
        _open(task)
        if not reason.strip():
            raise InvalidForm("Say why the task is being reassigned.", errors={"reason": ["Enter a reason"]})
        target = _assignee(session, assignee, actor.la_id)
        authorise(run, task, person_of(target, run.today))
        if task.assignee == target.username:
            return task_view(task)
        previous, task.assignee, task.state = task.assignee, target.username, "claimed"
        _changed(run)
        _involve(run.case, target.username)
        run.record(
            "task_assigned",
            actor.username,
            {
                "task_id": task.id,
                "step": task.step,
                "assignee": target.username,
                "previous": previous,
                "reason": reason.strip(),
            },
        )
        return task_view(task)


def _assignee(session: Session, username: str, la_id: int) -> models.Staff:
    try:
        return get_staff(session, username, la_id)
    except NotFound:
        raise NotFound(
            f"There is no member of staff called {username!r}.",
            errors={"assignee": ["Enter the username of a member of staff"]},
        ) from None


def save_draft(app: Casepath, actor: Actor, task_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Keep what someone has typed so far, unvalidated, for the holder only (never enters the workflow)."""
    with app.db.transaction() as session:
        task = _task(session, actor, task_id)
        _open(task)
        if task.assignee != actor.username:
            raise Forbidden("Claim the task before saving a draft of it.")
        task.draft = data
        return task_view(task)


def complete_task(
    app: Casepath,
    actor: Actor,
    task_id: str,
    body: dict[str, Any],
    if_match: Collection[str] | None = None,
    *,
    with_case: bool = True,
) -> dict[str, Any]:
    """validate → load → run → derive tasks → record events → save, in one transaction.
    `if_match`: the task ETags the client saw (API If-Match); a task changed since is refused as a conflict.
    Answers `{"task", "case"}` (the API's answer); `with_case=False` answers `{"task"}` alone, for callers that
    do not show the case (the case view evaluates every statutory clock of the case)."""
    with recording_incidents(app, actor.username), app.db.transaction() as session:
        return _complete(app, session, actor, task_id, body, if_match, with_case)


def _complete(
    app: Casepath,
    session: Session,
    actor: Actor,
    task_id: str,
    body: dict[str, Any],
    if_match: Collection[str] | None = None,
    with_case: bool = True,
) -> dict[str, Any]:
    task, run, person = _begin(app, session, actor, task_id, to_run=True)
    _open(task)
    authorise(run, task, person)
    if task.assignee and task.assignee != actor.username:
        raise AlreadyClaimed(_held_message(session, actor, run.case, task))
    require_match(if_match, task_etag(task_view(task)), "task")
    data = body.get("data")
    if not isinstance(data, dict):
        raise InvalidForm("Send the form's answers as an object in `data`.", errors={"data": ["Enter the answers"]})
    data = dict(data)
    delay_reason = data.pop("delay_reason", None)
    if delay_reason is not None and not isinstance(delay_reason, str):
        raise InvalidForm("The reason for the delay must be text.", errors={"delay_reason": ["Enter the reason"]})
    clean = validate_submission(run.version.forms.get(task.form_key or task.step, {}), data)
    extra = steps.check_step(run, task, clean)
    late = task.due_on is not None and run.today > task.due_on
    if late and not (delay_reason or "").strip():
        raise DelayReasonRequired(
            f"This step was due on {task.due_on:%d %B %Y}. Record why it is late in "
            "`delay_reason`: if it isn't recorded, it didn't happen."
        )
    if not task.assignee:
        run.record("task_claimed", actor.username, {"task_id": task.id, "step": task.step, "assignee": actor.username})
    task.assignee, task.state = actor.username, "completed"
    task.completed_by, task.completed_at, task.data, task.draft = actor.username, run.now, clean, None
    run.record(
        "task_completed",
        actor.username,
        {
            "task_id": task.id,
            "step": task.step,
            "data": clean,
            "completed_on": run.today.isoformat(),
            "due_on": task.due_on,
            "rule": task.rule,
            "late": late,
            "delay_reason": (delay_reason or "").strip() or None,
            "author": next(iter(authors_of(run.events, task.step)), None),
            "actor_profile": person.profile(),
            **extra,
        },
    )
    run.case.people = after_step(run.case.people, task.step, clean, actor.username, person.team, run.protocol)
    run.complete_step(task, clean)
    run.sync()
    _changed(run)
    session.flush()  # the case's version counter moves here: the answer shows the stored case
    if not with_case:
        return {"task": task_view(task)}
    return {"task": task_view(task), "case": case_view(app, session, run.case, run.events)}
