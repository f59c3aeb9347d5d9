"""archive transfers, loans, legal holds and disposals: an office's inventory of what it
hands to the archive, signed and sent as a transfer; loans of archived records; legal holds
on a record or a series; supervised disposal proposals with their signed record

Revision ID: 0014_archive_transfers
Revises: 0013_archive_records
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_archive_transfers"
down_revision: str | None = "0013_archive_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disposal_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("appraisal", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.Uuid(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_record", sa.LargeBinary(), nullable=True),
        sa.Column("approval_signature", sa.LargeBinary(), nullable=True),
        sa.Column("executed_by_id", sa.Uuid(), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("record", sa.LargeBinary(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_disposal_proposals_approved_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["executed_by_id"],
            ["users.id"],
            name=op.f("fk_disposal_proposals_executed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name=op.f("fk_disposal_proposals_proposed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_proposals")),
        sa.UniqueConstraint("number", name=op.f("uq_disposal_proposals_number")),
    )
    op.create_table(
        "archive_transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("archive_department_id", sa.Uuid(), nullable=False),
        sa.Column("inventory_document_id", sa.Uuid(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("signature_level", sa.String(length=8), nullable=True),
        sa.Column("transfer_id", sa.Uuid(), nullable=True),
        sa.Column("prepared_by_id", sa.Uuid(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["archive_department_id"],
            ["departments.id"],
            name=op.f("fk_archive_transfers_archive_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_archive_transfers_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["inventory_document_id"],
            ["documents.id"],
            name=op.f("fk_archive_transfers_inventory_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["prepared_by_id"], ["users.id"], name=op.f("fk_archive_transfers_prepared_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_archive_transfers_transfer_id_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_transfers")),
    )
    with op.batch_alter_table("archive_transfers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archive_transfers_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_archive_transfers_transfer_id"), ["transfer_id"], unique=False
        )

    op.create_table(
        "archive_loans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("holding_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_archive_loans_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_archive_loans_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["holding_id"],
            ["archive_holdings.id"],
            name=op.f("fk_archive_loans_holding_id_archive_holdings"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_archive_loans_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_loans")),
    )
    with op.batch_alter_table("archive_loans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archive_loans_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_archive_loans_holding_id"), ["holding_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_archive_loans_status"), ["status"], unique=False)

    op.create_table(
        "disposal_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("holding_id", sa.Uuid(), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["holding_id"],
            ["archive_holdings.id"],
            name=op.f("fk_disposal_items_holding_id_archive_holdings"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["disposal_proposals.id"],
            name=op.f("fk_disposal_items_proposal_id_disposal_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_items")),
        sa.UniqueConstraint(
            "proposal_id", "holding_id", name=op.f("uq_disposal_items_proposal_id_holding_id")
        ),
    )
    with op.batch_alter_table("disposal_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disposal_items_holding_id"), ["holding_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disposal_items_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("holding_id", sa.Uuid(), nullable=True),
        sa.Column("series_code", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("authority", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("placed_by_id", sa.Uuid(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by_id", sa.Uuid(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holding_id"],
            ["archive_holdings.id"],
            name=op.f("fk_legal_holds_holding_id_archive_holdings"),
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_id"], ["users.id"], name=op.f("fk_legal_holds_placed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["users.id"], name=op.f("fk_legal_holds_released_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_holds_holding_id"), ["holding_id"], unique=False)

    with op.batch_alter_table("archive_holdings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archive_transfer_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_archive_holdings_archive_transfer_id"),
            ["archive_transfer_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_archive_holdings_archive_transfer_id_archive_transfers"),
            "archive_transfers",
            ["archive_transfer_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("archive_holdings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_archive_holdings_archive_transfer_id_archive_transfers"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_archive_holdings_archive_transfer_id"))
        batch_op.drop_column("archive_transfer_id")

    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_holds_holding_id"))

    op.drop_table("legal_holds")
    with op.batch_alter_table("disposal_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disposal_items_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_disposal_items_holding_id"))

    op.drop_table("disposal_items")
    with op.batch_alter_table("archive_loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_loans_status"))
        batch_op.drop_index(batch_op.f("ix_archive_loans_holding_id"))
        batch_op.drop_index(batch_op.f("ix_archive_loans_department_id"))

    op.drop_table("archive_loans")
    with op.batch_alter_table("archive_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_transfers_transfer_id"))
        batch_op.drop_index(batch_op.f("ix_archive_transfers_department_id"))

    op.drop_table("archive_transfers")
    op.drop_table("disposal_proposals")
