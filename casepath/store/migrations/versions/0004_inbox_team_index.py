"""inbox indexes for national scale: tasks by team (the team view, a supervisor's overdue view) and the
unclaimed open tasks by lane (the available view: counted and sorted from the index alone)

Revision ID: 0004_inbox_team_index
Revises: 0003_drafts
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_inbox_team_index"
down_revision = "0003_drafts"
branch_labels = None
depends_on = None

UNCLAIMED = sa.text("assignee IS NULL AND state IN ('ready', 'claimed')")


def upgrade() -> None:
    op.create_index("ix_tasks_team", "tasks", ["la_id", "team", "state"])
    op.create_index(
        "ix_tasks_available",
        "tasks",
        ["la_id", "role", "due_on", "created_at", "id"],
        postgresql_where=UNCLAIMED,
        sqlite_where=UNCLAIMED,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_available", table_name="tasks")
    op.drop_index("ix_tasks_team", table_name="tasks")
