"""Installing Casepath: schema, local authority, admin, default protocol, pathway version 1; demo data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casepath.domain.protocol import DEFAULT_PROTOCOL
from casepath.services import records
from casepath.services.core import Casepath
from casepath.services.staff import add_staff
from casepath.services.versions import add_version, read_folder
from casepath.store import models


def init(app: Casepath) -> list[str]:
    """Create or upgrade everything; safe to run again. Returns what it did, for the command line."""
    app.db.upgrade()
    done = []
    with app.db.transaction() as session:
        now = app.now(session)
        la = session.scalars(
            select(models.LocalAuthority).where(models.LocalAuthority.code == app.settings.la_code)
        ).first()
        if la is None:
            la = models.LocalAuthority(code=app.settings.la_code, name=app.settings.la_name)
            session.add(la)
            session.flush()
            done.append(f"created local authority {la.code} {la.name}")
        if session.scalars(select(models.Staff).where(models.Staff.username == "admin")).first() is None:
            add_staff(
                session,
                la.id,
                {
                    "username": "admin",
                    "name": "Administrator",
                    "email": "admin@localhost",
                    "roles": ["admin", "process_owner"],
                    "profession": "administrator",
                },
                now,
            )
            done.append("created the admin user")
        if session.scalars(select(models.Protocol).where(models.Protocol.la_id == la.id)).first() is None:
            session.add(
                models.Protocol(
                    la_id=la.id,
                    version=1,
                    data=DEFAULT_PROTOCOL.to_dict(),
                    created_by="casepath init",
                    created_at=now,
                    reason="default protocol (Working Together 2023)",
                )
            )
            records.append(session, f"la:{la.code}", la.id, "protocol_changed", "casepath init", {"version": 1}, now)
            done.append("installed the default local protocol")
        if session.scalars(select(models.ProcessVersion).where(models.ProcessVersion.la_id == la.id)).first() is None:
            diagrams, forms = read_folder(app.processes_dir, app.forms_dir)
            add_version(session, la.id, diagrams, forms, "casepath init", "the statutory pathway as shipped", now)
            done.append(f"published {len(diagrams)} diagrams and {len(forms)} forms as version 1")
    return done or ["nothing to do: already installed"]


def default_la_id(app: Casepath) -> int:
    with app.db.transaction() as session:
        la = session.scalars(
            select(models.LocalAuthority).where(models.LocalAuthority.code == app.settings.la_code)
        ).first()
        if la is None:
            raise LookupError("Casepath is not installed here: run `casepath init` first.")
        return la.id


def staff_data(username: str, name: str, roles: list[str], **extra: Any) -> dict[str, Any]:
    return {"username": username, "name": name, "email": f"{username}@example.org", "roles": roles, **extra}
