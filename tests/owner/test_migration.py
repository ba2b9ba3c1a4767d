"""Running cases move onto a newer version on purpose: preview says which can, migration records why,
and a case whose place in the pathway the new version removes is refused, saying which step."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from casepath.services import cases, migration, records, versions
from tests.conformance.pathways import Driver
from tests.owner.diagrams import shipped
from tests.owner.journeys import CHECK_FORM, ROUTES, Journeys, with_check_step

DIAGRAMS, FORMS = shipped()


@pytest.fixture
def journeys(factory: Any) -> Journeys:
    return Journeys(Driver(factory))


def publish_check_step(factory: Any) -> int:
    result = versions.publish_version(
        factory.core, factory.admin, with_check_step(DIAGRAMS), {**FORMS, "check_assessment": CHECK_FORM},
        "Supervisors check each assessment before approving it.",
    )  # fmt: skip
    return int(result["version"])


def events(core: Any, case_id: str, name: str) -> list[dict[str, Any]]:
    with core.db.transaction() as session:
        return [dict(e.data, actor=e.actor) for e in records.list_events(session, case_id) if e.name == name]


def test_cases_waiting_at_every_step_move_to_a_version_with_a_new_step_and_continue_to_the_end(
    journeys: Journeys, factory: Any
) -> None:
    waiting = {key: journeys.route(route) for key, route in ROUTES.items()}
    for key, case_id in waiting.items():
        assert set(key.split()) <= {t["step"] for t in journeys.open(case_id)}, key
    assert publish_check_step(factory) == 2

    preview = {row["case_id"]: row for row in migration.preview(factory.core, factory.admin, 2)}
    assert set(preview) == set(waiting.values())
    assert all(row["can_migrate"] and row["from_version"] == 1 for row in preview.values()), preview
    moved = migration.migrate(factory.core, factory.admin, list(waiting.values()), 2, "Adding the supervisor check.")
    assert [r["migrated"] for r in moved] == [True] * len(waiting), moved

    journeys.day = date(2025, 6, 23)
    for key, case_id in waiting.items():
        [event] = events(factory.core, case_id, "case_migrated")
        assert (event["from_version"], event["to_version"]) == (1, 2)
        assert event["reason"] == "Adding the supervisor check." and event["actor"] == "admin"
        taken = journeys.finish(case_id)
        assert cases.get_case(factory.core, factory.admin_reviewer(), case_id)["status"] == "closed", key
        if key in ("child_and_family_assessment", "allocate_lead_practitioner"):
            assert taken[-2:] == ["check_assessment", "approve_assessment"], taken


def test_a_case_waiting_where_the_new_version_removes_its_step_is_refused_saying_which_step(
    journeys: Journeys, factory: Any
) -> None:
    publish_check_step(factory)
    case_id = journeys.route(ROUTES["approve_assessment"])
    assert {t["step"] for t in journeys.open(case_id)} == {"check_assessment"}
    removed = versions.publish_version(factory.core, factory.admin, DIAGRAMS, FORMS, "The check was not needed.")
    assert removed["version"] == 3

    [row] = migration.preview(factory.core, factory.admin, 3)
    assert row["case_id"] == case_id and row["can_migrate"] is False
    assert "check_assessment" in row["reason"] and "removes" in row["reason"]
    [result] = migration.migrate(factory.core, factory.admin, [case_id], 3, "Tidy up.")
    assert result["migrated"] is False and "check_assessment" in result["reason"]
    assert events(factory.core, case_id, "case_migrated") == []
    journeys.take(case_id, "check_assessment")  # still on version 2, where it was
    assert {t["step"] for t in journeys.open(case_id)} == {"approve_assessment"}


def test_only_a_process_owner_migrates_and_a_reason_is_required(journeys: Journeys, factory: Any) -> None:
    from casepath.domain.errors import Forbidden, InvalidForm

    case_id = journeys.route([])
    publish_check_step(factory)
    with pytest.raises(Forbidden):
        migration.migrate(factory.core, journeys.d.staff.ps, [case_id], 2, "Because.")
    with pytest.raises(InvalidForm):
        migration.migrate(factory.core, factory.admin, [case_id], 2, "  ")
    [already] = migration.migrate(factory.core, factory.admin, [case_id], 2, "Move it.")
    assert already["migrated"] is True
    [again] = migration.migrate(factory.core, factory.admin, [case_id], 2, "Move it again.")
    assert again["migrated"] is False and "already on version 2" in again["reason"]
