"""Page tests through the Flask test client: sign in, read pages, post forms with their CSRF token."""

from __future__ import annotations

import functools
import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from api.app import create_app
from casepath.services.core import Casepath
from casepath.store import models

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageParser(HTMLParser):
    """Collects what every page must have: a title, a skip link, a main landmark, unique ids."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.title = ""
        self.in_title = False
        self.skip_link = False
        self.links: list[str] = []
        self.error_links: list[str] = []
        self.in_summary = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids[str(found["id"])] += 1
        if tag == "title":
            self.in_title = True
        classes = str(found.get("class") or "")
        if tag == "a" and "govuk-skip-link" in classes and found.get("href") == "#main-content":
            self.skip_link = True
        if "govuk-error-summary__list" in classes:
            self.in_summary = 1
        if tag == "a" and self.in_summary and found.get("href"):
            self.error_links.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag == "ul" and self.in_summary:
            self.in_summary = 0

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data


def check_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    assert parser.title.strip(), "the page has no <title>"
    assert parser.skip_link, "the page has no skip link to #main-content"
    assert parser.ids["main-content"] == 1
    duplicates = [i for i, n in parser.ids.items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for href in parser.error_links:
        assert href.startswith("#") and parser.ids[href[1:]] == 1, f"error summary links to missing {href}"
    return parser


class Browser:
    """A signed-in (or not) test client that checks every page it reads."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.html = ""
        self.status = 0

    def get(self, url: str, status: int = 200) -> str:
        response = self.client.get(url)
        assert response.status_code == status, response.get_data(as_text=True)[:2000]
        self.html = response.get_data(as_text=True)
        if status < 300:
            self.page = check_page(self.html)
        return self.html

    def token(self) -> str:
        if not TOKEN.search(self.html):
            self.get("/sign-in")
        match = TOKEN.search(self.html)
        assert match
        return match.group(1)

    def post(self, url: str, data: dict[str, Any], status: int | None = None, follow: bool = True) -> Any:
        response = self.client.post(url, data={"csrf_token": self.token(), **data}, follow_redirects=follow)
        if status is not None:
            assert response.status_code == status, response.get_data(as_text=True)[:3000]
        self.status = response.status_code
        if response.mimetype == "text/html" and response.status_code != 302:
            self.html = response.get_data(as_text=True)
            self.page = check_page(self.html)
        return response

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.get("/sign-in")
        self.post("/sign-in", {"username": username, "password": password}, status=200)
        assert "Sign out" in self.html


@pytest.fixture
def app(core: Casepath) -> Flask:
    return create_app(core, {"TESTING": True, "SECRET_KEY": "test-secret"})


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def people(factory: Any, core: Casepath) -> dict[str, Any]:
    """The s17 scenario's people, each with a password."""
    found = {
        "fd1": factory.create_staff("fd1", ["front_door", "social_worker"], team="front door"),
        "ps1": factory.create_staff("ps1", ["practice_supervisor", "social_worker"], team="family help east"),
        "fsw1": factory.create_staff(
            "fsw1",
            ["lead_practitioner"],
            profession="family_support_worker",
            competencies=["cin_assessment"],
            team="family help east",
            line_manager="ps1",
        ),
        "sw1": factory.create_staff("sw1", ["social_worker", "lead_practitioner"], team="family help east"),
    }
    with core.db.transaction() as session:
        for row in session.scalars(select(models.Staff).where(models.Staff.username.in_(list(found)))):
            row.password_hash = password_hash()
    return found


@functools.cache
def password_hash() -> str:
    """One hash for every test (hashing is deliberately slow: about half a second here)."""
    return generate_password_hash(PASSWORD)
