"""Every route checks who is asking: a bearer token, stored hashed, expiring and revocable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from api.auth import PUBLIC_ENDPOINTS
from casepath.domain.clock import FixedClock
from casepath.services.staff import token_hash
from casepath.store import models
from tests.api.conftest import Api, assert_problem

SAMPLES = {"uuid": str(uuid.uuid4()), "int": "1"}
# the staff pages' own public ones: signing in, and their CSS/JS (web/blueprint.py)
WEB_PUBLIC = {"web.static", "web.sign_in"}


def _build(app: Flask, rule: Any) -> str:
    samples = {"UUIDConverter": SAMPLES["uuid"], "IntegerConverter": 1}
    values = {name: samples.get(type(conv).__name__, "x") for name, conv in rule._converters.items()}
    with app.test_request_context():
        return str(app.url_map.bind("localhost").build(rule.endpoint, values, method=sorted(rule.methods)[0]))


def test_every_route_refuses_a_request_without_a_token_except_the_public_documentation(app: Flask) -> None:
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS | WEB_PUBLIC:
            continue
        url = _build(app, rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if url.startswith("/api/"):
                assert_problem(response, 401, "unauthenticated")
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
            else:  # pages send people to sign in (or refuse a form without its CSRF token): never any content
                assert response.status_code in (302, 303, 400, 401, 403), (method, url, response.status_code)
                assert "/sign-in" in response.headers.get("Location", "/sign-in")
            checked += 1
    assert checked >= 25


def test_the_openapi_document_and_its_browsable_docs_are_public_and_served_locally(app: Flask) -> None:
    client = app.test_client()
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["openapi"].startswith("3.")
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page.get_data(as_text=True)
    assert "<script>" not in page.get_data(as_text=True)  # the CSP forbids inline scripts
    assert "SwaggerUIBundle" in client.get("/api/docs/docs.js").get_data(as_text=True)
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = client.get(f"/static/vendor/swagger-ui/{asset}")
        assert response.status_code == 200 and len(response.data) > 1000
        response.close()
    assert client.get("/static/vendor/swagger-ui/../../package.json").status_code == 404


def test_a_token_in_the_wrong_scheme_or_unknown_is_refused(api: Api) -> None:
    assert_problem(
        api.get("/clock", as_=None, headers={"Authorization": "Basic YWRtaW46YWRtaW4="}), 401, "unauthenticated"
    )
    assert_problem(
        api.get("/clock", as_=None, headers={"Authorization": "Bearer cp_not-a-token"}), 401, "unauthenticated"
    )
    assert_problem(api.get("/clock", as_=None, headers={"Authorization": "Bearer "}), 401, "unauthenticated")
    assert api.get("/clock").status_code == 200


def test_only_the_hash_of_a_token_is_stored(api: Api) -> None:
    token = api.post("/staff/admin/tokens").get_json()["token"]
    with api.core.db.transaction() as session:
        stored = set(session.scalars(select(models.ApiToken.token_hash)))
    assert token not in stored and token_hash(token) in stored
    assert api.get("/clock", as_=None, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_revoked_token_is_refused(api: Api) -> None:
    token = api.token("admin")
    with api.core.db.transaction() as session:
        session.execute(
            update(models.ApiToken)
            .where(models.ApiToken.token_hash == token_hash(token))
            .values(revoked_at=datetime(2025, 4, 1, tzinfo=UTC))
        )
    body = assert_problem(api.get("/clock"), 401, "unauthenticated")
    assert "revoked" in body["detail"]


def test_a_token_stops_working_when_it_expires_after_ninety_days(api: Api, clock: FixedClock) -> None:
    assert api.get("/clock").status_code == 200
    clock.set(clock.now() + timedelta(days=91))
    assert_problem(api.get("/clock"), 401, "unauthenticated")


def test_issuing_a_token_is_for_admins_only(api: Api, factory: Any) -> None:
    factory.create_staff("sw1", ["social_worker"])
    assert_problem(api.post("/staff/admin/tokens", as_="sw1"), 403, "forbidden")
    assert_problem(api.post("/staff/nobody/tokens"), 404, "not_found")
    assert_problem(api.post("/staff/bad%20name/tokens"), 404, "not_found")
