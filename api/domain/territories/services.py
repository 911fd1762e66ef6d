"""The administrative hierarchy: loading it and reading it as a tree."""

from __future__ import annotations

import csv
from pathlib import Path
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.territories.models import Territory, TerritoryKind
from api.domain.territories.schemas import TerritoryNode
from api.errors import NotFound

REPUBLIC_SLUG = "kz"


class TerritoryService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tree(self) -> list[TerritoryNode]:
        rows = (await self.session.scalars(select(Territory).order_by(Territory.name_en))).all()
        nodes = {
            t.id: TerritoryNode(t.id, t.slug, t.kind, t.name_kk, t.name_ru, t.name_en, t.parent_id) for t in rows
        }
        roots: list[TerritoryNode] = []
        for node in nodes.values():
            parent = nodes.get(node.parent_id) if node.parent_id else None
            (parent.children if parent else roots).append(node)
        return roots

    async def get(self, territory_id: UUID) -> Territory:
        territory = await self.session.get(Territory, territory_id)
        if territory is None:
            raise NotFound("Territory not found.", field="territory_id")
        return territory

    async def by_slug(self, slug: str) -> Territory:
        territory = await self.session.scalar(select(Territory).where(Territory.slug == slug))
        if territory is None:
            raise NotFound(f"Territory {slug!r} not found.", field="territory")
        return territory

    async def descendant_ids(self, territory_id: UUID) -> list[UUID]:
        """The territory and everything below it (the hierarchy is three levels deep)."""
        found = [territory_id]
        frontier = [territory_id]
        while frontier:
            frontier = list(
                (await self.session.scalars(select(Territory.id).where(Territory.parent_id.in_(frontier)))).all()
            )
            found.extend(frontier)
        return found

    async def upsert(
        self,
        *,
        slug: str,
        kind: TerritoryKind,
        parent_id: UUID | None,
        name_kk: str,
        name_ru: str,
        name_en: str,
        centre_en: str | None = None,
    ) -> UUID:
        values = {
            "slug": slug,
            "kind": kind.value,
            "parent_id": parent_id,
            "name_kk": name_kk,
            "name_ru": name_ru,
            "name_en": name_en,
            "centre_en": centre_en,
        }
        existing = await self.session.scalar(select(Territory).where(Territory.slug == slug))
        if existing is None:
            territory = Territory(**values)
            self.session.add(territory)
            await self.session.flush()
            return territory.id
        for key, value in values.items():
            setattr(existing, key, value)
        await self.session.flush()
        return existing.id

    async def load_csv(self, path: Path) -> int:
        """The republic and the top-level territories of `territories.csv`; safe to run again."""
        republic_id = await self.upsert(
            slug=REPUBLIC_SLUG,
            kind=TerritoryKind.REPUBLIC,
            parent_id=None,
            name_kk="Қазақстан Республикасы",
            name_ru="Республика Казахстан",
            name_en="Republic of Kazakhstan",
            centre_en="Astana",
        )
        count = 0
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                await self.upsert(
                    slug=row["slug"],
                    kind=TerritoryKind(row["kind"]),
                    parent_id=republic_id,
                    name_kk=row["name_kk"],
                    name_ru=row["name_ru"],
                    name_en=row["name_en"],
                    centre_en=row.get("centre_en") or None,
                )
                count += 1
        return count

