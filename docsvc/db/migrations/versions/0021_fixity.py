"""fixity audits: passes over the object store and their alerts

Revision ID: 0021_fixity
Revises: 0020_dossier_seal_jobs
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_fixity"
down_revision: str | None = "0020_dossier_seal_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fixity_passes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.String(64), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("mismatched", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "fixity_alerts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("object_key", sa.String(64), nullable=False),
        sa.Column("problem", sa.String(16), nullable=False),
        sa.Column("pass_id", sa.Uuid(), sa.ForeignKey("fixity_passes.id"), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_fixity_alerts_open", "fixity_alerts", ["resolved_at", "object_key"])


def downgrade() -> None:
    op.drop_index("ix_fixity_alerts_open", table_name="fixity_alerts")
    op.drop_table("fixity_alerts")
    op.drop_table("fixity_passes")
