"""The local protocol editor: the version in force as a GOV.UK form, a change saved with a reason as a new
audited version, the history with who, when and why, the changes between versions, and clear refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from casepath.domain.errors import Forbidden, NotFound
from casepath.services import protocols
from casepath.services.core import Casepath
from casepath.store import models
from tests.owner.test_forms_pages import owners, sign_out
from tests.web.conftest import Browser

__all__ = ["owners"]


def form_of(html: str) -> dict[str, str]:
    """The protocol form's fields as the page filled them (text inputs, textareas, checked boxes and radios)."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) in ("radio", "checkbox") and "checked" not in tag:
            continue
        fields[name.group(1)] = value.group(1) if value else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html):
        fields[name] = text.strip()
    return fields


def protocol_events(core: Casepath) -> list[models.Event]:
    with core.db.transaction() as session:
        query = select(models.Event).where(models.Event.name == "protocol_changed")
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def test_a_process_owner_changes_the_protocol_through_the_form_and_a_new_audited_version_is_in_force(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    browser.sign_in("po1")
    html = browser.get("/owner/protocol")
    assert "Local protocol" in browser.page.title and 'id="protocol-json"' in html
    fields = form_of(html)
    assert fields["lp-youth_worker"] == "yes" and fields["timescales-s47_wd"] == "10"
    assert fields["cp_case_holder"] == "lead_social_worker" and fields["lcpp_may_chair"] == "false"
    fields.pop("lp-youth_worker")
    changed = {**fields, "timescales-s47_wd": "12", "caseload-social_worker": "18", "lcpp_may_chair": "true"}
    browser.post("/owner/protocol", {**changed, "extra_holidays": "2026-12-29", "reason": "Panel decision 12"},
                 status=200)  # fmt: skip
    assert "Version 2 of the local protocol is in force" in browser.html
    assert "changes from version 1 to version 2" in browser.page.title
    for setting in ("timescales.s47_wd", "caseload_limits.social_worker", "lcpp_may_chair", "extra_holidays"):
        assert setting in browser.html
    assert "lead_practitioner_professions" in browser.html and "Panel decision 12" in browser.html
    now = protocols.current_protocol(core, owners["po1"])
    assert now["version"] == 2 and now["protocol"]["timescales"]["s47_wd"] == 12
    assert "youth_worker" not in now["protocol"]["lead_practitioner_professions"]
    [event] = [e for e in protocol_events(core) if e.data["version"] == 2]
    assert event.actor == "po1" and event.data["reason"] == "Panel decision 12"
    history = browser.get("/owner/protocol/history")
    assert "po1" in history and "Panel decision 12" in history and "Changes from version 1" in history


@pytest.mark.parametrize(
    ("change", "anchor", "says"),
    [
        ({"timescales-s47_wd": "0"}, "#timescales-s47_wd", "whole number from 1 to 120"),
        ({"timescales-s47_wd": "ten"}, "#timescales-s47_wd", "whole number from 1 to 120"),
        ({"caseload-youth_worker": "lots"}, "#caseload-youth_worker", "from 1 to 500"),
        ({"extra_holidays": "2026-02-30"}, "#extra_holidays", "is not a date"),
        ({"cp_case_holder": "nobody"}, "#cp_case_holder", "must be one of"),
        ({"reason": " "}, "#reason", "Enter the reason"),
        ({}, None, "No setting has changed"),
    ],
)
def test_an_invalid_protocol_change_is_refused_with_each_problem_linked_to_its_field(
    browser: Browser, owners: Any, core: Casepath, change: dict[str, str], anchor: str | None, says: str
) -> None:
    browser.sign_in("po1")
    fields = form_of(browser.get("/owner/protocol"))
    events = len(protocol_events(core))
    browser.post("/owner/protocol", {**fields, "reason": "Try", **change}, status=422)
    assert "There is a problem" in browser.html and says in browser.html
    if anchor:
        assert anchor in browser.page.error_links
    assert protocols.current_protocol(core, owners["po1"])["version"] == 1 and len(protocol_events(core)) == events


def test_a_reviewer_reads_the_protocol_and_its_history_but_cannot_change_it_and_others_are_refused(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    protocols.publish_protocol(core, owners["po1"], {"lcpp_may_chair": True}, "Chairs")
    browser.sign_in("rv1")
    html = browser.get("/owner/protocol")
    assert "Save as a new version" not in html and '<fieldset class="govuk-fieldset" disabled>' in html
    assert "Chairs" in browser.get("/owner/protocol/history")
    assert "lcpp_may_chair" in browser.get("/owner/protocol/diff?from=1&to=2")
    browser.get("/owner/protocol/diff?from=1&to=9", status=404)
    browser.post("/owner/protocol", {"reason": "x"}, status=403)
    sign_out(browser)
    browser.sign_in("sw9")
    browser.get("/owner/protocol", status=403)
    browser.get("/owner/protocol/history", status=403)
    sign_out(browser)
    browser.sign_in("ad1")
    assert "Save as a new version" in browser.get("/owner/protocol")


def test_the_service_gives_the_changes_between_any_two_versions(core: Casepath, owners: Any) -> None:
    protocols.publish_protocol(core, owners["po1"], {"lcpp_may_chair": True}, "Chairs")
    protocols.publish_protocol(core, owners["po1"], {"lcpp_may_chair": True, "caseload_mode": "enforce"}, "Limits")
    found = protocols.protocol_diff(core, owners["rv1"], 1, 3)
    assert found["changes"] == {
        "caseload_mode": {"before": "warn", "after": "enforce"},
        "lcpp_may_chair": {"before": False, "after": True},
    }
    assert found["to"]["reason"] == "Limits" and found["from"]["version"] == 1
    with pytest.raises(NotFound, match="Version 7"):
        protocols.protocol_diff(core, owners["rv1"], 1, 7)
    with pytest.raises(Forbidden):
        protocols.protocol_diff(core, owners["sw9"], 1, 2)


def test_a_change_posted_without_a_timescale_shows_that_field_empty_with_its_error(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    """A post that leaves a field out (an old tab, a hand-made request) is answered with the whole form: every
    problem in the summary links to a field on the page."""
    browser.sign_in("po1")
    fields = form_of(browser.get("/owner/protocol"))
    del fields["timescales-allocation_wd"]
    browser.post("/owner/protocol", {**fields, "reason": "Try"}, status=422)  # check_page: every link has its field
    assert "#timescales-allocation_wd" in browser.page.error_links
    assert form_of(browser.html)["timescales-allocation_wd"] == ""
    assert protocols.current_protocol(core, owners["po1"])["version"] == 1
