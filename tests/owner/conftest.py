"""Fixtures for the process owner's tests: the API client (`app`, `api`) and the pages' test browser."""

import pytest
from flask import Flask

from api.app import create_app
from casepath.services.core import Casepath
from tests.api.conftest import api, app
from tests.web.conftest import Browser

__all__ = ["api", "app"]


@pytest.fixture
def web_app(core: Casepath) -> Flask:
    return create_app(core, {"TESTING": True, "SECRET_KEY": "test-secret"})


@pytest.fixture
def browser(web_app: Flask) -> Browser:
    return Browser(web_app.test_client())
