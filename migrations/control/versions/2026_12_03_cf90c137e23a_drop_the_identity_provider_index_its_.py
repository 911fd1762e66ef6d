"""drop the identity provider index its unique constraint provides

`identity_provider.organisation_id` leads the unique constraint (organisation_id, issuer,
client_id), whose index serves the same lookups.

Revision ID: cf90c137e23a
Revises: 319165633b8a
Create Date: 2026-12-03 07:07:35.051312
"""

from collections.abc import Sequence

from alembic import op

revision: str = "cf90c137e23a"
down_revision: str | Sequence[str] | None = "319165633b8a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_public_identity_provider_organisation_id", table_name="identity_provider", schema="public")


def downgrade() -> None:
    op.create_index(
        "ix_public_identity_provider_organisation_id",
        "identity_provider",
        ["organisation_id"],
        unique=False,
        schema="public",
    )
