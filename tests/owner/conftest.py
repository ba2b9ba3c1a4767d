"""The API fixtures (`app`, `api`) for the process owner's tests."""

from tests.api.conftest import api, app

__all__ = ["api", "app"]
