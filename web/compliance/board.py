"""What a compliance dashboard page asks the API for, and what it was asked for.

The answers are decoded into structs of the web app's own (the pages never import the API's
domain; a page of them is the API's one `Page`), so the templates can read names in the reader's
language with the `name` filter. The query is read leniently, like the organisations list: a bad
value means no filter.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec

from api import i18n
from api.paging import Page
from web.client import ApiClient
from web.templating import parse_uuid

BOARD_PATH = "/compliance"
PAGE_SIZE = 20
SORTS = ("findings", "name")
EXPORT_VIEWS = ("territories", "organisations", "findings")
EXPORT_FORMATS = ("csv", "xlsx")


class Localised(msgspec.Struct):
    kk: str
    ru: str
    en: str


class Figures(msgspec.Struct):
    organisations: int
    compliant: int
    findings: int

    @property
    def share(self) -> int | None:
        """Compliant organisations in whole per cent; None when none was checked."""
        return round(100 * self.compliant / self.organisations) if self.organisations else None


class TerritoryRef(msgspec.Struct):
    id: UUID
    kind: str
    level: str | None
    name_kk: str
    name_ru: str
    name_en: str
    code: str | None


class TerritoryFigures(msgspec.Struct):
    territory: TerritoryRef
    figures: Figures


class ClauseFigures(msgspec.Struct):
    clause: str
    statement: Localised | None
    organisations: int
    findings: int


class KindFigures(msgspec.Struct):
    kind: str
    figures: Figures


class TrendPoint(msgspec.Struct):
    day: datetime.date
    organisations: int
    compliant: int
    findings: int


class Dashboard(msgspec.Struct):
    territory: TerritoryRef
    path: list[TerritoryRef]
    rule_set: str | None
    rule_set_title: Localised | None
    clause: str | None
    kind: str | None
    totals: Figures
    placed_here: Figures
    children: list[TerritoryFigures]
    by_clause: list[ClauseFigures]
    by_kind: list[KindFigures]
    trend: list[TrendPoint]


class Standing(msgspec.Struct):
    organisation_id: UUID
    name_kk: str
    name_ru: str
    name_en: str | None
    kind: str
    territory_id: UUID
    checked_on: datetime.date | None
    findings: int
    by_clause: dict[str, int]


def clause_or_none(value: str | None) -> str | None:
    """A clause number such as 25 or 7.1; anything else is no clause."""
    return value if value and value.replace(".", "").isdigit() and len(value) <= 7 and ".." not in value else None


def _page_no(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), 10**6)
    except ValueError:
        return 1


@dataclass(frozen=True)
class BoardQuery:
    """The territory, the filters, and the organisations' order and page."""

    territory_id: UUID | None = None
    clause: str | None = None
    kind: str | None = None
    sort: str = "findings"
    page: int = 1

    @classmethod
    def read(cls, params: Mapping[str, str | None]) -> BoardQuery:
        kind = params.get("kind") or None
        sort = params.get("sort") or "findings"
        return cls(
            territory_id=parse_uuid(params.get("territory_id")),
            clause=clause_or_none(params.get("clause")),
            kind=kind if kind in i18n.KIND_LABELS else None,
            sort=sort if sort in SORTS else "findings",
            page=_page_no(params.get("page")),
        )

    @property
    def filters(self) -> dict[str, Any]:
        """The territory and filters as query parameters: what a drill-down or export keeps."""
        return {"territory_id": self.territory_id, "clause": self.clause, "kind": self.kind}

    @property
    def params(self) -> dict[str, Any]:
        """The whole view as query parameters, defaults left out (the canonical address)."""
        return {**self.filters, "sort": None if self.sort == "findings" else self.sort}

    def api_filters(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.filters.items() if v}


async def fetch_dashboard(api: ApiClient, query: BoardQuery) -> Dashboard:
    response = await api.send("GET", "/api/compliance/dashboard", params=query.api_filters())
    return msgspec.json.decode(response.content, type=Dashboard)


async def fetch_standings(api: ApiClient, query: BoardQuery) -> Page[Standing]:
    params = {**query.api_filters(), "sort": query.sort, "page": str(query.page), "page_size": str(PAGE_SIZE)}
    response = await api.send("GET", "/api/compliance/organisations", params=params)
    return msgspec.json.decode(response.content, type=Page[Standing])
