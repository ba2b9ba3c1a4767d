"""The `casepath` command line (design/api.md): init, serve, worker, staff token, demo, returns."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from pathlib import Path

from casepath.services.core import Casepath, Settings

log = logging.getLogger("casepath")


def _core() -> Casepath:
    from handlers import REGISTRY  # noqa: PLC0415 - the composition root wires handlers in

    return Casepath(Settings.from_env(), handlers=REGISTRY)


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


def run_worker(core: Casepath, interval: float, stop: threading.Event) -> None:
    from casepath.services.timers import fire_due_timers  # noqa: PLC0415

    while not stop.is_set():
        try:
            fired = fire_due_timers(core)
            if fired:
                log.info("fired %d timer(s)", fired)
        except Exception:
            log.exception("timer batch failed; retrying")
        stop.wait(interval)


def cmd_worker(args: argparse.Namespace) -> int:
    stop = threading.Event()
    try:
        run_worker(_core(), args.interval, stop)
    except KeyboardInterrupt:
        stop.set()
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


def cmd_demo(args: argparse.Namespace) -> int:
    from casepath.services.demo import load_demo  # noqa: PLC0415

    for line in load_demo(_core()):
        print(line)
    return 0


def cmd_census(args: argparse.Namespace) -> int:
    from casepath.services.reports import cin_census  # noqa: PLC0415
    from casepath.services.setup import default_la_id  # noqa: PLC0415

    core = _core()
    started = time.monotonic()
    print(f"Building the CIN census for {args.year}...", file=sys.stderr)
    xml = cin_census(core, None, args.year, default_la_id(core))
    Path(args.out).write_bytes(xml)
    print(f"Wrote {args.out} ({len(xml):,} bytes) in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
