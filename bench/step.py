"""Completing a step: the raw engine in memory, the engine with a JSON round trip and one SQLite commit
per step (the two floors), and `complete_task` alone (and the claim before it, apart) on SQLite and
PostgreSQL — all on the same diagrams, driving the same s17 pathway. Prints a table and writes it to
bench/README.md.

Ratios, not seconds, are the result: these machines are noisy, so every figure is compared with a
floor measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402

from bench.report import write_section  # noqa: E402
from casepath.domain.clock import FixedClock  # noqa: E402
from casepath.engine.diagrams import parse_diagrams  # noqa: E402
from casepath.engine.runner import SCRIPT_ENGINE, Instance, RunContext  # noqa: E402
from casepath.services.core import Casepath, Settings  # noqa: E402
from casepath.services.setup import init  # noqa: E402
from tests.faults.deployment import drop_database, fresh_database  # noqa: E402

NOW = datetime(2025, 4, 17, 9, tzinfo=UTC)
STOCK = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))  # SpiffWorkflow's, as it ships
ASSESS = {"started_on": "2025-04-17", "factors": ["4B"], "summary": "s", "recommendation": "cin_plan"}
# (process, step, data) in pathway order: an assessment with a rejection loop, a plan and reviews
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("allocate_lead_practitioner", {"lead_practitioner": "fsw1", "practitioner_agreed": True, "rationale": "r"}),
    ("child_and_family_assessment", ASSESS),
    ("approve_assessment", {"approved": False, "comments": "more"}),
    ("child_and_family_assessment", ASSESS),
    ("approve_assessment", {"approved": True, "outcome": "nfa"}),
]


FLOOR_CASES = 2  # per round, as many floor steps as lean `complete_task` steps (two cases of each backend)


def diagrams() -> Any:
    return parse_diagrams({p.name: p.read_bytes() for p in (ROOT / "processes").glob("*.bpmn")})


def drive_engine(parsed: Any, save: Callable[[str], None] | None, *, stock: bool = True) -> list[float]:
    """The floor: run the assessment phase with the engine alone; optionally save after each step and load
    again, with SpiffWorkflow's own serializer (`stock`: the workflow with its specs) or Casepath's state."""
    context = RunContext(now=NOW, deadline=lambda step: datetime(2030, 1, 1, tzinfo=UTC))
    instance = Instance.start(parsed, "assessment", {"received_on": "2025-04-17"}, context)
    times = []
    for step, data in STEPS:
        started = time.perf_counter()
        task = next(t for t in instance.ready_tasks() if t.step == step)
        instance.complete(task.id, data, context)
        if save is not None and stock:
            state = STOCK.serialize_json(instance.workflow)
            save(state)
            instance = Instance(STOCK.deserialize_json(json.loads(json.dumps(state))))
            instance.workflow.script_engine = SCRIPT_ENGINE
        elif save is not None:
            state = instance.dump()
            save(state)
            instance = Instance.load(parsed, json.loads(json.dumps(state)))
        times.append(time.perf_counter() - started)
    return times


def sqlite_saver(path: str) -> Callable[[str], None]:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY, body TEXT)")

    def save(state: str) -> None:
        conn.execute("INSERT OR REPLACE INTO state VALUES (1, ?)", (state,))
        conn.commit()

    return save


@contextmanager
def server_waits() -> Iterator[list[float]]:
    """The time psycopg spends waiting for the PostgreSQL server (the network and the server's own work), added
    up in the list's one item while the block runs."""
    import psycopg  # noqa: PLC0415

    waited, wait = [0.0], psycopg.Connection.wait

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return wait(self, *args, **kwargs)
        finally:
            waited[0] += time.perf_counter() - started

    psycopg.Connection.wait = timed  # type: ignore[method-assign]
    try:
        yield waited
    finally:
        psycopg.Connection.wait = wait  # type: ignore[method-assign]


def drive_services(url: str) -> tuple[list[float], list[float], list[float], list[int], list[float]]:
    """The same steps through the service layer: `complete_task` alone is timed (validate, lock, load, run,
    derive, record, save: one transaction); the claim before it is timed apart, the look-up is not timed.
    Two cases answer with the task alone (`with_case=False`), two with the task and the case view (the API's
    answer). Also counts the SQL statements each lean completion sends, and on PostgreSQL how long it waits for
    the server."""
    from sqlalchemy import event  # noqa: PLC0415

    from casepath.services import tasks  # noqa: PLC0415
    from handlers import REGISTRY  # noqa: PLC0415
    from tests.factories import Factory  # noqa: PLC0415

    core = Casepath(Settings(database_url=url), clock=FixedClock(NOW), handlers=REGISTRY)
    init(core)
    factory = Factory(core)
    people = {
        "fd1": factory.create_staff("fd1", ["front_door", "social_worker"]),
        "ps1": factory.create_staff("ps1", ["practice_supervisor", "social_worker"]),
        "fsw1": factory.create_staff(
            "fsw1", ["lead_practitioner"], profession="family_support_worker", competencies=["cin_assessment"]
        ),
    }
    who = {"allocate_lead_practitioner": "ps1", "child_and_family_assessment": "fsw1", "approve_assessment": "ps1"}
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    completes: list[float] = []
    waits: list[float] = []
    with_views: list[float] = []
    claims: list[float] = []
    counts: list[int] = []
    for with_case in (None, False, True, False, True):  # None: a first case to warm up on, not timed
        case_id = factory.create_referral(people["fd1"], received_at=NOW.isoformat())
        factory.complete(
            people["fd1"],
            case_id,
            "referral_decision",
            {"decision": "assessment", "primary_need": "N4", "rationale": "r", "referrer_informed": True},
        )
        for step, data in STEPS:
            actor = people[who[step]]
            task = factory.open_task(case_id, step)
            if task["assignee"] != actor.username:
                started = time.perf_counter()
                tasks.claim_task(core, actor, task["id"])
                if with_case is not None:
                    claims.append(time.perf_counter() - started)
            statements[0] = 0
            event.listen(core.db.engine, "before_cursor_execute", count)
            with server_waits() as waited:
                started = time.perf_counter()
                tasks.complete_task(core, actor, task["id"], {"data": data}, with_case=bool(with_case))
                elapsed = time.perf_counter() - started
            event.remove(core.db.engine, "before_cursor_execute", count)
            if with_case is None:
                continue
            (with_views if with_case else completes).append(elapsed)
            if not with_case:
                counts.append(statements[0])
                waits.append(waited[0])
    core.db.dispose()
    return completes, with_views, claims, counts, waits


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench step")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    parsed = diagrams()
    rows: dict[str, list[float]] = {
        "engine in memory": [],
        "engine + JSON + SQLite commit": [],
        "engine + Casepath's saved state + JSON + SQLite commit": [],
        "complete_task, SQLite": [],
        "complete_task, PostgreSQL": [],
        "complete_task, PostgreSQL: waiting for the server": [],
        "complete_task, PostgreSQL, less that wait": [],
        "complete_task with the case view, SQLite": [],
        "complete_task with the case view, PostgreSQL": [],
        "claim_task, SQLite": [],
        "claim_task, PostgreSQL": [],
    }
    statements: dict[str, list[int]] = {"SQLite": [], "PostgreSQL": []}
    per_round: dict[str, list[float]] = {"SQLite": [], "PostgreSQL": []}  # each round's own ratio to its floor
    backends = ["SQLite"] + ([] if args.no_postgres else ["PostgreSQL"])
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):  # interleaved, so load changes hit every row alike
            floor_steps: list[float] = []
            for _ in range(FLOOR_CASES):
                rows["engine in memory"] += drive_engine(parsed, None)
                floor_steps += drive_engine(parsed, sqlite_saver(f"{tmp}/floor.db"))
                rows["engine + Casepath's saved state + JSON + SQLite commit"] += drive_engine(
                    parsed, sqlite_saver(f"{tmp}/floor.db"), stock=False
                )
            for backend in backends:
                pg = f"casepath_bench_{os.getpid()}_{round_}"
                url = f"sqlite:///{tmp}/svc{round_}.db" if backend == "SQLite" else fresh_database(pg)
                completes, with_views, claims, counts, waits = drive_services(url)
                if backend != "SQLite":
                    drop_database(pg)
                    rows["complete_task, PostgreSQL: waiting for the server"] += waits
                    less = [done - waited for done, waited in zip(completes, waits, strict=True)]
                    rows["complete_task, PostgreSQL, less that wait"] += less
                rows[f"complete_task, {backend}"] += completes
                per_round[backend].append(statistics.median(completes) / statistics.median(floor_steps))
                rows[f"complete_task with the case view, {backend}"] += with_views
                rows[f"claim_task, {backend}"] += claims
                statements[backend] += counts
            rows["engine + JSON + SQLite commit"] += floor_steps
    floor = median_ms(rows["engine + JSON + SQLite commit"])
    lines = ["| what | median ms per step | × engine+JSON+SQLite floor |", "|---|---:|---:|"]
    for name, samples in rows.items():
        if samples:
            lines.append(f"| {name} | {median_ms(samples):.2f} | {median_ms(samples) / floor:.2f} |")
    for backend, counts in statements.items():
        if counts:
            lines.append(
                f"\nSQL statements per `complete_task` on {backend}: median {statistics.median(counts):g}, "
                f"max {max(counts)}."
            )
    for backend, ratios in per_round.items():
        if ratios:
            lines.append(
                f"\nEach round on its own (its `complete_task` median on {backend} ÷ its floor median), over "
                f"{len(ratios)} rounds: lowest {min(ratios):.2f}×, median {statistics.median(ratios):.2f}×, "
                f"highest {max(ratios):.2f}×."
            )
    table = "\n".join(lines)
    print(table)
    write_readme(table, argv)
    return 0


