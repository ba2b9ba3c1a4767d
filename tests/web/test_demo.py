"""`casepath demo`: demo staff and cases at different stages, loaded once however often it runs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from casepath.services import login
from casepath.services.core import Casepath
from casepath.services.demo import DEMO_PASSWORD, STAFF, load_demo
from casepath.store import models
from tests.web.conftest import Browser


@pytest.mark.slow
def test_the_demo_loads_staff_and_cases_at_different_stages_once(core: Casepath, browser: Browser) -> None:
    lines = load_demo(core)
    assert any(DEMO_PASSWORD in line for line in lines)
    again = load_demo(core)
    assert "demo staff already present" in again
    with core.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(models.Case)) == 4
        assert session.scalar(select(func.count()).where(models.Staff.demo.is_(True))) == len(STAFF)
        open_steps = sorted(
            session.scalars(select(models.Task.step).where(models.Task.state.in_(("ready", "claimed"))))
        )
    assert {"referral_decision", "child_and_family_assessment", "cin_review", "core_group_meeting"} <= set(open_steps)
    assert core.clock.now().isoformat().startswith("2025-04-01")  # the real clock is back
    people = login.demo_people(core)
    assert {p["username"] for p in people} == {s["username"] for s in STAFF}
    browser.sign_in("sam.fletcher", DEMO_PASSWORD)
    browser.get("/inbox")
    assert "Noah Bennett" in browser.html


def test_demo_people_are_only_the_demo_staff(core: Casepath, factory: Any) -> None:
    factory.create_staff("real.person", ["front_door"])
    assert login.demo_people(core) == []
