"""Event logs for process mining: XES read back by pm4py (in a throwaway venv), OCEL 2.0 checked structurally."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casepath.domain.errors import Forbidden
from casepath.services import reports
from tests.conformance.pathways import Driver

XES = "{http://www.xes-standard.org/}"
PERIOD = (date(2025, 4, 1), date(2025, 6, 30))
PM4PY_VENV = Path(os.environ.get("CASEPATH_PM4PY_VENV", Path.home() / ".cache" / "casepath-pm4py"))


@pytest.fixture
def d(factory: Any) -> Driver:
    driver = Driver(factory)
    driver.s17_case()
    driver.child_protection_case()
    nfa = driver.refer("2025-05-02")
    driver.decide(nfa, "2025-05-06", "nfa")
    driver.refer("2025-07-01")  # outside the period
    return driver


def export(d: Driver, kind: str, **options: Any) -> bytes:
    return b"".join(reports.event_log(d.factory.core, d.staff.rev, kind, *PERIOD, **options))


def test_the_xes_log_has_one_trace_per_case_referred_in_the_period_with_the_standard_attributes(d: Driver) -> None:
    log = ET.fromstring(export(d, "xes"))
    traces = log.findall(f"{XES}trace")
    assert len(traces) == 3
    for trace in traces:
        for event in trace.findall(f"{XES}event"):
            keys = {a.get("key") for a in event}
            assert {"concept:name", "time:timestamp", "lifecycle:transition", "org:resource"} <= keys
    names = [a.get("value") for t in traces for e in t for a in e if a.get("key") == "concept:name"]
    assert {"referral received", "referral_decision", "hold_icpc", "case closed"} <= set(names)
    assert "schedule" not in {
        a.get("value") for a in log.iter(f"{XES}string") if a.get("key") == "lifecycle:transition"
    }
    everything = ET.fromstring(export(d, "xes", lifecycle="all"))
    transitions = {a.get("value") for a in everything.iter(f"{XES}string") if a.get("key") == "lifecycle:transition"}
    assert {"schedule", "assign", "complete"} <= transitions


def test_the_ocel_log_relates_every_event_to_objects_it_declares(d: Driver) -> None:
    log = json.loads(export(d, "ocel"))
    assert set(log) == {"objectTypes", "eventTypes", "objects", "events"}
    assert {t["name"] for t in log["objectTypes"]} == {"case", "child", "task"}
    objects = {o["id"]: o["type"] for o in log["objects"]}
    assert len(objects) == len(log["objects"])
    assert sum(1 for kind in objects.values() if kind == "case") == 3
    event_types = {t["name"] for t in log["eventTypes"]}
    for event in log["events"]:
        assert event["type"] in event_types and event["time"].endswith("+00:00")
        assert all(r["objectId"] in objects for r in event["relationships"])
        assert any(objects[r["objectId"]] == "case" for r in event["relationships"])
    for obj in log["objects"]:
        assert all(r["objectId"] in objects for r in obj["relationships"])
    assert not any("concerns" in json.dumps(e["attributes"]) for e in log["events"])  # no case content leaves


def test_only_reviewers_may_export_and_the_refusal_comes_before_any_data(d: Driver) -> None:
    with pytest.raises(Forbidden):
        reports.event_log(d.factory.core, d.staff.fsw, "xes", *PERIOD)


def _pm4py_python() -> Path:
    python = PM4PY_VENV / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import pm4py"], capture_output=True).returncode == 0:
        return python
    # pm4py is AGPL: it lives in its own throwaway environment, never in the project's dependencies.
    steps = [
        [sys.executable, "-m", "venv", str(PM4PY_VENV)],
        [str(PM4PY_VENV / "bin" / "pip"), "install", "-q", "pm4py"],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            message = f"pm4py could not be installed (registry unreachable?): {result.stderr[-400:]}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    return python


READ_BACK = """
import sys, pm4py
log = pm4py.read_xes(sys.argv[1])
ocel = pm4py.read_ocel2_json(sys.argv[2])
print(log["case:concept:name"].nunique(), len(log), len(ocel.events), len(ocel.objects))
"""


@pytest.mark.slow
def test_pm4py_reads_the_xes_and_ocel_logs(d: Driver, tmp_path: Path) -> None:
    python = _pm4py_python()
    (tmp_path / "log.xes").write_bytes(export(d, "xes"))
    (tmp_path / "log.jsonocel").write_bytes(export(d, "ocel"))
    result = subprocess.run([str(python), "-c", READ_BACK, str(tmp_path / "log.xes"), str(tmp_path / "log.jsonocel")],
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    traces, events, ocel_events, ocel_objects = map(int, result.stdout.split()[-4:])
    xes = ET.fromstring((tmp_path / "log.xes").read_bytes())
    assert traces == 3
    assert events == len(list(xes.iter(f"{XES}event")))
    ocel = json.loads((tmp_path / "log.jsonocel").read_text())
    assert (ocel_events, ocel_objects) == (len(ocel["events"]), len(ocel["objects"]))
