"""A task's JSON Schema as GOV.UK components, and a posted GOV.UK form back into the schema's answers.

Widgets come from each question's `x-govuk` hint (see casepath.domain.forms): text, textarea,
radios, checkboxes, select, date (three boxes, posted as `<name>-day|month|year`, answered as an
ISO date) and repeating groups (rows posted as `<name>-<i>-<field>`, or `<name>-<i>` for a list
of text; `<name>-rows` says how many rows the page showed, so "add another" works without
JavaScript). A question whose `reveal_when` names one value of an earlier radios question is
nested in that radio's GOV.UK conditional reveal; any other `reveal_when` is shown in place.
Validation is not done here: the services check the answers with validate_submission.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from werkzeug.datastructures import MultiDict

DEFAULT_ROWS = 3
MAX_ROWS = 50
Component = dict[str, Any]
Renderer = Callable[[Component], str]


def order(schema: Mapping[str, Any]) -> list[str]:
    names = schema.get("x-govuk-order")
    props = list(schema.get("properties", {}))
    return [str(n) for n in names if n in props] if isinstance(names, list) else props


def hint(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    found = schema.get("x-govuk")
    return found if isinstance(found, Mapping) else {}


def widget(schema: Mapping[str, Any]) -> str:
    named = hint(schema).get("widget")
    if isinstance(named, str):
        return named
    if schema.get("type") == "boolean" or "enum" in schema:
        return "radios"
    if schema.get("type") == "array":
        return "checkboxes" if "enum" in schema.get("items", {}) else "repeating"
    return "date" if schema.get("format") == "date" else "text"


def as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# --- reading a posted form -------------------------------------------------------------------


def parse(schema: Mapping[str, Any], form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, int]]:
    """The answers a posted page gives (blank answers left out) and how many rows each group showed."""
    data: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for name, question in schema.get("properties", {}).items():
        kind = widget(question)
        if kind == "repeating":
            rows[name] = _row_count(form, name)
            value: Any = _parse_rows(question, form, name, rows[name])
        elif kind == "checkboxes":
            value = [v for v in form.getlist(name) if v.strip()]
        elif kind == "date":
            value = _parse_date(form, name)
        else:
            value = _typed(question, form.get(name, ""))
        if value not in (None, "", []):
            data[name] = value
    return data, rows


def _row_count(form: MultiDict[str, str], name: str) -> int:
    raw = form.get(f"{name}-rows", "")
    return max(0, min(int(raw), MAX_ROWS)) if raw.isdigit() else DEFAULT_ROWS


def _parse_rows(question: Mapping[str, Any], form: MultiDict[str, str], name: str, count: int) -> list[Any]:
    item = question.get("items", {})
    found: list[Any] = []
    for index in range(count):
        if item.get("type") == "object":
            row = {k: _typed(sub, form.get(f"{name}-{index}-{k}", "")) for k, sub in item.get("properties", {}).items()}
            row = {k: v for k, v in row.items() if v not in (None, "")}
            if row:
                found.append(row)
        else:
            text = form.get(f"{name}-{index}", "").strip()
            if text:
                found.append(text)
    return found


def _parse_date(form: MultiDict[str, str], name: str) -> str | None:
    day, month, year = (form.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year"))
    if not (day or month or year):
        return None
    if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{month}-{day}"  # not a date: kept as typed so the page shows it with the error


def _typed(question: Mapping[str, Any], raw: str) -> Any:
    text = raw.strip()
    kind = question.get("type")
    if kind == "boolean":
        return {"true": True, "false": False}.get(text)
    if kind in ("integer", "number") and text:
        try:
            return int(text) if kind == "integer" else float(text)
        except ValueError:
            return text
    return text


# --- building the page -----------------------------------------------------------------------


def anchor(schema: Mapping[str, Any], key: str) -> str | None:
    """The id an error summary link for `key` (`field`, `field.0.sub`) points at, if it is on the page."""
    parts = key.split(".")
    question = schema.get("properties", {}).get(parts[0])
    if not isinstance(question, Mapping):
        return None
    kind = widget(question)
    if kind == "date":
        return f"#{parts[0]}-day"
    if kind == "repeating" and len(parts) == 1:
        item = question.get("items", {})
        first = order(item)[0] if item.get("type") == "object" and order(item) else None
        return f"#{parts[0]}-0-{first}" if first else f"#{parts[0]}-0"
    if kind == "checkboxes":
        return f"#{parts[0]}"
    return "#" + "-".join(parts)


def error_list(schema: Mapping[str, Any], errors: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    items = []
    for key, messages in errors.items():
        href = anchor(schema, key)
        for message in messages:
            items.append({"text": message, "href": href} if href else {"text": message})
    return items


def _nesting(schema: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """question -> (radios question, value) for questions revealed by one value of an earlier radios question."""
    props = schema.get("properties", {})
    names = order(schema)
    nested: dict[str, tuple[str, str]] = {}
    for position, name in enumerate(names):
        reveal = hint(props[name]).get("reveal_when")
        if not isinstance(reveal, Mapping) or len(reveal) != 1:
            continue
        controller, values = next(iter(reveal.items()))
        if (
            controller in names[:position]
            and controller not in nested
            and widget(props[controller]) == "radios"
            and isinstance(values, list)
            and len(values) == 1
        ):
            nested[name] = (controller, as_text(values[0]))
    return nested


def components(
    schema: Mapping[str, Any],
    data: Mapping[str, Any],
    errors: Mapping[str, Sequence[str]],
    rows: Mapping[str, int],
    render: Renderer,
) -> list[Component]:
    """One component per top-level question, revealed questions rendered into their radio's conditional."""
    props = schema.get("properties", {})
    nested = _nesting(schema)
    built = {name: _component(name, props[name], data.get(name), errors, rows) for name in order(schema)}
    for name in reversed(order(schema)):  # innermost first, so nested reveals render completely
        if name in nested:
            controller, value = nested[name]
            item = next(i for i in built[controller]["params"]["items"] if i["value"] == value)
            html = item.setdefault("conditional", {"html": ""})
            html["html"] = render(built[name]) + html["html"]
    return [built[name] for name in order(schema) if name not in nested]


