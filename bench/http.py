"""Claim + complete through the HTTP API with 8 concurrent clients, on the scale-out deployment (gunicorn
workers, PostgreSQL), against baselines measured in the same run: one client doing the same, and a trivial
authenticated GET. Each client is a front door worker taking referral decisions prepared beforehand."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from tests.faults.deployment import Deployment, drop_database, form, fresh_database  # noqa: E402
from tests.faults.helpers import call  # noqa: E402

WARM = 2  # claim+complete pairs per client first, unmeasured: every gunicorn worker parses the pathway once


def prepare(url: str, clients: int, per_client: int) -> dict[str, tuple[str, list[str]]]:
    """`clients` front door workers, each with a token and `per_client` referral decisions waiting (fd0, who
    also runs alone, twice as many)."""
    from casepath.services import admin  # noqa: PLC0415
    from casepath.services.core import Casepath, Settings  # noqa: PLC0415
    from handlers import REGISTRY  # noqa: PLC0415
    from tests.factories import Factory  # noqa: PLC0415

    core = Casepath(Settings(database_url=url), handlers=REGISTRY)
    factory, prepared = Factory(core), {}
    for n in range(clients):
        actor = factory.create_staff(f"fd{n}", ["front_door", "social_worker"])
        cases = [factory.create_referral(actor) for _ in range(WARM + per_client * (2 if n == 0 else 1))]
        prepared[actor.username] = (
            admin.issue_token(core, None, actor.username)["token"],
            [factory.open_task(case_id, "referral_decision")["id"] for case_id in cases],
        )
    core.db.dispose()
    return prepared


def run_clients(
    base: str, prepared: dict[str, tuple[str, list[str]]], work: Callable[[str, str, str], int], count: int
) -> tuple[list[float], float, int]:
    """Each client does `work` on its next `count` items at once with the others; (latencies, seconds, errors).
    Items are used up (a task completed is gone), except by the trivial GET."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(len(prepared) + 1)

    def client(username: str) -> None:
        token, items = prepared[username]
        mine = [items.pop() for _ in range(count)] if work is not trivial_get else ["-"] * count
        barrier.wait()
        for item in mine:
            started = time.perf_counter()
            bad = work(base, token, item)
            with lock:
                latencies.append(time.perf_counter() - started)
                errors[0] += bad

    threads = [threading.Thread(target=client, args=(name,)) for name in prepared]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, errors[0]


def claim_and_complete(base: str, token: str, task_id: str) -> int:
    claimed, _ = call(base, "POST", f"/tasks/{task_id}/claim", token)
    done, _ = call(base, "POST", f"/tasks/{task_id}/complete", token, {"data": form("referral_decision", "fd0")})
    return int(claimed != 200) + int(done != 200)


def trivial_get(base: str, token: str, _item: str) -> int:
    status, _ = call(base, "GET", "/clock", token)
    return int(status != 200)


def row(name: str, clients: int, latencies: list[float], seconds: float, errors: int) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "name": name,
        "clients": clients,
        "per_s": len(latencies) / seconds,
        "p50": statistics.median(ordered) * 1000,
        "p95": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench http")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--steps", type=int, default=25, help="claim+complete pairs per client")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args(argv)
    name = f"casepath_bench_http_{os.getpid()}"
    deployed = Deployment(
        fresh_database(name), Path(tempfile.mkdtemp(prefix="bench-http-")), web=args.web_workers, timers=0
    )
    try:
        deployed.start()
        prepared = prepare(deployed.url, args.clients, args.steps)
        run_clients(deployed.base, prepared, claim_and_complete, WARM)
        one = {k: v for k, v in prepared.items() if k == "fd0"}
        rows = [
            row(
                "trivial GET /clock",
                args.clients,
                *run_clients(deployed.base, prepared, trivial_get, args.steps),
            ),
            row("claim + complete", 1, *run_clients(deployed.base, one, claim_and_complete, args.steps)),
            row(
                "claim + complete", args.clients, *run_clients(deployed.base, prepared, claim_and_complete, args.steps)
            ),
        ]
    finally:
        deployed.stop()
        drop_database(name)
    single = rows[1]["per_s"]
    lines = [
        "| requests | clients | per second | × one client | p50 ms | p95 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['clients']} | {r['per_s']:.1f} | {r['per_s'] / single:.2f} | "
            f"{r['p50']:.0f} | {r['p95']:.0f} | {r['errors']} |"
        )
    table = "\n".join(lines)
    print(table)
    command = f"python -m bench http -- --clients {args.clients} --steps {args.steps} --web-workers {args.web_workers}"
    write_section(
        "http",
        "Claim + complete through HTTP, 8 concurrent clients",
        "gunicorn (`casepath.cli:wsgi()`, sync workers) on a fresh PostgreSQL database, as docs/deploy.md "
        "deploys it. Each client is a front door worker with its own token and its own referral decisions "
        "prepared beforehand; a unit is one claim then one completion (two requests, one step). Baselines in "
        "the same run: the same with one client, and a trivial authenticated GET with every client.\n\n"
        f"Command: `{command}`.\n\n{table}",
    )
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
