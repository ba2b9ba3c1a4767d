"""The `casepath` command line (design/api.md): init, serve, worker, staff token, demo, returns."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from casepath.services.core import Casepath, Settings

log = logging.getLogger("casepath")


_OPENED: list[Casepath] = []


def _core() -> Casepath:
    from handlers import REGISTRY  # noqa: PLC0415 - the composition root wires handlers in

    core = Casepath(Settings.from_env(), handlers=REGISTRY)
    _OPENED.append(core)  # closed when the command ends, so no database connection outlives it
    return core


def cmd_init(args: argparse.Namespace) -> int:
    from casepath.services.setup import init  # noqa: PLC0415

    for line in init(_core()):
        print(line)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from casepath.services.admin import issue_token  # noqa: PLC0415

    print(f"API token for {args.username} (keep it secret; it expires in 90 days):")
    print(issue_token(_core(), None, args.username)["token"])
    return 0


def run_worker(core: Casepath, interval: float, stop: threading.Event, once: bool = False) -> None:
    """Fire due timers and send due reminders every `interval` seconds until `stop` is set."""
    from casepath.services.timers import fire_due_timers  # noqa: PLC0415

    while not stop.is_set():
        try:
            fired = fire_due_timers(core, stop=stop)
            if fired:
                log.info("fired %d timer(s)", fired)
        except Exception:
            log.exception("timer batch failed; retrying")
        if once:
            return
        stop.wait(interval)


def cmd_worker(args: argparse.Namespace) -> int:
    """SIGTERM or Ctrl-C: finish the timer in hand (its transaction commits), then exit cleanly."""
    stop = threading.Event()

    def finish(signum: int, _frame: object) -> None:
        log.info("%s received: stopping after the timer in hand", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    log.info("worker started: firing due timers every %.0f s", args.interval)
    run_worker(_core(), args.interval, stop, once=args.once)
    log.info("worker stopped")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from werkzeug.serving import run_simple  # noqa: PLC0415

    from api.app import create_app  # noqa: PLC0415

    core = _core()
    app = create_app(core)
    if not args.no_worker:
        threading.Thread(target=run_worker, args=(core, 30.0, threading.Event()), daemon=True).start()
    print(f"Casepath on http://{args.host}:{args.port}/ (API docs at /api/docs)", flush=True)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    return 0


def wsgi() -> Any:
    """The web app for a WSGI server, settings from the environment: `gunicorn 'casepath.cli:wsgi()'`."""
    from api.app import create_app  # noqa: PLC0415

    return create_app(_core())


def cmd_demo(args: argparse.Namespace) -> int:
    from casepath.services.demo import load_demo  # noqa: PLC0415

    for line in load_demo(_core()):
        print(line)
    return 0


def cmd_census(args: argparse.Namespace) -> int:
    from casepath.services.reports import cin_census_stream  # noqa: PLC0415
    from casepath.services.setup import default_la_id  # noqa: PLC0415

    core = _core()
    started = time.monotonic()
    print(f"Building the CIN census for {args.year}...", file=sys.stderr)
    pieces = cin_census_stream(core, None, args.year, default_la_id(core), progress=_progress("children"))
    size = _write(args.out, pieces)
    print(f"Wrote {args.out} ({size:,} bytes) in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


def _progress(what: str) -> Callable[[int, int], None]:
    """A progress line on stderr, rewritten in place on a terminal."""
    end = "\r" if sys.stderr.isatty() else "\n"

    def show(done: int, total: int) -> None:
        print(f"  {done:,} of {total:,} {what}", file=sys.stderr, end=end if done < total else "\n", flush=True)

    return show


def _write(out: str, pieces: Iterable[bytes]) -> int:
    """Write the pieces to `out` (or stdout for `-`); the number of bytes written."""
    size = 0
    with open(sys.stdout.fileno(), "wb", closefd=False) if out == "-" else Path(out).open("wb") as file:
        for piece in pieces:
            file.write(piece)
            size += len(piece)
    return size


def cmd_export(args: argparse.Namespace) -> int:
    from casepath.services.reports import event_log  # noqa: PLC0415
    from casepath.services.setup import default_la_id  # noqa: PLC0415

    core = _core()
    started = time.monotonic()
    print(f"Exporting the cases referred {args.start} to {args.end} as {args.format.upper()}...", file=sys.stderr)
    pieces = event_log(
        core, None, args.format, args.start, args.end, lifecycle=args.lifecycle, la_id=default_la_id(core),
        progress=_progress("cases"),
    )  # fmt: skip
    size = _write(args.out, pieces)
    print(f"Wrote {args.out} ({size:,} bytes) in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


def cmd_workforce(args: argparse.Namespace) -> int:
    from casepath.services.reports import workforce_csv, workforce_return  # noqa: PLC0415
    from casepath.services.setup import default_la_id  # noqa: PLC0415

    core = _core()
    print(f"Building the workforce return for {args.year} quarter {args.quarter}...", file=sys.stderr)
    result = workforce_return(core, None, args.year, args.quarter, default_la_id(core))
    text = workforce_csv(result) if args.out.endswith(".csv") else json.dumps(result, indent=2) + "\n"
    _write(args.out, [text.encode()])
    print(f"Wrote {args.out}", file=sys.stderr)
    return 0


def _exports(sub: Any) -> None:
    export = sub.add_parser("export", help="write an event log for process mining (XES or OCEL 2.0 JSON)")
    export.add_argument("format", choices=["xes", "ocel"])
    export.add_argument("--from", dest="start", type=date.fromisoformat, required=True, help="first referral date")
    export.add_argument("--to", dest="end", type=date.fromisoformat, required=True, help="last referral date")
    export.add_argument("--lifecycle", choices=["complete", "all"], default="complete")
    export.add_argument("--out", required=True, help="file to write, or - for standard output")
    export.set_defaults(func=cmd_export)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from casepath.services.audit import verify_all  # noqa: PLC0415

    broken = 0
    for stream, seq, why in verify_all(_core(), args.case):
        broken += 1
        print(f"TAMPERED {stream}: event {seq}: {why}")
    print("every event record is intact" if not broken else f"{broken} record(s) tampered with")
    return 1 if broken else 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="casepath", description="Casepath: the statutory children's social care pathway, run safely."
    )
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create or upgrade the database and publish the pathway").set_defaults(func=cmd_init)
    serve = sub.add_parser("serve", help="run the web app and API (and the timer worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--no-worker", action="store_true", help="do not fire timers in this process")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="fire due timers and escalations")
    worker.add_argument("--interval", type=float, default=10.0, help="seconds between batches")
    worker.add_argument("--once", action="store_true", help="fire what is due now, then exit (cron)")
    worker.set_defaults(func=cmd_worker)
    staff = sub.add_parser("staff", help="staff tools").add_subparsers(dest="staff_command", required=True)
    token = staff.add_parser("token", help="print a new API token for USERNAME (last line)")
    token.add_argument("username")
    token.set_defaults(func=cmd_token)
    sub.add_parser("demo", help="load demo staff and cases").set_defaults(func=cmd_demo)
    returns = sub.add_parser("returns", help="statutory returns").add_subparsers(dest="return_name", required=True)
    census = returns.add_parser("cin-census", help="write the DfE CIN census XML")
    census.add_argument("--year", type=int, required=True)
    census.add_argument("--out", required=True)
    census.set_defaults(func=cmd_census)
    workforce = returns.add_parser("workforce", help="write the quarterly Families First workforce return")
    workforce.add_argument("--year", type=int, required=True, help="collection year (2026: April 2025-March 2026)")
    workforce.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], required=True)
    workforce.add_argument("--out", required=True, help="FILE.json or FILE.csv, or - for JSON on standard output")
    workforce.set_defaults(func=cmd_workforce)
    _exports(sub)
    audit = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="check every case's hash chain; report the first tampered event")
    verify.add_argument("--case", help="only this case id")
    verify.set_defaults(func=cmd_audit_verify)
    return top


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    from casepath.domain.errors import CasepathError  # noqa: PLC0415

    try:
        return int(args.func(args))
    except (CasepathError, LookupError) as err:
        print(f"casepath: {getattr(err, 'detail', err)}", file=sys.stderr)
        return 2
    finally:
        while _OPENED:
            _OPENED.pop().db.dispose()


if __name__ == "__main__":
    sys.exit(main())
