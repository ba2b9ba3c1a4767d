"""The data the editor's browser lint reads (casepath/services/lint_rules.py), embedded in the editor page:
derived from the pathway contract and the open pathway, never a hand-kept copy."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from casepath.domain.pathway import CONTRACT_STEPS, TIMED_STEPS
from casepath.domain.people import ROLES
from casepath.engine.lint import RING_FENCES
from casepath.services import drafts, lint_rules
from casepath.services.core import Casepath
from tests.owner.test_editor_pages import ASSESSMENT, owners, published_xml
from tests.web.conftest import Browser

__all__ = ["owners"]


def embedded(page: str) -> Any:
    match = re.search(r'<script type="application/json" id="editor-rules">(.*?)</script>', page, re.S)
    assert match, "the editor page carries no lint data"
    return json.loads(html.unescape(match.group(1)))


def test_the_contract_data_comes_from_the_domain_tables() -> None:
    data = lint_rules.contract_data()
    assert data["roles"] == [r for r in ROLES if r not in ("process_owner", "reviewer", "admin")]
    assert "practice_supervisor" in data["roles"] and "process_owner" not in data["roles"]
    assert set(data["steps"]) == set(CONTRACT_STEPS)
    assert data["steps"]["approve_assessment"] == {
        "lanes": ["practice_supervisor"],
        "rule": "assessment-45wd",
        "fence": "approval-lane",
        "why": RING_FENCES["approval"][1],
    }
    assert data["steps"]["section47_enquiry"]["fence"] == "social-work-lane"
    assert data["steps"]["hold_icpc"]["lanes"] == ["conference_chair"]
    assert data["steps"]["draft_cin_plan"] == {"lanes": [], "rule": None, "fence": None, "why": None}
    assert {s for s, v in data["steps"].items() if v["rule"]} == set(TIMED_STEPS)
    assert "Timeliness" in data["rules"]["assessment-45wd"]["reference"]


def test_the_editor_page_embeds_the_forms_and_steps_of_what_it_opens(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    browser.sign_in("po1")
    data = embedded(browser.get(f"/owner/editor?version=1&diagram={ASSESSMENT}"))
    assert "approve_assessment" in data["forms"] and "overdue_review" in data["forms"]
    assert "approve_assessment" in data["previous_steps"]
    assert "approve_assessment" not in data["steps_elsewhere"]  # it is drawn in the diagram being edited
    assert "section47_enquiry" in data["steps_elsewhere"]
    assert data["steps"]["approve_assessment"]["fence"] == "approval-lane"

    body = {"diagrams": {ASSESSMENT: published_xml(core)}, "forms": {"approve_assessment": {"type": "object"}}}
    drafts.save_draft(core, owners["po1"], "small", body)
    data = embedded(browser.get(f"/owner/editor?draft=small&diagram={ASSESSMENT}"))
    assert data["forms"] == ["approve_assessment"]
    assert data["steps_elsewhere"] == []  # the draft has no other diagram
    assert "section47_enquiry" in data["previous_steps"]  # still in the newest published version


def test_a_reviewer_gets_no_editing_data_and_no_add_ons(browser: Browser, owners: Any) -> None:
    browser.sign_in("rv1")
    page = browser.get(f"/owner/editor?version=1&diagram={ASSESSMENT}")
    assert 'id="editor-rules"' not in page and "casepath-editor.js" not in page
    assert 'id="properties-panel"' not in page
