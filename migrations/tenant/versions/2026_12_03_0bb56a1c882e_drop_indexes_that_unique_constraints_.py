"""drop indexes that unique constraints already provide

Each of these single-column indexes is the leading column of a (non-partial) unique constraint on
the same table, whose index serves the same lookups. Dropping them makes writes cheaper and every
new tenant schema eight relations (files, fsyncs) smaller.

Revision ID: 0bb56a1c882e
Revises: d6dc8a973de0
Create Date: 2026-12-03 07:06:48.680365
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0bb56a1c882e"
down_revision: str | Sequence[str] | None = "d6dc8a973de0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# True when upgrade() reads the tenant's data in Python (op.get_bind() and its rows): the revision
# then runs through Alembic schema by schema, instead of as SQL rendered once and replayed in
# every schema (tenants/upgrades.py).
per_schema = False


def upgrade() -> None:
    op.drop_index(op.f("ix_document_version_document_id"), table_name="document_version")
    op.drop_index(op.f("ix_meeting_attendance_meeting_id"), table_name="meeting_attendance")
    op.drop_index(op.f("ix_meeting_decisions_meeting_id"), table_name="meeting_decisions")
    op.drop_index(op.f("ix_review_round_document_id"), table_name="review_round")
    op.drop_index(op.f("ix_review_stage_round_id"), table_name="review_stage")
    op.drop_index(op.f("ix_review_stage_member_stage_id"), table_name="review_stage_member")
    op.drop_index(op.f("ix_staff_subject_staff_id"), table_name="staff_subject")
    op.drop_index(op.f("ix_work_plans_association_id"), table_name="work_plans")


def downgrade() -> None:
    op.create_index(op.f("ix_work_plans_association_id"), "work_plans", ["association_id"], unique=False)
    op.create_index(op.f("ix_staff_subject_staff_id"), "staff_subject", ["staff_id"], unique=False)
    op.create_index(op.f("ix_review_stage_member_stage_id"), "review_stage_member", ["stage_id"], unique=False)
    op.create_index(op.f("ix_review_stage_round_id"), "review_stage", ["round_id"], unique=False)
    op.create_index(op.f("ix_review_round_document_id"), "review_round", ["document_id"], unique=False)
    op.create_index(op.f("ix_meeting_decisions_meeting_id"), "meeting_decisions", ["meeting_id"], unique=False)
    op.create_index(op.f("ix_meeting_attendance_meeting_id"), "meeting_attendance", ["meeting_id"], unique=False)
    op.create_index(op.f("ix_document_version_document_id"), "document_version", ["document_id"], unique=False)
