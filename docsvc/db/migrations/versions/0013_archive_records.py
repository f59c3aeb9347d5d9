"""archive records: the classification scheme's versions and nodes, retention tables and
their signed steps, holdings (what is filed where, its phase and dates), and when a dossier
was closed

Revision ID: 0013_archive_records
Revises: 0012_transfer_reminders
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_archive_records"
down_revision: str | None = "0012_transfer_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "classification_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_classification_versions_created_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_versions")),
        sa.UniqueConstraint("number", name=op.f("uq_classification_versions_number")),
    )
    op.create_table(
        "classification_nodes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("full_code", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column("document_types", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["classification_versions.id"],
            name=op.f("fk_classification_nodes_version_id_classification_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_nodes")),
        sa.UniqueConstraint(
            "version_id", "code", name=op.f("uq_classification_nodes_version_id_code")
        ),
    )
    with op.batch_alter_table("classification_nodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_classification_nodes_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "retention_tables",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("classification_version_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("in_force_from", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["classification_version_id"],
            ["classification_versions.id"],
            name=op.f("fk_retention_tables_classification_version_id_classification_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_retention_tables_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_tables")),
        sa.UniqueConstraint("number", name=op.f("uq_retention_tables_number")),
    )
    with op.batch_alter_table("retention_tables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_tables_classification_version_id"),
            ["classification_version_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_retention_tables_state"), ["state"], unique=False)

    op.create_table(
        "archive_holdings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("node_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("table_id", sa.Uuid(), nullable=True),
        sa.Column("central_on", sa.Date(), nullable=True),
        sa.Column("disposal_on", sa.Date(), nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("on_hold", sa.Boolean(), nullable=False),
        sa.Column("filed_by_id", sa.Uuid(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_archive_holdings_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_archive_holdings_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_archive_holdings_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["users.id"], name=op.f("fk_archive_holdings_filed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["classification_nodes.id"],
            name=op.f("fk_archive_holdings_node_id_classification_nodes"),
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["retention_tables.id"],
            name=op.f("fk_archive_holdings_table_id_retention_tables"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_holdings")),
        sa.UniqueConstraint("document_id", name=op.f("uq_archive_holdings_document_id")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_archive_holdings_dossier_id")),
    )
    with op.batch_alter_table("archive_holdings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archive_holdings_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            "ix_archive_holdings_disposal", ["phase", "disposal_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_archive_holdings_node_id"), ["node_id"], unique=False)
        batch_op.create_index("ix_archive_holdings_transfer", ["phase", "central_on"], unique=False)

    op.create_table(
        "retention_table_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("table_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("signature_level", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["retention_tables.id"],
            name=op.f("fk_retention_table_steps_table_id_retention_tables"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_retention_table_steps_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_table_steps")),
    )
    with op.batch_alter_table("retention_table_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_table_steps_table_id"), ["table_id"], unique=False
        )

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    # Dossiers closed before this version: the closing moment was not kept; the seal, or
    # failing that the opening, is the nearest known moment (retention starts no later).
    op.execute(
        "UPDATE dossiers SET closed_at = COALESCE(sealed_at, created_at) WHERE status = 'closed'"
    )


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("closed_at")

    with op.batch_alter_table("retention_table_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_table_steps_table_id"))

    op.drop_table("retention_table_steps")
    with op.batch_alter_table("archive_holdings", schema=None) as batch_op:
        batch_op.drop_index("ix_archive_holdings_transfer")
        batch_op.drop_index(batch_op.f("ix_archive_holdings_node_id"))
        batch_op.drop_index("ix_archive_holdings_disposal")
        batch_op.drop_index(batch_op.f("ix_archive_holdings_department_id"))

    op.drop_table("archive_holdings")
    with op.batch_alter_table("retention_tables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_tables_state"))
        batch_op.drop_index(batch_op.f("ix_retention_tables_classification_version_id"))

    op.drop_table("retention_tables")
    with op.batch_alter_table("classification_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classification_nodes_version_id"))

    op.drop_table("classification_nodes")
    op.drop_table("classification_versions")