def write_readme(table: str, argv: list[str] | None) -> None:
    command = "python -m bench step" + (" -- " + " ".join(argv) if argv else "")
    write_section(
        "step",
        "Completing one step of the assessment phase",
        "The floors drive the same diagrams with the engine alone (in memory), and with a JSON round trip and"
        " one SQLite commit per step: the workflow saved and loaded again as SpiffWorkflow saves it (with the"
        " specs of its process). Casepath saves an instance without its specs, which the case's process "
        "version holds, parsed once (a state two fifths the size, loaded in half the time): the row below the"
        " floor shows that floor with Casepath's saved state, for comparison. `complete_task` is the service "
        "layer's step, one transaction: form validation, the case lock, authorisation, deadlines, the hash-"
        "chained event record, the task rows, saving the engine state, and the answer: the task alone "
        "(`with_case=False`, the web pages), or the task and the case view with every statutory clock of the "
        "case (the API's answer). The claim before it is its own transaction, timed apart; finding the task "
        "is not timed. Each backend first drives one untimed case per round, on the same connection pool, so "
        "the figures are a running server's steps, not a new connection's. Rounds are interleaved (each round "
        "runs every row, the floors as many steps as the lean `complete_task`); figures are medians over every "
        "step of every round; the last lines give each round's own ratio, its medians alone, to show the spread. "
        "On PostgreSQL a step makes eight round trips to the server (BEGIN, the lock, five writes, COMMIT); the "
        "two rows below it split its time into psycopg's wait for the server (the network and the server's own "
        "work) and the rest. Aim: `complete_task` at most 2× the second floor.\n\n"
        f"Command: `{command}` (also run by `make bench`).\n\n{table}",
    )


if __name__ == "__main__":
    sys.exit(main())
