from __future__ import annotations

import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import ControlBase


class User(ControlBase):
    """A person known to the platform, identified by their identity provider's (issuer, subject)."""

    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    full_name: Mapped[str | None] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified: Mapped[bool] = mapped_column(default=False, server_default="false")
    last_sign_in_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class RoleAssignment(ControlBase):
    """A role held at one node of the hierarchy; it holds for everything below that node.

    The node is a territory (republic, region, district), an organisation, or a unit inside an
    organisation. A unit lives in the tenant's schema, so it is referred to by id only.
    """

    __tablename__ = "role_assignment"
    __table_args__ = (
        CheckConstraint(
            "(territory_id IS NOT NULL)::int + (organisation_id IS NOT NULL)::int = 1",
            name="role_assignment_one_node",
        ),
        CheckConstraint("unit_id IS NULL OR organisation_id IS NOT NULL", name="role_assignment_unit_in_org"),
    )

    user_id: Mapped[UUID] = mapped_column(ForeignKey("public.user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    territory_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.territory.id"), index=True)
    organisation_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.organisation.id"), index=True)
    unit_id: Mapped[UUID | None] = mapped_column()
    granted_by: Mapped[UUID | None] = mapped_column(ForeignKey("public.user_account.id"))
