"""Rehearsals shared between server processes: one started by one gunicorn worker is used from another (a
Casepath and app built separately on the same database and rehearsals folder, as after a restart), one
use at a time across processes, expiry and the limit counted from the folders, and ids never taken as paths."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from casepath.domain.clock import FixedClock
from casepath.domain.errors import Conflict, NotFound
from casepath.services import drafts, rehearsal
from casepath.services.core import PROJECT_ROOT, Casepath, Settings
from tests.api.conftest import Api, assert_problem
from tests.conftest import START
from tests.owner.test_forms_pages import owners
from tests.owner.test_rehearsal import draft_with_check_step
from tests.web.conftest import Browser

__all__ = ["owners"]

DECISION = {"decision": "assessment", "primary_need": "N2", "rationale": "Rehearsal.", "referrer_informed": True}
ALLOCATION = {"lead_practitioner": "lead_practitioner", "practitioner_agreed": True, "rationale": "Rehearsal."}


def another_process(core: Casepath) -> Casepath:
    """What another gunicorn worker (or the same server after a restart) builds: nothing shared in memory."""
    from handlers import REGISTRY

    settings = Settings(database_url=core.settings.database_url, rehearsals_dir=core.settings.rehearsals_dir)
    return Casepath(settings, clock=FixedClock(START), handlers=REGISTRY)


@pytest.fixture
def second(core: Casepath) -> Iterator[Api]:
    other = another_process(core)
    yield Api(create_app(other, {"TESTING": True}).test_client(), other)
    other.db.dispose()


def home(core: Casepath) -> Path:
    assert core.settings.rehearsals_dir is not None
    return core.settings.rehearsals_dir


def open_steps(api: Api, rid: str, po: str) -> set[str]:
    found = api.get(f"/rehearsals/{rid}/tasks", as_=po).get_json()
    return {t["step"] for t in found if t["state"] in ("ready", "claimed")}


def test_a_rehearsal_started_by_one_worker_is_used_moved_on_and_ended_from_another(
    api: Api, second: Api, factory: Any
) -> None:
    po = draft_with_check_step(api, factory)
    rid = api.post("/rehearsals", as_=po, json={"draft": "check", "now": "2025-06-02T09:00:00+01:00"}).get_json()["id"]
    assert second.core is not api.core and second.core.db is not api.core.db

    made = second.post(f"/rehearsals/{rid}/referrals", as_=po, json={})
    assert made.status_code == 201, made.get_json()
    [decision] = made.get_json()["tasks"]
    done = second.post(f"/rehearsals/{rid}/tasks/{decision['id']}/complete", as_=po,
                       json={"role": "front_door", "data": DECISION})  # fmt: skip
    assert done.status_code == 200, done.get_json()
    assert open_steps(api, rid, po) == {"allocate_lead_practitioner"}  # the first worker sees the step done
    allocate = next(t for t in api.get(f"/rehearsals/{rid}/tasks", as_=po).get_json() if t["state"] != "completed")
    done = api.post(f"/rehearsals/{rid}/tasks/{allocate['id']}/complete", as_=po,
                    json={"role": "practice_supervisor", "data": ALLOCATION})  # fmt: skip
    assert done.status_code == 200, done.get_json()

    moved = second.put(f"/rehearsals/{rid}/clock", as_=po, json={"now": "2025-09-01T09:00:00+01:00"}).get_json()
    assert moved["fired"] >= 1
    seen = api.get(f"/rehearsals/{rid}", as_=po).get_json()  # the clock came from the file, not the first's memory
    assert seen["now"] == "2025-09-01T09:00:00+01:00" and seen["cases"] == [made.get_json()["case_id"]]
    assert open_steps(api, rid, po) == {"child_and_family_assessment", "overdue_review"}
    assert_problem(api.put(f"/rehearsals/{rid}/clock", as_=po, json={"now": "2025-08-01T09:00:00+01:00"}), 422,
                   "invalid_form")  # fmt: skip

    restarted = another_process(api.core)  # a server restarted: the rehearsal is still there
    again = Api(create_app(restarted, {"TESTING": True}).test_client(), restarted)
    assert again.get(f"/rehearsals/{rid}", as_=po).get_json()["now"].startswith("2025-09-01")
    restarted.db.dispose()
    assert second.call("DELETE", f"/rehearsals/{rid}", as_=po).status_code == 204
    assert_problem(api.get(f"/rehearsals/{rid}", as_=po), 404, "not_found")
    assert [p.name for p in home(api.core).iterdir()] == ["lock"]


def test_a_forged_rehearsal_id_is_a_clean_404_and_never_a_path(
    browser: Browser, owners: Any, core: Casepath, tmp_path: Path
) -> None:
    po = owners["po1"]
    drafts.start_draft(core, po, "next", 1)
    rid = rehearsal.start_rehearsal(core, po, "next")["id"]
    bait = shutil.copytree(home(core) / rid, tmp_path / "etc")  # a rehearsal-like folder outside the home
    before = {p.name: p.read_bytes() for p in bait.iterdir()}
    forged = ["../../etc", "..", "../etc", "/etc", "", rid.upper(), f"{rid}/../{rid}", f"{{{rid}}}", str(uuid.uuid1())]
    uses = [
        lambda bad: rehearsal.get_rehearsal(core, po, bad),
        lambda bad: rehearsal.list_tasks(core, po, bad),
        lambda bad: rehearsal.refer(core, po, bad, {}),
        lambda bad: rehearsal.travel(core, po, bad, 1),
        lambda bad: rehearsal.end_rehearsal(core, po, bad),
    ]
    for bad in forged:
        for use in uses:
            with pytest.raises(NotFound):
                use(bad)
    browser.sign_in("po1")
    for path in ("..%2F..%2Fetc", "..", "%2e%2e", str(uuid.uuid4()), rid.upper()):
        browser.get(f"/owner/rehearsals/{path}", status=404)
    assert sorted(p.name for p in home(core).iterdir()) == sorted(["lock", rid])
    assert {p.name: p.read_bytes() for p in bait.iterdir()} == before
    assert rehearsal.get_rehearsal(core, po, rid)["cases"] == []  # the real one is untouched


def test_expired_rehearsals_are_removed_by_any_process_and_the_limit_counts_every_process(
    core: Casepath, owners: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = owners["po1"]
    drafts.start_draft(core, po, "next", 1)
    other = another_process(core)
    monkeypatch.setattr(rehearsal, "MAX_REHEARSALS", 2)
    first = rehearsal.start_rehearsal(core, po, "next")["id"]
    rehearsal.start_rehearsal(other, po, "next")
    with pytest.raises(Conflict, match="2 rehearsals are running already"):
        rehearsal.start_rehearsal(core, po, "next")

    meta_file = home(core) / first / "rehearsal.json"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps(meta | {"last_used": time.time() - rehearsal.TTL_SECONDS - 1}))  # 2 h unused
    assert len(rehearsal.list_rehearsals(other, po)) == 1 and not (home(core) / first).exists()
    with pytest.raises(NotFound):
        rehearsal.get_rehearsal(core, po, first)
    rehearsal.start_rehearsal(core, po, "next")  # room again

    crashed = home(core) / str(uuid.uuid4())  # a start whose process died before writing its metadata
    crashed.mkdir()
    (crashed / "lock").touch()
    assert len(rehearsal.list_rehearsals(other, po)) == 2 and not crashed.exists()
    assert oct(home(core).stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o700" for p in home(core).iterdir() if p.is_dir())
    other.db.dispose()


def test_a_rehearsal_in_use_is_locked_against_every_other_use_and_is_not_swept(core: Casepath, owners: Any) -> None:
    po = owners["po1"]
    drafts.start_draft(core, po, "next", 1)
    rid = rehearsal.start_rehearsal(core, po, "next")["id"]
    with rehearsal._using(core, po, rid) as running:
        with rehearsal._locked(running.folder / "lock", wait=False) as free:
            assert free is False  # another open file: another process, or another thread here
        meta_file = running.folder / "rehearsal.json"
        meta_file.write_text(json.dumps(json.loads(meta_file.read_text()) | {"last_used": 0}))
        with rehearsal._locked(home(core) / "lock"):  # looks expired, but a sweep leaves one in use alone
            assert rehearsal._sweep(core) == [running.folder]
    assert rehearsal.get_rehearsal(core, po, rid)["expires_in_seconds"] > 0  # the use wrote last_used back


SCRIPT = """
import sys
from pathlib import Path
from handlers import REGISTRY
from casepath.services import rehearsal
from casepath.services.core import Casepath, Settings
from casepath.services.staff import Actor

url, folder, rid, la_id, n = sys.argv[1:]
app = Casepath(Settings(database_url=url, rehearsals_dir=Path(folder)), handlers=REGISTRY)
for _ in range(int(n)):
    rehearsal.refer(app, Actor("po1", int(la_id), ("process_owner",)), rid, {})
app.db.dispose()
"""


@pytest.mark.slow
def test_two_processes_referring_at_once_on_one_rehearsal_lose_nothing(core: Casepath, owners: Any) -> None:
    po = owners["po1"]
    drafts.start_draft(core, po, "next", 1)
    rid = rehearsal.start_rehearsal(core, po, "next")["id"]
    args = [core.settings.database_url, str(home(core)), rid, str(po.la_id), "3"]
    running = [
        subprocess.Popen([sys.executable, "-c", SCRIPT, *args], cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for process in running:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    made = rehearsal.get_rehearsal(core, po, rid)["cases"]
    assert len(made) == len(set(made)) == 6  # no read-modify-write of the metadata was lost
    steps = [t["step"] for t in rehearsal.list_tasks(core, po, rid)]
    assert steps == ["referral_decision"] * 6
