"""The administrative hierarchy: loading it and reading it as a tree."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.territories.models import Territory, TerritoryKind
from api.domain.territories.schemas import TerritoryNode
from api.errors import DomainError, NotFound

REPUBLIC_SLUG = "kz"
CODE = re.compile(r"[0-9]{9}")  # KATO: the Classifier of Administrative-Territorial Objects


class TerritoryService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tree(self) -> list[TerritoryNode]:
        rows = (await self.session.scalars(select(Territory).order_by(Territory.name_en))).all()
        nodes = {
            t.id: TerritoryNode(t.id, t.slug, t.kind, t.name_kk, t.name_ru, t.name_en, t.parent_id, t.code)
            for t in rows
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
        code: str | None = None,
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
        if code is not None:
            values["code"] = code  # a file without codes leaves the known ones alone
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
        """The republic and the territories of a file like `api/data/territories.csv`; safe to run
        again. Columns: slug, kind, names kk/ru/en, and optionally centre_en, `parent` (a slug
        loaded before it or already there; the republic when empty) and `code` (the official KATO
        code, nine digits). A bad row is refused with its line, and nothing of the file is kept."""
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
        with path.open(encoding="utf-8-sig") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    kind = TerritoryKind(row["kind"])
                    parent = (row.get("parent") or "").strip()
                    code = (row.get("code") or "").strip() or None
                    if code is not None and not CODE.fullmatch(code):
                        raise ValueError(f"the code {code!r} is not nine digits")
                    holder = code and await self.session.scalar(select(Territory.slug).where(Territory.code == code))
                    if holder and holder != row["slug"]:
                        raise ValueError(f"the code {code} is the code of {holder} already")
                    parent_id = (await self.by_slug(parent)).id if parent else republic_id
                    await self.upsert(
                        slug=row["slug"],
                        kind=kind,
                        parent_id=parent_id,
                        name_kk=row["name_kk"],
                        name_ru=row["name_ru"],
                        name_en=row["name_en"],
                        centre_en=row.get("centre_en") or None,
                        code=code,
                    )
                except (KeyError, ValueError, NotFound) as exc:
                    raise DomainError(f"{path.name}, line {line}: {exc}", field="file") from exc
                count += 1
        return count
