"""keys at rest: officials' keys sealed under the PIN and a server-side pepper

Revision ID: 0010_keys_at_rest
Revises: 0009_identity_hardening
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_keys_at_rest"
down_revision: str | None = "0009_identity_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The sealed key (signing.key_envelope). Keys issued before this revision keep their
    # PKCS#12 until their owner next types the PIN, when they are sealed and the PKCS#12
    # column is emptied (docsvc.signatures.credentials.open_stored_key).
    with op.batch_alter_table("signing_credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_envelope", sa.LargeBinary(), nullable=True))
        # PIN tries in flight (docsvc.signatures.credentials.pin_attempt).
        batch_op.add_column(
            sa.Column("pin_pending", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("pin_pending_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signing_credentials", schema=None) as batch_op:
        batch_op.drop_column("pin_pending_at")
        batch_op.drop_column("pin_pending")
        batch_op.drop_column("key_envelope")
