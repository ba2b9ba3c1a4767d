"""drafts: process owners' unpublished pathways (diagrams and forms being edited)

Revision ID: 0003_drafts
Revises: 0002_task_reminders
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

import casepath.store.models

revision = "0003_drafts"
down_revision = "0002_task_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("diagrams", sa.JSON(), nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", casepath.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["la_id"], ["local_authorities.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("la_id", "name"),
    )


def downgrade() -> None:
    op.drop_table("drafts")
