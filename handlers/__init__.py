"""Service-task handlers, registered by operation name and called from BPMN service tasks.

Handlers see only `casepath.domain` and the `HandlerCall` they are given; they return JSON-able data
that becomes the service task's result variable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

REGISTRY: dict[str, Callable[[Any], Any]] = {}


def handler(name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Register a handler under the operation name a diagram's service task uses."""

    def register(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
        REGISTRY[name] = function
        return function

    return register


from handlers import conference  # noqa: E402,F401 - registers its handlers
