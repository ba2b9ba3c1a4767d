"""Event logs for process mining: XES (IEEE 1849-2016) and OCEL 2.0 JSON, streamed case by case.

Only the shape of the work leaves Casepath: steps, who did them (username, profession, team), when,
deadlines and lateness. Form contents (concerns, summaries, findings) and children's details never do.

XES: one trace per case (`concept:name` = case id), events with `concept:name` (the step or
"referral received"/"case closed"), `time:timestamp`, `org:resource`, `org:role` (profession),
`org:group` (team) and `lifecycle:transition`. By default only completions are written
(`complete`); `lifecycle="all"` adds task creation (`schedule`), claims and assignments
(`assign`) and cancellations (`withdraw`).
OCEL 2.0: object types `case`, `child` and `task`; every event relates to its case, and task
events to their task; tasks relate to their case and cases to their child.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from casepath.conformance.history import profile
from casepath.domain.events import Event

LIFECYCLES = ("complete", "all")
_TASK_TRANSITIONS = {"task_created": "schedule", "task_claimed": "assign", "task_assigned": "assign"}
_TASK_TRANSITIONS["task_cancelled"] = "withdraw"
_OCEL_TYPES = {
    "task_created": "task created",
    "task_claimed": "task claimed",
    "task_assigned": "task assigned",
    "task_cancelled": "task cancelled",
    "task_overdue": "deadline passed",
}
EPOCH = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class ExportCase:
    """A case's id, its child's id, its status and its events in sequence order."""

    case_id: str
    child_id: str
    status: str
    events: Sequence[Event]


def timestamp(moment: datetime) -> str:
    """An ISO 8601 moment in UTC with milliseconds, as XES and OCEL readers expect."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def activity(event: Event) -> str | None:
    """The activity an event records, or None for events that are not activities."""
    if event.name == "task_completed":
        return str(event.data.get("step"))
    if event.name in _TASK_TRANSITIONS:
        return str(event.data.get("step"))
    if event.name == "case_opened":
        return "referral received"
    if event.name == "case_closed":
        return "case closed"
    if event.name == "case_event":
        return str(event.data.get("name"))
    return None


def event_time(event: Event) -> datetime:
    """When it happened: a referral at its recorded receipt, anything else when it was recorded."""
    if event.name == "case_opened" and event.data.get("received_at"):
        try:
            return datetime.fromisoformat(str(event.data["received_at"]))
        except ValueError:
            return event.at
    return event.at


# --- XES --------------------------------------------------------------------------------------

_XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="__INVALID__"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>
"""


def iter_xes(cases: Iterable[ExportCase], *, name: str = "Casepath", lifecycle: str = "complete") -> Iterator[bytes]:
    """The XES log of `cases`, one trace per case, in pieces (see the module docstring)."""
    if lifecycle not in LIFECYCLES:
        raise ValueError(f"lifecycle must be one of {LIFECYCLES}")
    yield _XES_HEAD.encode()
    yield f"  {_attr('string', 'concept:name', name)}\n".encode()
    for case in cases:
        yield _trace(case, lifecycle).encode()
    yield b"</log>\n"


def _attr(kind: str, key: str, value: object) -> str:
    return f"<{kind} key={quoteattr(key)} value={quoteattr(str(value))}/>"


def _trace(case: ExportCase, lifecycle: str) -> str:
    lines = [
        "  <trace>",
        f"    {_attr('string', 'concept:name', case.case_id)}",
        f"    {_attr('string', 'child', case.child_id)}",
        f"    {_attr('string', 'status', case.status)}",
    ]
    for event in case.events:
        transition = "complete"
        if event.name in _TASK_TRANSITIONS:
            if lifecycle != "all":
                continue
            transition = _TASK_TRANSITIONS[event.name]
        name = activity(event)
        if name is None:
            continue
        lines.append("    <event>")
        lines.extend(f"      {attr}" for attr in _xes_attributes(event, name, transition))
        lines.append("    </event>")
    lines.append("  </trace>\n")
    return "\n".join(lines)


def _xes_attributes(event: Event, name: str, transition: str) -> list[str]:
    person = profile(event)
    attrs = [
        _attr("string", "concept:name", name),
        _attr("date", "time:timestamp", timestamp(event_time(event))),
        _attr("string", "lifecycle:transition", transition),
    ]
    if event.actor:
        attrs.append(_attr("string", "org:resource", event.actor))
    if person.get("profession"):
        attrs.append(_attr("string", "org:role", person["profession"]))
    if person.get("team"):
        attrs.append(_attr("string", "org:group", person["team"]))
    for key in ("rule", "due_on", "reason"):
        if event.data.get(key):
            attrs.append(_attr("string", key, event.data[key]))
    if event.name == "task_completed":
        attrs.append(_attr("boolean", "late", "true" if event.data.get("late") else "false"))
    return attrs


# --- OCEL 2.0 ----------------------------------------------------------------------------------

_OBJECT_TYPES = [
    {"name": "case", "attributes": [{"name": "status", "type": "string"}]},
    {"name": "child", "attributes": []},
    {"name": "task", "attributes": [{"name": "step", "type": "string"}]},
]
_EVENT_ATTRIBUTES = [
    {"name": "resource", "type": "string"},
    {"name": "profession", "type": "string"},
    {"name": "team", "type": "string"},
    {"name": "late", "type": "boolean"},
]


def iter_ocel(cases: Iterable[ExportCase]) -> Iterator[bytes]:
    """The OCEL 2.0 JSON log of `cases`, in pieces: events stream out, objects are spooled to disk."""
    types: set[str] = set()
    children: set[str] = set()
    with tempfile.SpooledTemporaryFile(max_size=8_000_000, mode="w+", encoding="utf-8") as objects:
        yield b'{"events": ['
        first = True
        for case in cases:
            for record in _ocel_events(case):
                types.add(record["type"])
                yield (("" if first else ",\n") + json.dumps(record, separators=(",", ":"))).encode()
                first = False
            for obj in _ocel_objects(case, case.child_id not in children):
                objects.write(("," if objects.tell() else "") + "\n" + json.dumps(obj, separators=(",", ":")))
            children.add(case.child_id)
        yield b'],\n"objects": ['
        objects.seek(0)
        while chunk := objects.read(1 << 16):
            yield chunk.encode()
        event_types = [{"name": name, "attributes": _EVENT_ATTRIBUTES} for name in sorted(types)]
        yield f'],\n"objectTypes": {json.dumps(_OBJECT_TYPES)},\n"eventTypes": {json.dumps(event_types)}}}\n'.encode()


def _ocel_events(case: ExportCase) -> Iterator[dict[str, Any]]:
    case_ref = f"case:{case.case_id}"
    for event in case.events:
        name = activity(event)
        if name is None and event.name != "task_overdue":
            continue
        kind = _OCEL_TYPES.get(event.name, name or event.name)
        person = profile(event)
        attributes: list[dict[str, Any]] = [
            {"name": key, "value": str(value)}
            for key, value in (("resource", event.actor), ("profession", person.get("profession")))
            if value
        ]
        if person.get("team"):
            attributes.append({"name": "team", "value": str(person["team"])})
        if event.name == "task_completed":
            attributes.append({"name": "late", "value": bool(event.data.get("late"))})
        relationships = [{"objectId": case_ref, "qualifier": "case"}]
        if event.data.get("task_id"):
            relationships.append({"objectId": f"task:{event.data['task_id']}", "qualifier": "task"})
        if event.name == "case_opened":
            relationships.append({"objectId": f"child:{case.child_id}", "qualifier": "child"})
        yield {
            "id": f"{case.case_id}:{event.seq}",
            "type": kind,
            "time": timestamp(event_time(event)),
            "attributes": attributes,
            "relationships": relationships,
        }


def _ocel_objects(case: ExportCase, with_child: bool) -> Iterator[dict[str, Any]]:
    if with_child:
        yield {"id": f"child:{case.child_id}", "type": "child", "attributes": [], "relationships": []}
    yield {
        "id": f"case:{case.case_id}",
        "type": "case",
        "attributes": [{"name": "status", "time": EPOCH, "value": case.status}],
        "relationships": [{"objectId": f"child:{case.child_id}", "qualifier": "concerns"}],
    }
    tasks = {str(e.data["task_id"]): str(e.data.get("step")) for e in case.events if e.data.get("task_id")}
    for task_id, step in tasks.items():
        yield {
            "id": f"task:{task_id}",
            "type": "task",
            "attributes": [{"name": "step", "time": EPOCH, "value": step}],
            "relationships": [{"objectId": f"case:{case.case_id}", "qualifier": "part of"}],
        }
