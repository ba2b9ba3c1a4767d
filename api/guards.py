"""Strict input for every /api/v1 request, checked before any view runs.

Too large a body → 413; a body that is not JSON → 415; JSON that does not parse (or holds NaN, NUL
characters, or nesting deeper than anyone needs) → 400; a query parameter the endpoint does not take → 400.
Field-level checks are the marshmallow schemas' (unknown fields are refused there).
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from casepath.domain.errors import BadRequest

MAX_DEPTH = 32
BODY_METHODS = ("POST", "PUT", "PATCH")


def refuse_large_bodies() -> None:
    """Before anything reads the body (or asks who is sending it): refuse what is too large to be real."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(
            f"The request is larger than {limit // 1000} kB. Send less: attach documents to the case record instead."
        )


def check_request() -> None:
    if request.endpoint is None or not request.path.startswith("/api/v1/"):
        return
    view = current_app.view_functions.get(request.endpoint)
    _check_query(_argument_names(view, "query"))
    if request.method in BODY_METHODS and _argument_names(view, "json") is not None:
        _check_body()


def _argument_names(view: Any, location: str) -> set[str] | None:
    """The field names a view's smorest arguments take in `location`; None when it takes none there."""
    names: set[str] | None = None
    for param in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
        if param.get("in") == location:
            schema = param["schema"]
            schema = schema() if isinstance(schema, type) else schema
            names = (names or set()) | {f.data_key or name for name, f in schema.fields.items()}
    return names


def _check_query(allowed: set[str] | None) -> None:
    unknown = sorted(set(request.args) - (allowed or set()))
    if unknown:
        takes = ", ".join(sorted(allowed)) if allowed else "none"
        raise BadRequest(
            f"This address does not take the query parameter {', '.join(unknown)} (it takes: {takes}).",
            errors={name: ["Unknown query parameter"] for name in unknown},
        )
    if any("\x00" in value for values in request.args.listvalues() for value in values):
        raise BadRequest("A query parameter contains a NUL character: remove it.")


def _check_body() -> None:
    data = request.get_data(cache=True)
    if not data.strip():
        return
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            f"Send the body as JSON with `Content-Type: application/json` (it was {mimetype or 'not given'})."
        )
    try:
        body = json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:
        raise BadRequest(f"The body is not valid JSON ({_reason(err)}): correct it and send it again.") from None
    _check_values(body)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _reason(err: Exception) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"{err.msg} at line {err.lineno}, column {err.colno}"
    if isinstance(err, RecursionError):
        return "it is nested too deeply"
    return str(err)[:200]


def _check_values(body: Any) -> None:
    """No NUL characters (PostgreSQL cannot store them) and no absurd nesting, without recursion."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"The body is nested more than {MAX_DEPTH} levels deep: send a flatter document.")
        if isinstance(value, str) and "\x00" in value:
            raise BadRequest("The body contains a NUL character: remove it and send it again.")
        if isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
