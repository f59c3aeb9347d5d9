"""job secrets: workers' public keys, secrets sealed to them, and batches on the job queue

Revision ID: 0019_job_secrets
Revises: 0018_jobs
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_job_secrets"
down_revision: str | None = "0018_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_workers",
        sa.Column("worker_id", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("queues", sa.String(length=300), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_job_workers")),
    )
    op.create_index(op.f("ix_job_workers_seen_at"), "job_workers", ["seen_at"], unique=False)
    op.create_table(
        "job_secrets",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.String(length=200), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_secrets_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "worker_id", name=op.f("pk_job_secrets")),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("batch_jobs") as batch:
        batch.add_column(sa.Column("job_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batch_jobs") as batch:
        batch.drop_column("job_id")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("sealed")
    op.drop_table("job_secrets")
    op.drop_index(op.f("ix_job_workers_seen_at"), table_name="job_workers")
    op.drop_table("job_workers")
