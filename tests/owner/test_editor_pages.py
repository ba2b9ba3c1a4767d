"""The process owner's editor pages through the Flask test client: titles, skip links, unique ids, who may
open them, saving and uploading a diagram into a draft, lint, publish, diff and migration."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from casepath.services import drafts
from casepath.services.core import Casepath
from casepath.store import models
from tests.web.conftest import Browser, password_hash

ASSESSMENT = "assessment.bpmn"


@pytest.fixture
def owners(factory: Any, core: Casepath) -> dict[str, Any]:
    found = {
        "po1": factory.create_staff("po1", ["process_owner"]),
        "rv1": factory.create_staff("rv1", ["reviewer"]),
        "sw9": factory.create_staff("sw9", ["social_worker", "lead_practitioner"]),
    }
    with core.db.transaction() as session:
        for row in session.scalars(select(models.Staff).where(models.Staff.username.in_(list(found)))):
            row.password_hash = password_hash()
    return found


def published_xml(core: Casepath) -> str:
    with core.db.transaction() as session:
        row = session.scalars(select(models.ProcessVersion).order_by(models.ProcessVersion.version)).first()
        assert row is not None
        return str(row.diagrams[ASSESSMENT])


def in_lane(xml: str, step: str, lane: str) -> str:
    """The assessment diagram with `step` listed in another lane (the lint reads flowNodeRef)."""
    ref = f"<bpmn:flowNodeRef>{step}</bpmn:flowNodeRef>"
    without = xml.replace(ref, "", 1)
    opening = re.search(rf'<bpmn:lane id="[^"]+" name="{lane}">', without)
    assert opening
    return without[: opening.end()] + ref + without[opening.end() :]


def test_a_process_owner_opens_the_editor_on_the_newest_version(browser: Browser, owners: Any) -> None:
    browser.sign_in("po1")
    html = browser.get("/owner/editor?diagram=assessment.bpmn")
    assert "Version 1" in browser.page.title and "assessment.bpmn" in browser.page.title
    assert 'id="editor"' in html and "bpmn-modeler.production.min.js" in html
    assert "Save draft" in html and "Pathway editor" in html
    xml = browser.client.get("/owner/editor/diagram?version=1&diagram=assessment.bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b"approve_assessment" in xml.data


def test_a_reviewer_sees_the_editor_read_only_and_others_are_refused(browser: Browser, owners: Any) -> None:
    browser.sign_in("rv1")
    html = browser.get("/owner/editor")
    assert "read only" in html and "Save draft" not in html and "bpmn-navigated-viewer" in html
    browser.post("/owner/editor/save", {"diagram": ASSESSMENT, "xml": "<x/>", "base_version": "1"}, status=403)
    browser.client.post("/sign-out", data={"csrf_token": browser.token()})
    browser.sign_in("sw9")
    browser.get("/owner/editor", status=403)
    browser.get("/owner/versions/1/migration", status=403)


def test_saving_a_lane_change_makes_a_draft_whose_lint_shows_the_approval_lane_finding(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    browser.sign_in("po1")
    browser.get("/owner/editor?version=1&diagram=assessment.bpmn")
    moved = in_lane(published_xml(core), "approve_assessment", "lead_practitioner")
    form = {"diagram": ASSESSMENT, "xml": moved, "base_version": "1", "from_version": "1", "draft": "lanes"}
    browser.post("/owner/editor/save", {**form, "action": "lint"}, status=200)
    assert drafts.get_draft(core, owners["po1"], "lanes")["diagrams"][ASSESSMENT] == moved
    assert "Draft lanes" in browser.page.title
    assert 'data-rule="approval-lane"' in browser.html and "Not publishable" in browser.html
    assert "approval-lane" in re.search(r"data-findings='([^']*)'", browser.html).group(1)  # type: ignore[union-attr]
    browser.post("/owner/drafts/lanes/publish", {"reason": "Try it", "diagram": ASSESSMENT}, status=200)
    assert "cannot be published" in browser.html


def test_a_second_draft_with_the_same_name_is_refused_and_an_upload_replaces_a_diagram(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    browser.sign_in("po1")
    browser.get("/owner/editor")
    form = {"diagram": ASSESSMENT, "base_version": "1", "from_version": "1", "draft": "next"}
    browser.post("/owner/editor/save", {**form, "xml": published_xml(core)}, status=200)
    browser.post("/owner/editor/save", {**form, "xml": published_xml(core)}, status=200)
    assert "already exists" in browser.html
    bad = {**form, "from_version": "0"}
    response = browser.client.post(
        "/owner/editor/upload",
        data={"csrf_token": browser.token(), **bad, "file": (io.BytesIO(b"<not bpmn"), "x.bpmn")},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "There is a problem" in response.get_data(as_text=True)
    renamed = published_xml(core).replace('name="Approve the assessment"', 'name="Approve it"').encode()
    response = browser.client.post(
        "/owner/editor/upload",
        data={"csrf_token": browser.token(), **bad, "file": (io.BytesIO(renamed), "assessment.bpmn")},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Uploaded assessment.bpmn" in response.get_data(as_text=True)
    assert 'name="Approve it"' in drafts.get_draft(core, owners["po1"], "next")["diagrams"][ASSESSMENT]


def test_publishing_a_clean_draft_shows_the_diff_and_the_migration_page(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    browser.sign_in("po1")
    browser.get("/owner/editor")
    renamed = published_xml(core).replace('name="Approve the assessment"', 'name="Approve the assessment (PS)"')
    form = {"diagram": ASSESSMENT, "base_version": "1", "from_version": "1", "draft": "names", "xml": renamed}
    browser.post("/owner/editor/save", form, status=200)
    browser.post("/owner/drafts/names/publish", {"reason": "", "diagram": ASSESSMENT}, status=200)
    assert "Say why" in browser.html
    browser.post("/owner/drafts/names/publish", {"reason": "Clearer name", "diagram": ASSESSMENT}, status=200)
    assert "Changes from version 1 to version 2" in browser.page.title
    assert "Approve the assessment (PS)" in browser.html
    assert 'data-diff-xml="/owner/editor/diagram?version=2&amp;diagram=assessment.bpmn"' in browser.html
    changed = re.search(r'data-diff-changed="([^"]*)"', browser.html)
    assert changed and "&#34;approve_assessment&#34;" in changed.group(1)
    browser.get("/owner/versions/2/migration")
    assert "Move running cases to version 2" in browser.page.title


def test_the_versions_page_lists_every_version_with_who_when_why_for_owners_and_reviewers(
    browser: Browser, owners: Any, core: Casepath
) -> None:
    with core.db.transaction() as session:
        first = session.scalars(select(models.ProcessVersion)).one()
        diagrams = {
            **first.diagrams,
            ASSESSMENT: published_xml(core).replace('name="Approve the assessment"', 'name="A"'),
        }
    drafts.save_draft(core, owners["po1"], "v2", {"base_version": 1, "diagrams": diagrams})
    drafts.publish_draft(core, owners["po1"], "v2", "A shorter name: a second version to list.")
    browser.sign_in("rv1")
    browser.get("/owner/versions")
    assert "Versions of the pathway" in browser.page.title
    table = browser.html[browser.html.index('id="versions"') :]
    rows = re.findall(r'<th scope="row"[^>]*>(.*?)</th>', table, re.S)
    assert [re.sub(r"<[^>]+>|\s+", " ", r).split() for r in rows] == [["2", "Newest"], ["1"]]
    assert "A shorter name: a second version to list." in table
    assert 'href="/owner/versions/2/diff"' in table and 'href="/owner/versions/1/diff"' not in table
    assert "Running cases that could move" in table  # a reviewer reads; only process owners move cases
    browser.sign_in("sw9")
    browser.get("/owner/versions", status=403)
