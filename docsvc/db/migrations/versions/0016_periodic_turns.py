"""periodic turns: work done once per deployment takes its turn in the database

Revision ID: 0016_periodic_turns
Revises: 0015_archive_triggers
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_periodic_turns"
down_revision: str | None = "0015_archive_triggers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_turns",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_turns")),
    )


def downgrade() -> None:
    op.drop_table("periodic_turns")
