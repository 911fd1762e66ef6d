"""import jobs and their rows

Onboarding (api.domain.onboarding): an uploaded file of organisations or staff is one
`import_job`; each of its rows an `import_row` with its normalised values, what the check found
and its state, so an import stopped by a crash resumes from the rows not yet done.

Revision ID: 03692e523dfb
Revises: 3a5c1919b533
Create Date: 2026-12-07 02:52:44.801293
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "03692e523dfb"
down_revision: str | Sequence[str] | None = "3a5c1919b533"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_job",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("organisation_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("created_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("token_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("notes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("finished_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('organisations', 'staff')", name=op.f("ck_import_job_import_job_kind")),
        sa.CheckConstraint(
            "status IN ('checked', 'queued', 'running', 'done', 'failed')", name=op.f("ck_import_job_import_job_status")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["public.organisation.id"], name=op.f("fk_import_job_organisation_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
        schema="public",
    )
    op.create_index(
        op.f("ix_public_import_job_created_by"), "import_job", ["created_by"], unique=False, schema="public"
    )
    op.create_index(
        op.f("ix_public_import_job_organisation_id"), "import_job", ["organisation_id"], unique=False, schema="public"
    )
    op.create_index(op.f("ix_public_import_job_status"), "import_job", ["status"], unique=False, schema="public")
    op.create_table(
        "import_row",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("job_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=12), nullable=True),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("issues", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("organisation_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("invited", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('invalid', 'pending', 'registered', 'done', 'failed')",
            name=op.f("ck_import_row_import_row_state"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["public.import_job.id"], name=op.f("fk_import_row_job_id_import_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_row")),
        sa.UniqueConstraint("job_id", "line", name=op.f("uq_import_row_job_id")),
        schema="public",
    )
    op.create_index("ix_import_row_job_state", "import_row", ["job_id", "state"], unique=False, schema="public")


def downgrade() -> None:
    op.drop_index("ix_import_row_job_state", table_name="import_row", schema="public")
    op.drop_table("import_row", schema="public")
    op.drop_index(op.f("ix_public_import_job_status"), table_name="import_job", schema="public")
    op.drop_index(op.f("ix_public_import_job_organisation_id"), table_name="import_job", schema="public")
    op.drop_index(op.f("ix_public_import_job_created_by"), table_name="import_job", schema="public")
    op.drop_table("import_job", schema="public")
