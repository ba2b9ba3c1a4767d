"""The application core: database, clock, published versions, protocol and calendar per LA."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BindParameter, ScalarSelect, func, select
from sqlalchemy.orm import Session

from casepath.domain.calendar import WorkingDayCalendar
from casepath.domain.clock import Clock, SystemClock
from casepath.domain.errors import NotFound
from casepath.domain.protocol import LocalProtocol
from casepath.engine.diagrams import Diagrams, parse_diagrams
from casepath.engine.runner import HandlerCall
from casepath.store import models
from casepath.store.db import Database, default_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEST_CLOCK_KEY = "test_clock_now"
_PARSED: dict[str, Diagrams] = {}  # by version hash: versions are immutable, parse each once per process


@dataclass
class Settings:
    database_url: str = ""
    root: Path = PROJECT_ROOT
    test_clock: bool = False
    la_code: str = "999"
    la_name: str = "Casepath Demo Council"
    trusted_proxies: int = 0  # reverse proxies in front of the app whose X-Forwarded-For/-Proto to believe
    rehearsals_dir: Path | None = None  # process owners' rehearsals; default root/var/rehearsals

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        settings = cls(
            test_clock=os.environ.get("CASEPATH_TEST_CLOCK") == "1",
            la_code=os.environ.get("CASEPATH_LA_CODE", "999"),
            la_name=os.environ.get("CASEPATH_LA_NAME", "Casepath Demo Council"),
            trusted_proxies=_proxies(os.environ.get("CASEPATH_TRUSTED_PROXIES", "0")),
            rehearsals_dir=(
                Path(os.environ["CASEPATH_REHEARSALS_DIR"]) if os.environ.get("CASEPATH_REHEARSALS_DIR") else None
            ),
        )
        for key, value in overrides.items():
            setattr(settings, key, value)
        if not settings.database_url:
            settings.database_url = default_url(settings.root)
        return settings


def _proxies(value: str) -> int:
    if not value.strip().isdigit() or int(value) > 5:
        raise ValueError(
            f"CASEPATH_TRUSTED_PROXIES is {value!r}: set it to the number of reverse proxies in front of Casepath "
            "(0 to 5; 1 for one nginx or load balancer), or leave it unset when clients connect directly."
        )
    return int(value)


def newest_protocol(la_id: int | BindParameter[Any]) -> ScalarSelect[Any]:
    """The number of the LA's newest protocol (None: it has none), to read in the same statement as other rows
    (and then `Casepath.protocol_at`)."""
    return select(func.max(models.Protocol.version)).where(models.Protocol.la_id == la_id).scalar_subquery()


@dataclass
class PublishedVersion:
    id: int
    version: int
    diagrams: Diagrams
    forms: dict[str, dict[str, Any]]


@dataclass
class Casepath:
    """Everything a use-case needs; built once per process (CLI, web app, worker)."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    handlers: Mapping[str, Callable[[HandlerCall], Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.db = Database(self.settings.database_url)
        self._versions: dict[int, PublishedVersion] = {}
        self._protocols: dict[tuple[int, int], LocalProtocol] = {}
        WorkingDayCalendar().is_working_day(self.clock.now().date())  # load bank holidays before the first request

    @property
    def processes_dir(self) -> Path:
        return self.settings.root / "processes"

    @property
    def forms_dir(self) -> Path:
        return self.settings.root / "forms"

    def now(self, session: Session) -> datetime:
        """The time: the system clock, or the rehearsal/test clock when CASEPATH_TEST_CLOCK=1."""
        if self.settings.test_clock:
            stored = session.get(models.Setting, TEST_CLOCK_KEY)
            if stored is not None:
                return datetime.fromisoformat(stored.value).astimezone(UTC)
        return self.clock.now()

    def version(self, session: Session, version_id: int) -> PublishedVersion:
        """A published process version, parsed once and kept (versions are immutable)."""
        if version_id not in self._versions:
            row = session.get(models.ProcessVersion, version_id)
            if row is None:
                raise NotFound(f"Process version {version_id} does not exist.")
            if row.hash not in _PARSED:
                _PARSED[row.hash] = parse_diagrams({name: text.encode() for name, text in row.diagrams.items()})
            self._versions[version_id] = PublishedVersion(row.id, row.version, _PARSED[row.hash], row.forms)
        return self._versions[version_id]

    def latest_version(self, session: Session, la_id: int) -> PublishedVersion:
        query = (
            select(models.ProcessVersion.id)
            .where(models.ProcessVersion.la_id == la_id)
            .order_by(models.ProcessVersion.version.desc())
            .limit(1)
        )
        version_id = session.scalars(query).first()
        if version_id is None:
            raise NotFound("No pathway has been published yet: run `casepath init`.")
        return self.version(session, version_id)

    def protocol(self, session: Session, la_id: int) -> LocalProtocol:
        """The LA's protocol in force (its newest version)."""
        return self.protocol_at(session, la_id, session.scalar(select(newest_protocol(la_id))))

    def protocol_at(self, session: Session, la_id: int, version: int | None) -> LocalProtocol:
        """The LA's protocol of this version, parsed once and kept (a version is never changed); `version`
        None: the LA has none yet, so the defaults. With `newest_protocol`, read with other rows."""
        if version is None:
            return LocalProtocol()
        if (la_id, version) not in self._protocols:
            query = select(models.Protocol.data).where(
                models.Protocol.la_id == la_id, models.Protocol.version == version
            )
            self._protocols[(la_id, version)] = LocalProtocol.from_dict(session.scalars(query).one())
        return self._protocols[(la_id, version)]

    def calendar(self, protocol: LocalProtocol) -> WorkingDayCalendar:
        return WorkingDayCalendar(protocol.extra_holidays, protocol.working_day_convention)
