"""The one table from error code to HTTP status, and every error as application/problem+json."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from casepath.domain.errors import CasepathError

log = logging.getLogger("casepath.api")

STATUS = {
    "bad_request": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_qualified": 403,
    "not_independent": 403,
    "four_eyes": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "already_claimed": 409,
    "task_not_ready": 409,
    "conflict": 409,
    "fgdm_required": 409,
    "incident": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "invalid_form": 422,
    "delay_reason_required": 422,
    "not_eligible": 422,
    "too_many_requests": 429,
    "server_error": 500,
}
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_form",
    429: "too_many_requests",
}


def problem(code: str, title: str, detail: str, errors: dict[str, Any] | None = None) -> Response:
    status = STATUS.get(code, 400)
    body: dict[str, Any] = {
        "type": f"https://casepath.example/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _webargs_errors(err: HTTPException) -> dict[str, list[str]]:
    messages = getattr(err, "data", {}).get("messages", {}) if hasattr(err, "data") else {}
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat[prefix or "_form"] = list(value)
        else:
            flat[prefix or "_form"] = [str(value)]

    for location in messages.values() if isinstance(messages, dict) else []:
        walk("", location)
    return flat


FRIENDLY = {
    404: "There is nothing at this address: check it against the API documentation at /api/docs.",
    405: "This address does not accept that method: check the API documentation at /api/docs.",
    413: "The request is too large (the limit is 1 MB). Send less.",
}


def _joined(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in list(errors.items())[:5])


def _from_http(err: HTTPException) -> Response:
    status = err.code or 400
    code = HTTP_CODES.get(status, "bad_request")
    if status == 422:
        errors = _webargs_errors(err)
        return problem(
            "invalid_form",
            "There is a problem with the request",
            f"Correct these and send it again. {_joined(errors)}".strip(),
            errors,
        )
    if status == 400 and hasattr(err, "data"):
        errors = _webargs_errors(err)
        return problem("bad_request", "The request is not well formed", f"Check the request: {_joined(errors)}", errors)
    default = type(err).description
    detail = err.description if err.description and err.description != default else FRIENDLY.get(status, err.name)
    return problem(code, err.name, detail or err.name)


def register(app: Flask) -> None:
    @app.errorhandler(CasepathError)
    def domain_error(err: CasepathError) -> Response:
        response = problem(err.code, err.title, err.detail, err.errors or None)
        if err.code == "unauthenticated":
            response.headers["WWW-Authenticate"] = 'Bearer realm="casepath"'
        return response

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Response:
        response = _from_http(err)
        if isinstance(err, MethodNotAllowed) and err.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(err.valid_methods))
        return response

    @app.errorhandler(Exception)
    def unexpected(err: Exception) -> Response:
        log.exception("unexpected error")
        return problem(
            "server_error",
            "Something went wrong",
            "Something went wrong on our side and nothing was "
            "saved. Try again; if it happens again, tell the Casepath team.",
        )
