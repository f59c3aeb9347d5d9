"""long-term validation renewal: each archived document's renewal state; versions the
service makes itself have no author

Revision ID: 0022_renewal
Revises: 0021_fixity
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_renewal"
down_revision: str | None = "0021_fixity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "renewal_states",
        sa.Column("document_id", sa.Uuid(), sa.ForeignKey("documents.id"), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("renew_by", sa.Date(), nullable=True),
        sa.Column("archive_timestamps", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_renewal_states_due", "renewal_states", ["status", "renew_by"])
    with op.batch_alter_table("document_versions") as batch:
        batch.alter_column("author_id", existing_type=sa.Uuid(), nullable=True)
    _restore_append_only_guard()


def _restore_append_only_guard() -> None:
    """SQLite alters a column by copying the table, which leaves its triggers behind: the
    guard that makes document_versions append-only (0001) is put back."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS document_versions_no_{verb.lower()} BEFORE {verb} "
            "ON document_versions "
            "BEGIN SELECT RAISE(ABORT, 'document_versions is append-only'); END"
        )


def downgrade() -> None:
    with op.batch_alter_table("document_versions") as batch:
        batch.alter_column("author_id", existing_type=sa.Uuid(), nullable=False)
    _restore_append_only_guard()
    op.drop_index("ix_renewal_states_due", table_name="renewal_states")
    op.drop_table("renewal_states")