def _label(question: Mapping[str, Any], name: str) -> str:
    return str(question.get("title") or name.replace("_", " ").capitalize())


def _common(name: str, question: Mapping[str, Any], errors: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if question.get("description"):
        params["hint"] = {"text": question["description"]}
    if errors.get(name):
        params["errorMessage"] = {"text": " ".join(errors[name])}
    return params


def _options(question: Mapping[str, Any]) -> list[tuple[str, str]]:
    labels = question.get("x-govuk-labels", {})
    if question.get("type") == "boolean":
        return [("true", labels.get("true", "Yes")), ("false", labels.get("false", "No"))]
    source = question.get("items", question) if question.get("type") == "array" else question
    return [
        (as_text(v), str(labels.get(as_text(v), source.get("x-govuk-labels", {}).get(v, v)))) for v in source["enum"]
    ]


def _component(
    name: str, question: Mapping[str, Any], value: Any, errors: Mapping[str, Sequence[str]], rows: Mapping[str, int]
) -> Component:
    kind = widget(question)
    label = _label(question, name)
    params = _common(name, question, errors)
    if kind in ("radios", "checkboxes"):
        chosen = {as_text(v) for v in value} if isinstance(value, list) else {as_text(value)}
        params |= {
            "name": name,
            "idPrefix": name,
            "fieldset": {"legend": {"text": label, "classes": "govuk-fieldset__legend--s"}},
            "items": [{"value": v, "text": t, "checked": v in chosen} for v, t in _options(question)],
        }
        return {"macro": kind, "name": name, "params": params}
    if kind == "date":
        return {"macro": "date", "name": name, "params": params | _date_params(name, label, value, name in errors)}
    if kind == "repeating":
        return _repeating(name, question, value, errors, rows)
    params |= {"name": name, "id": name, "label": {"text": label, "classes": "govuk-label--s"}, "value": as_text(value)}
    if kind == "select":
        params["items"] = _select_items(question, value)
        return {"macro": "select", "name": name, "params": params}
    if kind == "textarea":
        params["rows"] = 5
        return {"macro": "textarea", "name": name, "params": params}
    return {"macro": "input", "name": name, "params": params}


def _select_items(question: Mapping[str, Any], value: Any) -> list[dict[str, Any]]:
    current = as_text(value)
    choose = [{"value": "", "text": "Choose", "selected": not current}]
    return choose + [{"value": v, "text": t, "selected": v == current} for v, t in _options(question)]


def _date_params(name: str, label: str, value: Any, has_error: bool) -> dict[str, Any]:
    parts = as_text(value).split("-", 2) if value else []
    year, month, day = parts if len(parts) == 3 else ("", "", "")
    shown = [p.lstrip("0") or p if p.isdigit() else p for p in (day, month, year)]
    error = " govuk-input--error" if has_error else ""
    widths = ("govuk-input--width-2", "govuk-input--width-2", "govuk-input--width-4")
    return {
        "id": name,
        "namePrefix": name,
        "fieldset": {"legend": {"text": label, "classes": "govuk-fieldset__legend--s"}},
        "items": [
            {"name": part, "value": shown[i], "classes": widths[i] + error}
            for i, part in enumerate(("day", "month", "year"))
        ],
    }


def _repeating(
    name: str, question: Mapping[str, Any], value: Any, errors: Mapping[str, Sequence[str]], rows: Mapping[str, int]
) -> Component:
    answers = value if isinstance(value, list) else []
    count = max(len(answers), rows.get(name, DEFAULT_ROWS), 1)
    item = question.get("items", {})
    own = list(errors.get(name, []))
    built_rows = []
    for index in range(count):
        answer = answers[index] if index < len(answers) else None
        if item.get("type") == "object":
            fields = [
                _component(f"{name}-{index}-{sub}", item["properties"][sub], (answer or {}).get(sub), {}, {})
                for sub in order(item)
            ]
            for field, sub in zip(fields, order(item), strict=True):
                messages = errors.get(f"{name}.{index}.{sub}")
                if messages:
                    field["params"]["errorMessage"] = {"text": " ".join(messages)}
        else:
            fields = [_component(f"{name}-{index}", {"title": f"{_label(question, name)} {index + 1}"}, answer, {}, {})]
            messages = errors.get(f"{name}.{index}")
            if messages:
                fields[0]["params"]["errorMessage"] = {"text": " ".join(messages)}
        built_rows.append({"number": index + 1, "fields": fields})
    return {
        "macro": "repeating",
        "name": name,
        "legend": _label(question, name),
        "hint": question.get("description"),
        "errors": own,
        "rows": built_rows,
        "count": count,
        "objects": item.get("type") == "object",
        "add_label": hint(question).get("add_label") or "Add another",
        "can_add": count < int(question.get("maxItems", MAX_ROWS)),
    }
