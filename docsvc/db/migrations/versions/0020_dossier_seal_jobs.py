"""dossier seals on the job queue: the pending seal's request and its job

Revision ID: 0020_dossier_seal_jobs
Revises: 0019_job_secrets
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_dossier_seal_jobs"
down_revision: str | None = "0019_job_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("seal_request", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("seal_job_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("seal_job_id")
        batch.drop_column("seal_request")
