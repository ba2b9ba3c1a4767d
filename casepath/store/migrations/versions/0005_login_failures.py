"""failed sign-ins in the database, so every web process of a deployment throttles the same attempts

Revision ID: 0005_login_failures
Revises: 0004_inbox_team_index
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

import casepath.store.models

revision = "0005_login_failures"
down_revision = "0004_inbox_team_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("at", casepath.store.models.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failures_key", "login_failures", ["key", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_key", table_name="login_failures")
    op.drop_table("login_failures")
