"""tasks.reminded_at: the worker reminds a task's holder once, before its deadline

Revision ID: 0002_task_reminders
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

import casepath.store.models

revision = "0002_task_reminders"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", casepath.store.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_tasks_reminders", ["la_id", "reminded_at", "state", "due_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_reminders")
        batch_op.drop_column("reminded_at")
