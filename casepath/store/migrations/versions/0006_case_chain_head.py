"""the head of each case's hash chain (its last event's seq and hash) on the case row, so a step on a
locked case knows where its chain stands without reading the event record

Revision ID: 0006_case_chain_head
Revises: 0005_login_failures
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_case_chain_head"
down_revision = "0005_login_failures"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.add_column("cases", sa.Column("last_seq", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("cases", sa.Column("last_hash", sa.String(64), nullable=False, server_default=GENESIS))
    op.execute(
        "UPDATE cases SET "
        "last_seq = (SELECT e.seq FROM events e WHERE e.stream = cases.id ORDER BY e.seq DESC LIMIT 1), "
        "last_hash = (SELECT e.hash FROM events e WHERE e.stream = cases.id ORDER BY e.seq DESC LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM events e WHERE e.stream = cases.id)"
    )


def downgrade() -> None:
    op.drop_column("cases", "last_hash")
    op.drop_column("cases", "last_seq")
