"""The Casepath web app that stops dead at a chosen point of a step's completion, for the crash tests.

`python -m tests.faults.blocking_server DATABASE_URL PORT MARKER POINT` serves the real app (test clock
on) and, while a `.../complete` request runs, watches its SQL: POINT `write:N` stops right after the
N-th INSERT/UPDATE/DELETE, `commit` stops just before the transaction commits, `after` stops once it
has committed (before the answer is sent). Stopping writes what was reached to MARKER and sleeps,
holding the open transaction, until the test SIGKILLs the process. No core code is changed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from flask import Response, request
from sqlalchemy import event
from werkzeug.serving import make_server

from api.app import create_app
from casepath.services.core import Casepath, Settings

WRITES = ("INSERT", "UPDATE", "DELETE")


def main(url: str, port: int, marker: Path, point: str) -> None:
    from handlers import REGISTRY

    core = Casepath(Settings(database_url=url, test_clock=True), handlers=REGISTRY)
    app = create_app(core)
    state = {"armed": False, "writes": 0}

    def stop(what: str) -> None:
        marker.write_text(what)
        time.sleep(3600)  # the test kills us here

    @app.before_request
    def arm() -> None:  # runs after authentication, whose own transaction has committed
        state["armed"] = request.path.endswith("/complete")

    @app.after_request
    def done(response: Response) -> Response:
        if state["armed"] and point == "after" and response.status_code == 200:
            stop(f"after commit, {state['writes']} writes")
        return response

    @event.listens_for(core.db.engine, "after_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if state["armed"] and statement.lstrip().upper().startswith(WRITES):
            state["writes"] += 1
            if point == f"write:{state['writes']}":
                stop(f"after write {state['writes']}: {statement.split(chr(10), maxsplit=1)[0][:120]}")

    @event.listens_for(core.db.engine, "commit")
    def before_commit(_conn: Any) -> None:
        if state["armed"] and state["writes"] and point == "commit":
            stop(f"before commit, {state['writes']} writes")

    make_server("127.0.0.1", port, app, threaded=False).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])
