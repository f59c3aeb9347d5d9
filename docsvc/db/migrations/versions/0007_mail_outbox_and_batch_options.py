"""e-mail outbox on inbox items; batch jobs remember their stamp option and heartbeat

Revision ID: 0007_mail_and_batch_options
Revises: 0006_batches_and_seals
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_mail_and_batch_options"
down_revision: str | None = "0006_batches_and_seals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("visible", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        # NULL: not to be e-mailed (SMTP off when it was made); else pending, sent,
        # no_address or failed.
        batch_op.add_column(sa.Column("email_status", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("email_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("email_error", sa.Text(), nullable=True))
        batch_op.create_index("ix_inbox_items_email_status", ["email_status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_items_email_status")
        batch_op.drop_column("email_error")
        batch_op.drop_column("emailed_at")
        batch_op.drop_column("email_attempts")
        batch_op.drop_column("email_status")
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("visible")
