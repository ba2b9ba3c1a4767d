"""`PUT /api/v1/clock`: the test clock (CASEPATH_TEST_CLOCK=1), through Flask's test client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from casepath.domain.clock import FixedClock
from casepath.services import admin
from casepath.services.core import Casepath, Settings
from tests.clocks.helpers import Office, events_named, london


def client_of(core: Casepath) -> FlaskClient:
    return create_app(core, {"TESTING": True}).test_client()


def bearer(core: Casepath, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin.issue_token(core, None, username)['token']}"}


@pytest.fixture
def rehearsal(core: Casepath, clock: FixedClock) -> Iterator[Casepath]:
    """The same database, served with CASEPATH_TEST_CLOCK=1."""
    settings = Settings(database_url=core.settings.database_url, test_clock=True)
    app = Casepath(settings, clock=clock, handlers=core.handlers)
    yield app
    app.db.dispose()


def test_an_admin_moves_the_test_clock_and_every_timer_due_by_then_fires_before_the_answer(
    rehearsal: Casepath, factory: Any
) -> None:
    office = Office(factory)
    case_id = office.refer("2025-12-24T16:30:00+00:00")
    client = client_of(rehearsal)
    response = client.put(
        "/api/v1/clock", json={"now": "2025-12-30T09:00:00+00:00"}, headers=bearer(rehearsal, "admin")
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"now": "2025-12-30T09:00:00+00:00", "test_clock": True, "fired": 1}
    assert len(events_named(rehearsal, "task_overdue", case_id)) == 1
    now = client.get("/api/v1/clock", headers=bearer(rehearsal, "fd1")).get_json()
    assert now["now"] == "2025-12-30T09:00:00+00:00" and now["test_clock"] is True
    case = client.get(f"/api/v1/cases/{case_id}", headers=bearer(rehearsal, "ps1")).get_json()
    assert {t["step"] for t in case["tasks"] if t["state"] == "ready"} == {"referral_decision", "overdue_review"}
    (clock,) = [c for c in case["clocks"] if c["rule"] == "referral-decision-1wd"]
    assert clock == {"rule": "referral-decision-1wd", "started_on": "2025-12-24", "due_on": "2025-12-29",
                     "met_on": None, "status": "overdue", "reason": None}  # fmt: skip


def test_setting_the_clock_again_fires_nothing_twice(rehearsal: Casepath, factory: Any) -> None:
    office = Office(factory)
    office.refer(london("2025-06-06", 14))
    client, headers = client_of(rehearsal), bearer(rehearsal, "admin")
    fired = [
        client.put("/api/v1/clock", json={"now": moment}, headers=headers).get_json()["fired"]
        for moment in (london("2025-06-09", 23, 59), london("2025-06-10", 0, 0), london("2025-06-11", 9))
    ]
    assert fired == [0, 1, 0]


def test_only_an_admin_may_move_the_test_clock(rehearsal: Casepath, factory: Any) -> None:
    Office(factory)
    response = client_of(rehearsal).put(
        "/api/v1/clock", json={"now": "2025-12-30T09:00:00+00:00"}, headers=bearer(rehearsal, "ps1")
    )
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_the_clock_cannot_be_moved_when_the_test_clock_is_off(core: Casepath, factory: Any) -> None:
    response = client_of(core).put(
        "/api/v1/clock", json={"now": "2025-12-30T09:00:00+00:00"}, headers=bearer(core, "admin")
    )
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
    assert "CASEPATH_TEST_CLOCK=1" in response.get_json()["detail"]
    assert client_of(core).get("/api/v1/clock", headers=bearer(core, "admin")).get_json()["test_clock"] is False


def test_a_clock_without_a_time_zone_is_refused(rehearsal: Casepath) -> None:
    response = client_of(rehearsal).put(
        "/api/v1/clock", json={"now": "2025-12-30T09:00:00"}, headers=bearer(rehearsal, "admin")
    )
    assert response.status_code == 422


def test_nobody_may_move_the_clock_without_signing_in(rehearsal: Casepath) -> None:
    response = client_of(rehearsal).put("/api/v1/clock", json={"now": "2025-12-30T09:00:00+00:00"})
    assert response.status_code == 401
