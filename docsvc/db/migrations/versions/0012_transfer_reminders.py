"""transfer reminders: inbox notices about a transfer, and when one was reminded

Revision ID: 0012_transfer_reminders
Revises: 0011_inbox_params
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_transfer_reminders"
down_revision: str | None = "0011_inbox_params"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A notice is about a signing line or, now, a transfer whose deadline is near.
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.alter_column("line_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column("transfer_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_inbox_items_transfer_id", ["transfer_id"])
        batch_op.create_foreign_key(
            "fk_inbox_items_transfer_id_transfers", "transfers", ["transfer_id"], ["id"]
        )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
    op.execute("DELETE FROM inbox_items WHERE line_id IS NULL")
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.drop_constraint("fk_inbox_items_transfer_id_transfers", type_="foreignkey")
        batch_op.drop_index("ix_inbox_items_transfer_id")
        batch_op.drop_column("transfer_id")
        batch_op.alter_column("line_id", existing_type=sa.Uuid(), nullable=False)
