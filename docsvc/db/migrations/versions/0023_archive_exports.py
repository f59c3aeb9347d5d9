"""archival packages asked for from the pages or the API

Revision ID: 0023_archive_exports
Revises: 0022_renewal
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_archive_exports"
down_revision: str | None = "0022_renewal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archive_exports",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("dossier_id", sa.Uuid(), sa.ForeignKey("dossiers.id"), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_archive_exports_dossier_id", "archive_exports", ["dossier_id"])


def downgrade() -> None:
    op.drop_index("ix_archive_exports_dossier_id", table_name="archive_exports")
    op.drop_table("archive_exports")
