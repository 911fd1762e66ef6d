"""What the list pages share: the territory tree their filters offer, the organisations list's
query read from the address (filters, sort, page), and the pager."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from api import i18n
from api.i18n import N_
from web.client import (
    ApiClient,
    OrganisationQuery,
    Territory,
)
from web.templating import localized_name, parse_uuid

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

# --- territories ----------------------------------------------------------------------------------


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


# --- listing --------------------------------------------------------------------------------------

SORTS: dict[str, str] = {
    "name": N_("Name, A to Z"),
    "-name": N_("Name, Z to A"),
    "-created": N_("Newest first"),
    "created": N_("Oldest first"),
}


def api_sort(sort: str) -> str:
    locale = i18n.current_locale()
    return {
        "name": f"name_{locale}",
        "-name": f"-name_{locale}",
        "-created": "-created_at",
        "created": "created_at",
    }[sort]


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value else default
    except ValueError:
        return default
    return min(max(number, low), high)


@dataclass
class Listing:
    """What the organisations list was asked for, read leniently: a bad value means no filter."""

    q: str = ""
    kind: str = ""
    status: str = ""
    territory_id: UUID | None = None
    sort: str = "name"
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def read(cls, params: Mapping[str, str | None]) -> Listing:
        kind = params.get("kind") or ""
        status = params.get("status") or ""
        sort = params.get("sort") or "name"
        return cls(
            q=(params.get("q") or "").strip()[:200],
            kind=kind if kind in i18n.KIND_LABELS else "",
            status=status if status in i18n.STATUS_LABELS else "",
            territory_id=parse_uuid(params.get("territory_id")),
            sort=sort if sort in SORTS else "name",
            page=_int(params.get("page"), 1, 1, 10**6),
            page_size=_int(params.get("page_size"), PAGE_SIZE, 1, MAX_PAGE_SIZE),
        )

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.kind or self.status or self.territory_id)

    def query(self) -> OrganisationQuery:
        return OrganisationQuery(
            territory_id=self.territory_id,
            kind=self.kind or None,
            status=self.status or None,
            q=self.q or None,
            sort=api_sort(self.sort),
            page=self.page,
            page_size=self.page_size,
        )

    def params(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "kind": self.kind,
            "status": self.status,
            "territory_id": self.territory_id,
            "sort": "" if self.sort == "name" else self.sort,
            "page_size": "" if self.page_size == PAGE_SIZE else self.page_size,
        }


@dataclass
class Pager:
    page: int
    pages: int
    total: int

    @property
    def numbers(self) -> list[int | None]:
        """Page numbers to show: the ends and the neighbourhood of the current page; None is a gap."""
        wanted = {1, self.pages, *range(self.page - 2, self.page + 3)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in shown:
            if out and out[-1] is not None and n - out[-1] > 1:  # type: ignore[operator]
                out.append(None)
            out.append(n)
        return out
