"""Signing in and out: passwords, CSRF, the throttle, cookies, the demo picker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from api.app import create_app
from casepath.domain.clock import FixedClock
from casepath.domain.errors import Unauthenticated
from casepath.services import login
from casepath.services.core import Casepath
from tests.web.conftest import PASSWORD, Browser


def test_signing_in_with_the_right_password_opens_the_inbox(browser: Browser, people: dict[str, Any]) -> None:
    browser.sign_in("fd1")
    assert "My tasks" in browser.page.title


def test_a_wrong_password_is_refused_with_the_error_summary(browser: Browser, people: dict[str, Any]) -> None:
    browser.get("/sign-in")
    browser.post("/sign-in", {"username": "fd1", "password": "wrong password"}, status=401)
    assert "There is a problem" in browser.html
    assert browser.page.error_links == ["#username"]
    assert browser.page.title.startswith("Error:")
    browser.get("/inbox", status=302)


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(browser: Browser, people: dict[str, Any]) -> None:
    browser.get("/sign-in")
    browser.post("/sign-in", {"username": "nobody", "password": PASSWORD}, status=401)
    assert login.WRONG in browser.html


def test_signing_in_without_the_csrf_token_is_refused(app: Flask, people: dict[str, Any]) -> None:
    response = app.test_client().post("/sign-in", data={"username": "fd1", "password": PASSWORD})
    assert response.status_code == 400
    assert "Sign out" not in response.get_data(as_text=True)


def test_signing_out_ends_the_session(browser: Browser, people: dict[str, Any]) -> None:
    browser.sign_in("fd1")
    browser.post("/sign-out", {}, status=200)
    assert "Sign in to Casepath" in browser.html
    response = browser.client.get("/inbox")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_pages_send_people_who_are_not_signed_in_to_sign_in_and_back(browser: Browser, people: dict[str, Any]) -> None:
    response = browser.client.get("/inbox?view=available")
    assert response.status_code == 302
    browser.get(response.headers["Location"])
    response = browser.post(
        "/sign-in", {"username": "fd1", "password": PASSWORD, "next": "/inbox?view=available"}, follow=False
    )
    assert response.headers["Location"] == "/inbox?view=available"


def test_sign_in_never_redirects_to_another_site(browser: Browser, people: dict[str, Any]) -> None:
    browser.get("/sign-in")
    response = browser.post(
        "/sign-in", {"username": "fd1", "password": PASSWORD, "next": "//evil.example/x"}, follow=False
    )
    assert response.headers["Location"] == "/inbox"


def test_repeated_failed_sign_ins_are_refused_for_a_while(browser: Browser, people: dict[str, Any]) -> None:
    browser.get("/sign-in")
    for _ in range(5):
        browser.post("/sign-in", {"username": "fd1", "password": "wrong"}, status=401)
    browser.post("/sign-in", {"username": "fd1", "password": PASSWORD}, status=401)
    assert "Too many failed attempts" in browser.html


def test_the_throttle_forgets_failures_after_its_window(core: Casepath, clock: FixedClock) -> None:
    throttle = login.LoginThrottle(max_failures=2, window_seconds=60)
    throttle.failed(core, "ana", "10.0.0.1")
    throttle.failed(core, "ana", "10.0.0.2")
    with pytest.raises(Unauthenticated):
        throttle.check(core, "ana", "10.0.0.3")
    clock.set(clock.now() + timedelta(seconds=61))
    throttle.check(core, "ana", "10.0.0.3")


def test_the_throttle_counts_failures_from_one_address_across_usernames(core: Casepath) -> None:
    throttle = login.LoginThrottle(max_failures=2, window_seconds=60)
    throttle.failed(core, "ana", "10.0.0.1")
    throttle.failed(core, "bob", "10.0.0.1")
    with pytest.raises(Unauthenticated):
        throttle.check(core, "cat", "10.0.0.1")
    throttle.check(core, "cat", "10.0.0.2")


def test_every_web_process_counts_the_same_failures(core: Casepath, clock: FixedClock) -> None:
    """Two apps on one database (two gunicorn workers): failures made through one lock out the other."""
    other = Casepath(core.settings, clock=clock)
    try:
        first, second = login.LoginThrottle(max_failures=3), login.LoginThrottle(max_failures=3)
        for _ in range(3):
            first.failed(core, "ana", "10.0.0.1")
        with pytest.raises(Unauthenticated):
            second.check(other, "ana", "10.0.0.9")
        second.succeeded(other, "ana")  # a correct password clears the username's count everywhere
        first.check(core, "ana", "10.0.0.9")
    finally:
        other.db.dispose()


def test_behind_trusted_proxies_the_throttle_sees_the_client_not_the_proxy(
    core: Casepath, people: dict[str, Any]
) -> None:
    core.settings.trusted_proxies = 1
    client = create_app(core, {"TESTING": True, "SECRET_KEY": "test-secret"}).test_client()
    browser = Browser(client)
    browser.get("/sign-in")
    for _ in range(5):
        browser.client.post(
            "/sign-in",
            data={"csrf_token": browser.token(), "username": "nobody", "password": "wrong"},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    refused = browser.client.post(
        "/sign-in",
        data={"csrf_token": browser.token(), "username": "fd1", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert refused.status_code == 401 and "Too many failed attempts" in refused.get_data(as_text=True)
    allowed = browser.client.post(
        "/sign-in",
        data={"csrf_token": browser.token(), "username": "fd1", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.2"},
    )
    assert allowed.status_code == 302  # another client behind the same proxy is not locked out


def test_the_session_cookie_is_http_only_and_same_site_lax(browser: Browser, people: dict[str, Any]) -> None:
    browser.get("/sign-in")
    response = browser.client.post(
        "/sign-in", data={"csrf_token": browser.token(), "username": "fd1", "password": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_session_cookie_is_secure_over_https(app: Flask, people: dict[str, Any]) -> None:
    client = app.test_client()
    page = client.get("/sign-in", base_url="https://casepath.example").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/sign-in",
        data={"csrf_token": token, "username": "fd1", "password": PASSWORD},
        base_url="https://casepath.example",
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_passwords_are_stored_hashed(core: Casepath, people: dict[str, Any]) -> None:
    from sqlalchemy import select

    from casepath.store import models

    with core.db.transaction() as session:
        stored = session.scalars(select(models.Staff.password_hash).where(models.Staff.username == "fd1")).one()
    assert stored and PASSWORD not in stored


def test_a_short_password_is_refused(core: Casepath, people: dict[str, Any]) -> None:
    from casepath.domain.errors import InvalidForm

    with pytest.raises(InvalidForm):
        login.set_password(core, None, "fd1", "short")


def test_the_demo_picker_is_off_without_demo_staff(browser: Browser, people: dict[str, Any]) -> None:
    browser.get("/sign-in")
    assert "Pick a demo person" not in browser.html
    browser.post("/sign-in/demo", {"username": "fd1"}, status=400)
    assert "Sign out" not in browser.html


def test_the_demo_picker_signs_in_as_a_demo_person(browser: Browser, factory: Any, people: dict[str, Any]) -> None:
    factory.create_staff("demo.ps", ["practice_supervisor", "social_worker"], demo=True, name="Demo Supervisor")
    browser.get("/sign-in")
    assert "Pick a demo person" in browser.html
    assert "Demo Supervisor" in browser.html
    browser.post("/sign-in/demo", {"username": "demo.ps"}, status=200)
    assert "Signed in as Demo Supervisor" in browser.html


def test_the_demo_picker_refuses_people_who_are_not_demo_staff(
    browser: Browser, factory: Any, people: dict[str, Any]
) -> None:
    factory.create_staff("demo.ps", ["practice_supervisor"], demo=True)
    browser.get("/sign-in")
    browser.post("/sign-in/demo", {"username": "ps1"}, status=400)
    assert "Choose one of the demo people" in browser.html
