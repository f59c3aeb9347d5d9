"""identity hardening: session generations, two-admin role requests

Revision ID: 0009_identity_hardening
Revises: 0008_register
Create Date: 2026-12-03 10:12:31.402117
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009_identity_hardening"
down_revision: str | None = "0008_register"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A session is dead once its user's generation moves past the one it was issued under
    # (password changed, account disabled).
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("generation", sa.Integer(), server_default="0", nullable=False)
        )

    # Accounts disabled before this revision may still hold live sessions, which enabling
    # them would have revived: end them now, as disabling does from here on.
    users = sa.table(
        "users",
        sa.column("id", sa.Uuid()),
        sa.column("active", sa.Boolean()),
        sa.column("session_generation", sa.Integer()),
    )
    sessions = sa.table(
        "auth_sessions",
        sa.column("user_id", sa.Uuid()),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    disabled = sa.select(users.c.id).where(users.c.active.is_(False))
    op.execute(
        sessions.update()
        .where(sessions.c.revoked_at.is_(None), sessions.c.user_id.in_(disabled))
        .values(revoked_at=datetime.now(UTC))
    )
    op.execute(
        users.update()
        .where(users.c.active.is_(False))
        .values(session_generation=users.c.session_generation + 1)
    )

    op.create_table(
        "role_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_role_requests_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_role_requests_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_role_requests_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_requests")),
    )
    with op.batch_alter_table("role_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_requests_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_role_requests_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("role_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_requests_user_id"))
        batch_op.drop_index(batch_op.f("ix_role_requests_status"))

    op.drop_table("role_requests")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_column("generation")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
