from __future__ import annotations

import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import ControlBase


class Organisation(ControlBase):
    """An education organisation or a methodological cabinet: one tenant, one schema."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "status IN ('provisioning', 'active', 'suspended', 'archived', 'failed')",
            name="organisation_status",
        ),
        CheckConstraint("bin ~ '^[0-9]{12}$'", name="organisation_bin_digits"),
    )

    kind: Mapped[str] = mapped_column(String(32), index=True)
    levels: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    territory_id: Mapped[UUID] = mapped_column(ForeignKey("public.territory.id"), index=True)
    bin: Mapped[str] = mapped_column(String(12), unique=True)
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    schema_name: Mapped[str] = mapped_column(String(63), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="provisioning", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    schema_version: Mapped[str | None] = mapped_column(String(64))
    provisioned_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    archived_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    archive_path: Mapped[str | None] = mapped_column(Text)


class SpareSchema(ControlBase):
    """A tenant schema built at the tenant head ahead of demand (tenants/spares.py).

    The schema and its row are created in one transaction, and claimed in one (row deleted,
    schema renamed to the organisation's), so a row always names an untouched schema at
    `version`.
    """

    __tablename__ = "spare_schema"

    name: Mapped[str] = mapped_column(String(63), unique=True)
    version: Mapped[str] = mapped_column(String(64), index=True)
