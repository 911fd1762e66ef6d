"""The organisation's own named settings: a table in each tenant schema that domain packages read
and write (the subjects seeded once, quorum defaults, notification choices…)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import TenantBase


class Setting(TenantBase):
    """One named setting of the organisation (quorum defaults, notification choices…)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(120), unique=True)
    value: Mapped[Any] = mapped_column(JSONB)
