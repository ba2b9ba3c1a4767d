"""The process owner's tools beside the editor: forms, the local protocol, rehearsals, and their sub-navigation.

This module holds what those pages share (who may do what, turning a domain error into GOV.UK error
summary items, rendering a form's components) and registers them; each set of pages has its own module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import get_template_attribute, url_for

from casepath.domain.errors import CasepathError, Forbidden
from casepath.services.staff import Actor
from web import forms
from web.blueprint import actor, blp

OWNERS = ("process_owner",)
NAV = (
    ("editor", "Editor", "web.owner_editor"),
    ("forms", "Forms", "web.owner_forms"),
    ("protocol", "Local protocol", "web.owner_protocol"),
    ("rehearse", "Rehearse", "web.owner_rehearsals"),
    ("versions", "Versions", "web.owner_versions"),
)


def allowed(roles: Sequence[str], refusal: str) -> Actor:
    """The signed-in person, if they hold one of `roles`; else Forbidden with `refusal`."""
    me = actor()
    if not me.has(*roles):
        raise Forbidden(refusal)
    return me


def error_items(err: CasepathError, anchors: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """GOV.UK error summary items: each field problem linked to its field when it is on the page."""
    items = []
    for key, messages in err.errors.items():
        href = (anchors or {}).get(key)
        for message in messages:
            text = message if key.startswith("_") else f"{key}: {message}" if href is None else message
            items.append({"text": text, "href": href} if href else {"text": text})
    return items or [{"text": err.detail}]


def render_component(component: forms.Component) -> str:
    return str(get_template_attribute("_fields.html", "field")(component))


def render_form(
    schema: Mapping[str, Any],
    data: Mapping[str, Any] | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
    rows: Mapping[str, int] | None = None,
) -> list[str]:
    """A form schema as the HTML of its GOV.UK components: exactly what staff see on a task page."""
    built = forms.components(schema, data or {}, errors or {}, rows or {}, render_component)
    return [render_component(c) for c in built]


def status_of(err: CasepathError) -> int:
    return {"invalid_form": 422, "not_found": 404, "conflict": 409}.get(err.code, 403 if "not" in err.code else 400)


@blp.context_processor
def _owner_nav() -> dict[str, Any]:
    """The owner tools' sub-navigation (the rehearsals only for process owners, who alone may run them)."""

    def owner_nav(active: str) -> list[dict[str, Any]]:
        me = actor()
        items = []
        for key, text, endpoint in NAV:
            if key == "rehearse" and not me.has(*OWNERS):
                continue
            items.append({"key": key, "text": text, "href": url_for(endpoint), "active": key == active})
        return items

    return {"owner_nav": owner_nav}


# The pages themselves, registered on import (web.setup imports this module).
from web import owner_forms_pages, owner_protocol_pages, owner_rehearsal_pages, owner_versions_pages  # noqa: E402

__all__ = ["owner_forms_pages", "owner_protocol_pages", "owner_rehearsal_pages", "owner_versions_pages"]
