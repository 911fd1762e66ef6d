from __future__ import annotations

import enum
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import ControlBase


class TerritoryKind(enum.StrEnum):
    REPUBLIC = "republic"
    REGION = "region"  # облыс
    CITY = "city"  # city of republican significance
    DISTRICT = "district"  # аудан, inside a region or a city of republican significance
    TOWN = "town"  # city of regional significance

    @property
    def level(self) -> int:
        return {"republic": 0, "region": 1, "city": 1, "district": 2, "town": 2}[self.value]


class Territory(ControlBase):
    """A node of the administrative hierarchy: republic → regions and cities → districts and towns."""

    __tablename__ = "territory"
    __table_args__ = (
        CheckConstraint("kind IN ('republic', 'region', 'city', 'district', 'town')", name="territory_kind"),
        CheckConstraint("code ~ '^[0-9]{9}$'", name="territory_code"),
    )

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.territory.id"), index=True)
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    centre_en: Mapped[str | None] = mapped_column(String(200))
    # The official code (KATO, nine digits) where known: import files may name a place by it.
    code: Mapped[str | None] = mapped_column(String(9), unique=True)
