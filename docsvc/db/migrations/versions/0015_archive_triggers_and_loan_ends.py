"""archive: the recorded date or event that starts a record's retention, and the moment a
loan's read access ends

Revision ID: 0015_archive_triggers
Revises: 0014_archive_transfers
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_archive_triggers"
down_revision: str | None = "0014_archive_transfers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("archive_holdings") as batch:
        batch.add_column(sa.Column("trigger_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("trigger_note", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("archive_loans") as batch:
        batch.add_column(sa.Column("lent_until", sa.DateTime(timezone=True), nullable=True))
    # Loans lent before this revision end at the end of their return day in UTC: the
    # institution's time zone is the service's setting, not the database's.
    op.execute(
        "UPDATE archive_loans SET lent_until = (due_on + 1)::timestamp AT TIME ZONE 'UTC' "
        "WHERE status = 'lent' AND due_on IS NOT NULL"
        if op.get_bind().dialect.name == "postgresql"
        else "UPDATE archive_loans SET lent_until = datetime(due_on, '+1 day') "
        "WHERE status = 'lent' AND due_on IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("archive_loans") as batch:
        batch.drop_column("lent_until")
    with op.batch_alter_table("archive_holdings") as batch:
        batch.drop_column("trigger_note")
        batch.drop_column("trigger_on")
