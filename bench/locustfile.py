"""Locust users for bench/load.py: staff who sign in with an API token, take tasks from their inbox, claim
and complete them (tests/faults/deployment.py `work_once`). Needs CASEPATH_LOAD_TOKENS (a JSON file
{username: token}) and CASEPATH_LOAD_OUT (where each user's tally is written when the run stops)."""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from locust import HttpUser, events, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.deployment import RACED, Tally, work_once

TOKENS: dict[str, str] = json.loads(Path(os.environ["CASEPATH_LOAD_TOKENS"]).read_text())
PEOPLE = itertools.cycle(sorted(TOKENS))
TALLIES: dict[str, Tally] = {}
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}")


class Staff(HttpUser):
    """One member of staff (a distinct username per user while there are enough of them)."""

    def on_start(self) -> None:
        self.username = next(PEOPLE)
        self.tally = TALLIES.setdefault(f"{self.username}#{id(self)}", Tally())

    def send(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        name = ID.sub("{id}", path.split("?", maxsplit=1)[0])
        headers = {"Authorization": f"Bearer {TOKENS[self.username]}"}
        with self.client.request(
            method, "/api/v1" + path, json=body, headers=headers, name=f"{method} {name}", catch_response=True
        ) as answer:
            try:
                payload = answer.json()
            except ValueError:
                payload = answer.text
            raced = answer.status_code == 409 and isinstance(payload, dict) and payload.get("code") in RACED
            if answer.status_code < 400 or raced:
                answer.success()  # someone else got there first: expected with many people on one inbox
            else:
                answer.failure(f"{answer.status_code} {str(payload)[:200]}")
            return answer.status_code, payload

    @task
    def take_a_step(self) -> None:
        if not work_once(self.send, self.username, self.tally):
            time.sleep(1.0)  # nothing for me now: look again shortly, as a person would


@events.test_stop.add_listener
def write_tallies(**_kwargs: Any) -> None:
    out = {name: vars(tally) for name, tally in TALLIES.items()}
    Path(os.environ["CASEPATH_LOAD_OUT"]).write_text(json.dumps(out))
