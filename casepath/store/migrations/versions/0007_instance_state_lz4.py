"""PostgreSQL compresses a process instance's saved state with lz4 rather than pglz: the state is rewritten on
every step and read on the next, and lz4 is several times faster at both for these JSON documents of a
few to some tens of kilobytes (bench/step.py). A server built without lz4 keeps pglz; SQLite does not
compress. Rows are compressed afresh as each is next saved.

Revision ID: 0007_instance_state_lz4
Revises: 0006_case_chain_head
Create Date: 2026-12-07
"""

from alembic import op

revision = "0007_instance_state_lz4"
down_revision = "0006_case_chain_head"
branch_labels = None
depends_on = None


def _compress_with(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.server_version_info < (14,):
        return  # column compression methods came with PostgreSQL 14
    op.execute(
        "DO $$ BEGIN "
        f"ALTER TABLE instances ALTER COLUMN state SET COMPRESSION {method}; "
        "EXCEPTION WHEN feature_not_supported THEN NULL; "  # built without lz4
        "END $$"
    )


def upgrade() -> None:
    _compress_with("lz4")


def downgrade() -> None:
    _compress_with("pglz")
