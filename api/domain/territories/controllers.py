from __future__ import annotations

from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api.access import Scope, access
from api.domain.territories.schemas import TerritoryNode
from api.domain.territories.services import TerritoryService


class TerritoryController(Controller):
    path = "/api/territories"
    tags = ["territories"]

    @get("/", name="territories:tree", operation_id="TerritoryTree", opt=access(Scope.SHARED, "any"))
    async def tree(self, territories: NamedDependency[TerritoryService]) -> list[TerritoryNode]:
        """The administrative hierarchy: republic → regions and cities → districts and towns."""
        return await territories.tree()

    @get(
        "/{territory_id:uuid}", name="territories:detail", operation_id="GetTerritory", opt=access(Scope.SHARED, "any")
    )
    async def detail(
        self, territories: NamedDependency[TerritoryService], territory_id: FromPath[UUID]
    ) -> TerritoryNode:
        t = await territories.get(territory_id)
        return TerritoryNode(t.id, t.slug, t.kind, t.name_kk, t.name_ru, t.name_en, t.parent_id, t.code)
