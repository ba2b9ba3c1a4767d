"""Engine, sessions, one transaction per use-case, and schema upgrades through Alembic."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from casepath.domain.errors import Conflict

MIGRATIONS = Path(__file__).parent / "migrations"


def default_url(root: Path) -> str:
    """`DATABASE_URL`, else a SQLite file under `var/` in the project folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    (root / "var").mkdir(exist_ok=True)
    return f"sqlite:///{root / 'var' / 'casepath.db'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


IDLE_PING_SECONDS = 1.0  # a pooled connection idle for longer is pinged before use


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has been idle for a while, as HikariCP does: a
    database restarted or a connection dropped while idle is found and replaced before a request uses it, and
    a busy server, whose connections come back to the pool and go out again within milliseconds, spends no
    round trip on it (`pool_pre_ping` pings before every unit of work)."""

    def used(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        record.info["used_at"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("used_at", 0.0) < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:  # the pool replaces the connection and tries again
            raise DisconnectionError(f"a pooled connection was dropped while idle: {err}") from err

    event.listen(engine, "connect", used)
    event.listen(engine, "checkin", used)
    event.listen(engine, "checkout", checkout)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url)
    _ping_when_idle(engine)
    return engine


class Database:
    """The database of one Casepath installation."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit at the end, roll back and re-raise on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except (StaleDataError, IntegrityError, OperationalError) as err:
            session.rollback()
            if isinstance(err, OperationalError) and "locked" not in str(err) and "deadlock" not in str(err):
                raise
            raise Conflict("Someone else changed the same record at the same moment. Reload it and try again.") from err
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()
