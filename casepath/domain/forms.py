"""Task forms: one JSON Schema (Draft 2020-12) per user task, and the check of what a person submits.

`forms/<form_key>.json` holds the schema of the user task whose BPMN id (the step id of
`pathway.md`) is the form key. Besides standard keywords, a schema carries small hints for the
GOV.UK pages that render it, which validation ignores:

- `x-govuk-order` (on an object): the order of its questions, also the order of error messages;
- `x-govuk-labels` (on a question): enum code -> label shown to people (`"true"`/`"false"` for
  yes/no questions);
- `x-govuk` (on a question): `widget` (text, textarea, radios, checkboxes, select, date,
  repeating), `errors` (JSON Schema keyword -> GOV.UK error message), and optionally
  `reveal_when` ({question: [values]}) and `add_label` (repeating groups). An `x-govuk.errors`
  hint may also sit beside a keyword inside `if`/`then`/`allOf`, for a message about that rule.

`validate_submission` sanitises, cleans and validates what a person submitted before it enters
the workflow: SpiffWorkflow turns any dict with a `typename` key into an object when it loads a
saved state (architecture.md, pitfall 5), so such keys are refused at any depth.

`delay_reason` is not in any schema: when a step is late, the service pops `delay_reason` from
the submitted data (refusing with `delay_reason_required` if it is empty) before calling
`validate_submission` on the rest.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from casepath.domain.errors import InvalidForm

FORM_ERROR_KEY = "_form"
"""Key in `InvalidForm.errors` for problems with the submission as a whole (never a question name)."""

MAX_DEPTH = 8
MAX_BYTES = 64 * 1024
_MAX_PROBLEMS = 20
_MAX_INT_BITS = 63
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")

FieldPath = tuple[str | int, ...]
Problem = tuple[FieldPath, str]

# When a keyword has no message of its own, the message of a related keyword reads right.
_ALIASES: dict[str, tuple[str, ...]] = {
    "type": ("format", "enum", "required"),
    "const": ("enum",),
    "minLength": ("required",),
    "minItems": ("required",),
    "contains": ("required",),
}
_GENERIC: dict[str, str] = {
    "required": "Answer ‘{title}’",
    "minLength": "Answer ‘{title}’",
    "minItems": "Answer ‘{title}’",
    "enum": "Select one of the options for ‘{title}’",
    "const": "Select one of the options for ‘{title}’",
    "maxLength": "‘{title}’ must be {limit} characters or less",
    "maxItems": "‘{title}’ can have at most {limit} answers",
    "uniqueItems": "‘{title}’ must not include the same answer twice",
    "pattern": "‘{title}’ is not in the right format",
    "type": "‘{title}’ is not in the right format",
}


def _is_real_date(instance: object) -> bool:
    """A `YYYY-MM-DD` string naming a day on the calendar (2025-02-30 is not)."""
    if not isinstance(instance, str):
        return True
    return bool(_DATE.fullmatch(instance)) and bool(date.fromisoformat(instance))


_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_FORMAT_CHECKER = FormatChecker()
_FORMAT_CHECKER.checks("date", raises=ValueError)(_is_real_date)


def load_forms(directory: Path) -> dict[str, dict[str, Any]]:
    """Read every `*.json` in `directory` as a form schema, keyed by file stem (the form key).

    Raises ValueError naming the file if one is not JSON, not an object schema, or not a valid
    Draft 2020-12 schema: a broken form must stop a publish, not a practitioner.
    """
    if not directory.is_dir():
        raise ValueError(f"{directory}: no such folder of forms")
    forms: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        forms[path.stem] = _load_form(path)
    return forms


def _load_form(path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot be read as JSON ({exc})") from exc
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ValueError(f'{path.name}: a form must be a JSON Schema with "type": "object"')
    if schema.get("$schema", _DRAFT_2020_12) != _DRAFT_2020_12:
        raise ValueError(f"{path.name}: a form must use JSON Schema Draft 2020-12")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"{path.name}: not a valid Draft 2020-12 schema: {exc.message}") from exc
    return schema


def validate_submission(schema: Mapping[str, Any], data: object) -> dict[str, Any]:
    """Return a cleaned deep copy of `data` if it answers the form `schema`, else raise InvalidForm.

    Cleaning strips every string and drops answers left empty ("" or null), so a blank optional
    question is simply absent and a blank required one reads "Enter ...". `InvalidForm.errors`
    maps field paths (`participants`, `participants.0.agency`; `_form` for the whole submission)
    to GOV.UK messages, in the form's question order.
    """
    if not isinstance(data, dict):
        raise _invalid(schema, [((), "Send the answers as a JSON object")])
    problems = _sanitise(data)
    if problems:
        raise _invalid(schema, problems)
    cleaned = _clean_answers(data)
    validator = Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
    problems = [p for error in validator.iter_errors(cleaned) for p in _describe(schema, error)]
    if problems:
        raise _invalid(schema, problems)
    return cleaned


def _sanitise(data: Mapping[object, object]) -> list[Problem]:
    problems: list[Problem] = []
    _check_value(data, (), 1, problems)
    if not problems and len(json.dumps(data, ensure_ascii=False).encode("utf-8")) > MAX_BYTES:
        problems.append(((), "The answers must be 64 KiB or less in total"))
    return problems


def _check_value(value: object, path: FieldPath, depth: int, problems: list[Problem]) -> None:
    if len(problems) >= _MAX_PROBLEMS:
        return
    if isinstance(value, (dict, list)) and depth > MAX_DEPTH:
        problems.append((path, f"Answers can be nested at most {MAX_DEPTH} levels deep"))
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = _key_problem(key)
            if problem:
                problems.append(((*path, str(key)), problem))
            else:
                _check_value(item, (*path, key), depth + 1, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, (*path, index), depth + 1, problems)
    else:
        problem = _scalar_problem(value)
        if problem:
            problems.append((path, problem))


def _key_problem(key: object) -> str | None:
    if not isinstance(key, str):
        return "Answer names must be text"
    if key == "typename":  # SpiffWorkflow would load this dict as an object (see module docstring)
        return "‘typename’ cannot be used as an answer name"
    if key.startswith("_"):
        return "Answer names cannot start with an underscore"
    return _scalar_problem(key)


def _scalar_problem(value: object) -> str | None:
    if isinstance(value, str):
        if "\x00" in value:
            return "Remove the null character from this answer"
        if _SURROGATE.search(value):
            return "Remove the unreadable character from this answer"
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "Numbers must be finite"
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        return "Numbers must be smaller"
    if value is None or isinstance(value, (bool, int, float)):
        return None
    return "Answers must be text, numbers, true or false, lists or groups of answers"


def _clean_answers(answers: Mapping[str, object]) -> dict[str, Any]:
    cleaned = {key: _clean(item) for key, item in answers.items()}
    return {key: item for key, item in cleaned.items() if item is not None and item != ""}


def _clean(value: object) -> object:
    if isinstance(value, dict):
        return _clean_answers(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, str):
        return value.strip()
    return value


def _describe(root: Mapping[str, Any], error: ValidationError) -> list[Problem]:
    """Turn one jsonschema error into (field path, GOV.UK message) pairs."""
    path: FieldPath = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        missing = [name for name in required if name not in error.instance]
        return [((*path, name), _message(root, (*path, name), error, None)) for name in missing]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        extra = _additional_properties(schema, error.instance)
        return [((*path, name), f"‘{name}’ is not a question on this form") for name in extra]
    field = _field_path(root, path)
    return [(field, _message(root, field, error, error.schema))]


def _additional_properties(schema: Mapping[str, Any], instance: Mapping[str, Any]) -> list[str]:
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    return [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]


def _field_path(root: Mapping[str, Any], path: FieldPath) -> FieldPath:
    """Errors inside a set of checkboxes belong to the question, not to one box."""
    node: object = root
    for depth, part in enumerate(path):
        if isinstance(node, Mapping) and _hint(node).get("widget") == "checkboxes":
            return path[:depth]
        node = _child_schema(node, part)
    return path


def _child_schema(node: object, part: str | int) -> Mapping[str, Any] | None:
    if not isinstance(node, Mapping):
        return None
    child = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
    return child if isinstance(child, Mapping) else None


def _schema_at(root: Mapping[str, Any], path: FieldPath) -> Mapping[str, Any] | None:
    node: Mapping[str, Any] | None = root
    for part in path:
        node = _child_schema(node, part)
    return node


def _hint(schema: object) -> Mapping[str, Any]:
    hint = schema.get("x-govuk") if isinstance(schema, Mapping) else None
    return hint if isinstance(hint, Mapping) else {}


def _message(root: Mapping[str, Any], field: FieldPath, error: ValidationError, failing: object) -> str:
    """The hint's message for the failing keyword, else a related keyword's, else a generic one."""
    keyword = str(error.validator)
    own = _schema_at(root, field)
    parent = _schema_at(root, field[:-1]) if field and isinstance(field[-1], int) else None
    sources = [_hint(s).get("errors") for s in (failing, own, parent)]
    catalogues = [s for s in sources if isinstance(s, Mapping)]
    for key in (keyword, *_ALIASES.get(keyword, ())):
        for catalogue in catalogues:
            if isinstance(catalogue.get(key), str):
                return str(catalogue[key])
    return _generic_message(keyword, own, parent, field, error)


def _generic_message(
    keyword: str,
    own: Mapping[str, Any] | None,
    parent: Mapping[str, Any] | None,
    field: FieldPath,
    error: ValidationError,
) -> str:
    title = (own or {}).get("title") or (parent or {}).get("title") or (field[-1] if field else "")
    if keyword == "format" and error.validator_value == "date":
        return f"‘{title}’ must be a real date"
    template = _GENERIC.get(keyword, "Check your answer to ‘{title}’")
    return template.replace("{title}", str(title)).replace("{limit}", str(error.validator_value))


def _invalid(schema: Mapping[str, Any], problems: Iterable[Problem]) -> InvalidForm:
    errors: dict[str, list[str]] = {}
    for path, message in sorted(problems, key=lambda p: _sort_key(schema, p[0])):
        messages = errors.setdefault(_field_name(path), [])
        if message not in messages:
            messages.append(message)
    count = len(errors)
    summary = "; ".join(m for messages in errors.values() for m in messages)
    detail = f"There is a problem with {count} answer{'' if count == 1 else 's'}: {summary}"
    return InvalidForm(detail, errors=errors)


def _field_name(path: FieldPath) -> str:
    return ".".join(str(part) for part in path) if path else FORM_ERROR_KEY


def _sort_key(root: Mapping[str, Any], path: FieldPath) -> tuple[tuple[int, str], ...]:
    """Schema question order at each level; list positions in order; unknown names last."""
    key: list[tuple[int, str]] = []
    node: Mapping[str, Any] | None = root
    for part in path:
        if isinstance(part, int):
            key.append((part, ""))
        else:
            order = _question_order(node)
            key.append((order.index(part) if part in order else len(order), part))
        node = _child_schema(node, part)
    return tuple(key)


def _question_order(schema: Mapping[str, Any] | None) -> list[str]:
    if schema is None:
        return []
    order = schema.get("x-govuk-order")
    if isinstance(order, list):
        return [str(name) for name in order]
    properties = schema.get("properties")
    return list(properties) if isinstance(properties, Mapping) else []
