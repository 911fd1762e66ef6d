"""The territory tree (republic, regions and cities of republican significance, districts and
towns) as the pages need it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from api import i18n
from web.client import ApiClient, Territory
from web.templating import localized_name


@dataclass
class TerritoryIndex:
    """The territory tree as the pages need it: by id, with each node's path from the top."""

    roots: list[Territory]
    by_id: dict[UUID, Territory] = field(default_factory=dict)
    parents: dict[UUID, UUID | None] = field(default_factory=dict)

    @classmethod
    def of(cls, roots: list[Territory]) -> TerritoryIndex:
        index = cls(roots)

        def walk(nodes: Iterable[Territory], parent: UUID | None) -> None:
            for node in nodes:
                index.by_id[node.id] = node
                index.parents[node.id] = parent
                walk(node.children, node.id)

        walk(roots, None)
        for node in index.by_id.values():
            node.children.sort(key=_territory_order)
        roots.sort(key=_territory_order)
        return index

    def path(self, territory_id: UUID | None) -> list[Territory]:
        chain: list[Territory] = []
        while territory_id is not None and territory_id in self.by_id:
            chain.append(self.by_id[territory_id])
            territory_id = self.parents[territory_id]
        return list(reversed(chain))

    def options(self) -> list[tuple[str, list[tuple[UUID, str]]]]:
        """Choices grouped by region (or city of republican significance) for a select."""
        groups: list[tuple[str, list[tuple[UUID, str]]]] = []
        for root in self.roots:
            groups.append((localized_name(root), [(root.id, localized_name(root))]))
            for top in root.children:
                choices = [(top.id, f"{localized_name(top)} ({i18n.label(top.kind).lower()})")]
                choices += [
                    (child.id, f"{localized_name(child)} ({i18n.label(child.kind).lower()})") for child in top.children
                ]
                groups.append((localized_name(top), choices))
        return groups


def _territory_order(node: Territory) -> tuple[int, str]:
    # Regions first, then the cities of republican significance; districts before towns.
    rank = {"republic": 0, "region": 1, "city": 2, "district": 3, "town": 4}.get(node.kind, 9)
    return rank, localized_name(node).casefold()


async def territory_index(api: ApiClient) -> TerritoryIndex:
    return TerritoryIndex.of(await api.territories())
