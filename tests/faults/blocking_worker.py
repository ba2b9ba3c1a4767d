"""`casepath worker` that stops dead in the middle of a batch, for the crash tests.

`python -m tests.faults.blocking_worker DATABASE_URL MARKER K` fires due timers as the worker does
(test clock on), lets K timer transactions commit, and stops just before the (K+1)-th commits: it
writes MARKER and sleeps, holding that transaction open, until the test SIGKILLs it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from casepath.services.core import Casepath, Settings
from casepath.services.timers import fire_due_timers

WRITES = ("INSERT", "UPDATE", "DELETE")


def main(url: str, marker: Path, keep: int) -> None:
    from handlers import REGISTRY

    core = Casepath(Settings(database_url=url, test_clock=True), handlers=REGISTRY)
    state = {"writing": False, "committed": 0}

    @event.listens_for(core.db.engine, "after_cursor_execute")
    def wrote(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        state["writing"] = state["writing"] or statement.lstrip().upper().startswith(WRITES)

    @event.listens_for(core.db.engine, "commit")
    def before_commit(_conn: Any) -> None:
        if state["writing"]:
            if state["committed"] == keep:
                marker.write_text(f"{keep} timer transactions committed, the next one open")
                time.sleep(3600)  # the test kills us here
            state["committed"] += 1
        state["writing"] = False

    @event.listens_for(core.db.engine, "rollback")
    def rolled_back(_conn: Any) -> None:
        state["writing"] = False

    fire_due_timers(core)
    marker.write_text("finished the batch without stopping")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
