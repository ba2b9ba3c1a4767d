"""Tables. Every child, case, staff member, protocol and process version belongs to a local authority."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from casepath.domain.events import GENESIS


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class LocalAuthority(Base):
    __tablename__ = "local_authorities"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    profession: Mapped[str] = mapped_column(String(64))
    swe_number: Mapped[str | None] = mapped_column(String(32))
    swe_expires_on: Mapped[date | None] = mapped_column(Date)
    competencies: Mapped[list[Any]] = mapped_column(default=list)
    team: Mapped[str] = mapped_column(String(100), default="")
    line_manager: Mapped[str | None] = mapped_column(String(64))
    employer: Mapped[str] = mapped_column(String(200), default="la")
    caseload_limit: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Protocol(Base):
    __tablename__ = "protocols"
    __table_args__ = (UniqueConstraint("la_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"))
    version: Mapped[int]
    data: Mapped[dict[str, Any]]
    created_by: Mapped[str]
    created_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")


class ProcessVersion(Base):
    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("la_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"))
    version: Mapped[int]
    diagrams: Mapped[dict[str, Any]]
    forms: Mapped[dict[str, Any]]
    hash: Mapped[str] = mapped_column(String(64))
    published_by: Mapped[str]
    published_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")


class Child(Base):
    __tablename__ = "children"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    expected_date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    ethnicity: Mapped[str] = mapped_column(String(4))
    disabilities: Mapped[list[Any]] = mapped_column(default=list)
    upn: Mapped[str | None] = mapped_column(String(13), index=True)
    created_at: Mapped[datetime]


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    phase: Mapped[str] = mapped_column(String(64), default="referral")
    people: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(String(8))
    incident: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # the head of the case's hash chain (its last event), moved with every event recorded on the case: the
    # case row is locked for every change, so a unit of work knows where the chain stands without reading it
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS, server_default=GENESIS)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it from the class


class Instance(Base):
    __tablename__ = "instances"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    next_timer_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


Index("ix_instances_timers", Instance.status, Instance.next_timer_at)


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"))
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"))
    step: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(64))
    form_key: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="ready")
    assignee: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(100))
    due_on: Mapped[date | None] = mapped_column(Date)
    rule: Mapped[str | None] = mapped_column(String(64))
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    completed_by: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # when the worker reminded the holder that the deadline is near


Index("ix_tasks_inbox", Task.la_id, Task.state, Task.assignee)
Index("ix_tasks_role", Task.la_id, Task.state, Task.role)
Index("ix_tasks_due", Task.la_id, Task.state, Task.due_on)
Index("ix_tasks_team", Task.la_id, Task.team, Task.state)
_UNCLAIMED = Task.assignee.is_(None) & Task.state.in_(("ready", "claimed"))  # the inbox's available view
Index("ix_tasks_available", Task.la_id, Task.role, Task.due_on, Task.created_at, Task.id,
      postgresql_where=_UNCLAIMED, sqlite_where=_UNCLAIMED)  # fmt: skip
Index("ix_tasks_reminders", Task.la_id, Task.reminded_at, Task.state, Task.due_on)


class Event(Base):
    """The append-only, hash-chained record. `stream` is a case id, or `la:<code>` for configuration."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("stream", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    stream: Mapped[str] = mapped_column(String(40))
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"))
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AccessLog(Base):
    """Who looked at which child's record, and when (views are audited, not only changes)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(36), index=True)
    child_id: Mapped[str | None] = mapped_column(String(36), index=True)
    what: Mapped[str] = mapped_column(String(100))


class Draft(Base):
    """A process owner's unpublished pathway: diagrams and forms being edited, linted and rehearsed."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("la_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"))
    name: Mapped[str] = mapped_column(String(64))
    diagrams: Mapped[dict[str, Any]]
    forms: Mapped[dict[str, Any]]
    base_version: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LoginFailure(Base):
    """A failed sign-in, kept for the throttle's window: shared by every process of a deployment."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))  # "user:<username>" or "ip:<address>"
    at: Mapped[datetime]


Index("ix_login_failures_key", LoginFailure.key, LoginFailure.at)


class ImmutableRecord(Exception):
    """Raised when code tries to change what the record keeps for good."""


def _refuse_change(mapper: Any, connection: Any, target: Any) -> None:
    raise ImmutableRecord(f"{type(target).__name__} rows are append-only: they cannot be changed or deleted")


for _model in (Event, ProcessVersion, AccessLog):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
