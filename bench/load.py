"""Load test of the scale-out deployment: gunicorn workers and 2 `casepath worker` processes on a fresh
PostgreSQL database, locust (headless, loopback, bounded) with staff who sign in by API token, take tasks
from their inbox, claim and complete them. Then: no errors, every acknowledged completion in the event
record exactly once (and nothing else completed), every audit chain whole; the rate against 10× the peak
of a large local authority (docs/deploy.md, 'How much load').
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from tests.faults.deployment import BIN, Deployment, check_record, drop_database, fresh_database, staff_tokens  # noqa: E402

# docs/deploy.md: a large LA (~25,000 referrals a year, ~7.7 steps each) at its busiest hour (5× the
# average working hour) completes about 8 steps a minute; the test must sustain ten times that.
PEAK_STEPS_PER_MINUTE = 8
TARGET = 10 * PEAK_STEPS_PER_MINUTE


def aggregated(stats_csv: Path) -> dict[str, str]:
    with stats_csv.open() as file:
        return next(r for r in csv.DictReader(file) if r["Name"] == "Aggregated")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--users", type=int, default=18, help="locust users (people working at once)")
    parser.add_argument("--seconds", type=int, default=90, help="length of the run (at most 120)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--teams", type=int, default=3, help="teams of 6 staff (2 front door, 2 supervisors, 2 SWs)")
    args = parser.parse_args(argv)
    seconds = min(args.seconds, 120)
    name, work = f"casepath_bench_load_{os.getpid()}", Path(tempfile.mkdtemp(prefix="bench-load-"))
    deployed = Deployment(fresh_database(name), work / "logs", web=args.web_workers, timers=2)
    try:
        deployed.start()
        (work / "tokens.json").write_text(json.dumps(staff_tokens(deployed.url, args.teams)))
        env = {
            **os.environ,
            "CASEPATH_LOAD_TOKENS": str(work / "tokens.json"),
            "CASEPATH_LOAD_OUT": str(work / "tally.json"),
        }
        locust = [
            str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", deployed.base,
            "-u", str(args.users), "-r", str(args.users), "-t", f"{seconds}s", "--stop-timeout", "30",
            "--csv", str(work / "locust"), "--only-summary", "--loglevel", "WARNING",
        ]  # fmt: skip
        subprocess.run(locust, cwd=ROOT, env=env, check=False, timeout=seconds + 120)  # noqa: S603 - our own command
        alive = deployed.alive()
        tallies = json.loads((work / "tally.json").read_text()).values()
        acknowledged = [task for t in tallies for task in t["completed"]]
        problems = check_record(deployed.url, acknowledged)
    finally:
        exits = deployed.stop()
        drop_database(name)
    stats = aggregated(work / "locust_stats.csv")
    unexpected = [u for t in tallies for u in t["unexpected"]]
    raced = sum(t["raced"] for t in tallies)
    referred = sum(len(t["referred"]) for t in tallies)
    per_minute = len(acknowledged) * 60 / seconds
    problems += [f"unexpected answer: {u}" for u in unexpected[:5]]
    if not alive or any(code != 0 for code in exits):
        problems.append(f"a process died or did not stop cleanly (exit codes {exits})")
    failures = int(stats["Failure Count"])
    verdict = "no errors, no lost or doubled step" if not problems and not failures else "PROBLEMS"
    table = "\n".join([
        "| measure | value |",
        "|---|---:|",
        f"| requests (all kinds) | {int(stats['Request Count']):,} |",
        f"| requests per second | {float(stats['Requests/s']):.1f} |",
        f"| request p50 / p95 ms | {stats['50%']} / {stats['95%']} |",
        f"| failed requests (5xx, unexpected 4xx) | {failures} |",
        f"| claims/completions lost to a colleague (409, expected) | {raced} |",
        f"| referrals made | {referred} |",
        f"| steps completed and acknowledged | {len(acknowledged)} |",
        f"| steps per minute | {per_minute:.0f} |",
        f"| × a large LA's peak ({PEAK_STEPS_PER_MINUTE}/min) | {per_minute / PEAK_STEPS_PER_MINUTE:.1f} |",
        f"| × the target, 10× peak ({TARGET}/min) | {per_minute / TARGET:.2f} |",
    ])  # fmt: skip
    print(table)
    for problem in problems:
        print("PROBLEM:", problem)
    command = (
        f"python -m bench load -- --users {args.users} --seconds {seconds} "
        f"--web-workers {args.web_workers} --teams {args.teams}"
    )
    write_section(
        "load",
        "Load test: gunicorn + 2 timer workers + PostgreSQL at 10× a large authority's peak",
        f"gunicorn with {args.web_workers} workers and 2 `casepath worker` processes on a fresh PostgreSQL "
        f"database; locust (loopback, headless) with {args.users} users, {args.teams * 6} staff with API tokens "
        "(front door workers refer and decide, practice supervisors allocate and approve, social workers "
        "assess), each taking tasks from their inbox, reading, claiming and completing them. After the run every "
        "acknowledged completion is looked up in the event record (exactly once, and nothing completed that was "
        "not acknowledged) and every case's hash chain is verified. How the peak is worked out: docs/deploy.md.\n\n"
        f"Command: `{command}`.\n\nResult: **{verdict}**.\n\n{table}",
    )
    return 0 if verdict.startswith("no errors") and per_minute >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
