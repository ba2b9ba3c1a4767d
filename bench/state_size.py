"""Does a long case cost more per step than a short one? A child in need case driven through the service
layer on the real diagrams: referral, assessment, an approved plan, then CIN reviews (each review is its own
`cin_plan_review` instance, started by the one before) until the case has 20 or 400 completed steps.

Reports the stored bytes per step and the time of `complete_task` over the last steps of each case, and the
ratio of the long case to the short one (aim: at most 1.5× per step, the state stays bounded).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from casepath.domain.clock import FixedClock  # noqa: E402
from casepath.services.core import Casepath, Settings  # noqa: E402
from casepath.services.setup import init  # noqa: E402
from tests.faults.deployment import drop_database, fresh_database  # noqa: E402

START = datetime(2025, 4, 17, 9, tzinfo=UTC)
LAST = 10  # the last steps of a case that are timed
SETUP: list[tuple[str, str, dict[str, Any]]] = [
    (
        "fd1",
        "referral_decision",
        {"decision": "assessment", "primary_need": "N4", "rationale": "r", "referrer_informed": True},
    ),
    ("ps1", "allocate_lead_practitioner", {"lead_practitioner": "fsw1", "practitioner_agreed": True, "rationale": "r"}),
    (
        "fsw1",
        "child_and_family_assessment",
        {"started_on": "2025-04-17", "factors": ["4B"], "summary": "s", "recommendation": "cin_plan"},
    ),
    ("ps1", "approve_assessment", {"approved": True, "outcome": "cin_plan"}),
    ("fsw1", "draft_cin_plan", {"plan_summary": "Support.", "actions": ["GP"]}),
    ("ps1", "approve_cin_plan", {"approved": True, "starts_on": "2025-04-17"}),
]


@dataclass
class LongCase:
    """What one case cost: the time and SQL statements of every `complete_task`, and what is stored."""

    times: list[float] = field(default_factory=list)
    timed: list[float] = field(default_factory=list)  # the last LAST steps (of each run, when pooled)
    view_times: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)
    largest_state: int = 0


def staff(factory: Any) -> dict[str, Any]:
    return {
        "fd1": factory.create_staff("fd1", ["front_door", "social_worker"]),
        "ps1": factory.create_staff("ps1", ["practice_supervisor", "social_worker"]),
        "fsw1": factory.create_staff(
            "fsw1", ["lead_practitioner"], profession="family_support_worker", competencies=["cin_assessment"]
        ),
    }


def drive_case(
    core: Casepath,
    factory: Any,
    people: dict[str, Any],
    steps: int,
    after_step: Callable[[str, int], None] | None = None,
    time_view: bool = False,
) -> tuple[str, LongCase]:
    """Open a case and complete `steps` steps on it (the set-up steps, then CIN reviews, one a day);
    `after_step(case_id, steps done)` is called after each; `time_view`: time the case view after the last
    steps."""
    from sqlalchemy import event  # noqa: PLC0415

    from casepath.services import tasks  # noqa: PLC0415

    factory.clock.set(START)
    case_id = factory.create_referral(people["fd1"], received_at=START.isoformat())
    result = LongCase()
    counter = [0]

    def count(*_: Any) -> None:
        counter[0] += 1

    for index in range(steps):
        if index < len(SETUP):
            who, step, data = SETUP[index]
        else:
            factory.clock.set(START + timedelta(days=index - len(SETUP) + 1))
            today = factory.clock.now().date().isoformat()
            who, step, data = "fsw1", "cin_review", {"held_on": today, "summary": "Ok.", "outcome": "continue"}
        actor = people[who]
        task = factory.open_task(case_id, step)
        if task["assignee"] != actor.username:
            tasks.claim_task(core, actor, task["id"])
        counter[0] = 0
        event.listen(core.db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        tasks.complete_task(core, actor, task["id"], {"data": data}, with_case=False)
        result.times.append(time.perf_counter() - started)
        event.remove(core.db.engine, "before_cursor_execute", count)
        result.statements.append(counter[0])
        if time_view and index >= steps - LAST:
            result.view_times.append(time_case_view(core, case_id))
        if after_step is not None:
            after_step(case_id, index + 1)
    result.timed = result.times[-LAST:]
    result.stored, result.largest_state = stored_bytes(core, case_id)
    return case_id, result


def time_case_view(core: Casepath, case_id: str) -> float:
    """The case view the API adds to its completion answer (every statutory clock of the case), alone."""
    from casepath.services.views import case_view  # noqa: PLC0415
    from casepath.store import models  # noqa: PLC0415

    with core.db.transaction() as session:
        case = session.get(models.Case, case_id)
        assert case is not None
        started = time.perf_counter()
        case_view(core, session, case)
        return time.perf_counter() - started


def stored_bytes(core: Casepath, case_id: str) -> tuple[dict[str, int], int]:
    """Bytes stored for one case: engine state (every instance's JSON), events (data JSON and the two hashes),
    task rows (form data and draft JSON); and the largest single engine state."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from casepath.store import models  # noqa: PLC0415

    with core.db.transaction() as session:
        states = list(
            session.scalars(select(func.length(models.Instance.state)).where(models.Instance.case_id == case_id))
        )
        events = session.scalars(select(models.Event).where(models.Event.stream == case_id))
        event_bytes = sum(len(_json(e.data)) + len(e.hash) + len(e.prev_hash) for e in events)
        task_rows = session.scalars(select(models.Task).where(models.Task.case_id == case_id))
        task_bytes = sum(len(_json(t.data)) + len(_json(t.draft)) for t in task_rows)
    return {"engine state": sum(states), "events": event_bytes, "tasks": task_bytes}, max(states)


def _json(value: Any) -> str:
    import json  # noqa: PLC0415

    return "" if value is None else json.dumps(value, default=str)


def run_backend(url: str, sizes: tuple[int, int], rounds: int) -> dict[int, LongCase]:
    """Each round: the short case, the long one, the short one again, on one database; the timed steps of
    every case of a size are pooled."""
    from handlers import REGISTRY  # noqa: PLC0415
    from tests.factories import Factory  # noqa: PLC0415

    core = Casepath(Settings(database_url=url), clock=FixedClock(START), handlers=REGISTRY)
    init(core)
    factory = Factory(core)
    people = staff(factory)
    short, long = sizes
    found: dict[int, LongCase] = {}
    for _ in range(rounds):
        for size in (short, long, short):  # before and after: load changes hit both
            case = drive_case(core, factory, people, size, time_view=True)[1]
            if size in found:
                case.timed += found[size].timed
                case.view_times += found[size].view_times
            found[size] = case
    core.db.dispose()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench state_size")
    parser.add_argument("--short", type=int, default=20)
    parser.add_argument("--long", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    sizes = (args.short, args.long)
    backends = {"SQLite": ""} | ({} if args.no_postgres else {"PostgreSQL": ""})
    lines = [
        "| database | steps | stored bytes per step (state / events / tasks) | largest engine state, bytes "
        f"| `complete_task` ms, median of last {LAST} | SQL statements, last {LAST} "
        f"| case view ms, median of last {LAST} |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            pg = f"casepath_bench_size_{os.getpid()}"
            url = f"sqlite:///{tmp}/size.db" if backend == "SQLite" else fresh_database(pg)
            found = run_backend(url, sizes, args.rounds)
            if backend != "SQLite":
                drop_database(pg)
            for size, case in found.items():
                per_step = sum(case.stored.values()) / size
                parts = " / ".join(f"{v / size:.0f}" for v in case.stored.values())
                ms = statistics.median(case.timed) * 1000
                lines.append(
                    f"| {backend} | {size} | {per_step:.0f} ({parts}) | {case.largest_state} | {ms:.2f} "
                    f"| {min(case.statements[-LAST:])}–{max(case.statements[-LAST:])} "
                    f"| {statistics.median(case.view_times) * 1000:.2f} |"
                )
            short, long = found[args.short], found[args.long]
            time_ratio = statistics.median(long.timed) / statistics.median(short.timed)
            bytes_ratio = (sum(long.stored.values()) / args.long) / (sum(short.stored.values()) / args.short)
            view_ratio = statistics.median(long.view_times) / statistics.median(short.view_times)
            ratios.append(
                f"{backend}: time per step {args.long}/{args.short} = **{time_ratio:.2f}×**, stored bytes per step "
                f"{args.long}/{args.short} = {bytes_ratio:.2f}×, largest engine state "
                f"{long.largest_state / short.largest_state:.2f}×; the case view {view_ratio:.2f}×."
            )
    table = "\n".join(lines) + "\n\n" + "\n\n".join(ratios)
    print(table)
    command = "python -m bench state_size" + (" -- " + " ".join(argv) if argv else "")
    write_section(
        "state_size",
        "A long case costs per step what a short one does",
        "A child in need case through the service layer on the real diagrams: referral decision, allocation, "
        f"assessment, approval, plan and its approval, then CIN reviews (each its own `cin_plan_review` "
        f"instance), one a day, until the case has {args.short} or {args.long} completed steps. Stored bytes "
        "count every instance's engine state (JSON), every event's data (JSON) and hashes, and every task row's "
        "form data and draft; divided by the number of steps. The time is `complete_task` alone (the claim and "
        f"the look-up are not timed) with its lean answer (`with_case=False`: the task alone), median of the last "
        f"{LAST} steps of every case of a size; the cases run in one process on one database, in "
        f"{args.rounds} rounds of the short one, the long one and the short one again (the timed steps of each "
        "size pooled), so a change of load hits both. The case view, "
        "which the API's completion answer adds, is timed apart after each of those steps (it evaluates every "
        "statutory clock of the case). Aim: the long case at most 1.5× per step.\n\n"
        f"Command: `{command}` "
        f"(also run by `make bench`).\n\n{table}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
