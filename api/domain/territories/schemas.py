from __future__ import annotations

from uuid import UUID

import msgspec


class TerritoryNode(msgspec.Struct):
    id: UUID
    slug: str
    kind: str
    name_kk: str
    name_ru: str
    name_en: str
    parent_id: UUID | None = None
    code: str | None = None  # the official KATO code, where loaded
    children: list[TerritoryNode] = msgspec.field(default_factory=list)
