"""The OpenAPI document: every error is problem+json, every route lists the errors it can answer with;
and the browsable docs at /api/docs, with Swagger UI served from this server (no CDN).

Swagger UI's files come from web/static/vendor/swagger-ui when the front-end build has copied them
there (`npm run build`), else straight from node_modules/swagger-ui-dist (`npm install`).
"""

from __future__ import annotations

import http
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, send_from_directory, url_for
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields
from werkzeug.exceptions import NotFound

from api.errors import STATUS

F = TypeVar("F", bound=Callable[..., Any])
ROOT = Path(__file__).resolve().parents[1]
SWAGGER_DIRS = (ROOT / "web" / "static" / "vendor" / "swagger-ui", ROOT / "node_modules" / "swagger-ui-dist")
SWAGGER_URL = "/static/vendor/swagger-ui/"
PROBLEM_JSON = "application/problem+json"
DOCS_ENDPOINTS = {"api_docs", "api_docs_script", "swagger_ui_asset"}
TOTAL_HEADER = {"X-Total-Count": {"description": "How many items match, over all pages", "schema": {"type": "integer"}}}
ETAG_HEADER = {
    "ETag": {
        "description": "Send it back in If-Match to refuse changes made to an old copy",
        "schema": {"type": "string"},
    }
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The ETag you saw; if it has changed since, the request is refused with 409 conflict",
    "schema": {"type": "string"},
}


class Problem(Schema):
    """An error (RFC 9457): `code` is stable, `detail` tells a practitioner why and what to do."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata={"enum": sorted(STATUS)})
    errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), metadata={"description": "Messages per field"}
    )


class CasepathApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with problem+json error responses and no catch-all `default` response:
    each route lists exactly the statuses it can answer with."""

    ERROR_SCHEMA = Problem
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = Problem
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)


def problems(blp: Blueprint, *statuses: int) -> Callable[[F], F]:
    """Document the problem+json answers a route can give (401 always: every route needs a token)."""

    def decorate(func: F) -> F:
        for status in sorted({401, 400, *statuses}, reverse=True):
            func = blp.alt_response(status, response=http.HTTPStatus(status).name)(func)
        return func

    return decorate


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Casepath REST API v1</title>
<link rel="stylesheet" href="{css}"></head>
<body><div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script src="{script}"></script>
</body></html>
"""
DOCS_SCRIPT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
});
"""


def register_docs(app: Flask) -> None:
    """/api/docs and its assets; public, like /api/openapi.json (no inline script: the CSP forbids it)."""

    def docs() -> Response:
        page = DOCS_PAGE.format(
            css=SWAGGER_URL + "swagger-ui.css",
            bundle=SWAGGER_URL + "swagger-ui-bundle.js",
            script=url_for("api_docs_script"),
        )
        return Response(page, mimetype="text/html")

    def docs_script() -> Response:
        return Response(DOCS_SCRIPT, mimetype="text/javascript")

    def asset(filename: str) -> Response:
        for folder in SWAGGER_DIRS:
            if (folder / "swagger-ui-bundle.js").is_file():
                return send_from_directory(folder, filename, max_age=3600)
        raise NotFound("Swagger UI is not installed here: run `npm install` in the project folder.")

    app.add_url_rule("/api/docs", "api_docs", docs)
    app.add_url_rule("/api/docs/docs.js", "api_docs_script", docs_script)
    app.add_url_rule(SWAGGER_URL + "<path:filename>", "swagger_ui_asset", asset)
