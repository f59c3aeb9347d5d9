"""object claims

Revision ID: 0003_object_claims
Revises: 0002_issued_certificates
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_object_claims"
down_revision: str | None = "0002_issued_certificates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "object_claims",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=8), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_object_claims")),
    )


def downgrade() -> None:
    op.drop_table("object_claims")
