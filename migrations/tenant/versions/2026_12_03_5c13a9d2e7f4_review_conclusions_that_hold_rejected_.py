"""review conclusions that hold: rejected told apart from returned, missing stages recorded, audit token

- `document`, `review_round`, `review_stage` statuses gain `rejected` (a negative conclusion),
  told apart from `returned` (a return for revision);
- `review_missing_stage`: the stages of a clause's route a round goes without because the
  organisation lacks the body;
- `audit_log.token_id`: the API token a change was made with (its issuer is the actor).

Revision ID: 5c13a9d2e7f4
Revises: 0bb56a1c882e
Create Date: 2026-12-03 20:40:00.000000
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "5c13a9d2e7f4"
down_revision: str | Sequence[str] | None = "0bb56a1c882e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECKS = (
    (
        "document",
        "ck_document_document_status",
        "status IN ('draft', 'in_review', 'returned', 'approved')",
        "status IN ('draft', 'in_review', 'returned', 'rejected', 'approved')",
    ),
    (
        "review_round",
        "ck_review_round_review_round_status",
        "status IN ('in_review', 'returned', 'approved')",
        "status IN ('in_review', 'returned', 'rejected', 'approved')",
    ),
    (
        "review_stage",
        "ck_review_stage_review_stage_status",
        "status IN ('waiting', 'active', 'passed', 'returned')",
        "status IN ('waiting', 'active', 'passed', 'returned', 'rejected')",
    ),
)


def upgrade() -> None:
    for table, name, _old, new in _CHECKS:
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, new)
    op.create_table(
        "review_missing_stage",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("round_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("selector", sa.String(length=40), nullable=False),
        sa.Column("clause", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=400), nullable=False),
        sa.Column("body_kind", sa.String(length=40), nullable=True),
        sa.Column("body_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["review_round.id"], name=op.f("fk_review_missing_stage_round_id_review_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_missing_stage")),
    )
    op.create_index(op.f("ix_review_missing_stage_round_id"), "review_missing_stage", ["round_id"], unique=False)
    op.add_column("audit_log", sa.Column("token_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "token_id")
    op.drop_index(op.f("ix_review_missing_stage_round_id"), table_name="review_missing_stage")
    op.drop_table("review_missing_stage")
    for table, name, old, _new in _CHECKS:
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, old)
