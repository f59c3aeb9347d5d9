"""archival packages imported from another institution; an export's format and scope

Revision ID: 0024_archive_imports
Revises: 0023_archive_exports
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_archive_imports"
down_revision: str | None = "0023_archive_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("archive_exports") as batch:
        batch.add_column(sa.Column("format", sa.String(8), nullable=False, server_default="eark"))
        batch.add_column(
            sa.Column("scope_kind", sa.String(16), nullable=False, server_default="dossier")
        )
        batch.add_column(sa.Column("scope_id", sa.String(300), nullable=False, server_default=""))
        batch.add_column(sa.Column("label", sa.String(500), nullable=False, server_default=""))
        batch.alter_column("dossier_id", existing_type=sa.Uuid(), nullable=True)
    op.create_table(
        "archive_imports",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("requested_by_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("department_id", sa.Uuid(), sa.ForeignKey("departments.id"), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("package_sha256", sa.String(64), nullable=False),
        sa.Column("package_size", sa.BigInteger(), nullable=False),
        sa.Column("given_register_key", sa.Text(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), sa.ForeignKey("dossiers.id"), nullable=True),
        sa.Column("dossier_ids", sa.JSON(), nullable=False),
        sa.Column("origin_institution", sa.String(500), nullable=False),
        sa.Column("origin_identifier", sa.String(500), nullable=False),
        sa.Column("origin_register_key", sa.Text(), nullable=False),
        sa.Column("origin_checkpoint", sa.Text(), nullable=False),
        sa.Column("origin_proofs", sa.JSON(), nullable=False),
        sa.Column("origin_index_xml", sa.Text(), nullable=False),
        sa.Column("origin_anchors_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_archive_imports_dossier_id", "archive_imports", ["dossier_id"])
    op.create_table(
        "imported_documents",
        sa.Column("document_id", sa.Uuid(), sa.ForeignKey("documents.id"), primary_key=True),
        sa.Column("import_id", sa.Uuid(), sa.ForeignKey("archive_imports.id"), nullable=False),
        sa.Column("origin_id", sa.String(200), nullable=False),
        sa.Column("origin_verification_code", sa.String(64), nullable=True),
        sa.Column("verdicts", sa.JSON(), nullable=False),
    )
    op.create_index("ix_imported_documents_import_id", "imported_documents", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_imported_documents_import_id", table_name="imported_documents")
    op.drop_table("imported_documents")
    op.drop_index("ix_archive_imports_dossier_id", table_name="archive_imports")
    op.drop_table("archive_imports")
    op.execute("DELETE FROM archive_exports WHERE dossier_id IS NULL")
    with op.batch_alter_table("archive_exports") as batch:
        batch.alter_column("dossier_id", existing_type=sa.Uuid(), nullable=False)
        batch.drop_column("label")
        batch.drop_column("scope_id")
        batch.drop_column("scope_kind")
        batch.drop_column("format")
