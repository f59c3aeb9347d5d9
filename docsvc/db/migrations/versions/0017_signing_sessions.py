"""signing sessions: an open signing session kept in the database, sealed under the token

Revision ID: 0017_signing_sessions
Revises: 0016_periodic_turns
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_signing_sessions"
down_revision: str | None = "0016_periodic_turns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signing_sessions",
        sa.Column("auth_session", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["auth_session"],
            ["auth_sessions.token_sha256"],
            name=op.f("fk_signing_sessions_auth_session_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["signing_credentials.id"],
            name=op.f("fk_signing_sessions_credential_id_signing_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_signing_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("auth_session", name=op.f("pk_signing_sessions")),
    )
    op.create_index(
        op.f("ix_signing_sessions_user_id"), "signing_sessions", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_signing_sessions_expires_at"), "signing_sessions", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_signing_sessions_expires_at"), table_name="signing_sessions")
    op.drop_index(op.f("ix_signing_sessions_user_id"), table_name="signing_sessions")
    op.drop_table("signing_sessions")
