"""Every answer, page or API, carries the security headers; HSTS only over HTTPS (behind the TLS proxy)."""

from __future__ import annotations

import pytest
from flask import Flask

PATHS = ["/api/v1/tasks", "/api/openapi.json", "/sign-in", "/", "/no-such-page"]


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_denies_framing_sniffing_and_foreign_content(app: Flask, path: str) -> None:
    headers = app.test_client().get(path).headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be ignored, and wrong on localhost


@pytest.mark.parametrize("path", PATHS)
def test_answers_over_https_ask_browsers_to_stay_on_https(app: Flask, path: str) -> None:
    headers = app.test_client().get(path, base_url="https://casepath.example").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
